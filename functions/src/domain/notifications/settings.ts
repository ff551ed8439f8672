import { z } from 'zod';
import { Text } from '../deflection/settings.js';
import { Identifier } from '../sessions/events.js';

/**
 * Agent notifications, as admins edit them (NOT-1 … NOT-4): what an agent hears and sees when a call or
 * a chat is assigned to them. Global call and chat sections, and a whisper announcement per queue that
 * overrides the global whisper for calls from that queue.
 */

/** The tones that ship with the product; an admin may also upload their own (NOT-4). */
export const BuiltInTone = z.enum(['classic', 'chime', 'bell', 'marimba', 'pulse', 'soft']);
export type BuiltInTone = z.infer<typeof BuiltInTone>;

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const ToneChoice = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('builtin'), name: BuiltInTone }),
    z.strictObject({
      type: z.literal('custom'),
      toneId: Identifier.describe('An uploaded tone, from the tone library (`/v1/notification-tones`).'),
    }),
  ]),
);
export type ToneChoice = z.infer<typeof ToneChoice>;

/** How fast an announcement is read: 1 is normal speed; faster readings add less to the caller's wait. */
export const PlaybackSpeed = z.lazy(() => z.number().min(0.5).max(2).multipleOf(0.25));

/** Once, or again every `everySeconds` until the agent takes it or nothing is waiting any more. */
export const NotificationFrequency = z.lazy(() =>
  z.discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('once') }),
    z.strictObject({ mode: z.literal('repeat'), everySeconds: z.number().int().min(5).max(300) }),
  ]),
);
export type NotificationFrequency = z.infer<typeof NotificationFrequency>;

/** NOT-1: calls, for every queue (a queue's whisper announcement overrides `whisper` and `countdown`). */
export const CallNotifications = z.lazy(() =>
  z.strictObject({
    /** "{Call type} from {Queue name}", read to the agent after assignment. */
    whisper: z.strictObject({ enabled: z.boolean(), speed: PlaybackSpeed.default(1) }),
    /** "Your turn! Call starts in 3, 2, 1." */
    countdown: z.strictObject({ enabled: z.boolean() }),
    incomingCallTone: ToneChoice,
    frequency: NotificationFrequency,
    /** An SMS to the phone number in the agent's profile for every incoming call. */
    sms: z.strictObject({ enabled: z.boolean() }),
  }),
);
export type CallNotifications = z.infer<typeof CallNotifications>;

/** NOT-2: chats, for every queue. */
export const ChatNotifications = z.lazy(() =>
  z.strictObject({
    newChatTone: ToneChoice,
    frequency: NotificationFrequency,
    /** For a message in a chat the agent already has. */
    newMessageTone: ToneChoice,
  }),
);
export type ChatNotifications = z.infer<typeof ChatNotifications>;

/** NOT-3: what a queue's whisper announcement says. */
export const WhisperAnnouncement = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('queue_name') }),
    z.strictObject({ type: z.literal('tts'), text: Text(500) }),
    z.strictObject({
      type: z.literal('recording'),
      toneId: Identifier.describe('An uploaded recording, from the tone library (`/v1/notification-tones`).'),
    }),
  ]),
);
export type WhisperAnnouncement = z.infer<typeof WhisperAnnouncement>;

/** NOT-3: a queue's whisper announcement (IVR, mobile and web queues); unset fields follow the global call settings. */
export const QueueWhisper = z.lazy(() =>
  z.strictObject({
    enabled: z.boolean(),
    announcement: WhisperAnnouncement,
    speed: PlaybackSpeed.optional(),
    countdown: z.boolean().optional(),
  }),
);
export type QueueWhisper = z.infer<typeof QueueWhisper>;

export interface NotificationConfig {
  calls: CallNotifications;
  chats: ChatNotifications;
  /** By queue id; a queue without an entry uses the global call settings. */
  queues: ReadonlyMap<string, QueueWhisper>;
}

/** What applies until an admin saves a section: a built-in tone, once, nothing read, no SMS. */
export const DEFAULT_CALL_NOTIFICATIONS: CallNotifications = {
  whisper: { enabled: false, speed: 1 },
  countdown: { enabled: false },
  incomingCallTone: { type: 'builtin', name: 'classic' },
  frequency: { mode: 'once' },
  sms: { enabled: false },
};

export const DEFAULT_CHAT_NOTIFICATIONS: ChatNotifications = {
  newChatTone: { type: 'builtin', name: 'chime' },
  frequency: { mode: 'once' },
  newMessageTone: { type: 'builtin', name: 'soft' },
};

/** An uploaded tone or whisper recording (NOT-3, NOT-4): an MPEG audio file in the tones bucket. */
export interface CustomTone {
  id: string;
  /** The label admins see (the uploaded file's name unless they gave one). */
  name: string;
  sizeBytes: number;
  /** Measured from the audio frames, not declared by the uploader. */
  durationMs: number;
  /** Where the audio is: its object in the tones bucket, and that object's generation. */
  object: string;
  generation: string;
  uploadedAt: string;
  uploadedBy: string;
}

/**
 * Every place the configuration uses an uploaded tone, by tone id (paths such as
 * `calls.incomingCallTone` or `queues.q1.announcement`): a tone listed here cannot be deleted, and a
 * configuration that names a tone missing from the library cannot be saved.
 */
export function tonesInUse(config: NotificationConfig): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const use = (choice: { type: string; toneId?: string }, path: string) => {
    if (choice.toneId === undefined) return;
    const paths = uses.get(choice.toneId) ?? [];
    paths.push(path);
    uses.set(choice.toneId, paths);
  };
  use(config.calls.incomingCallTone, 'calls.incomingCallTone');
  use(config.chats.newChatTone, 'chats.newChatTone');
  use(config.chats.newMessageTone, 'chats.newMessageTone');
  for (const [queueId, whisper] of config.queues) use(whisper.announcement, `queues.${queueId}.announcement`);
  return uses;
}

/**
 * A tone as it is stored: what the library decodes each document with, so that a document written by
 * hand or by another version is left out rather than played.
 */
export const CustomToneRecord = z.lazy(
  () =>
    z.strictObject({
      id: Identifier,
      name: Text(255),
      sizeBytes: z
        .number()
        .int()
        .positive()
        .max(1024 * 1024 * 1024),
      durationMs: z
        .number()
        .int()
        .positive()
        .max(24 * 3600 * 1000),
      object: Text(1024),
      generation: z.string().regex(/^\d{1,20}$/, 'must be a Cloud Storage generation'),
      uploadedAt: z.iso.datetime({ offset: true }),
      uploadedBy: Identifier,
    }) satisfies z.ZodType<CustomTone>,
);

export interface NotificationIssue {
  path: string;
  code: string;
  message: string;
}

/** A configuration may only name tones the library holds: one issue for every place that names a missing one. */
export function missingToneIssues(
  config: NotificationConfig,
  tones: ReadonlyMap<string, unknown>,
): NotificationIssue[] {
  return [...tonesInUse(config)]
    .filter(([toneId]) => !tones.has(toneId))
    .flatMap(([toneId, paths]) =>
      paths.map((path) => ({
        path,
        code: 'unknown_tone',
        message: `The tone ${toneId} is not in the tone library: upload it first, or choose another.`,
      })),
    );
}

/** The channels whose calls an agent is announced (NOT-3): not SMS, which has no call to whisper into. */
const WHISPER_CHANNELS: ReadonlySet<string> = new Set(['ivr', 'mobile', 'web']);

/**
 * Why a queue's whisper does not apply to it, given the queue's channels in the queue directory
 * (undefined: no such queue); undefined when it applies. A whisper may be saved only for a queue where
 * it applies. One left behind when its queue is deleted, or stops taking IVR, mobile and web calls, is
 * kept but ignored: the global whisper applies to that queue's calls, and the settings list it as
 * orphaned until an admin deletes it (it would apply again to a queue later created with its id).
 */
export function whisperQueueProblem(
  channels: readonly string[] | undefined,
): 'unknown_queue' | 'not_a_call_queue' | undefined {
  if (channels === undefined) return 'unknown_queue';
  return channels.some((channel) => WHISPER_CHANNELS.has(channel)) ? undefined : 'not_a_call_queue';
}
