/**
 * Passwords attackers try first. The policy already demands 12+ characters, so the list holds
 * the long ones that top public breach corpora (rockyou, the SecLists "10k most common" and
 * "darkweb2017" files) plus common words that people pad to length; `isCommonPassword` also
 * catches a common word repeated or followed by digits/symbols ("password1234!", "adminadmin").
 */
const COMMON = `
password qwerty letmein welcome admin administrator iloveyou monkey dragon football baseball
sunshine princess master shadow superman batman trustno1 starwars whatever freedom passw0rd
p@ssw0rd p@ssword changeme secret abc123 qwertyuiop asdfghjkl zxcvbnm 1q2w3e4r 1qaz2wsx
qazwsxedc 123qwe qwe123 login default root toor guest test tester user hello football1
michael jennifer jordan hunter ranger buster soccer hockey killer charlie thomas tigger robert
summer winter spring autumn london computer internet mustang access flower cheese pepper
ginger matrix harley corvette yankees cowboys liverpool chelsea arsenal pokemon minecraft
fortnite google facebook linkedin microsoft apple samsung bsmagentos agentos
123456789012 1234567890123 12345678901234 123456789123 111111111111 000000000000 121212121212
123123123123 987654321098 qwertyuiop123 1q2w3e4r5t6y 1qaz2wsx3edc qwerty123456 password1234
password12345 password123456 passwordpassword iloveyou1234 welcome12345 welcome123456
adminadmin123 administrator1 letmein12345 changeme1234 trustno1trustno1 abcdefghijkl
abcdefghijklm abc123abc123 aaaaaaaaaaaa qwertyqwerty asdfasdfasdf zaq12wsxcde3 1234qwerasdf
qwerasdfzxcv correcthorsebatterystaple
`;

const LIST: ReadonlySet<string> = new Set(COMMON.split(/\s+/).filter(Boolean));

/** Whether `password` is, or is trivially built from, a well-known password. */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  if (LIST.has(lower)) return true;
  // A common word padded with digits/symbols, or repeated ("summer2024!!", "monkeymonkey").
  const core = lower.replace(/[\d\W_]+$/, '').replace(/^[\d\W_]+/, '');
  if (LIST.has(core)) return true;
  const half = core.slice(0, core.length / 2);
  if (core.length % 2 === 0 && half + half === core && LIST.has(half)) return true;
  // One character repeated, or a run of consecutive digits/letters.
  if (/^(.)\1+$/.test(lower)) return true;
  return isSequence(lower);
}

function isSequence(s: string): boolean {
  if (s.length < 2) return false;
  const step = s.charCodeAt(1) - s.charCodeAt(0);
  if (Math.abs(step) !== 1) return false;
  for (let i = 2; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) !== step) return false;
  return true;
}
