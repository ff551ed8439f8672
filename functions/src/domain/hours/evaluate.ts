import {
  DAY_KEYS,
  DAY_MS,
  MINUTES_PER_DAY,
  MINUTE_MS,
  civilOf,
  dayNumberOf,
  formatDate,
  formatTime,
  parseDate,
  parseTime,
  weekdayOf,
  type DayKey,
} from './calendar.js';
import type { Day, Interval, Schedule } from './schedule.js';
import { zoneClock, type ZoneClock } from './zone-clock.js';

/**
 * Deciding business hours (AHD-1, AHD-2): is a contact at instant t inside them, when do they next
 * change, and which rule said so.
 *
 * Hours are wall-clock hours: the schedule is open at t iff the zone's clock at t reads a (date, minute)
 * inside an interval. So in a fall-back's repeated hour both occurrences follow the interval, and a
 * spring-forward's gap has no minutes at all: 02:00–02:30 on a 02:00→03:00 night never opens, and an
 * interval opening at 02:30 that night opens at 03:00, the first instant after the gap.
 *
 * Exceptions and midnight. An interval belongs to the day it opens on, and its part past midnight
 * ("spill") comes with it:
 * - an exception on date D replaces D's own hours, not D−1's: the weekly Friday 22:00–02:00 still runs
 *   until 02:00 into a Saturday holiday (the night shift that started Friday finishes);
 * - when D−1 is itself an exception, its hours (and their spill, if any) replace D−1's weekly ones,
 *   spill included: a closed Friday holiday has no 22:00–02:00 running into Saturday;
 * - an exception's interval past midnight runs into D+1 whatever D+1's own rule.
 *
 * Compiling turns this into one list of open minute ranges per local day: seven weekly ones (spill
 * of the weekday before included), and one for each exception date and each day after one. A decision
 * is then a zone lookup (see `zone-clock.ts`), a map lookup and a scan of a few numbers.
 */

type Source = 'weekly' | 'exception';

/** One interval as it applies to one local day: [start, end) in minutes, with what set it. */
interface Rule {
  start: number;
  end: number;
  interval: Interval;
  source: Source;
  exceptionName: string | undefined;
  /** The part past midnight of the previous day's interval. */
  fromPreviousDay: boolean;
}

interface DayPlan {
  /** Open minute ranges, merged (touching ones too) and sorted: [start0, end0, start1, end1, …]. */
  open: readonly number[];
  /** What decides each minute, for explanations: unmerged. */
  rules: readonly Rule[];
  /** The rule that sets the day's own hours. */
  source: Source;
  exceptionName: string | undefined;
}

export interface CompiledSchedule {
  readonly schedule: Schedule;
  readonly timeZone: string;
  readonly clock: ZoneClock;
  /** By weekday, 0 = Monday. */
  readonly weekly: readonly DayPlan[];
  /** By local day number: exception dates and the days right after them. */
  readonly dated: ReadonlyMap<number, DayPlan>;
  /** Whether any minute is ever open / ever closed: when not, nothing ever changes. */
  readonly everOpen: boolean;
  readonly everClosed: boolean;
}

const ALL_DAY: Interval = { open: '00:00', close: '24:00' };

interface DayRule {
  hours: Day | undefined;
  source: Source;
  exceptionName: string | undefined;
}

/** The rules a day's own hours put on that day. */
function ownRules({ hours, source, exceptionName }: DayRule): Rule[] {
  if (hours === 'open_all_day')
    return [
      { start: 0, end: MINUTES_PER_DAY, interval: ALL_DAY, source, exceptionName, fromPreviousDay: false },
    ];
  if (!Array.isArray(hours)) return [];
  return hours.map((interval) => {
    const start = parseTime(interval.open)!;
    const close = parseTime(interval.close, true)!;
    return {
      start,
      end: close > start ? close : MINUTES_PER_DAY,
      interval,
      source,
      exceptionName,
      fromPreviousDay: false,
    };
  });
}

/** The rules a day's hours put on the next day: the part past midnight of an interval that crosses it. */
function spillRules({ hours, source, exceptionName }: DayRule): Rule[] {
  if (!Array.isArray(hours)) return [];
  return hours.flatMap((interval) => {
    const start = parseTime(interval.open)!;
    const close = parseTime(interval.close, true)!;
    return close < start && close > 0
      ? [{ start: 0, end: close, interval, source, exceptionName, fromPreviousDay: true }]
      : [];
  });
}

function planOf(own: DayRule, previous: DayRule): DayPlan {
  const rules = [...spillRules(previous), ...ownRules(own)].sort((a, b) => a.start - b.start);
  const open: number[] = [];
  for (const { start, end } of rules) {
    // Schedules that passed validation do not overlap; merging anyway keeps evaluation total.
    if (open.length > 0 && start <= open[open.length - 1]!)
      open[open.length - 1] = Math.max(open[open.length - 1]!, end);
    else open.push(start, end);
  }
  return { open, rules, source: own.source, exceptionName: own.exceptionName };
}

/** Precomputes the per-day minute ranges of a (parsed, valid) schedule. Throws for an unknown zone. */
export function compileSchedule(schedule: Schedule): CompiledSchedule {
  const weeklyRule = (weekday: number): DayRule => ({
    hours: schedule.weekly[DAY_KEYS[weekday]!],
    source: 'weekly',
    exceptionName: undefined,
  });
  const exceptions = new Map<number, DayRule>();
  for (const e of schedule.exceptions ?? []) {
    const civil = parseDate(e.date);
    if (!civil) throw new RangeError(`Not a calendar date: ${e.date}`);
    exceptions.set(dayNumberOf(civil.year, civil.month, civil.day), {
      hours: e.hours,
      source: 'exception',
      exceptionName: e.name,
    });
  }
  const ruleOn = (day: number) => exceptions.get(day) ?? weeklyRule(weekdayOf(day));

  const weekly = DAY_KEYS.map((_, weekday) => planOf(weeklyRule(weekday), weeklyRule((weekday + 6) % 7)));
  const dated = new Map<number, DayPlan>();
  for (const day of exceptions.keys()) {
    for (const d of [day, day + 1]) if (!dated.has(d)) dated.set(d, planOf(ruleOn(d), ruleOn(d - 1)));
  }
  const plans = [...weekly, ...dated.values()];
  return {
    schedule,
    timeZone: schedule.timeZone,
    clock: zoneClock(schedule.timeZone),
    weekly,
    dated,
    everOpen: plans.some((p) => p.open.length > 0),
    everClosed: plans.some((p) => p.open[0] !== 0 || p.open[1] !== MINUTES_PER_DAY),
  };
}

const planOn = (compiled: CompiledSchedule, day: number): DayPlan =>
  (compiled.dated.size > 0 ? compiled.dated.get(day) : undefined) ?? compiled.weekly[weekdayOf(day)]!;

/** Whether the local minute `minuteOfDay` of local day `dayNumber` is inside the hours: no zone involved. */
export function isOpenOnLocalDay(
  compiled: CompiledSchedule,
  dayNumber: number,
  minuteOfDay: number,
): boolean {
  const open = planOn(compiled, dayNumber).open;
  for (let i = 0; i < open.length; i += 2) {
    if (minuteOfDay < open[i]!) return false;
    if (minuteOfDay < open[i + 1]!) return true;
  }
  return false;
}

const isOpenAtLocal = (compiled: CompiledSchedule, localMs: number): boolean => {
  const day = Math.floor(localMs / DAY_MS);
  return isOpenOnLocalDay(compiled, day, Math.floor((localMs - day * DAY_MS) / MINUTE_MS));
};

/** Whether the hours are open at `epochMs`: the hot path, asked on every contact. */
export function isOpen(compiled: CompiledSchedule, epochMs: number): boolean {
  return isOpenAtLocal(compiled, compiled.clock.localMs(epochMs));
}

/**
 * The next local wall-clock time (ms since 1970-01-01 local) after `localMs` at which the state
 * (open when `open`) changes, or null if none by `untilLocalMs`. Open ranges that touch across
 * midnight (22:00–24:00 then 00:00–02:00) are one.
 */
function nextLocalChange(
  compiled: CompiledSchedule,
  localMs: number,
  open: boolean,
  untilLocalMs: number,
): number | null {
  let day = Math.floor(localMs / DAY_MS);
  const minute = Math.floor((localMs - day * DAY_MS) / MINUTE_MS);
  let ranges = planOn(compiled, day).open;
  if (open) {
    let end = 0;
    for (let i = 0; i < ranges.length; i += 2)
      if (ranges[i]! <= minute && minute < ranges[i + 1]!) end = ranges[i + 1]!;
    while (end === MINUTES_PER_DAY) {
      day++;
      if (day * DAY_MS > untilLocalMs) return null;
      ranges = planOn(compiled, day).open;
      end = ranges[0] === 0 ? ranges[1]! : 0;
    }
    return day * DAY_MS + end * MINUTE_MS;
  }
  for (let from = minute; day * DAY_MS <= untilLocalMs; from = -1) {
    for (let i = 0; i < ranges.length; i += 2)
      if (ranges[i]! > from) return day * DAY_MS + ranges[i]! * MINUTE_MS;
    ranges = planOn(compiled, ++day).open;
  }
  return null;
}

export interface NextChange {
  /** Whether the hours are open at the instant asked about. */
  open: boolean;
  /** When closed: the first instant at which they open, or null if not within the horizon. */
  nextOpening: number | null;
  /** When open: the first instant at which they close, or null if not within the horizon. */
  nextClosing: number | null;
}

/**
 * The next instant at which `isOpen` changes, within `horizonDays` of `epochMs` (inclusive).
 *
 * Walks the zone's time in stretches of constant UTC offset: inside one, the local clock runs with
 * real time, so the next change is the next local boundary; at the end of one (a DST transition) the
 * clock jumps, and the state after the jump may differ (jumping back into an open hour opens, jumping
 * forward over a closing closes). The answer is exact to the millisecond: a boundary's instant is
 * computed from the offset of its stretch, a jump's is the transition's.
 */
export function nextChange(compiled: CompiledSchedule, epochMs: number, horizonDays = 400): NextChange {
  if (!Number.isFinite(horizonDays) || horizonDays < 0)
    throw new RangeError(`Not a horizon in days: ${horizonDays}`);
  const open = isOpen(compiled, epochMs);
  const found = (at: number | null): NextChange => ({
    open,
    nextOpening: open ? null : at,
    nextClosing: open ? at : null,
  });
  if (open ? !compiled.everClosed : !compiled.everOpen) return found(null);

  const until = epochMs + horizonDays * DAY_MS;
  const { clock } = compiled;
  for (let at = epochMs; ;) {
    const offset = clock.offsetAt(at);
    const local = nextLocalChange(compiled, at + offset, open, until + offset);
    const boundary = local === null ? null : local - offset;
    const transition = clock.nextTransition(at, Math.min(boundary ?? until, until));
    if (!transition) return found(boundary !== null && boundary <= until ? boundary : null);
    // The clock jumps first (or at the boundary itself, which then reads differently).
    if (isOpen(compiled, transition.at) !== open) return found(transition.at);
    at = transition.at;
  }
}

export interface Explanation {
  open: boolean;
  /** The zone's wall-clock reading: "YYYY-MM-DD", "HH:MM", and the weekday's key in the schedule. */
  localDate: string;
  localTime: string;
  weekday: DayKey;
  /**
   * What decided: when open, the rule of the interval (which may be the previous day's, running past
   * midnight: `fromPreviousDay`); when closed, the rule for the local date.
   */
  source: Source;
  exceptionName?: string;
  /** When open: the interval, as written in the schedule ("open_all_day" reads 00:00–24:00). */
  interval?: Interval;
  fromPreviousDay?: boolean;
}

/** Which rule decides at `epochMs`, for people (admins' previews, logs of decisions by reason). */
export function explainAt(compiled: CompiledSchedule, epochMs: number): Explanation {
  const local = compiled.clock.localMs(epochMs);
  const day = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
  const plan = planOn(compiled, day);
  const rule = plan.rules.find((r) => r.start <= minute && minute < r.end);
  const base = {
    localDate: formatDate(civilOf(day)),
    localTime: formatTime(minute),
    weekday: DAY_KEYS[weekdayOf(day)]!,
  };
  if (!rule)
    return {
      open: false,
      ...base,
      source: plan.source,
      ...(plan.exceptionName !== undefined && { exceptionName: plan.exceptionName }),
    };
  return {
    open: true,
    ...base,
    source: rule.source,
    ...(rule.exceptionName !== undefined && { exceptionName: rule.exceptionName }),
    interval: rule.interval,
    ...(rule.fromPreviousDay && { fromPreviousDay: true }),
  };
}
