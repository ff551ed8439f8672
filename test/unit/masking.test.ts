import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  customerDataView,
  findSensitiveData,
  ibanChecks,
  luhnChecks,
  maskCustomerName,
  maskSensitiveText,
  mayHoldSensitiveData,
} from '../../functions/src/domain/privacy/masking.js';

describe('masking sensitive customer data (LCH-6, LCH-7)', () => {
  it.each([
    ['+ 1 (123) 456 7890', '**********7890'],
    ['+447966197542', '*********7542'],
    ['melissa@gmail.com', 'm******@gmail.com'],
  ])('masks the seed example %s as %s', (text, masked) => {
    expect(maskSensitiveText(text)).toBe(masked);
  });

  it.each([
    ['card 4111 1111 1111 1111, thanks', 'card ************1111, thanks'],
    ['4111-1111-1111-1111 exp 12/27', '***************1111 exp 12/27'],
    ['card:5555555555554444.', 'card:************4444.'],
    ['amex 3782 822463 10005', 'amex ***********0005'],
    ['IBAN GB82 WEST 1234 5698 7654 32 please', 'IBAN ******************5432 please'],
    ['pl61109010140000071219812874', '************************2874'],
    ['NL91ABNA0417164300', '**************4300'],
    ['my ssn is 123-45-6789', 'my ssn is *******6789'],
    ['ssn 123 45 6789', 'ssn *****6789'],
    ['PESEL 44051401359', 'PESEL *******1359'],
    ['call (212) 555-0199 or 212.555.0199', 'call *********0199 or ********0199'],
    ['+44 7966-197542!', '**********7542!'],
    ['write to j.doe+orders@example.co.uk.', 'write to j***********@example.co.uk.'],
    ['Zoë.Müller@exämple.de', 'Z*********@exämple.de'],
  ])('masks %s', (text, masked) => {
    expect(maskSensitiveText(text)).toBe(masked);
  });

  it.each([
    ['an order number that fails the Luhn check', 'order 4111 1111 1111 1112'],
    ['a 13-digit number no card network starts with', 'order 1234567890123 and ts 1733212345678'],
    ['a card number inside a code', 'ref code-4111111111111111 or X4111111111111111'],
    ['a card number glued to letters after it', '4111111111111111abc'],
    ['dates and times', 'on 2026-12-03 at 10:30, or 03.12.2026 10:30:15'],
    ['amounts', '€1,234,567.89 or 1 234 567,89 zł'],
    ['an IBAN whose check fails', 'GB82 WEST 1234 5698 7654 33'],
    ['an IBAN of the wrong length', 'GB82 WEST 1234 5698 7654 3'],
    [
      'social security numbers the SSA never issues',
      '000-12-3456 666-12-3456 912-34-5678 123-00-4567 123-45-0000',
    ],
    ['nine digits written together', 'order 123456789'],
    ['a PESEL whose check digit fails', '44051401358'],
    ['a North American number with an impossible area code', '123-555-0199 and 911-555-0199'],
    ['too few digits after a plus', '+44 1234'],
    ['an @ with no domain', 'meet @ noon, or team@home'],
    ['already masked data', '*********7542, m******@gmail.com, ******************5432'],
  ])('leaves %s alone', (_, text) => {
    expect(maskSensitiveText(text)).toBe(text);
  });

  it('masks a customer name only when it is a phone number, or holds an address or a number', () => {
    expect(maskCustomerName('+447966197542')).toBe('*********7542');
    expect(maskCustomerName(' 07966 197542 ')).toBe('*******7542');
    expect(maskCustomerName('melissa@gmail.com')).toBe('m******@gmail.com');
    expect(maskCustomerName('Melissa Jones')).toBe('Melissa Jones');
    expect(maskCustomerName('Room 12')).toBe('Room 12');
  });

  it('checks cards by Luhn and IBANs by mod 97', () => {
    expect(luhnChecks('4111111111111111')).toBe(true);
    expect(luhnChecks('4111111111111112')).toBe(false);
    expect(ibanChecks('DE89370400440532013000')).toBe(true);
    expect(ibanChecks('DE89370400440532013001')).toBe(false);
  });

  it('when the setting is off, then names and texts are shown as written; when on, masked', () => {
    const off = customerDataView({ maskSensitiveData: false });
    const on = customerDataView({ maskSensitiveData: true });
    expect(off.text('card 4111 1111 1111 1111')).toBe('card 4111 1111 1111 1111');
    expect(off.name('+447966197542')).toBe('+447966197542');
    expect(on.text('card 4111 1111 1111 1111')).toBe('card ************1111');
    expect(on.name('+447966197542')).toBe('*********7542');
  });
});

// Generators ------------------------------------------------------------------------------------

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digitsOf = (length: number) =>
  fc.array(digit, { minLength: length, maxLength: length }).map((d) => d.join(''));

function luhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnChecks(body + d)) return String(d);
  throw new Error('unreachable');
}

const grouped = (compact: string, size: number, separator: string) =>
  compact.match(new RegExp(`.{1,${size}}`, 'g'))!.join(separator);

/** What the masked form of a number must be: stars for every non-space character but its last 4 digits. */
const maskedNumber = (written: string) => {
  const compact = written.replace(/\s/g, '');
  return '*'.repeat(compact.length - 4) + written.replace(/\D/g, '').slice(-4);
};

interface Piece {
  text: string;
  masked: string;
  digits?: string;
}

const card: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.integer({ min: 2, max: 6 }),
    fc.integer({ min: 13, max: 19 }),
    fc.constantFrom('', ' ', '-', '.'),
    fc.array(digit, { minLength: 17, maxLength: 17 }),
  )
  .map(([first, length, separator, rest]) => {
    const body = String(first) + rest.join('').slice(0, length - 2);
    const compact = body + luhnDigit(body);
    const text = separator ? grouped(compact, 4, separator) : compact;
    return { text, masked: maskedNumber(text), digits: compact };
  });

const IBAN_FORMS: [country: string, bban: (fc.Arbitrary<string> | string)[]][] = [
  ['DE', [digitsOf(18)]],
  ['PL', [digitsOf(24)]],
  ['NO', [digitsOf(11)]],
  ['GB', [fc.constantFrom('WEST', 'NWBK', 'BARC'), digitsOf(14)]],
  ['NL', [fc.constantFrom('ABNA', 'INGB', 'RABO'), digitsOf(10)]],
  ['FR', [digitsOf(10), fc.constantFrom('0000000000M', '12345678901'), digitsOf(2)]],
];

function ibanCheckDigits(country: string, bban: string) {
  const probe = `${country}00${bban}`;
  for (let check = 2; check <= 98; check++) {
    const iban = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanChecks(iban)) return iban;
  }
  throw new Error(`no check digits for ${probe}`);
}

const iban: fc.Arbitrary<Piece> = fc.constantFrom(...IBAN_FORMS).chain(([country, parts]) =>
  fc
    .tuple(fc.tuple(...parts.map((p) => (typeof p === 'string' ? fc.constant(p) : p))), fc.boolean())
    .map(([bban, spaced]) => {
      const compact = ibanCheckDigits(country, bban.join(''));
      const text = spaced ? grouped(compact, 4, ' ') : compact;
      return { text, masked: '*'.repeat(compact.length - 4) + compact.slice(-4), digits: compact };
    }),
);

const ssn: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
    fc.constantFrom('-', ' ', '.'),
  )
  .map(([area, group, serial, separator]) => {
    const text = [
      String(area).padStart(3, '0'),
      String(group).padStart(2, '0'),
      String(serial).padStart(4, '0'),
    ].join(separator);
    return { text, masked: maskedNumber(text), digits: text.replace(/\D/g, '') };
  });

const international: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.integer({ min: 1, max: 9 }),
    fc.integer({ min: 6, max: 14 }),
    fc.array(digit, { minLength: 14, maxLength: 14 }),
  )
  .chain(([first, more, rest]) => {
    const digits = String(first) + rest.join('').slice(0, more);
    return fc
      .constantFrom(`+${digits}`, `+${grouped(digits, 3, ' ')}`, `+ ${digits.slice(0, 2)} ${digits.slice(2)}`)
      .map((text) => ({ text, masked: maskedNumber(text), digits }));
  });

const northAmerican: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.integer({ min: 200, max: 999 }),
    fc.integer({ min: 200, max: 999 }),
    digitsOf(4),
    fc.integer({ min: 0, max: 2 }),
  )
  .filter(([area, exchange]) => area % 100 !== 11 && exchange % 100 !== 11)
  .map(([area, exchange, line, form]) => {
    const text = [
      `(${area}) ${exchange}-${line}`,
      `${area}-${exchange}-${line}`,
      `${area}.${exchange}.${line}`,
    ][form]!;
    return { text, masked: maskedNumber(text), digits: `${area}${exchange}${line}` };
  });

const pesel: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.date({ min: new Date('1900-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
    digitsOf(4),
  )
  .map(([born, serial]) => {
    const year = born.getUTCFullYear();
    const month = born.getUTCMonth() + 1 + (year >= 2000 ? 20 : 0);
    const body =
      String(year % 100).padStart(2, '0') +
      String(month).padStart(2, '0') +
      String(born.getUTCDate()).padStart(2, '0') +
      serial;
    const weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    const sum = [...body].reduce((total, d, k) => total + Number(d) * weights[k]!, 0);
    const text = body + String((10 - (sum % 10)) % 10);
    return { text, masked: maskedNumber(text), digits: text };
  });

const email: fc.Arbitrary<Piece> = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9._+-]{0,15}$/),
    fc.stringMatching(/^[a-z0-9]{1,10}$/),
    fc.constantFrom('com', 'pl', 'co.uk', 'de'),
  )
  .map(([local, host, tld]) => {
    const trimmed = local.replace(/[._+-]+$/, '') || 'x';
    const text = `${trimmed}@${host}.${tld}`;
    return { text, masked: trimmed[0] + '*'.repeat(trimmed.length - 1) + `@${host}.${tld}` };
  });

const sensitive = fc.oneof(card, iban, ssn, international, northAmerican, pesel, email);

/** Text with digits, codes and punctuation in it that is nobody's data. */
const harmless: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Hello',
    'my order',
    'arrived late',
    'thanks!',
    'Dzień dobry',
    'refund?',
    'à bientôt',
    '👍',
  ),
  fc.constantFrom(
    'on 2026-12-03',
    'at 10:30',
    'by 03.12.2026',
    'exp 12/27',
    '€1,234.56',
    '#12345',
    'room 404',
  ),
  // Short numbers, and longer ones not in fours (four digits in fours are how cards are written).
  fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 10_000, max: 999_999 })).map(String),
  digitsOf(12).map((d) => `ORD-${d}`),
  // Long numbers that are no card: the Luhn check fails, or no card network starts with their first digit.
  fc
    .tuple(fc.integer({ min: 13, max: 19 }), digitsOf(19))
    .map(([length, d]) => d.slice(0, length))
    .filter((d) => !luhnChecks(d) || !'23456'.includes(d[0]!))
    .filter((d) => d.length !== 11),
);

const JOINS = ['; ', ', ', ' and ', '\n'];

describe('masking, property by property', () => {
  it('masks every piece of sensitive data among harmless text exactly as expected, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            sensitive,
            harmless.map((text) => ({ text, masked: text })),
          ),
          { maxLength: 8 },
        ),
        fc.constantFrom(...JOINS),
        (pieces, join) => {
          const text = pieces.map((p) => p.text).join(join);
          expect(maskSensitiveText(text)).toBe(pieces.map((p) => p.masked).join(join));
        },
      ),
      { numRuns: 2000, seed: 14 },
    );
  });

  it('leaves text without sensitive data unchanged', () => {
    fc.assert(
      fc.property(fc.array(harmless, { maxLength: 12 }), fc.constantFrom(...JOINS, ' '), (pieces, join) => {
        const text = pieces.join(join);
        expect(maskSensitiveText(text)).toBe(text);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  /** Fragments that sit close to what is recognised, glued together in any order. */
  const hostile = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '4111',
          '1111',
          '123',
          '45',
          '6789',
          '212',
          '555',
          '0199',
          'GB82',
          'WEST',
          '1234',
          '5698',
        ),
        fc.constantFrom(
          ' ',
          '-',
          '.',
          '(',
          ')',
          '+',
          '+ ',
          '@',
          '*',
          '_',
          'x',
          'ab',
          '.com',
          'é',
          ', ',
          '\n',
        ),
        sensitive.map((p) => p.text),
        harmless,
      ),
      { maxLength: 16 },
    )
    .map((parts) => parts.join(''));

  it('shows no more than the last 4 digits of any number it finds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile,
          sensitive.map((p) => p.text),
        ),
        (text) => {
          for (const span of findSensitiveData(text)) {
            if (span.kind === 'email') continue;
            const written = text.slice(span.start, span.end);
            const keep = span.kind === 'iban' ? /[^\s*]/g : /\d/g;
            const shown = (span.replacement.match(keep) ?? []).join('');
            expect(shown.length).toBeLessThanOrEqual(4);
            expect((written.match(keep) ?? []).join('').endsWith(shown)).toBe(true);
          }
        },
      ),
      { numRuns: 3000, seed: 14 },
    );
  });

  it('masks masked text no further', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const once = maskSensitiveText(text);
        expect(maskSensitiveText(once)).toBe(once);
        const name = maskCustomerName(text);
        expect(maskCustomerName(name)).toBe(name);
      }),
      { numRuns: 5000, seed: 14 },
    );
  });

  it('when the quick scan lets a text through or skips a kind, then a search for every kind finds the same', () => {
    const apply = (text: string) => {
      let masked = '';
      let at = 0;
      for (const span of findSensitiveData(text)) {
        masked += text.slice(at, span.start) + span.replacement;
        at = span.end;
      }
      return masked + text.slice(at);
    };
    fc.assert(
      fc.property(hostile, (text) => {
        if (!mayHoldSensitiveData(text)) expect(findSensitiveData(text)).toEqual([]);
        expect(maskSensitiveText(text)).toBe(apply(text));
      }),
      { numRuns: 5000, seed: 14 },
    );
  });

  it('when masking is off, then any text and any name are shown exactly as written', () => {
    const off = customerDataView({ maskSensitiveData: false });
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ unit: 'grapheme' })), (text) => {
        expect(off.text(text)).toBe(text);
        expect(off.name(text)).toBe(text);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});
