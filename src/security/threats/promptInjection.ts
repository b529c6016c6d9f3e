/**
 * Prompt-injection patterns in text handed to a model: attempts to override the agent's
 * instructions, extract its system prompt, or smuggle chat-template control tokens. A pure
 * function, so the task queue can call it on every task input and decide (flag or block per the
 * agent's `config.blockPromptInjection`).
 */
export interface PromptInjectionResult {
  detected: boolean;
  /** Names of the patterns that matched. */
  patterns: string[];
}

/*
 * Linear in the input (see injection.ts): every quantifier is bounded, and the fake-turn pattern
 * no longer lets `\s*` run across newlines (150 000 newlines took 20 s). Checked by
 * test/security/patternTiming.test.ts.
 */
export const PROMPT_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  [
    'ignore-instructions',
    /\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|your|system|original)\b[^.\n]{0,20}\b(instructions?|prompts?|rules|directions|guidelines|context)\b/i,
  ],
  [
    'reveal-system-prompt',
    /\b(reveal|show|print|repeat|output|leak|tell me)\b[^.\n]{0,30}\b(system|hidden|initial|original)\s{1,10}(prompt|instructions?|message)\b/i,
  ],
  [
    'role-override',
    /\byou are (now|no longer)\b|\bfrom now on,? you (are|will)\b|\bact as (an? )?(unrestricted|jailbroken)\b/i,
  ],
  ['jailbreak-mode', /\b(DAN|do anything now|developer mode|jailbreak(ed)?|god mode)\b/i],
  ['template-tokens', /<\|(im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>/i],
  // A line that starts (after indentation) with `system:` / `assistant:`, optionally `## `.
  ['fake-system-turn', /(^|\n)[ \t\r\f\v]{0,20}(#{2,10}[ \t]{0,10})?(system|assistant)[ \t]{0,10}:/i],
  ['new-instructions', /\b(new|updated|real)\s{1,10}instructions?\s{0,10}:/i],
];

/** Characters of a prompt that are scanned (the task schema allows 200 000 per text). */
export const PROMPT_SCAN_CHARS = 200_000;

export function detectPromptInjection(text: string): PromptInjectionResult {
  const sample = text.length > PROMPT_SCAN_CHARS ? text.slice(0, PROMPT_SCAN_CHARS) : text;
  const patterns = PROMPT_PATTERNS.filter(([, re]) => re.test(sample)).map(([name]) => name);
  return { detected: patterns.length > 0, patterns };
}
