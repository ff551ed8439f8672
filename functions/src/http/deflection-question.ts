import { z } from 'zod';
import type { ContactQuestion } from '../domain/deflection/decide.js';
import { Language } from '../domain/deflection/settings.js';
import { TimeZone } from '../domain/hours/schedule.js';
import { Channel, Identifier, Kind } from '../domain/sessions/events.js';
import { instantWithin, QUESTION_WINDOW } from './instants.js';

/**
 * One contact, as the platform asks about it (now) or an admin previews it (any date and time, before
 * a configuration goes live).
 */
export const DeflectionQuestion = z.object({
  kind: Kind,
  channel: Channel,
  queueId: Identifier,
  language: Language.max(35, 'must be at most 35 characters'),
  at: z.iso.datetime({ offset: true }).optional(),
  consumerTimeZone: TimeZone.optional(),
});

/** The question as the domain asks it: at the given instant (a 400 when it is out of range), or now. */
export function contactQuestion(q: z.infer<typeof DeflectionQuestion>, now: Date): ContactQuestion {
  return {
    kind: q.kind,
    channel: q.channel,
    queueId: q.queueId,
    language: q.language,
    at: q.at ? instantWithin(q.at, now, QUESTION_WINDOW, 'The question', 'at').getTime() : now.getTime(),
    ...(q.consumerTimeZone ? { consumerTimeZone: q.consumerTimeZone } : {}),
  };
}
