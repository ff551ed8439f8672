import type { Channel, Kind } from '../sessions/events.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  whisperQueueProblem,
  type BuiltInTone,
  type CustomTone,
  type NotificationConfig,
  type NotificationFrequency,
  type ToneChoice,
} from './settings.js';

/**
 * NOT-5: what an agent hears and sees for one assignment, in order, and how long the caller waits for
 * it. Nothing here depends on the time: the platform plays the plan from the moment it asks.
 */

/**
 * Text-to-speech reads about 15 characters a second at speed 1 (150 words a minute of about six
 * characters with their space); speed 2 reads twice as fast.
 */
export const TTS_CHARACTERS_PER_SECOND = 15;
/** "Your turn! Call starts in 3, 2, 1.": the phrase, then one second a number; its speed never changes. */
export const COUNTDOWN_MS = 4_000;

/** What the plan is for: a call or a chat just assigned, or a message in a chat the agent already has. */
export type PlanTrigger = 'assignment' | 'message';

export interface PlanQuestion {
  trigger: PlanTrigger;
  kind: Kind;
  channel: Channel | null;
  /**
   * The queue the session waited in, with the name the consumer saw (the last of its menu path) and
   * its channels as the queue directory has them now (undefined: the queue is gone).
   */
  queue: { id: string; name: string; channels: readonly string[] | undefined } | null;
  /** The agent's language (a BCP 47 tag); phrases fall back to English. */
  agentLanguage: string | null;
  /** Whether the agent's profile has a phone number to send an SMS to. */
  agentHasPhone: boolean;
}

export type PlannedTone =
  | { type: 'builtin'; name: BuiltInTone }
  | { type: 'custom'; toneId: string; object: string; generation: string; durationMs: number };

export type PlanStep =
  | { type: 'tone'; tone: PlannedTone }
  | {
      type: 'whisper';
      source: 'tts';
      text: string;
      language: PhraseLanguage;
      speed: number;
      /** Estimated: the text's characters at `TTS_CHARACTERS_PER_SECOND`, divided by the speed. */
      durationMs: number;
    }
  | {
      type: 'whisper';
      source: 'recording';
      toneId: string;
      object: string;
      generation: string;
      speed: number;
      /** The recording's measured duration divided by the speed. */
      durationMs: number;
    }
  | { type: 'countdown'; text: string; language: PhraseLanguage; durationMs: number };

/** How the tone step repeats: once, or every `everySeconds` until the agent takes it or nothing is waiting. */
export type RepeatSchedule =
  { mode: 'once' } | { mode: 'repeat'; everySeconds: number; until: 'taken_or_none_waiting' };

export type SmsDecision =
  { send: true; text: string } | { send: false; reason: 'disabled' | 'no_phone' | 'not_a_call' };

export interface NotificationPlan {
  /** What the plan is for: an incoming call, a new chat, or a new message in a chat. */
  notification: 'incoming_call' | 'new_chat' | 'new_message';
  steps: PlanStep[];
  repeat: RepeatSchedule;
  sms: SmsDecision;
  /** Whisper and countdown: what the caller waits, after assignment, before they talk to the agent. */
  addsToWaitMs: number;
}

export type PhraseLanguage = 'en' | 'fr' | 'es' | 'de';

interface Phrases {
  callType: Record<Channel | 'other', string>;
  from: (callType: string, queueName: string) => string;
  countdown: string;
}

const PHRASES: ReadonlyMap<PhraseLanguage, Phrases> = new Map<PhraseLanguage, Phrases>([
  [
    'en',
    {
      callType: { ivr: 'Phone call', mobile: 'Mobile call', web: 'Web call', sms: 'Call', other: 'Call' },
      from: (type, queue) => `${type} from ${queue}`,
      countdown: 'Your turn! Call starts in 3, 2, 1.',
    },
  ],
  [
    'fr',
    {
      callType: {
        ivr: 'Appel téléphonique',
        mobile: 'Appel mobile',
        web: 'Appel web',
        sms: 'Appel',
        other: 'Appel',
      },
      from: (type, queue) => `${type} de ${queue}`,
      countdown: 'À vous ! L’appel commence dans 3, 2, 1.',
    },
  ],
  [
    'es',
    {
      callType: {
        ivr: 'Llamada telefónica',
        mobile: 'Llamada móvil',
        web: 'Llamada web',
        sms: 'Llamada',
        other: 'Llamada',
      },
      from: (type, queue) => `${type} de ${queue}`,
      countdown: '¡Es tu turno! La llamada empieza en 3, 2, 1.',
    },
  ],
  [
    'de',
    {
      callType: {
        ivr: 'Telefonanruf',
        mobile: 'Mobiler Anruf',
        web: 'Web-Anruf',
        sms: 'Anruf',
        other: 'Anruf',
      },
      from: (type, queue) => `${type} von ${queue}`,
      countdown: 'Du bist dran! Der Anruf beginnt in 3, 2, 1.',
    },
  ],
]);

/** The phrases' language for a tag: its primary subtag when there are phrases for it (`fr-CA` → `fr`), else English. */
export function phraseLanguage(tag: string | null): PhraseLanguage {
  if (tag === null) return 'en';
  const primary = tag.slice(0, 8).split('-')[0]!.toLowerCase();
  return PHRASES.has(primary as PhraseLanguage) ? (primary as PhraseLanguage) : 'en';
}

/** "{Call type} from {Queue name}" in the language; a call without a queue is announced by its type alone. */
export function callAnnouncement(
  language: PhraseLanguage,
  channel: Channel | null,
  queueName: string | null,
): string {
  const phrases = PHRASES.get(language)!;
  const type = phrases.callType[channel ?? 'other'];
  return queueName === null ? type : phrases.from(type, queueName);
}

/** How long text-to-speech takes to read `text` at `speed`, by `TTS_CHARACTERS_PER_SECOND`. */
export function ttsDurationMs(text: string, speed: number): number {
  let characters = 0;
  for (const _ of text) characters += 1;
  return Math.ceil((characters * 1000) / (TTS_CHARACTERS_PER_SECOND * speed));
}

/** The configuration and the tone library a plan is made from. */
export interface PlanSources {
  config: NotificationConfig;
  tones: ReadonlyMap<string, CustomTone>;
}

/**
 * A custom tone removed from the library after the configuration was loaded (a save and a removal
 * never both succeed, but a cached configuration may trail the library) plays the built-in default
 * rather than nothing.
 */
function plannedTone(
  choice: ToneChoice,
  tones: ReadonlyMap<string, CustomTone>,
  fallback: ToneChoice,
): PlannedTone {
  if (choice.type === 'builtin') return choice;
  const tone = tones.get(choice.toneId);
  if (!tone) return fallback.type === 'builtin' ? fallback : { type: 'builtin', name: 'classic' };
  return {
    type: 'custom',
    toneId: tone.id,
    object: tone.object,
    generation: tone.generation,
    durationMs: tone.durationMs,
  };
}

const repeatOf = (frequency: NotificationFrequency): RepeatSchedule =>
  frequency.mode === 'once'
    ? { mode: 'once' }
    : { mode: 'repeat', everySeconds: frequency.everySeconds, until: 'taken_or_none_waiting' };

const NO_SMS_FOR_CHATS: SmsDecision = { send: false, reason: 'not_a_call' };

export function planNotifications(sources: PlanSources, question: PlanQuestion): NotificationPlan {
  const { config, tones } = sources;
  if (question.kind === 'chat') {
    const chats = config.chats;
    if (question.trigger === 'message')
      return {
        notification: 'new_message',
        steps: [
          {
            type: 'tone',
            tone: plannedTone(chats.newMessageTone, tones, DEFAULT_CHAT_NOTIFICATIONS.newMessageTone),
          },
        ],
        repeat: { mode: 'once' },
        sms: NO_SMS_FOR_CHATS,
        addsToWaitMs: 0,
      };
    return {
      notification: 'new_chat',
      steps: [
        { type: 'tone', tone: plannedTone(chats.newChatTone, tones, DEFAULT_CHAT_NOTIFICATIONS.newChatTone) },
      ],
      repeat: repeatOf(chats.frequency),
      sms: NO_SMS_FOR_CHATS,
      addsToWaitMs: 0,
    };
  }
  return planCall(sources, question);
}

function planCall({ config, tones }: PlanSources, question: PlanQuestion): NotificationPlan {
  const calls = config.calls;
  const language = phraseLanguage(question.agentLanguage);
  const announcement = callAnnouncement(language, question.channel, question.queue?.name ?? null);
  const steps: PlanStep[] = [
    {
      type: 'tone',
      tone: plannedTone(calls.incomingCallTone, tones, DEFAULT_CALL_NOTIFICATIONS.incomingCallTone),
    },
  ];
  // NOT-3: a queue's whisper, enabled or not, replaces the global one; its unset fields follow the
  // global. One left behind by a queue deleted, or no longer taking calls, is ignored as it is listed.
  const queueWhisper =
    question.queue && whisperQueueProblem(question.queue.channels) === undefined
      ? config.queues.get(question.queue.id)
      : undefined;
  const speed = queueWhisper?.speed ?? calls.whisper.speed;
  const countdown = queueWhisper?.countdown ?? calls.countdown.enabled;
  const tts = (text: string): PlanStep => ({
    type: 'whisper',
    source: 'tts',
    text,
    language,
    speed,
    durationMs: ttsDurationMs(text, speed),
  });
  if (!queueWhisper) {
    if (calls.whisper.enabled) steps.push(tts(announcement));
  } else if (queueWhisper.enabled) {
    const said = queueWhisper.announcement;
    const recording = said.type === 'recording' ? tones.get(said.toneId) : undefined;
    if (recording)
      steps.push({
        type: 'whisper',
        source: 'recording',
        toneId: recording.id,
        object: recording.object,
        generation: recording.generation,
        speed,
        durationMs: Math.ceil(recording.durationMs / speed),
      });
    // A recording removed since the configuration was loaded is announced as the queue name would be.
    else steps.push(tts(said.type === 'tts' ? said.text : announcement));
  }
  if (countdown) {
    const text = PHRASES.get(language)!.countdown;
    steps.push({ type: 'countdown', text, language, durationMs: COUNTDOWN_MS });
  }
  let addsToWaitMs = 0;
  for (const step of steps) if (step.type !== 'tone') addsToWaitMs += step.durationMs;
  const sms: SmsDecision = !calls.sms.enabled
    ? { send: false, reason: 'disabled' }
    : question.agentHasPhone
      ? { send: true, text: announcement }
      : { send: false, reason: 'no_phone' };
  return { notification: 'incoming_call', steps, repeat: repeatOf(calls.frequency), sms, addsToWaitMs };
}
