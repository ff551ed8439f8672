import { z } from 'zod';
import { BucketName, Generation, Identifier, ObjectName } from '../sessions/events.js';
import { Language, PhoneNumber, QuestionTime } from './settings.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/** A voicemail left through deflection (AHD-5, AHD-6), as the platform reports it. */
export const VoicemailLeft = z.lazy(() =>
  z.object({
    voicemailId: Identifier,
    sessionId: Identifier.optional(),
    channel: z.enum(['ivr', 'mobile']),
    queueId: Identifier,
    language: Language,
    /** Absent when the caller's number is blocked and they entered none. */
    callerNumber: PhoneNumber.optional(),
    recording: z.object({
      bucket: BucketName,
      object: ObjectName,
      generation: Generation.optional(),
      durationSeconds: z.number().int().min(0).max(3600),
    }),
    leftAt: QuestionTime.transform((value) => new Date(value).toISOString()),
  }),
);
export type VoicemailLeft = z.infer<typeof VoicemailLeft>;

export type VoicemailRoute = { type: 'agents'; agentIds: string[] } | { type: 'crm' };
