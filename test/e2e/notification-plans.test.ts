import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * The platform asks for agents' notification plans over HTTP (NOT-5), on the emulators: what the agent
 * hears, the SMS on the command topic once per assignment, and the wait it adds in call details (NOT-1,
 * MON-4). A database and a topic of its own keep it apart from the other files.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'notification-plans-e2e';
const TOPIC = 'notification-plan-commands';
const SECRET = 'notification-plans-secret-0123456789abcdef';
const ARI_PHONE = '+15550100987';
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let commands: Subscription;
const received: { type: string; commandId: string; sessionId: string; to?: string; text?: string }[] = [];
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
let managerToken = '';
const logged: string[] = [];
const T0 = Date.now();
const minutesAgo = (m: number) => new Date(T0 - m * 60_000).toISOString();

async function platform(path: string, payload: unknown, timestamp?: number) {
  const res = await sendSigned(`${events}${path}`, JSON.stringify(payload), {
    secret: SECRET,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function sessionEvent(sessionId: string, sequence: number, type: string, at: string, fields = {}) {
  const res = await platform('/v1/events', {
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence,
    occurredAt: at,
    type,
    ...fields,
  });
  expect(res.status).toBe(200);
}

/** A mobile call waiting 2 minutes in Billing, then assigned to `agentId` a minute ago. */
async function assignedCall(sessionId: string, agentId: string, kind: 'call' | 'chat' = 'call') {
  await sessionEvent(sessionId, 0, 'session.created', minutesAgo(3), {
    kind,
    channel: kind === 'call' ? 'mobile' : 'web',
    language: 'en',
    queue: { id: 'q-billing', menuPath: ['Support', 'Billing'] },
    consumer: { id: 'c-ada', name: 'Ada' },
  });
  await sessionEvent(sessionId, 1, 'session.assigned', minutesAgo(1), { agent: { id: agentId } });
}

const planFor = (sessionId: string, agentId = 'ari', assignmentId = 'as-1') =>
  platform('/v1/notifications/plans', {
    trigger: 'assignment',
    sessionId,
    assignmentId,
    agentId,
    agentLanguage: 'fr-CA',
  });

async function callDetails(sessionId: string) {
  const res = await fetch(`${api}/v1/sessions/${sessionId}`, {
    headers: { authorization: `Bearer ${managerToken}` },
  });
  return (await res.json()) as any;
}

/**
 * The SMS commands the platform's subscription has received for a session: waits for `expected` (up to
 * 15 s on a slow machine), then 2 s more for any extra.
 */
async function smsFor(sessionId: string, expected: number) {
  const started = Date.now();
  const mine = () => received.filter((c) => c.type === 'agent.sms' && c.sessionId === sessionId);
  while (mine().length < expected && Date.now() - started < 15_000)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2_000));
  return mine();
}

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_COMMANDS_TOPIC: TOPIC,
  });
  const [topic] = await pubsub.createTopic(TOPIC);
  [commands] = await topic.createSubscription(`${TOPIC}-seen-by-test`);
  commands.on('message', (m: { data: Buffer; ack(): void }) => {
    received.push(JSON.parse(m.data.toString()) as never);
    m.ack();
  });
  const people = {
    'np-manager': { name: 'Morgan', roleIds: ['manager'], teamIds: ['team-a'], phone: null },
    ari: { name: 'Ari Agent', roleIds: ['agent'], teamIds: ['team-a'], phone: ARI_PHONE },
    bo: { name: 'Bo Agent', roleIds: ['agent'], teamIds: ['team-a'], phone: null },
  };
  for (const [uid, person] of Object.entries(people))
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing({ uid, ...person }) });
  await db.doc('queues/q-billing').set({ name: 'Billing', teamIds: ['team-a'] });
  await createAccount(projectId, 'np-manager', 'np-manager@acme.example');
  managerToken = await signIn('np-manager@acme.example');
  const store = new FirestoreNotificationSettings(db, { now: () => new Date() });
  await store.save(
    {
      section: 'calls',
      value: {
        whisper: { enabled: true, speed: 1 },
        countdown: { enabled: true },
        incomingCallTone: { type: 'builtin', name: 'marimba' },
        frequency: { mode: 'repeat', everySeconds: 15 },
        sms: { enabled: true },
      },
    },
    () => {},
  );
  const served = await serveFunctions({ api: 0, platformEvents: 0 });
  configureLogs({ sink: (line) => logged.push(line) });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await commands?.close();
  await pubsub.close();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

describe('the plan the platform plays (NOT-5, NOT-1)', () => {
  it('when a call is assigned, then the plan is the tone, the whisper and countdown in the agent’s language, the repeat schedule and an SMS, and call details count the wait it adds', async () => {
    await assignedCall('np-call', 'ari');
    const res = await planFor('np-call');
    expect(res.status).toBe(200);
    // "Appel mobile de Billing": 23 characters at 15 a second, then the 4 s countdown.
    expect(res.body).toEqual({
      sessionId: 'np-call',
      notification: 'incoming_call',
      steps: [
        { type: 'tone', tone: { type: 'builtin', name: 'marimba' } },
        {
          type: 'whisper',
          source: 'tts',
          text: 'Appel mobile de Billing',
          language: 'fr',
          speed: 1,
          durationMs: 1534,
        },
        {
          type: 'countdown',
          text: 'À vous ! L’appel commence dans 3, 2, 1.',
          language: 'fr',
          durationMs: 4000,
        },
      ],
      repeat: { mode: 'repeat', everySeconds: 15, until: 'taken_or_none_waiting' },
      sms: { send: true },
      addsToWaitMs: 5534,
    });
    const details = await callDetails('np-call');
    expect(details.metrics.queueWaitMs).toBe(2 * 60_000 + 5534);
    const sms = await smsFor('np-call', 1);
    expect(sms).toEqual([
      {
        type: 'agent.sms',
        commandId: 'np-call:as-1:sms',
        sessionId: 'np-call',
        assignmentId: 'as-1',
        agentId: 'ari',
        to: ARI_PHONE,
        text: 'Appel mobile de Billing',
      },
    ]);
    expect(logged.some((line) => line.includes('notification_planned'))).toBe(true);
    expect(logged.filter((line) => line.includes(ARI_PHONE.slice(1)))).toEqual([]);
  });

  it('when the same signed request comes twice, or the plan is asked again, then the same plan is answered, the wait counts once and no second SMS goes', async () => {
    await assignedCall('np-replay', 'ari');
    const timestamp = Math.floor(Date.now() / 1000);
    const payload = { trigger: 'assignment', sessionId: 'np-replay', assignmentId: 'as-1', agentId: 'ari' };
    const first = await platform('/v1/notifications/plans', payload, timestamp);
    const copy = await platform('/v1/notifications/plans', payload, timestamp);
    const asked = await platform('/v1/notifications/plans', payload);
    expect(first.status).toBe(200);
    expect(copy).toEqual(first);
    expect(asked).toEqual(first);
    expect(first.body.steps[1].text).toBe('Mobile call from Billing');
    expect((await callDetails('np-replay')).metrics.queueWaitMs).toBe(2 * 60_000 + first.body.addsToWaitMs);
    expect(await smsFor('np-replay', 1)).toHaveLength(1);
  });

  it('when the agent has no phone in their profile, then the plan says so and no SMS goes', async () => {
    await assignedCall('np-nophone', 'bo');
    const res = await planFor('np-nophone', 'bo');
    expect(res.body.sms).toEqual({ send: false, reason: 'no_phone' });
    expect(await smsFor('np-nophone', 0)).toEqual([]);
  });

  it('when a chat is assigned or a message comes in it, then the chat tones play and nothing is added to a wait; a message in a call is a 409', async () => {
    await assignedCall('np-chat', 'ari', 'chat');
    const chat = await planFor('np-chat');
    expect(chat.body).toMatchObject({
      notification: 'new_chat',
      steps: [{ type: 'tone', tone: { type: 'builtin', name: 'chime' } }],
      sms: { send: false, reason: 'not_a_call' },
      addsToWaitMs: 0,
    });
    const message = await platform('/v1/notifications/plans', {
      trigger: 'message',
      sessionId: 'np-chat',
      agentId: 'ari',
    });
    expect(message.body).toMatchObject({ notification: 'new_message', steps: [{ tone: { name: 'soft' } }] });
    const inCall = await platform('/v1/notifications/plans', {
      trigger: 'message',
      sessionId: 'np-call',
      agentId: 'ari',
    });
    expect(inCall.status).toBe(409);
    expect(inCall.body.error.details.reason).toBe('not_a_chat');
  });

  it('when the session is unknown, or the request unsigned, then 404 or 401 and nothing is sent', async () => {
    expect((await planFor('np-nobody')).status).toBe(404);
    const unsigned = await fetch(`${events}/v1/notifications/plans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        trigger: 'assignment',
        sessionId: 'np-call',
        assignmentId: 'as-9',
        agentId: 'ari',
      }),
    });
    expect(unsigned.status).toBe(401);
    expect(await smsFor('np-nobody', 0)).toEqual([]);
  });
});
