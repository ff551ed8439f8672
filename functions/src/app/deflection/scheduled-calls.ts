import { hoursFor, type CompiledDeflection } from '../../domain/deflection/decide.js';
import { freeSlots } from '../../domain/deflection/scheduled-calls.js';
import { conflict, invalidRequest, notFound } from '../../domain/errors.js';
import type { Channel } from '../../domain/sessions/events.js';
import type { Clock } from '../../ports/clock.js';
import type { ScheduledCallBook } from '../../ports/scheduled-calls.js';
import type { DeflectionEngine } from './engine.js';

export interface ScheduledCallDeps {
  engine: DeflectionEngine;
  book: ScheduledCallBook;
  clock: Clock;
}

async function queueWithScheduledCalls(engine: DeflectionEngine, queueId: string) {
  const compiled = await engine.compiled();
  const queue = compiled.queues.get(queueId);
  if (!queue) throw notFound(`The queue ${queueId}`);
  if (!queue.scheduledCalls.enabled)
    throw conflict('scheduled_calls_off', 'This queue does not take scheduled calls.');
  return { compiled, settings: queue.scheduledCalls };
}

function open(compiled: CompiledDeflection, queueId: string, channel: Channel, language: string) {
  const hours = hoursFor(compiled, { queueId, channel, language });
  return { schedule: hours.schedule, timeZone: hours.timeZone };
}

/** The free call-back slots of a queue over its horizon (AHD-5, AHD-9), in its hours' zone. */
export async function offerSlots(
  deps: ScheduledCallDeps,
  q: { queueId: string; channel: Channel; language: string },
) {
  const { compiled, settings } = await queueWithScheduledCalls(deps.engine, q.queueId);
  const from = deps.clock.now().getTime();
  const until = from + settings.horizonDays * 86_400_000;
  const hours = open(compiled, q.queueId, q.channel, q.language);
  const booked = await deps.book.booked(q.queueId, from, until);
  const slots = freeSlots(hours, {
    from,
    horizonDays: settings.horizonDays,
    slotMinutes: settings.slotMinutes,
    booked,
  });
  return {
    timeZone: hours.timeZone,
    slotMinutes: settings.slotMinutes,
    slots: slots.map((s) => ({ start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() })),
  };
}

/** Books a slot: it must be one the queue offers, and two consumers never get the same one. */
export async function bookSlot(
  deps: ScheduledCallDeps,
  b: {
    bookingId: string;
    queueId: string;
    channel: Channel;
    language: string;
    slotStart: string;
    callerNumber: string;
    sessionId?: string;
  },
) {
  const { compiled, settings } = await queueWithScheduledCalls(deps.engine, b.queueId);
  const start = Date.parse(b.slotStart);
  const now = deps.clock.now().getTime();
  const offered = freeSlots(open(compiled, b.queueId, b.channel, b.language), {
    from: now,
    horizonDays: settings.horizonDays,
    slotMinutes: settings.slotMinutes,
    booked: new Set(),
  }).find((s) => s.start === start);
  if (!offered)
    throw invalidRequest('That is not one of the slots this queue offers.', [
      { path: 'slotStart', message: 'not an offered slot', code: 'not_a_slot' },
    ]);
  const outcome = await deps.book.book(
    {
      bookingId: b.bookingId,
      queueId: b.queueId,
      start,
      end: offered.end,
      language: b.language,
      callerNumber: b.callerNumber,
      ...(b.sessionId ? { sessionId: b.sessionId } : {}),
    },
    deps.clock.now(),
  );
  if (outcome === 'taken') throw conflict('slot_taken', 'Someone booked this slot first: choose another.');
  return {
    bookingId: b.bookingId,
    start: new Date(start).toISOString(),
    end: new Date(offered.end).toISOString(),
    outcome,
  };
}
