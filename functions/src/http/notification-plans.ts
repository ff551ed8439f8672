import { z } from 'zod';
import { Language } from '../domain/deflection/settings.js';
import { Identifier } from '../domain/sessions/events.js';
import { onFirstUse } from './router.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/** What the platform asks for (NOT-5): the session's kind, channel and queue are the session's own. */
export const PlanRequest = z.lazy(() =>
  z.discriminatedUnion('trigger', [
    z.strictObject({
      trigger: z.literal('assignment').describe('A call or a chat was just assigned to the agent.'),
      sessionId: Identifier,
      assignmentId: Identifier.describe(
        "The platform's id of this assignment: asked again with it, the plan adds no wait and sends no SMS again.",
      ),
      agentId: Identifier.describe(
        'The agent, as in Users & Teams: their profile holds the phone for the SMS.',
      ),
      agentLanguage: Language.optional().describe(
        "The agent's language: the whisper and the countdown are in it (en, fr, es, de; English otherwise).",
      ),
    }),
    z.strictObject({
      trigger: z.literal('message').describe('A message came in a chat the agent already has.'),
      sessionId: Identifier,
      agentId: Identifier,
      agentLanguage: Language.optional(),
    }),
  ]),
);

const Tone = onFirstUse(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('builtin'), name: z.string() }),
    z.object({
      type: z.literal('custom'),
      toneId: z.string(),
      object: z.string().describe('The audio in the tones bucket, at this generation.'),
      generation: z.string(),
      durationMs: z.number().int(),
    }),
  ]),
);

export const PlanAnswer = onFirstUse(() =>
  z.object({
    sessionId: z.string(),
    notification: z.enum(['incoming_call', 'new_chat', 'new_message']),
    steps: z
      .array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('tone'), tone: Tone() }),
          z.object({
            type: z.literal('whisper'),
            source: z.enum(['tts', 'recording']),
            text: z.string().optional().describe('What text-to-speech reads (source tts).'),
            language: z.string().optional(),
            toneId: z.string().optional().describe('The uploaded recording played (source recording).'),
            object: z.string().optional(),
            generation: z.string().optional(),
            speed: z.number(),
            durationMs: z
              .number()
              .int()
              .describe(
                "A recording's measured duration, or text-to-speech at 15 characters a second, over the speed.",
              ),
          }),
          z.object({
            type: z.literal('countdown'),
            text: z.string(),
            language: z.string(),
            durationMs: z.number().int(),
          }),
        ]),
      )
      .describe('In the order they play: the tone, then the whisper, then the countdown.'),
    repeat: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('once') }),
        z.object({
          mode: z.literal('repeat'),
          everySeconds: z.number().int(),
          until: z.literal('taken_or_none_waiting'),
        }),
      ])
      .describe('How the tone repeats: once, or every N seconds until the agent takes it or nothing waits.'),
    sms: z
      .object({
        send: z.boolean(),
        reason: z
          .enum(['disabled', 'no_phone', 'not_a_call'])
          .optional()
          .describe(
            'Why none: SMS notifications are off, the agent has no phone in their profile, or not a call.',
          ),
      })
      .describe(
        'Whether an SMS goes to the phone in the agent’s profile (an `agent.sms` command, once per assignment).',
      ),
    addsToWaitMs: z
      .number()
      .int()
      .describe("The whisper and countdown: added to the caller's queue wait in call details."),
  }),
);
