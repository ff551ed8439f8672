import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  civilOf,
  dayNumberOf,
  formatDate,
  parseDate,
  weekdayOf,
  type CivilDate,
} from './calendar.js';

/**
 * Exact, fast time-zone arithmetic for business hours.
 *
 * The only source of truth is `Intl.DateTimeFormat` (the runtime's tz database), asked with an explicit
 * `timeZone`, so that no result depends on the server's own zone (`process.env.TZ`). It costs several
 * microseconds a call, too slow for a decision on every contact, so each zone keeps the UTC offset of
 * every UTC hour it has been asked about:
 *
 * - the offset at the start of the hour and at its end (the start of the next one) are asked once;
 * - if they are equal the whole hour has that offset (assumption: no zone changes its offset twice
 *   within one UTC hour and back again — the tz database has no such case);
 * - if not, the hour holds a transition, found to the second by bisection (the tz database's resolution),
 *   and kept with the offsets before and after it.
 *
 * Offsets are kept in milliseconds at the resolution of seconds: modern zones have 30- and 45-minute
 * offsets (Asia/Kolkata, Asia/Kathmandu, Pacific/Chatham) and a 30-minute DST shift (Australia/Lord_Howe);
 * historical local mean times even have seconds (New York before 1883 was UTC−4:56:02). After warm-up a
 * conversion is one `Map` lookup and some arithmetic.
 *
 * Supported instants: any that a `Date` can hold (±8.64e15 ms), less two days at either end.
 */

/** A transition inside one UTC hour: from `at` (inclusive) the offset is `after`, before it `before`. */
export interface Transition {
  at: number;
  before: number;
  after: number;
}

/** A wall-clock reading: the local date, its weekday (0 = Monday) and the minute of the day (0..1439). */
export interface LocalTime extends CivilDate {
  date: string;
  weekday: number;
  minuteOfDay: number;
}

/** Hours per chunk when transitions are listed for `nextTransition`: 4 days, about 0.6 ms of Intl when cold. */
const CHUNK_HOURS = 96;
/** Bounds on the caches: a zone's hours (about 11 years) and its transition chunks, and the zones. */
const MAX_HOURS_PER_ZONE = 100_000;
const MAX_CHUNKS_PER_ZONE = 2_000;
const MAX_ZONES = 1_000;
/** No zone has ever been 16 hours or more from UTC (local mean times included). */
const MAX_OFFSET_MS = 16 * HOUR_MS;
/** `Date` accepts instants up to ±8.64e15 ms; leave room for the offset and the hour's end. */
const MAX_INSTANT = 8.64e15 - 2 * DAY_MS;

/** IANA names look like `Area/Location` (or `UTC`); this keeps offsets such as "+05:30" out. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

function formatterFor(zone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/** Whether the runtime knows `zone` as an IANA time zone (aliases such as Asia/Calcutta included). */
export function isTimeZone(zone: string): boolean {
  if (zone.length > 64 || !ZONE_NAME.test(zone)) return false;
  if (clocks.has(zone)) return true;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

export class ZoneClock {
  readonly zone: string;
  readonly #format: Intl.DateTimeFormat;
  /** UTC hour index → offset (ms) for hours without a transition: the hot path. */
  readonly #steady = new Map<number, number>();
  /** UTC hour index → the transition inside it. */
  readonly #changing = new Map<number, Transition>();
  /** Chunk index → transitions in its hours, sorted, once every hour of the chunk is known. */
  readonly #chunks = new Map<number, readonly Transition[]>();
  /** The last hour asked about: consecutive decisions are usually close in time. */
  #lastHour = NaN;
  #lastOffset = 0;

  /** Throws a RangeError for a zone the runtime does not know. */
  constructor(zone: string) {
    if (!ZONE_NAME.test(zone)) throw new RangeError(`Unknown time zone: ${zone}`);
    this.zone = zone;
    this.#format = formatterFor(zone);
  }

  /** The offset (local − UTC, in ms) in effect at `epochMs`. */
  offsetAt(epochMs: number): number {
    const hour = Math.floor(epochMs / HOUR_MS);
    if (hour === this.#lastHour) return this.#lastOffset;
    const steady = this.#steady.get(hour);
    if (steady !== undefined) {
      this.#lastHour = hour;
      this.#lastOffset = steady;
      return steady;
    }
    const entry = this.#hourEntry(hour);
    return typeof entry === 'number' ? entry : epochMs < entry.at ? entry.before : entry.after;
  }

  /** The local wall-clock time at `epochMs`, as milliseconds since 1970-01-01T00:00 local. */
  localMs(epochMs: number): number {
    checkInstant(epochMs);
    return epochMs + this.offsetAt(epochMs);
  }

  localTime(epochMs: number): LocalTime {
    const local = this.localMs(epochMs);
    const dayNumber = Math.floor(local / DAY_MS);
    const civil = civilOf(dayNumber);
    return {
      ...civil,
      date: formatDate(civil),
      weekday: weekdayOf(dayNumber),
      minuteOfDay: Math.floor((local - dayNumber * DAY_MS) / MINUTE_MS),
    };
  }

  /**
   * The instant at which the local clock reads `localMs` (ms since 1970-01-01T00:00 local). When it
   * reads it twice (the repeated hour of a fall-back), the earlier instant; when it never does (the gap of
   * a spring-forward), the first instant after the gap, i.e. the transition itself.
   */
  instantOfLocal(localMs: number): number {
    checkInstant(localMs);
    const first = Math.floor((localMs - MAX_OFFSET_MS) / HOUR_MS);
    const last = Math.floor((localMs + MAX_OFFSET_MS) / HOUR_MS);
    // Every offset that is in effect at some instant that could read localMs.
    const offsets = new Set<number>();
    const transitions: Transition[] = [];
    for (let hour = first; hour <= last; hour++) {
      const entry = this.#hourEntry(hour);
      if (typeof entry === 'number') offsets.add(entry);
      else {
        offsets.add(entry.before).add(entry.after);
        transitions.push(entry);
      }
    }
    let best = Infinity;
    for (const offset of offsets) {
      const candidate = localMs - offset;
      if (candidate < best && this.offsetAt(candidate) === offset) best = candidate;
    }
    if (best !== Infinity) return best;
    // A gap: the clock jumps over localMs at a transition whose offset grows.
    for (const t of transitions) {
      if (t.at + t.before <= localMs && localMs < t.at + t.after && t.at < best) best = t.at;
    }
    if (best === Infinity) throw new Error(`No instant reads ${localMs} in ${this.zone}`);
    return best;
  }

  /** The first transition strictly after `afterMs` and at or before `untilMs`, or null. */
  nextTransition(afterMs: number, untilMs: number): Transition | null {
    const lastChunk = Math.floor(Math.floor(untilMs / HOUR_MS) / CHUNK_HOURS);
    for (let chunk = Math.floor(Math.floor(afterMs / HOUR_MS) / CHUNK_HOURS); chunk <= lastChunk; chunk++) {
      for (const t of this.#chunk(chunk)) {
        if (t.at > untilMs) return null;
        if (t.at > afterMs) return t;
      }
    }
    return null;
  }

  #chunk(chunk: number): readonly Transition[] {
    const known = this.#chunks.get(chunk);
    if (known) return known;
    const transitions: Transition[] = [];
    for (let hour = chunk * CHUNK_HOURS; hour < (chunk + 1) * CHUNK_HOURS; hour++) {
      const entry = this.#hourEntry(hour);
      if (typeof entry !== 'number') transitions.push(entry);
    }
    if (this.#chunks.size >= MAX_CHUNKS_PER_ZONE) this.#chunks.clear();
    this.#chunks.set(chunk, transitions);
    return transitions;
  }

  /** The offset of a steady hour, or the transition inside a changing one; computed once. */
  #hourEntry(hour: number): number | Transition {
    const steady = this.#steady.get(hour);
    if (steady !== undefined) return steady;
    const changing = this.#changing.get(hour);
    if (changing) return changing;

    if (this.#steady.size + this.#changing.size >= MAX_HOURS_PER_ZONE) {
      this.#steady.clear();
      this.#changing.clear();
      this.#lastHour = NaN;
    }
    const start = hour * HOUR_MS;
    const end = start + HOUR_MS;
    // A neighbour already known tells the offset at the shared boundary without asking Intl again.
    const previous = this.#steady.get(hour - 1) ?? this.#changing.get(hour - 1)?.after;
    const next = this.#steady.get(hour + 1) ?? this.#changing.get(hour + 1)?.before;
    const before = previous ?? this.#rawOffset(start);
    const after = next ?? this.#rawOffset(end);
    if (before === after) {
      this.#steady.set(hour, before);
      return before;
    }
    // Bisection to the second: `lo` always has the old offset, `hi` not.
    let lo = start;
    let hi = end;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (this.#rawOffset(mid) === before) lo = mid;
      else hi = mid;
    }
    const transition = { at: hi, before, after };
    this.#changing.set(hour, transition);
    return transition;
  }

  /** The one expensive call: what the zone's clock reads at a whole second, minus that second. */
  #rawOffset(epochMs: number): number {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.#format.formatToParts(epochMs)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value === 'BC' || part.value === 'B';
          break;
      }
    }
    if (bc) year = 1 - year; // 1 BC is year 0
    const local =
      dayNumberOf(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * 1000;
    return local - epochMs;
  }
}

function checkInstant(epochMs: number) {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_INSTANT)
    throw new RangeError(`Not a supported instant: ${epochMs}`);
}

const clocks = new Map<string, ZoneClock>();

/** The shared clock of a zone (its caches serve every schedule in that zone). Throws for an unknown zone. */
export function zoneClock(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (!clock) {
    clock = new ZoneClock(zone);
    if (clocks.size >= MAX_ZONES) clocks.clear();
    clocks.set(zone, clock);
  }
  return clock;
}

/** The wall-clock reading of `zone` at `epochMs`. */
export function localTime(zone: string, epochMs: number): LocalTime {
  return zoneClock(zone).localTime(epochMs);
}

/**
 * The instant at which `zone`'s clock reads `minuteOfDay` (any integer; 1440 is midnight of the next
 * day) on `localDate` ("YYYY-MM-DD" or numbers). In a fall-back's repeated hour, the earlier instant; in
 * a spring-forward's gap, the first instant after the gap (02:30 on a 02:00→03:00 day gives 03:00).
 */
export function instantOf(zone: string, localDate: string | CivilDate, minuteOfDay: number): number {
  const civil = typeof localDate === 'string' ? parseDate(localDate) : localDate;
  if (!civil) throw new RangeError(`Not a calendar date: ${String(localDate)}`);
  if (!Number.isInteger(minuteOfDay)) throw new RangeError(`Not a minute of the day: ${minuteOfDay}`);
  const local = dayNumberOf(civil.year, civil.month, civil.day) * DAY_MS + minuteOfDay * MINUTE_MS;
  return zoneClock(zone).instantOfLocal(local);
}
