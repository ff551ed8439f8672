import {
  compileSchedule,
  isOpen,
  isOpenOnLocalDay,
  nextChange,
  type CompiledSchedule,
} from '../functions/src/domain/hours/evaluate.js';
import { Schedule, type ScheduleInput } from '../functions/src/domain/hours/schedule.js';
import { median, report } from './support.js';

/**
 * Business-hours decisions per second (AHD-2: the platform asks on every contact), for the compiled
 * evaluator next to the naive way measured in the same run: one `Intl.DateTimeFormat#formatToParts`
 * per decision (formatters built once per zone, which is already the kind version), then the very same
 * interval check. Both answer the same questions, random instants over 2026 in six zones, and must
 * agree on every one.
 */
const DECISIONS = 200_000;
const BASELINE_DECISIONS = 20_000;
const ROUNDS = 5;
const YEAR_START = Date.UTC(2026, 0, 1);
const YEAR_MS = 365 * 86_400_000;

const weekdays = (day: ScheduleInput['weekly']['mon']) => ({
  mon: day,
  tue: day,
  wed: day,
  thu: day,
  fri: day,
});
const SCHEDULES: ScheduleInput[] = [
  {
    timeZone: 'America/New_York',
    weekly: { ...weekdays([{ open: '08:00', close: '20:00' }]), sat: [{ open: '10:00', close: '14:00' }] },
    exceptions: [
      { date: '2026-07-03', hours: 'closed', name: 'Independence Day (observed)' },
      { date: '2026-11-26', hours: 'closed', name: 'Thanksgiving' },
      { date: '2026-11-27', hours: [{ open: '09:00', close: '13:00' }], name: 'Black Friday' },
      { date: '2026-12-25', hours: 'closed', name: 'Christmas' },
    ],
  },
  {
    timeZone: 'Europe/Paris',
    weekly: weekdays([
      { open: '09:00', close: '12:30' },
      { open: '14:00', close: '18:00' },
    ]),
    exceptions: [
      { date: '2026-05-01', hours: 'closed', name: 'Fête du Travail' },
      { date: '2026-07-14', hours: 'closed', name: 'Fête nationale' },
    ],
  },
  {
    timeZone: 'Asia/Kolkata',
    weekly: { ...weekdays([{ open: '22:00', close: '06:00' }]), sun: [{ open: '22:00', close: '06:00' }] },
  },
  { timeZone: 'Australia/Lord_Howe', weekly: weekdays([{ open: '08:30', close: '17:00' }]) },
  {
    timeZone: 'Pacific/Chatham',
    weekly: { ...weekdays('open_all_day'), sat: [{ open: '09:00', close: '12:00' }] },
  },
  { timeZone: 'UTC', weekly: { ...weekdays('open_all_day'), sat: 'open_all_day' } },
];

/** A small deterministic generator, so every run asks the same questions. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The naive evaluator: Intl on every call, then the same interval check as the compiled one. */
function naive(compiled: CompiledSchedule) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: compiled.timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  return (epochMs: number) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(epochMs))
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    const dayNumber = Date.UTC(p.year!, p.month! - 1, p.day!) / 86_400_000;
    return isOpenOnLocalDay(compiled, dayNumber, p.hour! * 60 + p.minute!);
  };
}

function perSecond(count: number, work: () => number): { rate: number; checksum: number } {
  const started = performance.now();
  const checksum = work();
  return { rate: count / ((performance.now() - started) / 1000), checksum };
}

export async function run() {
  const compiled = SCHEDULES.map((s) => compileSchedule(Schedule.parse(s)));
  const naives = compiled.map(naive);
  const next = random(2026);
  const which = Uint8Array.from({ length: DECISIONS }, () => Math.floor(next() * compiled.length));
  const instants = Float64Array.from({ length: DECISIONS }, () => YEAR_START + Math.floor(next() * YEAR_MS));

  const compiledPass = (count: number) => () => {
    let open = 0;
    for (let i = 0; i < count; i++) if (isOpen(compiled[which[i]!]!, instants[i]!)) open++;
    return open;
  };
  const naivePass = (count: number) => () => {
    let open = 0;
    for (let i = 0; i < count; i++) if (naives[which[i]!]!(instants[i]!)) open++;
    return open;
  };

  // The first pass fills the zones' offset caches (one Intl call per new UTC hour): a cold instance.
  const cold = perSecond(DECISIONS, compiledPass(DECISIONS));
  report('hours', 'isOpen_cold_first_pass_per_second', cold.rate, {
    decisions: DECISIONS,
    zones: compiled.length,
  });

  let disagreements = 0;
  for (let i = 0; i < BASELINE_DECISIONS; i++)
    if (isOpen(compiled[which[i]!]!, instants[i]!) !== naives[which[i]!]!(instants[i]!)) disagreements++;
  report('hours', 'disagreements_with_naive', disagreements, { decisions: BASELINE_DECISIONS });

  const fast: number[] = [];
  const slow: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const f = perSecond(DECISIONS, compiledPass(DECISIONS));
    const s = perSecond(BASELINE_DECISIONS, naivePass(BASELINE_DECISIONS));
    if (f.checksum < 0 || s.checksum < 0) throw new Error('unreachable: keeps the work observable');
    fast.push(f.rate);
    slow.push(s.rate);
  }
  const [fastRate, slowRate] = [median(fast), median(slow)];
  report('hours', 'isOpen_compiled_per_second', fastRate, { decisions: DECISIONS, rounds: ROUNDS });
  report('hours', 'isOpen_naive_intl_per_second', slowRate, {
    decisions: BASELINE_DECISIONS,
    rounds: ROUNDS,
  });
  report('hours', 'speedup_compiled_over_naive', fastRate / slowRate);
  report('hours', 'ns_per_decision_compiled', 1e9 / fastRate);

  const changes: number[] = [];
  const CHANGES = 20_000;
  for (let round = 0; round < ROUNDS; round++)
    changes.push(
      perSecond(CHANGES, () => {
        let sum = 0;
        for (let i = 0; i < CHANGES; i++) {
          const n = nextChange(compiled[which[i]!]!, instants[i]!);
          sum += (n.nextOpening ?? n.nextClosing ?? 0) > 0 ? 1 : 0;
        }
        return sum;
      }).rate,
    );
  report('hours', 'nextChange_per_second', median(changes), { calls: CHANGES, rounds: ROUNDS });
}
