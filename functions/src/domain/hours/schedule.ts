import { z } from 'zod';
import {
  DAY_KEYS,
  MINUTES_PER_DAY,
  dayNumberOf,
  formatDate,
  civilOf,
  parseDate,
  parseTime,
  weekdayOf,
  type DayKey,
} from './calendar.js';
import { isTimeZone } from './zone-clock.js';

/**
 * Business hours (AHD-1): a weekly pattern in one IANA time zone, plus dated exceptions (holidays,
 * one-off closures and special hours). Whether a contact is inside them is decided by `evaluate.ts`;
 * this file is the stored shape and its validation.
 *
 * Times are wall-clock times in the schedule's zone. An interval whose close is not after its open
 * (22:00–02:00) runs past midnight into the next day; "24:00" closes at the end of the day. Intervals
 * are half-open: open at 09:00 sharp, closed at 18:00 sharp.
 *
 * Overlaps are refused rather than merged, so that what an admin reads is what applies: two intervals of
 * one day, and the part of a day's interval past midnight with the next day's hours — weekly (Sunday
 * runs into Monday), and around exceptions (an exception's hours replace its date's own, but the
 * previous day's hours still run past midnight into it; see `evaluate.ts`).
 */

export const Time = z.lazy(() =>
  z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time "HH:MM" from 00:00 to 23:59'),
);

export const CloseTime = z.lazy(() =>
  z
    .string()
    .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time "HH:MM" from 00:00 to 23:59, or 24:00'),
);

export const Interval = z.lazy(() =>
  z.strictObject({ open: Time, close: CloseTime }).superRefine((interval, ctx) => {
    // 09:00–09:00 could mean closed or open around the clock; say which.
    if (interval.open === interval.close)
      ctx.addIssue({
        code: 'custom',
        message: `open and close are both ${interval.open}: use "open_all_day" for 24 hours, or "closed"`,
        path: ['close'],
      });
  }),
);
export type Interval = z.infer<typeof Interval>;

/** Where an interval lies within its own day, in minutes: [start, end), end 1440 when it runs past midnight. */
function ownRange(interval: Interval): { start: number; end: number } | null {
  const start = parseTime(interval.open);
  const close = parseTime(interval.close, true);
  if (start === null || close === null || start === close) return null;
  return { start, end: close > start ? close : MINUTES_PER_DAY };
}

/** The part of an interval that runs past midnight into the next day: [0, end), or null. */
function spillEnd(interval: Interval): number | null {
  const start = parseTime(interval.open);
  const close = parseTime(interval.close, true);
  return start !== null && close !== null && close < start && close > 0 ? close : null;
}

const describe = (i: Interval) => `${i.open}–${i.close}`;

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const Intervals = z.lazy(() =>
  z
    .array(Interval)
    .max(24, 'at most 24 intervals a day')
    .superRefine((intervals, ctx) => {
      const ranges = intervals
        .map((interval, index) => ({ interval, index, range: ownRange(interval) }))
        .filter((r) => r.range !== null)
        .sort((a, b) => a.range!.start - b.range!.start || a.index - b.index);
      for (let k = 1; k < ranges.length; k++) {
        const [previous, current] = [ranges[k - 1]!, ranges[k]!];
        if (previous.range!.end > current.range!.start)
          ctx.addIssue({
            code: 'custom',
            message: `overlaps ${describe(previous.interval)} on the same day`,
            path: [current.index],
          });
      }
    }),
);

export const Day = z.lazy(() =>
  z.union([z.literal('open_all_day'), z.literal('closed'), Intervals], {
    error: 'must be "open_all_day", "closed" or a list of intervals {open: "HH:MM", close: "HH:MM"}',
  }),
);
export type Day = z.infer<typeof Day>;

export const LocalDate = z.lazy(() =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date "YYYY-MM-DD"', abort: true })
    .superRefine((text, ctx) => {
      if (parseDate(text) === null)
        ctx.addIssue({ code: 'custom', message: `${text} is not a calendar date` });
    }),
);

export const ScheduleException = z.lazy(() =>
  z.strictObject({
    date: LocalDate,
    hours: Day,
    // Well-formed text only: a lone surrogate could not be stored and read back as it was checked.
    name: z
      .string()
      .min(1)
      .max(100)
      .refine((name) => !/\p{Cs}/u.test(name), 'must be well-formed Unicode text (no lone surrogate)')
      .optional(),
  }),
);
export type ScheduleException = z.infer<typeof ScheduleException>;

export const TimeZone = z.lazy(() =>
  z.string().superRefine((zone, ctx) => {
    if (!isTimeZone(zone))
      ctx.addIssue({
        code: 'custom',
        message: `unknown time zone "${zone}": use an IANA name such as Europe/Paris, America/New_York or UTC`,
      });
  }),
);

export const Weekly = z.lazy(() =>
  z.strictObject({
    mon: Day.optional(),
    tue: Day.optional(),
    wed: Day.optional(),
    thu: Day.optional(),
    fri: Day.optional(),
    sat: Day.optional(),
    sun: Day.optional(),
  }),
);

export const Schedule = z.lazy(() =>
  z
    .strictObject({
      timeZone: TimeZone,
      /** A missing day is closed. */
      weekly: Weekly,
      /** Holidays (hours: "closed") and one-off special hours, at most one per date. */
      exceptions: z.array(ScheduleException).max(1000, 'at most 1000 exceptions').optional(),
    })
    .superRefine((schedule, ctx) => {
      // Runs even when a part is invalid: every helper skips what it cannot read.
      const dated = new Map<number, { index: number; hours: Day }>();
      (schedule.exceptions ?? []).forEach((exception, index) => {
        const civil = typeof exception.date === 'string' ? parseDate(exception.date) : null;
        if (!civil) return;
        const dayNumber = dayNumberOf(civil.year, civil.month, civil.day);
        const first = dated.get(dayNumber);
        if (first)
          ctx.addIssue({
            code: 'custom',
            message: `duplicate exception for ${exception.date}: exceptions[${first.index}] already sets that date`,
            path: ['exceptions', index, 'date'],
          });
        else dated.set(dayNumber, { index, hours: exception.hours });
      });

      // Weekly: each day's last interval running past midnight against the next day's hours.
      DAY_KEYS.forEach((key, weekday) => {
        const nextKey = DAY_KEYS[(weekday + 1) % 7]!;
        checkSpill(ctx, schedule.weekly[key], schedule.weekly[nextKey], {
          spillPath: ['weekly', key],
          spillName: key,
          nextPath: null,
          nextName: nextKey,
        });
      });

      // Exceptions: against the day before (whose hours run into theirs) and the day after.
      for (const [dayNumber, { index, hours }] of dated) {
        const date = formatDate(civilOf(dayNumber));
        const before = dated.get(dayNumber - 1);
        if (!before) {
          const key = DAY_KEYS[weekdayOf(dayNumber - 1)]!;
          checkSpill(ctx, schedule.weekly[key], hours, {
            spillPath: null,
            spillName: `${key} (weekly)`,
            nextPath: ['exceptions', index, 'hours'],
            nextName: `${date} (exception)`,
          });
        }
        const after = dated.get(dayNumber + 1);
        const nextDate = formatDate(civilOf(dayNumber + 1));
        const nextKey = DAY_KEYS[weekdayOf(dayNumber + 1)]!;
        checkSpill(ctx, hours, after ? after.hours : schedule.weekly[nextKey], {
          spillPath: ['exceptions', index, 'hours'],
          spillName: `${date} (exception)`,
          nextPath: null,
          nextName: after ? `${nextDate} (exception)` : `${nextDate} (${nextKey}, weekly)`,
        });
      }
    })
    // Intervals sorted by opening time, so that evaluation and display need not sort again. After the
    // checks above, whose paths name the intervals as they were submitted.
    .transform((schedule) => ({
      ...schedule,
      weekly: Object.fromEntries(
        Object.entries(schedule.weekly).map(([key, day]) => [key, sortDay(day)]),
      ) as typeof schedule.weekly,
      ...(schedule.exceptions && {
        exceptions: schedule.exceptions.map((e) => ({ ...e, hours: sortDay(e.hours) })),
      }),
    })),
);
export type Schedule = z.infer<typeof Schedule>;
export type ScheduleInput = z.input<typeof Schedule>;

const sortDay = (day: Day | undefined): Day | undefined =>
  Array.isArray(day) ? [...day].sort((a, b) => a.open.localeCompare(b.open)) : day;

interface SpillContext {
  /** Where to report the problem: on the interval that runs past midnight, or (when null) on the next day's. */
  spillPath: (string | number)[] | null;
  spillName: string;
  nextPath: (string | number)[] | null;
  nextName: string;
}

/** Reports when `day`'s interval past midnight overlaps `next`'s own hours. */
function checkSpill(ctx: z.RefinementCtx, day: unknown, next: unknown, where: SpillContext) {
  if (!Array.isArray(day)) return;
  const index = (day as Interval[]).findIndex((i) => spillEnd(i) !== null);
  if (index < 0) return;
  const spilling = day[index] as Interval;
  const end = spillEnd(spilling)!;
  const clashes: { index: number | null; text: string }[] =
    next === 'open_all_day'
      ? [{ index: null, text: 'open all day' }]
      : Array.isArray(next)
        ? (next as Interval[]).flatMap((interval, k) => {
            const range = ownRange(interval);
            return range && range.start < end ? [{ index: k, text: describe(interval) }] : [];
          })
        : [];
  const clash = clashes[0];
  if (!clash) return;
  if (where.spillPath)
    ctx.addIssue({
      code: 'custom',
      message: `${describe(spilling)} runs past midnight until ${spilling.close} and overlaps ${where.nextName} ${clash.text}`,
      path: [...where.spillPath, index],
    });
  else
    ctx.addIssue({
      code: 'custom',
      message: `overlaps ${where.spillName} ${describe(spilling)}, which runs past midnight into ${where.nextName}`,
      path: clash.index === null ? where.nextPath! : [...where.nextPath!, clash.index],
    });
}

export type { DayKey };
