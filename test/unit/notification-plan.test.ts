import { describe, expect, it } from 'vitest';
import {
  COUNTDOWN_MS,
  phraseLanguage,
  planNotifications,
  ttsDurationMs,
  type PlanQuestion,
  type PlanSources,
} from '../../functions/src/domain/notifications/plan.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  type CallNotifications,
  type CustomTone,
  type QueueWhisper,
} from '../../functions/src/domain/notifications/settings.js';

const tone = (id: string, durationMs: number): CustomTone => ({
  id,
  name: `${id}.mp3`,
  sizeBytes: 20_000,
  durationMs,
  object: `tones/${id}-1`,
  generation: '1700000000000001',
  uploadedAt: '2026-12-01T10:00:00.000Z',
  uploadedBy: 'u-admin',
});

const CALLS: CallNotifications = {
  whisper: { enabled: true, speed: 1 },
  countdown: { enabled: true },
  incomingCallTone: { type: 'builtin', name: 'bell' },
  frequency: { mode: 'once' },
  sms: { enabled: false },
};

function sources(
  calls: Partial<CallNotifications> = {},
  queues: [string, QueueWhisper][] = [],
  tones: CustomTone[] = [],
): PlanSources {
  return {
    config: { calls: { ...CALLS, ...calls }, chats: DEFAULT_CHAT_NOTIFICATIONS, queues: new Map(queues) },
    tones: new Map(tones.map((t) => [t.id, t])),
  };
}

const mobileBillingCall: PlanQuestion = {
  trigger: 'assignment',
  kind: 'call',
  channel: 'mobile',
  queue: { id: 'q-billing', name: 'Billing', channels: ['ivr', 'mobile', 'web'] },
  agentLanguage: 'en',
  agentHasPhone: true,
};

const whisperOf = (sources: PlanSources, question = mobileBillingCall) =>
  planNotifications(sources, question).steps.find((s) => s.type === 'whisper');

describe('the plan for an incoming call (NOT-1, NOT-5)', () => {
  it('when whisper and countdown are on, then the agent hears the tone, "{Call type} from {Queue name}", then the countdown, and the caller waits for both', () => {
    const plan = planNotifications(sources(), mobileBillingCall);
    const whisperMs = ttsDurationMs('Mobile call from Billing', 1);
    expect(plan).toEqual({
      notification: 'incoming_call',
      steps: [
        { type: 'tone', tone: { type: 'builtin', name: 'bell' } },
        {
          type: 'whisper',
          source: 'tts',
          text: 'Mobile call from Billing',
          language: 'en',
          speed: 1,
          durationMs: whisperMs,
        },
        {
          type: 'countdown',
          text: 'Your turn! Call starts in 3, 2, 1.',
          language: 'en',
          durationMs: COUNTDOWN_MS,
        },
      ],
      repeat: { mode: 'once' },
      sms: { send: false, reason: 'disabled' },
      addsToWaitMs: whisperMs + COUNTDOWN_MS,
    });
    // 24 characters at 15 a second.
    expect(whisperMs).toBe(1600);
  });

  it('when the call comes from the phone, the web, or no queue, then the call type says so', () => {
    const text = (question: Partial<PlanQuestion>) =>
      (whisperOf(sources(), { ...mobileBillingCall, ...question }) as { text: string }).text;
    expect(text({ channel: 'ivr' })).toBe('Phone call from Billing');
    expect(text({ channel: 'web' })).toBe('Web call from Billing');
    expect(text({ channel: 'ivr', queue: null })).toBe('Phone call');
  });

  it('when the agent speaks French, Spanish or German, then the whisper and the countdown are in their language; any other language falls back to English', () => {
    const said = (agentLanguage: string | null) =>
      planNotifications(sources(), { ...mobileBillingCall, agentLanguage })
        .steps.filter((s) => s.type !== 'tone')
        .map((s) => ('text' in s ? s.text : ''));
    expect(said('fr-CA')).toEqual(['Appel mobile de Billing', 'À vous ! L’appel commence dans 3, 2, 1.']);
    expect(said('es')).toEqual(['Llamada móvil de Billing', '¡Es tu turno! La llamada empieza en 3, 2, 1.']);
    expect(said('de')).toEqual(['Mobiler Anruf von Billing', 'Du bist dran! Der Anruf beginnt in 3, 2, 1.']);
    expect(said('ja')).toEqual(['Mobile call from Billing', 'Your turn! Call starts in 3, 2, 1.']);
    expect(said(null)).toEqual(['Mobile call from Billing', 'Your turn! Call starts in 3, 2, 1.']);
    expect(phraseLanguage('constructor')).toBe('en');
    expect(phraseLanguage('DE-at')).toBe('de');
  });

  it('when the whisper is read faster, then it adds less to the wait; the countdown keeps its length', () => {
    const at = (speed: number) =>
      planNotifications(sources({ whisper: { enabled: true, speed } }), mobileBillingCall);
    expect(at(2).addsToWaitMs).toBe(800 + COUNTDOWN_MS);
    expect(at(0.5).addsToWaitMs).toBe(3200 + COUNTDOWN_MS);
    expect(at(2).steps[1]).toMatchObject({ speed: 2, durationMs: 800 });
  });

  it('when whisper and countdown are off, then only the tone plays and nothing is added to the wait', () => {
    const plan = planNotifications(
      sources({ whisper: { enabled: false, speed: 1 }, countdown: { enabled: false } }),
      mobileBillingCall,
    );
    expect(plan.steps).toEqual([{ type: 'tone', tone: { type: 'builtin', name: 'bell' } }]);
    expect(plan.addsToWaitMs).toBe(0);
  });

  it('when the frequency repeats, then the tone is played again every N seconds until the call is taken or none waits', () => {
    const plan = planNotifications(
      sources({ frequency: { mode: 'repeat', everySeconds: 20 } }),
      mobileBillingCall,
    );
    expect(plan.repeat).toEqual({ mode: 'repeat', everySeconds: 20, until: 'taken_or_none_waiting' });
  });

  it('when SMS notifications are on, then one goes to an agent with a phone saying what the whisper says; none to an agent without one, and the plan says why', () => {
    const on = sources({ sms: { enabled: true } });
    expect(planNotifications(on, mobileBillingCall).sms).toEqual({
      send: true,
      text: 'Mobile call from Billing',
    });
    expect(planNotifications(on, { ...mobileBillingCall, agentHasPhone: false }).sms).toEqual({
      send: false,
      reason: 'no_phone',
    });
    expect(planNotifications(sources(), mobileBillingCall).sms).toEqual({ send: false, reason: 'disabled' });
  });

  it('when the incoming-call tone is an uploaded one, then the plan names its audio; when it was removed meanwhile, the built-in default plays (NOT-4)', () => {
    const ring = tone('t-ring', 2500);
    const custom = { incomingCallTone: { type: 'custom' as const, toneId: 't-ring' } };
    expect(planNotifications(sources(custom, [], [ring]), mobileBillingCall).steps[0]).toEqual({
      type: 'tone',
      tone: {
        type: 'custom',
        toneId: 't-ring',
        object: ring.object,
        generation: ring.generation,
        durationMs: 2500,
      },
    });
    expect(planNotifications(sources(custom), mobileBillingCall).steps[0]).toEqual({
      type: 'tone',
      tone: DEFAULT_CALL_NOTIFICATIONS.incomingCallTone,
    });
  });
});

describe('a queue’s whisper announcement in the plan (NOT-3)', () => {
  const inQueue = (whisper: QueueWhisper, calls: Partial<CallNotifications> = {}, tones: CustomTone[] = []) =>
    planNotifications(sources(calls, [['q-billing', whisper]], tones), mobileBillingCall);

  it('when the queue has its own text, then it is read instead of the global whisper, at the queue’s speed', () => {
    const plan = inQueue({
      enabled: true,
      announcement: { type: 'tts', text: 'Billing question, premium customer' },
      speed: 1.5,
    });
    expect(plan.steps[1]).toEqual({
      type: 'whisper',
      source: 'tts',
      text: 'Billing question, premium customer',
      language: 'en',
      speed: 1.5,
      durationMs: ttsDurationMs('Billing question, premium customer', 1.5),
    });
    expect(plan.addsToWaitMs).toBe(ttsDurationMs('Billing question, premium customer', 1.5) + COUNTDOWN_MS);
  });

  it('when the queue’s whisper overrides a global whisper that is off, then the queue name is announced there, and the global speed applies when the queue sets none', () => {
    const plan = inQueue(
      { enabled: true, announcement: { type: 'queue_name' } },
      { whisper: { enabled: false, speed: 1.25 } },
    );
    expect(plan.steps[1]).toMatchObject({ type: 'whisper', text: 'Mobile call from Billing', speed: 1.25 });
  });

  it('when the queue’s whisper is disabled, then that queue’s calls are not whispered although the global whisper is on', () => {
    const plan = inQueue({ enabled: false, announcement: { type: 'queue_name' } });
    expect(plan.steps.map((s) => s.type)).toEqual(['tone', 'countdown']);
    expect(plan.addsToWaitMs).toBe(COUNTDOWN_MS);
    // Other queues keep the global whisper.
    const other = planNotifications(
      sources({}, [['q-billing', { enabled: false, announcement: { type: 'queue_name' } }]]),
      {
        ...mobileBillingCall,
        queue: { id: 'q-sales', name: 'Sales', channels: ['mobile'] },
      },
    );
    expect(other.steps.map((s) => s.type)).toEqual(['tone', 'whisper', 'countdown']);
  });

  it('when the queue was deleted, or takes no IVR, mobile or web calls any more, then its whisper left behind is ignored and the global whisper and countdown play', () => {
    const silent: QueueWhisper = {
      enabled: false,
      announcement: { type: 'tts', text: 'Never read' },
      countdown: false,
    };
    const globalSteps = ['tone', 'whisper', 'countdown'];
    for (const channels of [undefined, ['sms']]) {
      const plan = planNotifications(sources({}, [['q-billing', silent]]), {
        ...mobileBillingCall,
        queue: { id: 'q-billing', name: 'Billing', channels },
      });
      expect(plan.steps.map((s) => s.type)).toEqual(globalSteps);
      expect(plan.steps[1]).toMatchObject({ text: 'Mobile call from Billing' });
    }
    // While the queue takes calls, the same whisper applies.
    expect(whisperOf(sources({}, [['q-billing', silent]]))).toBeUndefined();
  });

  it('when the queue sets its own countdown, then it wins over the global one either way', () => {
    const queueName = { type: 'queue_name' as const };
    expect(
      inQueue({ enabled: true, announcement: queueName, countdown: false }).steps.map((s) => s.type),
    ).toEqual(['tone', 'whisper']);
    expect(
      inQueue(
        { enabled: true, announcement: queueName, countdown: true },
        { countdown: { enabled: false } },
      ).steps.map((s) => s.type),
    ).toEqual(['tone', 'whisper', 'countdown']);
  });

  it('when the queue plays an uploaded recording, then its measured duration divided by the speed is added to the wait', () => {
    const recording = tone('t-whisper', 3000);
    const plan = inQueue(
      { enabled: true, announcement: { type: 'recording', toneId: 't-whisper' }, speed: 2, countdown: false },
      {},
      [recording],
    );
    expect(plan.steps[1]).toEqual({
      type: 'whisper',
      source: 'recording',
      toneId: 't-whisper',
      object: recording.object,
      generation: recording.generation,
      speed: 2,
      durationMs: 1500,
    });
    expect(plan.addsToWaitMs).toBe(1500);
  });

  it('when the queue’s recording was removed since, then the queue name is read instead', () => {
    const plan = inQueue({
      enabled: true,
      announcement: { type: 'recording', toneId: 't-gone' },
      countdown: false,
    });
    expect(plan.steps[1]).toMatchObject({ type: 'whisper', source: 'tts', text: 'Mobile call from Billing' });
  });
});

describe('the plan for chats (NOT-2)', () => {
  const chat: PlanQuestion = { ...mobileBillingCall, kind: 'chat', channel: 'web' };

  it('when a chat is assigned, then the new-chat tone plays at the chat frequency, with no whisper, countdown or SMS', () => {
    const chats = {
      newChatTone: { type: 'custom' as const, toneId: 't-chat' },
      frequency: { mode: 'repeat' as const, everySeconds: 30 },
      newMessageTone: { type: 'builtin' as const, name: 'pulse' as const },
    };
    const s = sources({ sms: { enabled: true } }, [], [tone('t-chat', 900)]);
    const plan = planNotifications({ ...s, config: { ...s.config, chats } }, chat);
    expect(plan).toEqual({
      notification: 'new_chat',
      steps: [
        {
          type: 'tone',
          tone: {
            type: 'custom',
            toneId: 't-chat',
            object: 'tones/t-chat-1',
            generation: '1700000000000001',
            durationMs: 900,
          },
        },
      ],
      repeat: { mode: 'repeat', everySeconds: 30, until: 'taken_or_none_waiting' },
      sms: { send: false, reason: 'not_a_call' },
      addsToWaitMs: 0,
    });
    const message = planNotifications(
      { ...s, config: { ...s.config, chats } },
      { ...chat, trigger: 'message' },
    );
    expect(message).toEqual({
      notification: 'new_message',
      steps: [{ type: 'tone', tone: { type: 'builtin', name: 'pulse' } }],
      repeat: { mode: 'once' },
      sms: { send: false, reason: 'not_a_call' },
      addsToWaitMs: 0,
    });
  });
});
