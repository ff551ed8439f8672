/**
 * Calendar arithmetic for business hours, in plain integers: a civil date is a day number (days since
 * 1970-01-01 in the proleptic Gregorian calendar), a wall-clock time is minutes since midnight. Nothing
 * here knows about time zones, and nothing uses `Date`'s local-time methods, so no result can depend
 * on the server's own zone.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 1440;

/** The schedule's day keys, in weekday order: index 0 is Monday (ISO 8601). */
export const DAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayKey = (typeof DAY_KEYS)[number];

export interface CivilDate {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** Days since 1970-01-01 (Howard Hinnant's days_from_civil; exact for any year, no `Date`). */
export function dayNumberOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = floorDiv(153 * monthFromMarch + 2, 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The inverse of `dayNumberOf`. */
export function civilOf(dayNumber: number): CivilDate {
  const z = dayNumber + 719_468;
  const era = floorDiv(z, 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = floorDiv(
    dayOfEra - floorDiv(dayOfEra, 1460) + floorDiv(dayOfEra, 36_524) - floorDiv(dayOfEra, 146_096),
    365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100));
  const monthFromMarch = floorDiv(5 * dayOfYear + 2, 153);
  const day = dayOfYear - floorDiv(153 * monthFromMarch + 2, 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Monday … 6 = Sunday; 1970-01-01 was a Thursday. */
export const weekdayOf = (dayNumber: number): number => (((dayNumber + 3) % 7) + 7) % 7;

export const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "YYYY-MM-DD" (years outside 0..9999 keep their sign and digits). */
export function formatDate({ year, month, day }: CivilDate): string {
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : String(year);
  return `${y}-${pad(month)}-${pad(day)}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A "YYYY-MM-DD" that names a real day, or null (2026-02-30, 2026-13-01, 2026-2-3 are null). */
export function parseDate(text: string): CivilDate | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of "HH:MM" (00:00..23:59), or of "24:00" when `allowEndOfDay`; else null. */
export function parseTime(text: string, allowEndOfDay = false): number | null {
  if (allowEndOfDay && text === '24:00') return MINUTES_PER_DAY;
  const match = TIME.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** "HH:MM" of minutes since midnight; 1440 is "24:00". */
export const formatTime = (minuteOfDay: number) =>
  `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
