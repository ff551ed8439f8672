import type { PrivacySettings } from './settings.js';

/**
 * Masking of sensitive customer data (LCH-6, LCH-7): what an agent sees in place of a payment card
 * number, an IBAN, a social security number, an e-mail address or a mobile number. Pure: the same text
 * always masks the same way, and masking masked text changes nothing.
 *
 * Numbers keep their last 4 digits and lose their spaces, every other character becoming a star
 * (`+ 1 (123) 456 7890` → `**********7890`, `+447966197542` → `*********7542`); an IBAN keeps its last 4
 * characters the same way; an e-mail address keeps its first character and its domain
 * (`melissa@gmail.com` → `m******@gmail.com`).
 *
 * What is recognised, and why it leaves order numbers, dates and amounts alone:
 * - a payment card number: 13 to 19 digits whose first digit is a card network's (2 to 6) and that pass
 *   the Luhn check, written whole or in groups split by one kind of space, dash or dot;
 * - an IBAN: a country's code, two check digits and exactly that country's length, passing mod 97;
 * - a US social security number written `123-45-6789` (or with spaces or dots), outside the ranges the
 *   SSA never issues (area 000, 666 and 900–999, group 00, serial 0000); nine digits written together
 *   are not masked, as they cannot be told from an order number;
 * - a Polish PESEL (the national identification number, for the Polish customers the product serves):
 *   11 digits with its check digit and a real date of birth;
 * - an e-mail address;
 * - a phone number in international form (`+`, then 7 to 15 digits), or a North American one
 *   written `(212) 555-0199`, `212-555-0199` or `212.555.0199` with valid area and exchange codes.
 * Digits glued to letters (`code-4111111111111111`, `A4111…`) belong to a code, not to a person.
 */

const MIN_DIGITS = 7; // the fewest digits of anything masked for its digits: a short international number
const MAX_SEPARATOR = 3; // `) (` at most between two groups of a phone number

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAsciiLetter = (c: number) => (c | 0x20) >= 97 && (c | 0x20) <= 122;
const isAsciiAlnum = (c: number) => isDigit(c) || isAsciiLetter(c);
const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;
const isAlnum = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c < 128 ? isAsciiAlnum(c) : LETTER_OR_NUMBER.test(text[i]!);
};
const STAR = 42;
const PLUS = 43;

/** What a text holds that something to mask needs: an `@`, 7 digits, two letters and two digits. */
const HAS_AT = 1;
const HAS_DIGITS = 2;
const HAS_IBAN_START = 4;
const EVERY_HINT = HAS_AT | HAS_DIGITS | HAS_IBAN_START;

const DIGIT_OR_AT = /[\d@]/;
const SEVEN_DIGITS = /\d(?:\D*\d){6}/;
const IBAN_START = /[A-Za-z]{2}\d\d/;

/**
 * What the text holds that each kind of data needs: an e-mail address an `@`, a number 7 digits or
 * more, an IBAN two letters followed by two digits. Most messages hold none of these, and the first
 * test, one native scan, is all they cost; the others are searched only for the kinds they may hold.
 */
function hintsOf(text: string): number {
  if (!DIGIT_OR_AT.test(text)) return 0;
  return (
    (text.includes('@') ? HAS_AT : 0) |
    (SEVEN_DIGITS.test(text) ? HAS_DIGITS : 0) |
    (IBAN_START.test(text) ? HAS_IBAN_START : 0)
  );
}

/** Whether the text could hold anything to mask at all. */
export const mayHoldSensitiveData = (text: string): boolean => hintsOf(text) !== 0;

export type SensitiveKind = 'email' | 'iban' | 'card' | 'ssn' | 'pesel' | 'phone';

/** A piece of sensitive data found in a text: where it is, what it is, and what is shown instead. */
export interface SensitiveSpan {
  start: number;
  end: number;
  kind: SensitiveKind;
  replacement: string;
}
type Span = SensitiveSpan;

/** Stars for every character but the last 4 digits (an IBAN's last 4 letters or digits), spaces dropped. */
function keepLast4(written: string, keepLetters: boolean): string {
  let kept = '';
  let stars = 0;
  for (let i = written.length - 1; i >= 0; i--) {
    const c = written.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0) continue;
    if (kept.length < 4 && (isDigit(c) || (keepLetters && isAsciiLetter(c)))) kept = written[i] + kept;
    else stars++;
  }
  // Separators among the last four digits are stars too: the count of characters stays as written.
  return '*'.repeat(stars) + kept;
}

// E-mail addresses -------------------------------------------------------------------------------

/** A character of an address's local part; `*` so that a masked address is still seen as one. */
const isLocalChar = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c === 46 || c === 95 || c === 37 || c === PLUS || c === 45 || c === STAR || isAlnum(text, i);
};
const isDomainChar = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c === 46 || c === 45 || isAlnum(text, i);
};

const isLetter = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c < 128 ? isAsciiLetter(c) : LETTER.test(text[i]!);
};
const LETTER = /^\p{L}$/u;

/**
 * Where the domain after an `@` ends: at the end of the letters after its last dot that 2 letters or
 * more follow, so that what comes after an address (`a@b.com-…`, `a@b.com.`) is not taken for it.
 */
function domainEnd(text: string, from: number): number | undefined {
  let scan = from;
  while (scan < text.length && isDomainChar(text, scan)) scan++;
  for (let dot = text.lastIndexOf('.', scan - 1); dot > from; dot = text.lastIndexOf('.', dot - 1)) {
    let end = dot + 1;
    while (end < scan && isLetter(text, end)) end++;
    if (end - dot - 1 < 2) continue;
    const labels = text.slice(from, dot).split('.');
    if (labels.every((l) => l !== '' && !l.startsWith('-') && !l.endsWith('-'))) return end;
  }
  return undefined;
}

function findEmails(text: string, spans: Span[]) {
  let previousEnd = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > previousEnd && isLocalChar(text, start - 1)) start--;
    while (start < at && !isAlnum(text, start)) start++;
    if (start === at) continue;
    const end = domainEnd(text, at + 1);
    if (end === undefined) continue;
    spans.push({
      start,
      end,
      kind: 'email',
      replacement: text[start] + '*'.repeat(at - start - 1) + text.slice(at, end),
    });
    previousEnd = end;
    at = end - 1;
  }
}

// IBANs ------------------------------------------------------------------------------------------

/** The IBAN length of each country that has one (SWIFT's IBAN registry). */
const IBAN_LENGTHS = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
    'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 ' +
    'IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 ' +
    'MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 ' +
    'SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))] as const),
);

/** ISO 13616: the first four characters moved to the end, letters as 10–35, the whole mod 97 is 1. */
export function ibanChecks(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    rest = isDigit(c) ? (rest * 10 + c - 48) % 97 : (rest * 100 + (c | 0x20) - 87) % 97;
  }
  return rest === 1;
}

const isSeparator = (c: number) => c === 32 || c === 45 || c === 46;

/** Where IBANs may start; global, so its `lastIndex` is set before every search. */
const IBAN_STARTS = /[A-Za-z]{2}\d\d/g;

function findIbans(text: string, spans: Span[], claimed: Uint8Array | undefined) {
  IBAN_STARTS.lastIndex = 0;
  for (let found = IBAN_STARTS.exec(text); found; found = IBAN_STARTS.exec(text)) {
    const i = found.index;
    IBAN_STARTS.lastIndex = i + 1;
    if ((claimed && claimed[i] !== 0) || (i > 0 && isAlnum(text, i - 1))) continue;
    const length = IBAN_LENGTHS.get(text.slice(i, i + 2).toUpperCase());
    if (length === undefined) continue;
    let compact = text.slice(i, i + 4);
    let end = i + 4;
    while (compact.length < length && end < text.length && !(claimed && claimed[end] !== 0)) {
      const c = text.charCodeAt(end);
      if (isAsciiAlnum(c)) {
        compact += text[end];
        end++;
      } else if (isSeparator(c) && end + 1 < text.length && isAsciiAlnum(text.charCodeAt(end + 1))) end++;
      else break;
    }
    if (compact.length !== length || (end < text.length && isAlnum(text, end))) continue;
    if (!ibanChecks(compact)) continue;
    spans.push({ start: i, end, kind: 'iban', replacement: keepLast4(text.slice(i, end), true) });
    IBAN_STARTS.lastIndex = end;
  }
}

// Numbers ----------------------------------------------------------------------------------------

/** Luhn (ISO/IEC 7812-1): every second digit from the right doubled, the sum a multiple of 10. */
export function luhnChecks(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Digit groups in a row, each pair split by a few of ` -.()`. */
interface Run {
  starts: number[];
  ends: number[];
  groups: string[];
  /** `separators[k]` stands between groups k and k+1. */
  separators: string[];
  digits: number;
  /** Where a `+` before the run stands, or -1. */
  plus: number;
  /** Whether the run follows a letter, a star or a code's dash: none of it is a person's number. */
  glued: boolean;
  /** Whether the run's last group runs into a letter or a star. */
  gluedAfter: boolean;
  /** Where reading goes on after the run. */
  next: number;
}

const isRunSeparator = (c: number) => c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
const gluesOn = (c: number) => isAsciiLetter(c) || c === STAR || c === 95;

function readRun(text: string, first: number, claimed: Uint8Array | undefined): Run {
  const run: Run = {
    starts: [],
    ends: [],
    groups: [],
    separators: [],
    digits: 0,
    plus: -1,
    glued: false,
    gluedAfter: false,
    next: first,
  };
  let i = first;
  for (;;) {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i)) && (!claimed || claimed[i] === 0)) i++;
    run.starts.push(start);
    run.ends.push(i);
    run.groups.push(text.slice(start, i));
    run.digits += i - start;
    let j = i;
    while (
      j < text.length &&
      j - i < MAX_SEPARATOR &&
      isRunSeparator(text.charCodeAt(j)) &&
      (!claimed || claimed[j] === 0)
    )
      j++;
    if (j === i || j >= text.length || !isDigit(text.charCodeAt(j)) || (claimed && claimed[j] !== 0)) break;
    run.separators.push(text.slice(i, j));
    i = j;
  }
  run.next = i;
  // What comes before the first group: `+`, `+ `, `(` or nothing, and then what the run is glued to.
  let before = first - 1;
  if (before >= 0 && text.charCodeAt(before) === 40) before -= 1;
  else if (before >= 0 && text.charCodeAt(before) === PLUS) {
    run.plus = before;
    before -= 1;
  } else if (before >= 1 && text.charCodeAt(before) === 32 && text.charCodeAt(before - 1) === PLUS) {
    run.plus = before - 1;
    before -= 2;
  }
  if (before >= 0) {
    const c = text.charCodeAt(before);
    const code = (c === 45 || c === 46) && before >= 1 && isAlnum(text, before - 1);
    run.glued = gluesOn(c) || isDigit(c) || code || (c >= 128 && isAlnum(text, before));
  }
  if (run.glued) run.plus = -1;
  if (i < text.length) {
    const c = text.charCodeAt(i);
    run.gluedAfter = gluesOn(c) || (c >= 128 && isAlnum(text, i));
  }
  return run;
}

/** Whether groups from..to are split by one single space, dash or dot, the same each time. */
function evenlySplit(run: Run, from: number, to: number): boolean {
  if (to === from) return true;
  const first = run.separators[from]!;
  if (first.length !== 1 || !isSeparator(first.charCodeAt(0))) return false;
  for (let k = from + 1; k < to; k++) if (run.separators[k] !== first) return false;
  return true;
}

/**
 * How cards are written in groups: 4 by 4 (the last group shorter), or 4-6-5 for American Express
 * (34, 37) and 4-6-4 for Diners Club (30, 36, 38), the only networks that print them so.
 */
function cardShaped(run: Run, from: number, to: number): boolean {
  if (to === from) return true;
  const groups = run.groups;
  if (to === from + 2 && groups[from]!.length === 4 && groups[from + 1]!.length === 6) {
    const network = groups[from]!.slice(0, 2);
    if (groups[to]!.length === 5) return network === '34' || network === '37';
    if (groups[to]!.length === 4) return network === '30' || network === '36' || network === '38';
  }
  for (let k = from; k < to; k++) if (groups[k]!.length !== 4) return false;
  return groups[to]!.length <= 4;
}

/** The longest card from group `from`: no digit of a card is left showing. */
function cardAt(run: Run, from: number): number | undefined {
  const first = run.groups[from]!.charCodeAt(0) - 48;
  if (first < 2 || first > 6) return undefined;
  let count = 0;
  let last = from;
  while (last < run.groups.length && count + run.groups[last]!.length <= 19)
    count += run.groups[last++]!.length;
  for (let to = last - 1; to >= from && count >= 13; count -= run.groups[to--]!.length) {
    if (!endsFree(run, to) || !evenlySplit(run, from, to) || !cardShaped(run, from, to)) continue;
    if (luhnChecks(run.groups.slice(from, to + 1).join(''))) return to;
  }
  return undefined;
}

const endsFree = (run: Run, to: number) => to < run.groups.length - 1 || !run.gluedAfter;

function ssnAt(run: Run, from: number): number | undefined {
  const to = from + 2;
  if (to >= run.groups.length || !endsFree(run, to)) return undefined;
  const area = run.groups[from]!;
  const group = run.groups[from + 1]!;
  const serial = run.groups[to]!;
  if (area.length !== 3 || group.length !== 2 || serial.length !== 4) return undefined;
  if (!evenlySplit(run, from, to)) return undefined;
  if (area === '000' || area === '666' || area[0] === '9' || group === '00' || serial === '0000')
    return undefined;
  return to;
}

/** A North American area or exchange code: not starting with 0 or 1, and not a service code (N11). */
const nanpCode = (code: string) => code.length === 3 && code[0]! >= '2' && !code.endsWith('11');

function northAmericanAt(text: string, run: Run, from: number): number | undefined {
  const to = from + 2;
  if (to >= run.groups.length || !endsFree(run, to)) return undefined;
  if (!nanpCode(run.groups[from]!) || !nanpCode(run.groups[from + 1]!) || run.groups[to]!.length !== 4)
    return undefined;
  const afterArea = run.separators[from]!;
  const afterExchange = run.separators[from + 1]!;
  if (opensWithParenthesis(text, run, from))
    return (afterArea === ')' || afterArea === ') ') &&
      afterExchange.length === 1 &&
      isSeparator(afterExchange.charCodeAt(0))
      ? to
      : undefined;
  return afterArea === afterExchange && (afterArea === '-' || afterArea === '.') ? to : undefined;
}

const opensWithParenthesis = (text: string, run: Run, from: number) =>
  run.starts[from]! > 0 && text.charCodeAt(run.starts[from]! - 1) === 40;

const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
/** The century a PESEL's month is offset for: +80 the 1800s, +0 the 1900s, +20 the 2000s, and so on. */
const PESEL_CENTURIES = [1900, 2000, 2100, 2200, 1800];

function peselAt(run: Run, from: number): number | undefined {
  const digits = run.groups[from]!;
  if (digits.length !== 11 || !endsFree(run, from)) return undefined;
  let sum = 0;
  for (let k = 0; k < 10; k++) sum += (digits.charCodeAt(k) - 48) * PESEL_WEIGHTS[k]!;
  if ((10 - (sum % 10)) % 10 !== digits.charCodeAt(10) - 48) return undefined;
  const monthField = Number(digits.slice(2, 4));
  const month = monthField % 20;
  const day = Number(digits.slice(4, 6));
  if (month < 1 || month > 12 || day < 1) return undefined;
  const year = PESEL_CENTURIES[Math.floor(monthField / 20)]! + Number(digits.slice(0, 2));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= daysInMonth ? from : undefined;
}

/** Where digits are; global, so its `lastIndex` is set before every search. */
const DIGIT = /\d/g;

function findNumbers(text: string, spans: Span[], claimed: Uint8Array | undefined) {
  DIGIT.lastIndex = 0;
  for (let found = DIGIT.exec(text); found; found = DIGIT.exec(text)) {
    if (claimed && claimed[found.index] !== 0) continue;
    const run = readRun(text, found.index, claimed);
    DIGIT.lastIndex = run.next;
    if (run.glued || run.digits < MIN_DIGITS) continue;
    let from = 0;
    if (run.plus >= 0) {
      // An international number: its groups up to 15 digits, as many as fit.
      let count = 0;
      let to = -1;
      while (to + 1 < run.groups.length && count + run.groups[to + 1]!.length <= 15)
        count += run.groups[++to]!.length;
      if (count >= MIN_DIGITS && endsFree(run, to)) {
        spans.push(numberSpan(text, 'phone', run.plus, run.ends[to]!));
        from = to + 1;
      }
    }
    while (from < run.groups.length) {
      const found = numberAt(text, run, from);
      if (!found) {
        from++;
        continue;
      }
      const opened = opensWithParenthesis(text, run, from) ? 1 : 0;
      spans.push(numberSpan(text, found.kind, run.starts[from]! - opened, run.ends[found.to]!));
      from = found.to + 1;
    }
  }
}

/** The number starting at group `from`, tried kind by kind: the group it ends on, and its kind. */
function numberAt(text: string, run: Run, from: number): { to: number; kind: SensitiveKind } | undefined {
  let to = cardAt(run, from);
  if (to !== undefined) return { to, kind: 'card' };
  to = ssnAt(run, from);
  if (to !== undefined) return { to, kind: 'ssn' };
  to = northAmericanAt(text, run, from);
  if (to !== undefined) return { to, kind: 'phone' };
  to = peselAt(run, from);
  return to === undefined ? undefined : { to, kind: 'pesel' };
}

const numberSpan = (text: string, kind: SensitiveKind, start: number, end: number): Span => ({
  start,
  end,
  kind,
  replacement: keepLast4(text.slice(start, end), false),
});

function claim(length: number, spans: Span[]) {
  const claimed = new Uint8Array(length);
  for (const span of spans) claimed.fill(1, span.start, span.end);
  return claimed;
}

/** Every piece of sensitive data in the text, in order, searched for every kind. */
export const findSensitiveData = (text: string): SensitiveSpan[] => find(text, EVERY_HINT);

function find(text: string, hints: number): SensitiveSpan[] {
  const spans: Span[] = [];
  if (hints & HAS_AT) findEmails(text, spans);
  if (hints & HAS_IBAN_START)
    findIbans(text, spans, spans.length > 0 ? claim(text.length, spans) : undefined);
  if (hints & HAS_DIGITS) findNumbers(text, spans, spans.length > 0 ? claim(text.length, spans) : undefined);
  return spans.sort((a, b) => a.start - b.start);
}

export function maskSensitiveText(text: string): string {
  const hints = hintsOf(text);
  if (hints === 0) return text;
  const spans = find(text, hints);
  if (spans.length === 0) return text;
  let masked = '';
  let at = 0;
  for (const span of spans) {
    masked += text.slice(at, span.start) + span.replacement;
    at = span.end;
  }
  return masked + text.slice(at);
}

/**
 * A customer's name (LCH-7): a name that is a phone number, however written, is masked as one; any
 * other name is masked like a message, so that an address or a number in it is masked too.
 */
export function maskCustomerName(name: string): string {
  const trimmed = name.trim();
  if (/^\+?[\d\s().-]+$/.test(trimmed)) {
    const digits = trimmed.replace(/\D/g, '').length;
    if (digits >= MIN_DIGITS && digits <= 15) return keepLast4(trimmed, false);
  }
  return maskSensitiveText(name);
}

/** What an agent or a supervisor is shown of customer data under the company's privacy settings. */
export interface CustomerDataView {
  text(text: string): string;
  name(name: string): string;
}

const UNMASKED: CustomerDataView = { text: (text) => text, name: (name) => name };
const MASKED: CustomerDataView = { text: maskSensitiveText, name: maskCustomerName };

export const customerDataView = (settings: PrivacySettings): CustomerDataView =>
  settings.maskSensitiveData ? MASKED : UNMASKED;
