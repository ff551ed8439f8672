import { ibanChecks, luhnChecks, maskSensitiveText } from '../functions/src/domain/privacy/masking.js';
import { median, report } from './support.js';

/**
 * Messages masked per second of CPU time on one core (LCH-6): `maskSensitiveText` next to the usual way, measured
 * in the same run on the same messages: one regular expression per kind of data, applied in turn, each
 * with the same checks (Luhn, mod 97, the SSN's ranges, PESEL's check digit). The messages are 120
 * characters, a chat's mix: most hold nothing to mask, some hold digits that are nobody's data (order
 * numbers, dates, amounts), and one in ten a card, an IBAN, a phone number, an e-mail address or an SSN.
 */
const MESSAGES = 20_000;
const ROUNDS = 7;
const LENGTH = 120;
const SHARE_WITH_DIGITS = 0.2;
const SHARE_SENSITIVE = 0.1;

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = (
  'hello thanks my order has not arrived yet could you please check the status of the delivery ' +
  'I was charged twice for the same item and would like a refund when will the parcel be shipped ' +
  'the app keeps crashing after the update can I change my plan dzień dobry merci beaucoup okay sure'
).split(' ');
const HARMLESS = [
  'order #4471203 from 2026-11-28',
  'ticket 99812 opened 03.12.2026 at 10:30',
  'paid €1,249.99 on 2026-12-01',
  'tracking 1Z999AA10123456784',
  'invoice 2026/000341',
  'version 4.12.7 build 20261130',
];
const SENSITIVE = [
  'card 4111 1111 1111 1111 exp 12/27',
  'my number is +44 7966 197542',
  'call me on (212) 555-0199',
  'email melissa.jones@gmail.com',
  'IBAN GB82 WEST 1234 5698 7654 32',
  'ssn 123-45-6789',
  'pay to PL61109010140000071219812874',
];

function messages(count: number): string[] {
  const next = random(14);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, () => {
    const roll = next();
    const data = roll < SHARE_SENSITIVE ? pick(SENSITIVE) : roll < SHARE_WITH_DIGITS ? pick(HARMLESS) : '';
    const words: string[] = [];
    let length = data.length;
    while (length < LENGTH) {
      const word = pick(WORDS);
      words.push(word);
      length += word.length + 1;
    }
    if (data) words.splice(Math.floor(next() * words.length), 0, data);
    const text = words.join(' ');
    // Cut to 120 characters without cutting the data in two.
    const end = Math.max(LENGTH, text.indexOf(data) + data.length);
    return text.slice(0, end);
  });
}

/** The usual way: one regular expression per kind, in turn, each with its check. */
const keepLast4 = (match: string) => {
  const compact = match.replace(/\s/g, '');
  return '*'.repeat(compact.length - 4) + compact.replace(/[^\dA-Za-z]/g, '').slice(-4);
};
const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
const BASELINE: [RegExp, (match: string, ...groups: string[]) => string][] = [
  [
    /([\p{L}\p{N}])([\p{L}\p{N}._%+-]*)(@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,})/gu,
    (_, first, rest, domain) => first + '*'.repeat(rest!.length) + domain,
  ],
  [
    /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    (m) => (ibanChecks(m.replace(/[ .-]/g, '').toUpperCase()) ? keepLast4(m) : m),
  ],
  [/\b[2-6]\d{3}(?:[ .-]?\d){9,15}\b/g, (m) => (luhnChecks(m.replace(/\D/g, '')) ? keepLast4(m) : m)],
  [/\b(?!000|666|9\d\d)\d{3}([ .-])(?!00)\d{2}\1(?!0000)\d{4}\b/g, keepLast4],
  [
    /\b\d{11}\b/g,
    (m) => {
      const sum = PESEL_WEIGHTS.reduce((total, w, k) => total + w * (m.charCodeAt(k) - 48), 0);
      return (10 - (sum % 10)) % 10 === m.charCodeAt(10) - 48 ? keepLast4(m) : m;
    },
  ],
  [/\+\s?\d(?:[\s().-]{0,3}\d){6,14}/g, keepLast4],
  [/(?:\(\b[2-9]\d{2}\)\s?|\b[2-9]\d{2}[.-])[2-9]\d{2}[ .-]\d{4}\b/g, keepLast4],
];

/** The same with the common ASCII-only e-mail expression, which misses addresses such as `zoë@…`. */
const ASCII_BASELINE: typeof BASELINE = [
  [
    /([A-Za-z0-9])([A-Za-z0-9._%+-]*)(@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g,
    (_, first, rest, domain) => first + '*'.repeat(rest!.length) + domain,
  ],
  ...BASELINE.slice(1),
];

const inTurn = (patterns: typeof BASELINE) => (text: string) => {
  let masked = text;
  for (const [pattern, mask] of patterns) masked = masked.replace(pattern, mask as () => string);
  return masked;
};
const baselineMask = inTurn(BASELINE);
const asciiBaselineMask = inTurn(ASCII_BASELINE);

/** Messages per second of this process's CPU time (one thread): what one core does, however busy the machine. */
function perSecond(texts: readonly string[], mask: (text: string) => string) {
  let changed = 0;
  const started = process.cpuUsage();
  for (const text of texts) if (mask(text) !== text) changed++;
  const used = process.cpuUsage(started);
  return { rate: texts.length / ((used.user + used.system) / 1e6), changed };
}

export async function run() {
  const texts = messages(MESSAGES);
  // Warm both up, so that each is measured compiled.
  perSecond(texts, maskSensitiveText);
  perSecond(texts, baselineMask);
  const ours: number[] = [];
  const baseline: number[] = [];
  let changed = { ours: 0, baseline: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const o = perSecond(texts, maskSensitiveText);
    const b = perSecond(texts, baselineMask);
    ours.push(o.rate);
    baseline.push(b.rate);
    changed = { ours: o.changed, baseline: b.changed };
  }
  const mix = {
    messages: MESSAGES,
    characters: LENGTH,
    sensitive_share: SHARE_SENSITIVE,
    harmless_digits_share: SHARE_WITH_DIGITS - SHARE_SENSITIVE,
    rounds: ROUNDS,
  };
  report('masking', 'messages_per_second', median(ours), { ...mix, best: Math.round(Math.max(...ours)) });
  report('masking', 'baseline_regex_per_kind_messages_per_second', median(baseline), {
    ...mix,
    best: Math.round(Math.max(...baseline)),
  });
  report('masking', 'speedup_over_baseline', median(ours) / median(baseline));
  const ascii = median(Array.from({ length: ROUNDS }, () => perSecond(texts, asciiBaselineMask).rate));
  report('masking', 'baseline_ascii_email_messages_per_second', ascii, mix);
  report('masking', 'speedup_over_ascii_baseline', median(ours) / ascii);
  report('masking', 'messages_changed', changed.ours, {
    baseline: changed.baseline,
    same_output: texts.filter((t) => maskSensitiveText(t) === baselineMask(t)).length,
  });
  const sensitiveOnly = texts.filter((t) => maskSensitiveText(t) !== t);
  report(
    'masking',
    'messages_with_data_per_second',
    median(Array.from({ length: ROUNDS }, () => perSecond(sensitiveOnly, maskSensitiveText).rate)),
    {
      messages: sensitiveOnly.length,
    },
  );
}
