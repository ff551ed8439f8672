import { z } from 'zod';
import type { ContactQuestion } from '../domain/deflection/decide.js';
import { Language, QuestionTime } from '../domain/deflection/settings.js';
import { TimeZone } from '../domain/hours/schedule.js';
import { Channel, Identifier, Kind } from '../domain/sessions/events.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/**
 * One contact, as the platform asks about it (now) or an admin previews it (any date and time, before
 * a configuration goes live).
 */
export const DeflectionQuestion = z.lazy(() =>
  z.object({
    kind: Kind,
    channel: Channel,
    queueId: Identifier,
    language: Language,
    at: QuestionTime.optional(),
    consumerTimeZone: TimeZone.optional(),
  }),
);

/** The question as the domain asks it: at the given instant (its schema bounds it), or now. */
export function contactQuestion(q: z.infer<typeof DeflectionQuestion>, now: Date): ContactQuestion {
  return {
    kind: q.kind,
    channel: q.channel,
    queueId: q.queueId,
    language: q.language,
    at: q.at ? Date.parse(q.at) : now.getTime(),
    ...(q.consumerTimeZone ? { consumerTimeZone: q.consumerTimeZone } : {}),
  };
}
