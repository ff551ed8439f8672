import { z } from 'zod';
import { Language } from '../domain/deflection/settings.js';
import { Channel, Identifier, Kind } from '../domain/sessions/events.js';

/**
 * One contact, as the platform asks about it (now) or an admin previews it (any date and time, before
 * a configuration goes live).
 */
export const DeflectionQuestion = z.object({
  kind: Kind,
  channel: Channel,
  queueId: Identifier,
  language: Language,
  at: z.iso.datetime({ offset: true }).optional(),
});
