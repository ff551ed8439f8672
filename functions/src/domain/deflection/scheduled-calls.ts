import { nextChange, type CompiledSchedule } from '../hours/evaluate.js';
import { instantOf, localTime } from '../hours/zone-clock.js';

/**
 * Call-back slots (AHD-5 "Scheduled call"): slots of `slotMinutes` laid on the queue's local clock from
 * midnight, kept when the whole slot lies inside the queue's hours, starts after `from`, is within the
 * horizon, and is not booked.
 */
export interface Slot {
  start: number;
  end: number;
}

export function freeSlots(
  hours: { schedule: CompiledSchedule; timeZone: string },
  options: {
    from: number;
    horizonDays: number;
    slotMinutes: number;
    booked: ReadonlySet<number>;
    limit?: number;
  },
): Slot[] {
  const slotMs = options.slotMinutes * 60_000;
  const until = options.from + options.horizonDays * 86_400_000;
  const limit = options.limit ?? 500;
  const slots: Slot[] = [];
  let at = options.from;
  while (at < until && slots.length < limit) {
    const change = nextChange(hours.schedule, at);
    if (!change.open) {
      if (change.nextOpening === null || change.nextOpening >= until) break;
      at = change.nextOpening;
      continue;
    }
    const closing = Math.min(change.nextClosing ?? until, until);
    // Slots sit on the local clock (09:00, 09:30, …) of the day the open period starts in, also across
    // a change of offset; minutes past 1440 roll into the next days.
    const local = localTime(hours.timeZone, at);
    for (
      let minute = Math.floor(local.minuteOfDay / options.slotMinutes) * options.slotMinutes;
      slots.length < limit;
      minute += options.slotMinutes
    ) {
      const start = instantOf(hours.timeZone, local.date, minute);
      if (start < at) continue;
      if (start + slotMs > closing) break;
      if (!options.booked.has(start)) slots.push({ start, end: start + slotMs });
    }
    at = closing === until ? until : closing;
  }
  return slots;
}
