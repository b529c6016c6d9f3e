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

const PATTERNS: Array<[string, RegExp]> = [
  [
    'ignore-instructions',
    /\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|your|system|original)\b[^.\n]{0,20}\b(instructions?|prompts?|rules|directions|guidelines|context)\b/i,
  ],
  [
    'reveal-system-prompt',
    /\b(reveal|show|print|repeat|output|leak|tell me)\b[^.\n]{0,30}\b(system|hidden|initial|original)\s+(prompt|instructions?|message)\b/i,
  ],
  [
    'role-override',
    /\byou are (now|no longer)\b|\bfrom now on,? you (are|will)\b|\bact as (an? )?(unrestricted|jailbroken)\b/i,
  ],
  ['jailbreak-mode', /\b(DAN|do anything now|developer mode|jailbreak(ed)?|god mode)\b/i],
  ['template-tokens', /<\|(im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>/i],
  ['fake-system-turn', /(^|\n)\s*(#{2,}\s*)?(system|assistant)\s*:\s*/i],
  ['new-instructions', /\b(new|updated|real)\s+instructions?\s*:/i],
];

export function detectPromptInjection(text: string): PromptInjectionResult {
  const sample = text.length > 200_000 ? text.slice(0, 200_000) : text;
  const patterns = PATTERNS.filter(([, re]) => re.test(sample)).map(([name]) => name);
  return { detected: patterns.length > 0, patterns };
}
