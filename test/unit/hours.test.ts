import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { compileSchedule, explainAt, isOpen, nextChange } from '../../functions/src/domain/hours/evaluate.js';
import { Schedule, type Day, type ScheduleInput } from '../../functions/src/domain/hours/schedule.js';
import { instantOf, localTime, zoneClock } from '../../functions/src/domain/hours/zone-clock.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const hours = (input: ScheduleInput) => compileSchedule(Schedule.parse(input));
const at = (text: string) => {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`bad instant in a test: ${text}`);
  return ms;
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const nineToSix = [{ open: '09:00', close: '18:00' }];
const weekdays = (day: ScheduleInput['weekly']['mon']) => ({
  mon: day,
  tue: day,
  wed: day,
  thu: day,
  fri: day,
});

// ---------------------------------------------------------------------------------------------------
// The slow reference: Intl asked on every call, and the rules read straight from the schedule.
// ---------------------------------------------------------------------------------------------------

const referenceFormats = new Map<string, Intl.DateTimeFormat>();

/** What the zone's clock reads at t, from Intl directly; `wall` is that reading as ms since 1970 "local". */
function reference(zone: string, t: number) {
  let format = referenceFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    referenceFormats.set(zone, format);
  }
  const p = Object.fromEntries(format.formatToParts(t).map((part) => [part.type, part.value]));
  const [hour, minute] = [Number(p.hour), Number(p.minute)];
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!),
    minuteOfDay: hour * 60 + minute,
    wall:
      Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), hour, minute, Number(p.second)) +
      (((t % 1000) + 1000) % 1000),
  };
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/** Open iff the local minute is in one of the date's own intervals, or in the previous date's past midnight. */
function referenceIsOpen(schedule: Schedule, t: number): boolean {
  const { date, weekday, minuteOfDay: m } = reference(schedule.timeZone, t);
  const previousDate = new Date(Date.parse(`${date}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
  const ruleOn = (d: string, w: number): Day | undefined =>
    schedule.exceptions?.find((e) => e.date === d)?.hours ?? schedule.weekly[KEYS[w]!];
  const own = ruleOn(date, weekday);
  if (own === 'open_all_day') return true;
  const inOwn = (i: { open: string; close: string }) => {
    const [o, c] = [minutesOf(i.open), minutesOf(i.close)];
    return c > o ? o <= m && m < c : o <= m;
  };
  if (Array.isArray(own) && own.some(inOwn)) return true;
  const previous = ruleOn(previousDate, (weekday + 6) % 7);
  return (
    Array.isArray(previous) &&
    previous.some((i) => minutesOf(i.close) <= minutesOf(i.open) && m < minutesOf(i.close))
  );
}

// ---------------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------------

const newYork: ScheduleInput = {
  timeZone: 'America/New_York',
  weekly: weekdays(nineToSix),
  exceptions: [
    { date: '2026-11-26', hours: 'closed', name: 'Thanksgiving' },
    { date: '2026-11-27', hours: [{ open: '09:00', close: '13:00' }], name: 'Black Friday' },
  ],
};
const parisLunch: ScheduleInput = {
  timeZone: 'Europe/Paris',
  // Listed out of order on purpose: parsing sorts them.
  weekly: {
    tue: [
      { open: '13:00', close: '17:00' },
      { open: '09:00', close: '12:00' },
    ],
  },
};
const kolkataNights: ScheduleInput = {
  timeZone: 'Asia/Kolkata',
  weekly: { fri: [{ open: '22:00', close: '02:00' }] },
};
const kathmandu: ScheduleInput = {
  timeZone: 'Asia/Kathmandu',
  weekly: { mon: [{ open: '09:00', close: '17:00' }] },
};
const lordHowe: ScheduleInput = {
  timeZone: 'Australia/Lord_Howe',
  weekly: { sat: 'closed', sun: 'open_all_day' },
};
const chatham: ScheduleInput = {
  timeZone: 'Pacific/Chatham',
  weekly: { mon: [{ open: '09:00', close: '17:00' }] },
};
const utcEvenings: ScheduleInput = { timeZone: 'UTC', weekly: { sat: [{ open: '18:00', close: '24:00' }] } };

const table: { when: string; schedule: ScheduleInput; at: string; open: boolean }[] = [
  { when: 'a Monday at 08:59 in New York', schedule: newYork, at: '2026-11-23T08:59:00-05:00', open: false },
  {
    when: 'a Monday at 09:00 sharp (opening is inclusive)',
    schedule: newYork,
    at: '2026-11-23T09:00:00-05:00',
    open: true,
  },
  { when: 'a Monday at noon', schedule: newYork, at: '2026-11-23T12:00:00-05:00', open: true },
  { when: 'a Monday at 17:59:59', schedule: newYork, at: '2026-11-23T17:59:59-05:00', open: true },
  {
    when: 'a Monday at 18:00 sharp (closing is exclusive)',
    schedule: newYork,
    at: '2026-11-23T18:00:00-05:00',
    open: false,
  },
  {
    when: 'a Saturday, a day the schedule leaves out',
    schedule: newYork,
    at: '2026-11-28T12:00:00-05:00',
    open: false,
  },
  {
    when: 'Thanksgiving noon, a holiday on a Thursday',
    schedule: newYork,
    at: '2026-11-26T12:00:00-05:00',
    open: false,
  },
  {
    when: 'the Thursday before Thanksgiving at noon',
    schedule: newYork,
    at: '2026-11-19T12:00:00-05:00',
    open: true,
  },
  {
    when: 'Black Friday 12:59 (special hours 09:00–13:00)',
    schedule: newYork,
    at: '2026-11-27T12:59:00-05:00',
    open: true,
  },
  { when: 'Black Friday 13:00', schedule: newYork, at: '2026-11-27T13:00:00-05:00', open: false },
  {
    when: 'Black Friday 17:00, inside the usual hours',
    schedule: newYork,
    at: '2026-11-27T17:00:00-05:00',
    open: false,
  },
  {
    when: 'a Tuesday 11:59 in Paris, before lunch',
    schedule: parisLunch,
    at: '2026-11-24T11:59:00+01:00',
    open: true,
  },
  {
    when: 'a Tuesday 12:00 in Paris, at lunch',
    schedule: parisLunch,
    at: '2026-11-24T12:00:00+01:00',
    open: false,
  },
  {
    when: 'a Tuesday 12:59 in Paris, end of lunch',
    schedule: parisLunch,
    at: '2026-11-24T12:59:00+01:00',
    open: false,
  },
  {
    when: 'a Tuesday 13:00 in Paris, after lunch',
    schedule: parisLunch,
    at: '2026-11-24T13:00:00+01:00',
    open: true,
  },
  { when: 'a Tuesday 17:00 in Paris', schedule: parisLunch, at: '2026-11-24T17:00:00+01:00', open: false },
  {
    when: 'a Friday 21:59 in Kolkata, before a 22:00–02:00 night',
    schedule: kolkataNights,
    at: '2026-11-27T21:59:00+05:30',
    open: false,
  },
  { when: 'a Friday 22:00 in Kolkata', schedule: kolkataNights, at: '2026-11-27T22:00:00+05:30', open: true },
  {
    when: 'the Saturday 01:30 after a Friday 22:00–02:00',
    schedule: kolkataNights,
    at: '2026-11-28T01:30:00+05:30',
    open: true,
  },
  {
    when: 'the Saturday 02:00 after a Friday 22:00–02:00',
    schedule: kolkataNights,
    at: '2026-11-28T02:00:00+05:30',
    open: false,
  },
  {
    when: 'a Friday 01:30 in Kolkata (Thursday has no night)',
    schedule: kolkataNights,
    at: '2026-11-27T01:30:00+05:30',
    open: false,
  },
  {
    when: 'a Monday 09:00 in Kathmandu (UTC+05:45)',
    schedule: kathmandu,
    at: '2026-11-23T09:00:00+05:45',
    open: true,
  },
  { when: 'a Monday 08:59 in Kathmandu', schedule: kathmandu, at: '2026-11-23T08:59:00+05:45', open: false },
  {
    when: 'a Sunday 00:00 on Lord Howe, open all day',
    schedule: lordHowe,
    at: '2026-11-29T00:00:00+11:00',
    open: true,
  },
  {
    when: 'a Sunday 23:59 on Lord Howe, open all day',
    schedule: lordHowe,
    at: '2026-11-29T23:59:00+11:00',
    open: true,
  },
  {
    when: 'a Saturday on Lord Howe, closed',
    schedule: lordHowe,
    at: '2026-11-28T12:00:00+11:00',
    open: false,
  },
  {
    when: 'the Monday 00:00 after an open-all-day Sunday',
    schedule: lordHowe,
    at: '2026-11-30T00:00:00+11:00',
    open: false,
  },
  {
    when: 'a summer Monday 09:00 on Chatham (UTC+13:45)',
    schedule: chatham,
    at: '2026-11-23T09:00:00+13:45',
    open: true,
  },
  {
    when: 'a summer Monday 08:59 on Chatham',
    schedule: chatham,
    at: '2026-11-23T08:59:00+13:45',
    open: false,
  },
  {
    when: 'a winter Monday 09:00 on Chatham (UTC+12:45)',
    schedule: chatham,
    at: '2026-07-06T09:00:00+12:45',
    open: true,
  },
  {
    when: 'a winter Monday 16:59 on Chatham',
    schedule: chatham,
    at: '2026-07-06T16:59:00+12:45',
    open: true,
  },
  {
    when: 'a winter Monday 17:00 on Chatham',
    schedule: chatham,
    at: '2026-07-06T17:00:00+12:45',
    open: false,
  },
  {
    when: 'a Saturday 23:59 UTC, open until 24:00',
    schedule: utcEvenings,
    at: '2026-11-28T23:59:00Z',
    open: true,
  },
  {
    when: 'the Sunday 00:00 UTC after a close at 24:00',
    schedule: utcEvenings,
    at: '2026-11-29T00:00:00Z',
    open: false,
  },
  { when: 'a Saturday 17:59 UTC', schedule: utcEvenings, at: '2026-11-28T17:59:00Z', open: false },
];

describe('business hours: examples', () => {
  it.each(table)('when $when, then open is $open', ({ schedule, at: instant, open }) => {
    const compiled = hours(schedule);
    expect(isOpen(compiled, at(instant))).toBe(open);
    expect(explainAt(compiled, at(instant)).open).toBe(open);
    expect(referenceIsOpen(Schedule.parse(schedule), at(instant))).toBe(open);
  });

  it('when a holiday decides, then the explanation names it and the local reading', () => {
    expect(explainAt(hours(newYork), at('2026-11-26T12:00:00-05:00'))).toEqual({
      open: false,
      localDate: '2026-11-26',
      localTime: '12:00',
      weekday: 'thu',
      source: 'exception',
      exceptionName: 'Thanksgiving',
    });
    expect(explainAt(hours(newYork), at('2026-11-27T10:15:00-05:00'))).toEqual({
      open: true,
      localDate: '2026-11-27',
      localTime: '10:15',
      weekday: 'fri',
      source: 'exception',
      exceptionName: 'Black Friday',
      interval: { open: '09:00', close: '13:00' },
    });
  });

  it('when open past midnight, then the explanation gives the interval of the day before', () => {
    expect(explainAt(hours(kolkataNights), at('2026-11-28T01:30:00+05:30'))).toEqual({
      open: true,
      localDate: '2026-11-28',
      localTime: '01:30',
      weekday: 'sat',
      source: 'weekly',
      interval: { open: '22:00', close: '02:00' },
      fromPreviousDay: true,
    });
  });

  it('when a schedule is parsed, then its intervals are sorted by opening time', () => {
    expect(Schedule.parse(parisLunch).weekly.tue).toEqual([
      { open: '09:00', close: '12:00' },
      { open: '13:00', close: '17:00' },
    ]);
  });

  it('when open, then nextChange gives the closing; when closed, the opening (exact instants)', () => {
    const compiled = hours(newYork);
    expect(nextChange(compiled, at('2026-11-23T10:00:00-05:00'))).toEqual({
      open: true,
      nextOpening: null,
      nextClosing: at('2026-11-23T18:00:00-05:00'),
    });
    // Friday evening: the weekend, then Monday.
    expect(nextChange(compiled, at('2026-11-20T18:00:00-05:00'))).toEqual({
      open: false,
      nextOpening: at('2026-11-23T09:00:00-05:00'),
      nextClosing: null,
    });
    // Wednesday evening: Thanksgiving is skipped, Black Friday opens at 09:00 and closes at 13:00.
    expect(iso(nextChange(compiled, at('2026-11-25T20:00:00-05:00')).nextOpening)).toBe(
      '2026-11-27T14:00:00.000Z',
    );
    expect(iso(nextChange(compiled, at('2026-11-27T09:00:00-05:00')).nextClosing)).toBe(
      '2026-11-27T18:00:00.000Z',
    );
  });

  it('when open intervals touch across midnight, then nextChange gives the real closing, not midnight', () => {
    const compiled = hours({
      timeZone: 'UTC',
      weekly: { fri: [{ open: '22:00', close: '24:00' }], sat: [{ open: '00:00', close: '02:00' }] },
    });
    expect(iso(nextChange(compiled, at('2026-11-27T23:00:00Z')).nextClosing)).toBe(
      '2026-11-28T02:00:00.000Z',
    );
  });

  it('when nothing changes within the horizon, then nextChange says null', () => {
    expect(nextChange(hours({ timeZone: 'UTC', weekly: {} }), at('2026-01-01T00:00:00Z'))).toEqual({
      open: false,
      nextOpening: null,
      nextClosing: null,
    });
    const always = hours({
      timeZone: 'Europe/Paris',
      weekly: Object.fromEntries(KEYS.map((k) => [k, 'open_all_day'])),
    });
    expect(nextChange(always, at('2026-03-29T01:30:00Z'))).toEqual({
      open: true,
      nextOpening: null,
      nextClosing: null,
    });
    const mondays = hours({ timeZone: 'UTC', weekly: { mon: nineToSix } });
    expect(nextChange(mondays, at('2026-11-24T12:00:00Z'), 3).nextOpening).toBeNull();
    expect(iso(nextChange(mondays, at('2026-11-24T12:00:00Z'), 7).nextOpening)).toBe(
      '2026-11-30T09:00:00.000Z',
    );
  });
});

describe('business hours: exceptions and midnight', () => {
  const nights: ScheduleInput['weekly'] = { fri: [{ open: '22:00', close: '02:00' }] };

  it('when the day after a night shift is a holiday, then the night still runs past midnight into it', () => {
    const compiled = hours({
      timeZone: 'UTC',
      weekly: nights,
      exceptions: [{ date: '2026-12-26', hours: 'closed' }],
    });
    expect(isOpen(compiled, at('2026-12-26T01:30:00Z'))).toBe(true);
    expect(isOpen(compiled, at('2026-12-26T02:00:00Z'))).toBe(false);
    expect(explainAt(compiled, at('2026-12-26T01:30:00Z'))).toMatchObject({
      source: 'weekly',
      fromPreviousDay: true,
    });
    expect(explainAt(compiled, at('2026-12-26T03:00:00Z'))).toMatchObject({
      open: false,
      source: 'exception',
    });
  });

  it('when the day of a night shift is a holiday, then nothing runs past midnight into the next day', () => {
    const compiled = hours({
      timeZone: 'UTC',
      weekly: nights,
      exceptions: [{ date: '2026-12-25', hours: 'closed', name: 'Christmas' }],
    });
    expect(isOpen(compiled, at('2026-12-25T23:00:00Z'))).toBe(false);
    expect(isOpen(compiled, at('2026-12-26T01:30:00Z'))).toBe(false);
    expect(isOpen(compiled, at('2027-01-02T01:30:00Z'))).toBe(true); // the next Friday night's
  });

  it("when an exception runs past midnight, then it runs into the next day whatever that day's rule", () => {
    const compiled = hours({
      timeZone: 'America/New_York',
      weekly: weekdays(nineToSix),
      exceptions: [
        { date: '2026-12-31', hours: [{ open: '20:00', close: '03:00' }], name: "New Year's Eve" },
      ],
    });
    expect(isOpen(compiled, at('2027-01-01T02:30:00-05:00'))).toBe(true);
    expect(explainAt(compiled, at('2027-01-01T02:30:00-05:00'))).toMatchObject({
      source: 'exception',
      exceptionName: "New Year's Eve",
      fromPreviousDay: true,
    });
    expect(isOpen(compiled, at('2027-01-01T03:00:00-05:00'))).toBe(false);
    expect(isOpen(compiled, at('2027-01-01T09:00:00-05:00'))).toBe(true); // Friday's own weekly hours
    expect(iso(nextChange(compiled, at('2026-12-31T12:00:00-05:00')).nextOpening)).toBe(
      '2027-01-01T01:00:00.000Z',
    );
    expect(iso(nextChange(compiled, at('2026-12-31T21:00:00-05:00')).nextClosing)).toBe(
      '2027-01-01T08:00:00.000Z',
    );
  });

  it('when a Sunday night runs into Monday, then it is open early on Monday', () => {
    const compiled = hours({
      timeZone: 'Europe/Paris',
      weekly: { sun: [{ open: '23:00', close: '01:00' }] },
    });
    expect(isOpen(compiled, at('2026-11-30T00:30:00+01:00'))).toBe(true);
    expect(isOpen(compiled, at('2026-11-30T01:00:00+01:00'))).toBe(false);
  });
});

describe('business hours: daylight saving time', () => {
  const sundays = (zone: string, interval: { open: string; close: string }) =>
    hours({ timeZone: zone, weekly: { sun: [interval] } });

  it('when New York springs forward (2026-03-08, 02:00→03:00), then 01:00–03:00 is open one hour', () => {
    const compiled = sundays('America/New_York', { open: '01:00', close: '03:00' });
    expect(isOpen(compiled, at('2026-03-08T05:59:00Z'))).toBe(false); // 00:59 EST
    expect(isOpen(compiled, at('2026-03-08T06:00:00Z'))).toBe(true); // 01:00 EST
    expect(isOpen(compiled, at('2026-03-08T06:59:59.999Z'))).toBe(true); // 01:59:59.999 EST
    expect(isOpen(compiled, at('2026-03-08T07:00:00Z'))).toBe(false); // 03:00 EDT
    expect(iso(nextChange(compiled, at('2026-03-08T05:00:00Z')).nextOpening)).toBe(
      '2026-03-08T06:00:00.000Z',
    );
    expect(iso(nextChange(compiled, at('2026-03-08T06:30:00Z')).nextClosing)).toBe(
      '2026-03-08T07:00:00.000Z',
    );
  });

  it('when New York falls back (2026-11-01, 02:00→01:00), then 01:00–03:00 is open three hours, both 01:30s', () => {
    const compiled = sundays('America/New_York', { open: '01:00', close: '03:00' });
    expect(isOpen(compiled, at('2026-11-01T04:59:00Z'))).toBe(false); // 00:59 EDT
    expect(isOpen(compiled, at('2026-11-01T05:00:00Z'))).toBe(true); // 01:00 EDT
    expect(isOpen(compiled, at('2026-11-01T05:30:00Z'))).toBe(true); // 01:30 EDT
    expect(isOpen(compiled, at('2026-11-01T06:30:00Z'))).toBe(true); // 01:30 EST, again
    expect(isOpen(compiled, at('2026-11-01T07:59:00Z'))).toBe(true); // 02:59 EST
    expect(isOpen(compiled, at('2026-11-01T08:00:00Z'))).toBe(false); // 03:00 EST
    expect(iso(nextChange(compiled, at('2026-11-01T04:00:00Z')).nextOpening)).toBe(
      '2026-11-01T05:00:00.000Z',
    );
    expect(iso(nextChange(compiled, at('2026-11-01T05:30:00Z')).nextClosing)).toBe(
      '2026-11-01T08:00:00.000Z',
    );
  });

  it('when Paris springs forward (2026-03-29, 02:00→03:00), then 01:00–03:00 is open one hour', () => {
    const compiled = sundays('Europe/Paris', { open: '01:00', close: '03:00' });
    expect(isOpen(compiled, at('2026-03-28T23:59:00Z'))).toBe(false); // 00:59 CET
    expect(isOpen(compiled, at('2026-03-29T00:00:00Z'))).toBe(true); // 01:00 CET
    expect(isOpen(compiled, at('2026-03-29T00:59:00Z'))).toBe(true); // 01:59 CET
    expect(isOpen(compiled, at('2026-03-29T01:00:00Z'))).toBe(false); // 03:00 CEST
    expect(iso(nextChange(compiled, at('2026-03-28T22:00:00Z')).nextOpening)).toBe(
      '2026-03-29T00:00:00.000Z',
    );
    expect(iso(nextChange(compiled, at('2026-03-29T00:30:00Z')).nextClosing)).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('when Paris falls back (2026-10-25, 03:00→02:00), then 01:00–03:00 is open three hours', () => {
    const compiled = sundays('Europe/Paris', { open: '01:00', close: '03:00' });
    expect(isOpen(compiled, at('2026-10-24T22:59:00Z'))).toBe(false); // 00:59 CEST
    expect(isOpen(compiled, at('2026-10-24T23:00:00Z'))).toBe(true); // 01:00 CEST
    expect(isOpen(compiled, at('2026-10-25T00:30:00Z'))).toBe(true); // 02:30 CEST
    expect(isOpen(compiled, at('2026-10-25T01:30:00Z'))).toBe(true); // 02:30 CET, again
    expect(isOpen(compiled, at('2026-10-25T02:00:00Z'))).toBe(false); // 03:00 CET
    expect(iso(nextChange(compiled, at('2026-10-24T23:30:00Z')).nextClosing)).toBe(
      '2026-10-25T02:00:00.000Z',
    );
  });

  it('when an interval opens at 02:30 on a spring-forward day, then it opens at 03:00 local, the first instant after the gap', () => {
    const ny = sundays('America/New_York', { open: '02:30', close: '05:00' });
    expect(iso(nextChange(ny, at('2026-03-08T06:00:00Z')).nextOpening)).toBe('2026-03-08T07:00:00.000Z');
    expect(isOpen(ny, at('2026-03-08T06:59:59.999Z'))).toBe(false);
    expect(explainAt(ny, at('2026-03-08T07:00:00Z'))).toMatchObject({ open: true, localTime: '03:00' });
    expect(iso(instantOf('America/New_York', '2026-03-08', 150))).toBe('2026-03-08T07:00:00.000Z');
    const paris = sundays('Europe/Paris', { open: '02:30', close: '05:00' });
    expect(iso(nextChange(paris, at('2026-03-28T23:00:00Z')).nextOpening)).toBe('2026-03-29T01:00:00.000Z');
  });

  it('when an interval lies wholly inside a gap, then it never opens that day', () => {
    // Lord Howe springs forward by 30 minutes: 02:00 → 02:30 on 2026-10-04.
    const compiled = sundays('Australia/Lord_Howe', { open: '02:00', close: '02:20' });
    expect(iso(nextChange(compiled, at('2026-10-03T15:00:00Z')).nextOpening)).toBe(
      '2026-10-10T15:00:00.000Z',
    );
    expect(isOpen(compiled, at('2026-10-03T15:30:00Z'))).toBe(false); // 02:30 LHDT
  });

  it('when the clock falls back into an open interval, then nextChange opens at the transition itself', () => {
    const ny = sundays('America/New_York', { open: '01:00', close: '01:30' });
    expect(isOpen(ny, at('2026-11-01T05:45:00Z'))).toBe(false); // 01:45 EDT
    expect(nextChange(ny, at('2026-11-01T05:45:00Z')).nextOpening).toBe(at('2026-11-01T06:00:00Z')); // 01:00 EST
    expect(nextChange(ny, at('2026-11-01T06:00:00Z')).nextClosing).toBe(at('2026-11-01T06:30:00Z'));
    // Chatham falls back 45 minutes later in local terms: 03:45 CHADT → 02:45 CHAST on 2026-04-05.
    const chathamFallBack = sundays('Pacific/Chatham', { open: '02:45', close: '03:00' });
    expect(isOpen(chathamFallBack, at('2026-04-04T13:00:00Z'))).toBe(true); // 02:45 CHADT
    expect(nextChange(chathamFallBack, at('2026-04-04T13:00:00Z')).nextClosing).toBe(
      at('2026-04-04T13:15:00Z'),
    );
    expect(nextChange(chathamFallBack, at('2026-04-04T13:30:00Z')).nextOpening).toBe(
      at('2026-04-04T14:00:00Z'),
    );
    expect(nextChange(chathamFallBack, at('2026-04-04T14:00:00Z')).nextClosing).toBe(
      at('2026-04-04T14:15:00Z'),
    );
  });

  it('when transitions are listed, then they are the exact instants and offsets of the tz database', () => {
    const list = (zone: string) => {
      const found: string[] = [];
      for (let from = at('2026-01-01T00:00:00Z'); ;) {
        const t = zoneClock(zone).nextTransition(from, at('2027-01-01T00:00:00Z'));
        if (!t) return found;
        found.push(`${iso(t.at)} ${t.before / MIN}→${t.after / MIN}`);
        from = t.at;
      }
    };
    expect(list('America/New_York')).toEqual([
      '2026-03-08T07:00:00.000Z -300→-240',
      '2026-11-01T06:00:00.000Z -240→-300',
    ]);
    expect(list('Australia/Lord_Howe')).toEqual([
      '2026-04-04T15:00:00.000Z 660→630',
      '2026-10-03T15:30:00.000Z 630→660',
    ]);
    expect(list('Pacific/Chatham')).toEqual([
      '2026-04-04T14:00:00.000Z 825→765',
      '2026-09-26T14:00:00.000Z 765→825',
    ]);
    expect(list('Asia/Kolkata')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------

const ZONES = [
  'America/New_York',
  'Europe/Paris',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'UTC',
  'America/St_Johns',
  'Australia/Sydney',
  'America/Santiago',
  'Africa/Casablanca',
  'Antarctica/Troll',
  'Pacific/Kiritimati',
];
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);

const transitionsCache = new Map<string, number[]>();
/** Where each zone's clock jumps in 2026–2027: the instants worth sampling around. */
function transitionsOf(zone: string): number[] {
  let list = transitionsCache.get(zone);
  if (!list) {
    list = [];
    for (let from = FROM - DAY; ;) {
      const t = zoneClock(zone).nextTransition(from, TO + DAY);
      if (!t) break;
      list.push(t.at);
      from = t.at;
    }
    transitionsCache.set(zone, list);
  }
  return list;
}

/** Instants over 2026–2027: uniform, whole minutes, and within three hours of the zone's transitions. */
const instantIn = (zone: string, alsoNear: number[] = []) => {
  const near = [...transitionsOf(zone), ...alsoNear];
  const uniform = fc.integer({ min: FROM, max: TO - 1 });
  const options = [uniform, uniform.map((t) => t - (t % MIN))];
  if (near.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...near),
          fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -3 * 60, max: 3 * 60 })),
          fc.integer({ min: 0, max: MIN - 1 }),
        )
        .map(([t, minutes, ms]) => t + minutes * MIN + (ms % 3 === 0 ? ms : 0)),
    );
  return fc.oneof(...options);
};

const time = (minute: number) =>
  minute === 1440
    ? '24:00'
    : `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

// Quarter hours mostly (transitions fall on them: 02:00, 02:45, 03:45…), any minute sometimes.
const minuteArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 95 }).map((q) => q * 15) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1439 }) },
);

/** Sorted distinct minutes paired up: [a, b), [c, d)…; an odd last one closes at 24:00 or runs past midnight. */
const intervalsArb = fc
  .record({
    points: fc.uniqueArray(minuteArb, { minLength: 1, maxLength: 6 }),
    lastClose: fc.constantFrom(0, 30, 60, 120, 150, 180, 1440),
  })
  .map(({ points, lastClose }) => {
    const sorted = [...points].sort((a, b) => a - b);
    const intervals: { open: string; close: string }[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2)
      intervals.push({ open: time(sorted[i]!), close: time(sorted[i + 1]!) });
    if (sorted.length % 2 === 1) {
      const open = sorted[sorted.length - 1]!;
      intervals.push({ open: time(open), close: time(lastClose === open ? 1440 : lastClose) });
    }
    return intervals;
  });

const dayArb: fc.Arbitrary<Day> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('closed' as const) },
  { weight: 1, arbitrary: fc.constant('open_all_day' as const) },
  { weight: 6, arbitrary: intervalsArb },
);

/** Days worth an exception: around the transitions of the zones above, and New Year. */
const INTERESTING_DAYS = [
  '2026-01-01',
  '2026-03-08',
  '2026-03-29',
  '2026-04-04',
  '2026-04-05',
  '2026-09-26',
  '2026-09-27',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
  '2026-12-31',
  '2027-03-14',
  '2027-03-28',
  '2027-10-31',
  '2027-11-07',
];
const dateArb = fc.oneof(
  fc.constantFrom(...INTERESTING_DAYS),
  fc.integer({ min: -2, max: 731 }).map((d) => new Date(FROM + d * DAY).toISOString().slice(0, 10)),
);

/** The schedule as generated, with whatever the validator refuses taken out (overlaps across midnight). */
function repair(input: ScheduleInput): Schedule {
  const draft = structuredClone(input) as {
    weekly: Record<string, Day | undefined>;
    exceptions?: { hours: Day }[];
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const result = Schedule.safeParse(draft);
    if (result.success) return result.data;
    const [head, key, index, , deeper] = result.error.issues[0]!.path;
    const at = head === 'weekly' ? { day: draft.weekly, key: key as string, index } : null;
    const exception = head === 'exceptions' ? draft.exceptions![key as number]! : null;
    const [holder, slot, element] = at
      ? [at.day, at.key, at.index]
      : [exception as unknown as Record<string, Day>, 'hours', deeper];
    const day = holder[slot];
    if (typeof element === 'number' && Array.isArray(day)) day.splice(element, 1);
    else holder[slot] = 'closed';
  }
  throw new Error('could not repair a generated schedule');
}

const scheduleArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    weekly: fc.record(
      Object.fromEntries(KEYS.map((k) => [k, dayArb])) as Record<(typeof KEYS)[number], fc.Arbitrary<Day>>,
      {
        requiredKeys: [],
      },
    ),
    exceptions: fc.uniqueArray(
      fc.record({
        date: dateArb,
        hours: dayArb,
        name: fc.option(fc.constantFrom('Holiday', 'Inventory', 'Gala'), { nil: undefined }),
      }),
      { maxLength: 6, selector: (e) => e.date },
    ),
  })
  .map(({ zone, weekly, exceptions }) =>
    repair({
      timeZone: zone,
      weekly,
      exceptions: exceptions.map(({ name, ...e }) => (name === undefined ? e : { ...e, name })),
    }),
  );

/** A schedule and an instant, often near a transition of its zone or around one of its exception dates. */
const caseArb = scheduleArb.chain((schedule) =>
  fc.record({
    schedule: fc.constant(schedule),
    t: instantIn(
      schedule.timeZone,
      (schedule.exceptions ?? []).flatMap((e) => [
        Date.parse(`${e.date}T00:00:00Z`),
        Date.parse(`${e.date}T23:00:00Z`),
      ]),
    ),
    fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
  }),
);

// Hundreds of cases a test, CPU-bound: on a machine shared with other work one may take well over 5 s.
describe('business hours: properties', { timeout: 60_000 }, () => {
  it('when random schedules are asked at random instants, then isOpen agrees with a slow reference and nextChange names the exact next change', () => {
    fc.assert(
      fc.property(caseArb, ({ schedule, t, fractions }) => {
        const compiled = compileSchedule(schedule);
        const open = isOpen(compiled, t);
        expect(open).toBe(referenceIsOpen(schedule, t));
        const next = nextChange(compiled, t);
        expect(next.open).toBe(open);
        expect(open ? next.nextOpening : next.nextClosing).toBeNull();
        const change = open ? next.nextClosing : next.nextOpening;

        // Every minute for the next 36 hours (all these zones' offsets are whole minutes in 2026–2027,
        // so the state can only change at a whole UTC minute).
        let firstFlip: number | null = null;
        for (let m = t - (((t % MIN) + MIN) % MIN) + MIN; m <= t + 36 * HOUR; m += MIN)
          if (isOpen(compiled, m) !== open) {
            firstFlip = m;
            break;
          }
        if (firstFlip !== null) expect(iso(change)).toBe(iso(firstFlip));
        else if (change !== null) expect(change).toBeGreaterThan(t + 36 * HOUR);

        if (change !== null) {
          expect(change).toBeGreaterThan(t);
          expect(change).toBeLessThanOrEqual(t + 400 * DAY);
          expect(isOpen(compiled, change)).toBe(!open);
          expect(referenceIsOpen(schedule, change)).toBe(!open);
          expect(isOpen(compiled, change - 1)).toBe(open);
          expect(isOpen(compiled, change - MIN)).toBe(open);
        }
        const end = change ?? t + 400 * DAY;
        for (const f of fractions) {
          const u = Math.floor(t + f * (end - t));
          if (u > t && u < end) expect(isOpen(compiled, u)).toBe(open);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("when the server's own time zone changes, then every answer stays the same", async () => {
    const original = process.env.TZ;
    const probe = Date.UTC(2026, 0, 1, 12);
    const cases = fc.sample(caseArb, { numRuns: 500, seed: 13 });
    // Each zone setting gets modules loaded afresh, as a new instance would: nothing cached under
    // another setting may answer for this one.
    const answersUnder = async (tz: string) => {
      process.env.TZ = tz;
      vi.resetModules();
      const fresh = await import('../../functions/src/domain/hours/evaluate.js');
      const zones = await import('../../functions/src/domain/hours/zone-clock.js');
      return cases.map(({ schedule, t }) => {
        const compiled = fresh.compileSchedule(schedule);
        return {
          hourHere: new Date(probe).getHours(),
          answers: {
            open: fresh.isOpen(compiled, t),
            next: fresh.nextChange(compiled, t, 60),
            explanation: fresh.explainAt(compiled, t),
            local: zones.localTime(schedule.timeZone, t),
          },
        };
      });
    };
    try {
      const utc = await answersUnder('UTC');
      for (const tz of ['Pacific/Kiritimati', 'America/St_Johns']) {
        const other = await answersUnder(tz);
        cases.forEach(({ schedule, t }, i) => {
          // The runtime did switch zones (else this test would prove nothing)...
          expect(other[i]!.hourHere).not.toBe(utc[i]!.hourHere);
          // ...and nothing we answer noticed.
          expect(other[i]!.answers).toEqual(utc[i]!.answers);
          expect(utc[i]!.answers.open).toBe(referenceIsOpen(schedule, t));
        });
      }
    } finally {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
      vi.resetModules();
    }
  });

  const zoneInstantArb = fc
    .constantFrom(...ZONES)
    .chain((zone) => fc.record({ zone: fc.constant(zone), t: instantIn(zone) }));

  it('when any instant is read in any zone, then localTime equals Intl read directly, and instantOf gives back its minute (the earlier one when the hour repeats)', () => {
    fc.assert(
      fc.property(zoneInstantArb, ({ zone, t }) => {
        const mine = localTime(zone, t);
        const ref = reference(zone, t);
        expect({ date: mine.date, weekday: mine.weekday, minuteOfDay: mine.minuteOfDay }).toEqual({
          date: ref.date,
          weekday: ref.weekday,
          minuteOfDay: ref.minuteOfDay,
        });
        expect(
          `${mine.year}-${String(mine.month).padStart(2, '0')}-${String(mine.day).padStart(2, '0')}`,
        ).toBe(mine.date);

        const minuteStart = t - (((ref.wall % MIN) + MIN) % MIN);
        const back = instantOf(zone, mine.date, mine.minuteOfDay);
        if (back !== minuteStart) {
          // Only in a fall-back's repeated hour: the same reading, earlier.
          expect(back).toBeLessThan(minuteStart);
          expect(reference(zone, back)).toMatchObject({ date: ref.date, minuteOfDay: ref.minuteOfDay });
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('when any instant from 1850 to 2100 is read in any zone the runtime knows, then localTime equals Intl read directly', () => {
    const everyZone = [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Asia/Calcutta', 'US/Eastern'];
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }),
      fc.integer({ min: FROM, max: TO - 1 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...everyZone), instant, (zone, t) => {
        const mine = localTime(zone, t);
        const ref = reference(zone, t);
        expect([mine.date, mine.weekday, mine.minuteOfDay]).toEqual([ref.date, ref.weekday, ref.minuteOfDay]);
      }),
      { numRuns: 5000 },
    );
  });

  it('when instantOf is asked for any local time, then it is the first instant whose reading is at or after it (a gap gives the transition)', () => {
    const localArb = fc.constantFrom(...ZONES).chain((zone) =>
      fc.record({
        zone: fc.constant(zone),
        wall: instantIn(zone).map((t) => {
          const wall = reference(zone, t).wall;
          return wall - (((wall % MIN) + MIN) % MIN);
        }),
        before: fc.integer({ min: 1, max: 3 * HOUR }),
      }),
    );
    fc.assert(
      fc.property(localArb, ({ zone, wall, before }) => {
        const date = new Date(wall).toISOString().slice(0, 10);
        const minute = Math.round((wall - Date.parse(`${date}T00:00:00Z`)) / MIN);
        const result = instantOf(zone, date, minute);
        const reading = reference(zone, result).wall;
        expect(reading).toBeGreaterThanOrEqual(wall);
        for (const d of [1, 1000, MIN, 30 * MIN, HOUR, 2 * HOUR, before])
          expect(reference(zone, result - d).wall).toBeLessThan(wall);
        // A reading past the one asked for only happens where the clock jumps forward: at a transition.
        const offsetAt = (x: number) => reference(zone, x).wall - x;
        if (reading !== wall) expect(offsetAt(result - 1)).toBeLessThan(offsetAt(result));
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------

describe('business hours: validation', () => {
  const refused: { when: string; input: unknown; path: (string | number)[]; message: RegExp }[] = [
    {
      when: 'a time is not HH:MM',
      input: { timeZone: 'UTC', weekly: { mon: [{ open: '9:00', close: '18:00' }] } },
      path: ['weekly', 'mon', 0, 'open'],
      message: /must be a time "HH:MM" from 00:00 to 23:59/,
    },
    {
      when: 'a close is past 24:00',
      input: { timeZone: 'UTC', weekly: { mon: [{ open: '09:00', close: '24:30' }] } },
      path: ['weekly', 'mon', 0, 'close'],
      message: /or 24:00/,
    },
    {
      when: 'an opening is 24:00',
      input: { timeZone: 'UTC', weekly: { mon: [{ open: '24:00', close: '02:00' }] } },
      path: ['weekly', 'mon', 0, 'open'],
      message: /from 00:00 to 23:59/,
    },
    {
      when: 'open and close are the same',
      input: { timeZone: 'UTC', weekly: { tue: [{ open: '09:00', close: '09:00' }] } },
      path: ['weekly', 'tue', 0, 'close'],
      message: /both 09:00.*open_all_day/,
    },
    {
      when: 'two intervals of a day overlap',
      input: {
        timeZone: 'UTC',
        weekly: {
          wed: [
            { open: '13:00', close: '18:00' },
            { open: '09:00', close: '13:30' },
          ],
        },
      },
      path: ['weekly', 'wed', 0],
      message: /overlaps 09:00–13:30 on the same day/,
    },
    {
      when: 'two intervals of a day both run past midnight',
      input: {
        timeZone: 'UTC',
        weekly: {
          wed: [
            { open: '22:00', close: '01:00' },
            { open: '23:00', close: '02:00' },
          ],
        },
      },
      path: ['weekly', 'wed', 1],
      message: /overlaps 22:00–01:00/,
    },
    {
      when: "a night runs past midnight into the next day's first interval",
      input: {
        timeZone: 'UTC',
        weekly: { fri: [{ open: '22:00', close: '02:00' }], sat: [{ open: '01:00', close: '05:00' }] },
      },
      path: ['weekly', 'fri', 0],
      message: /22:00–02:00 runs past midnight until 02:00 and overlaps sat 01:00–05:00/,
    },
    {
      when: 'a Sunday night runs past midnight into Monday',
      input: {
        timeZone: 'UTC',
        weekly: { sun: [{ open: '20:00', close: '10:00' }], mon: [{ open: '09:00', close: '17:00' }] },
      },
      path: ['weekly', 'sun', 0],
      message: /runs past midnight until 10:00 and overlaps mon 09:00–17:00/,
    },
    {
      when: 'a night runs past midnight into a day open all day',
      input: { timeZone: 'UTC', weekly: { sun: [{ open: '22:00', close: '02:00' }], mon: 'open_all_day' } },
      path: ['weekly', 'sun', 0],
      message: /overlaps mon open all day/,
    },
    {
      when: "a weekly night runs into an exception's hours",
      input: {
        timeZone: 'UTC',
        weekly: { fri: [{ open: '22:00', close: '02:00' }] },
        exceptions: [{ date: '2026-12-26', hours: [{ open: '00:00', close: '04:00' }] }],
      },
      path: ['exceptions', 0, 'hours', 0],
      message: /overlaps fri \(weekly\) 22:00–02:00, which runs past midnight into 2026-12-26/,
    },
    {
      when: "an exception runs past midnight into the next day's hours",
      input: {
        timeZone: 'UTC',
        weekly: { fri: [{ open: '01:00', close: '05:00' }] },
        exceptions: [{ date: '2026-12-31', hours: [{ open: '20:00', close: '03:00' }] }],
      },
      path: ['exceptions', 0, 'hours', 0],
      message: /runs past midnight until 03:00 and overlaps 2027-01-01 \(fri, weekly\) 01:00–05:00/,
    },
    {
      when: 'two exceptions share a date',
      input: {
        timeZone: 'UTC',
        weekly: {},
        exceptions: [
          { date: '2026-12-25', hours: 'closed' },
          { date: '2026-12-25', hours: 'open_all_day' },
        ],
      },
      path: ['exceptions', 1, 'date'],
      message: /duplicate exception for 2026-12-25: exceptions\[0\]/,
    },
    {
      when: 'an exception date is not in the calendar',
      input: { timeZone: 'UTC', weekly: {}, exceptions: [{ date: '2026-02-30', hours: 'closed' }] },
      path: ['exceptions', 0, 'date'],
      message: /2026-02-30 is not a calendar date/,
    },
    {
      when: 'an exception date is not YYYY-MM-DD',
      input: { timeZone: 'UTC', weekly: {}, exceptions: [{ date: '2026-2-3', hours: 'closed' }] },
      path: ['exceptions', 0, 'date'],
      message: /must be a date "YYYY-MM-DD"/,
    },
    {
      when: 'the time zone is unknown',
      input: { timeZone: 'Mars/Olympus_Mons', weekly: {} },
      path: ['timeZone'],
      message: /unknown time zone "Mars\/Olympus_Mons"/,
    },
    {
      when: 'the time zone is an offset, not an IANA name',
      input: { timeZone: '+05:30', weekly: {} },
      path: ['timeZone'],
      message: /unknown time zone/,
    },
    {
      when: 'a day is neither a list nor a keyword',
      input: { timeZone: 'UTC', weekly: { mon: 'open' } },
      path: ['weekly', 'mon'],
      message: /"open_all_day", "closed" or a list of intervals/,
    },
    {
      when: 'a day name is misspelt',
      input: { timeZone: 'UTC', weekly: { tues: 'closed' } },
      path: ['weekly'],
      message: /tues/,
    },
  ];

  it.each(refused)('when $when, then the schedule is refused at that path', ({ input, path, message }) => {
    const result = Schedule.safeParse(input);
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => ({ path: i.path, message: i.message }));
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  const accepted: { when: string; input: ScheduleInput }[] = [
    { when: 'a plain office week', input: newYork },
    {
      when: 'intervals touch (12:00–13:00 then 13:00–14:00)',
      input: {
        timeZone: 'UTC',
        weekly: {
          mon: [
            { open: '12:00', close: '13:00' },
            { open: '13:00', close: '14:00' },
          ],
        },
      },
    },
    {
      when: "a night ends exactly when the next day's first interval opens",
      input: {
        timeZone: 'UTC',
        weekly: { fri: [{ open: '22:00', close: '02:00' }], sat: [{ open: '02:00', close: '05:00' }] },
      },
    },
    {
      when: 'a night closes at midnight written 00:00',
      input: { timeZone: 'UTC', weekly: { sun: [{ open: '22:00', close: '00:00' }], mon: 'open_all_day' } },
    },
    {
      when: 'an old alias names the zone, and exceptions follow each other',
      input: {
        timeZone: 'Asia/Calcutta',
        weekly: { thu: [{ open: '20:00', close: '02:00' }] },
        exceptions: [
          { date: '2026-12-24', hours: [{ open: '18:00', close: '01:00' }], name: 'Christmas Eve' },
          { date: '2026-12-25', hours: [{ open: '01:00', close: '03:00' }], name: 'Christmas' },
          { date: '2028-02-29', hours: 'open_all_day' },
        ],
      },
    },
  ];

  it.each(accepted)('when $when, then the schedule is accepted', ({ input }) => {
    const result = Schedule.safeParse(input);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(() => compileSchedule(result.data!)).not.toThrow();
  });
});
