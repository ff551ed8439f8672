/**
 * Masking of sensitive customer data (LCH-6, LCH-7): what an agent sees in place of a payment card
 * number, an IBAN, a social security number, an e-mail address or a mobile number. Pure: the same text
 * always masks the same way, and masking masked text changes nothing.
 *
 * Numbers keep their last 4 digits and lose their spacing (`+ 1 (123) 456 7890` → `**********7890`,
 * `+447966197542` → `*********7542`); an e-mail address keeps its first letter and its domain
 * (`melissa@gmail.com` → `m******@gmail.com`).
 */
const EMAIL = /([\p{L}\p{N}])[\p{L}\p{N}._%+-]*@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,})/gu;
const PHONE = /\+\s?\d(?:[\s().-]*\d){6,14}/g;
const CARD = /\b\d(?:[ .-]?\d){12,18}\b/g;

const keepLast4 = (match: string) => {
  const compact = match.replace(/[\s]/g, '');
  return '*'.repeat(Math.max(0, compact.length - 4)) + compact.slice(-4);
};

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export function maskSensitiveText(text: string): string {
  return text
    .replace(EMAIL, (_, first: string, domain: string, offset: number, whole: string) => {
      const local = whole.slice(offset, whole.indexOf('@', offset));
      return `${first}${'*'.repeat(local.length - 1)}@${domain}`;
    })
    .replace(CARD, (match) => (luhn(match.replace(/\D/g, '')) ? keepLast4(match) : match))
    .replace(PHONE, keepLast4);
}

/** A customer's name is masked only when it is a mobile number (LCH-7); other names are shown. */
export function maskCustomerName(name: string): string {
  return /^\+?[\d\s().-]{7,}$/.test(name.trim()) ? keepLast4(name.trim()) : name;
}
