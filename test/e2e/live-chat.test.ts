import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { freePort } from '../../scripts/stack/recordings.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Live chat from an agent's desktop, over HTTP (LCH-1 … LCH-5, LCH-10): api and platformEvents served
 * by the functions framework, people signed in on the Auth emulator, the offers' timeouts through our
 * Cloud Tasks server (OIDC tokens), the platform's commands read from the Pub/Sub emulator.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'live-chat-e2e';
const TOPIC = 'live-chat-commands';
const SECRET = 'live-chat-platform-secret-0123456789abcdef';
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let tasks: TasksServer;
let commands: Subscription;
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};
const received: { type: string; sessionId?: string; agentId?: string; [k: string]: unknown }[] = [];

const people = {
  admin: { name: 'Alex Admin', roleIds: ['admin'], teamIds: [] },
  ari: { name: 'Ari Agent', roleIds: ['agent'], teamIds: ['team-a'] },
  sam: { name: 'Sam Agent', roleIds: ['agent'], teamIds: ['team-a'] },
};
type Who = keyof typeof people;
/** The Auth emulator's project is shared with other test files: these people have uids of their own. */
const uidOf = (who: Who) => `live-chat-${who}`;

const sequences = new Map<string, number>();
async function platform(sessionId: string, type: string, fields: Record<string, unknown> = {}) {
  const sequence = sequences.get(sessionId) ?? 0;
  sequences.set(sessionId, sequence + 1);
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence,
    occurredAt: new Date().toISOString(),
    type,
    ...fields,
  });
  const res = await sendSigned(`${events}/v1/events`, body, { secret: SECRET });
  expect(res.status).toBe(200);
  return `${sessionId}-${sequence}`;
}

/** A chat through queue `queueId`, with one customer message, assigned to `agent`: the offer's id. */
async function assignedChat(sessionId: string, agent: Who, queueId = 'q-refunds') {
  await platform(sessionId, 'session.created', {
    kind: 'chat',
    channel: 'web',
    queue: { id: queueId, menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: 'c-ada', name: 'Ada Lovelace' },
  });
  await platform(sessionId, 'message.sent', {
    message: { id: `${sessionId}-m1`, author: { type: 'consumer' }, text: 'My refund is late' },
  });
  return platform(sessionId, 'session.assigned', { agent: { id: uidOf(agent) } });
}

async function call(who: Who | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${tokens[who]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Waits (up to 15 s) until `check` holds of what the platform has received. */
async function commandsUntil(check: (all: typeof received) => boolean) {
  const started = Date.now();
  while (!check(received) && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 100));
  return received;
}

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  // Waits are divided by 20: a 5 s offer timeout fires in a quarter of a second.
  tasks = await startTasksServer({ timeScale: 20 });
  const eventsPort = await freePort();
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_COMMANDS_TOPIC: TOPIC,
    CHAT_OFFERS_QUEUE: `projects/${projectId}/locations/europe-west1/queues/chat-offers`,
    CHAT_OFFER_TIMEOUT_URL: `http://127.0.0.1:${eventsPort}/v1/tasks/chat-offer-timeout`,
    CHAT_TASKS_SERVICE_ACCOUNT: `chat-tasks@${projectId}.iam.gserviceaccount.com`,
    TASKS_EMULATOR_HOST: tasks.url,
    TASKS_OIDC_CERTS_URL: tasks.certsUrl,
  });
  const [topic] = await pubsub.createTopic(TOPIC);
  [commands] = await topic.createSubscription('live-chat-commands-seen-by-test');
  commands.on('message', (m: { data: Buffer; ack(): void }) => {
    received.push(JSON.parse(m.data.toString()) as never);
    m.ack();
  });
  const batch = db.batch();
  batch.set(db.doc('queues/q-refunds'), { name: 'Refunds', teamIds: ['team-a'] });
  batch.set(db.doc('queues/q-doomed'), { name: 'Old promotions', teamIds: ['team-a'] });
  for (const [who, person] of Object.entries(people)) {
    const uid = uidOf(who as Who);
    batch.set(db.doc(`users/${uid}`), { ...person, ...agentListing({ uid, ...person }) });
  }
  await batch.commit();
  for (const who of Object.keys(people) as Who[]) {
    await createAccount(projectId, uidOf(who), `${uidOf(who)}@acme.example`);
    tokens[who] = await signIn(`${uidOf(who)}@acme.example`);
  }
  const served = await serveFunctions({ api: 0, platformEvents: eventsPort });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;
  // Long enough for the agent to answer in these tests; the RONA test shortens it.
  expect((await call('admin', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 600 })).status).toBe(
    200,
  );
  for (const [id, label] of [
    ['resolved', 'Resolved'],
    ['refund-issued', 'Refund issued'],
    ['escalated', 'Escalated to billing'],
  ])
    expect((await call('admin', 'PUT', `/v1/wrap-up-reasons/${id}`, { label })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await stop();
  await commands?.close();
  await pubsub.close();
  await tasks?.close();
  await db.terminate();
});

describe('a live chat from offer to wrap-up', () => {
  it('LCH-1, LCH-2, LCH-3, LCH-5, LCH-10: offered, accepted, answered once per message, ended, wrapped up', async () => {
    expect((await call('ari', 'PUT', '/v1/agent/state', { state: 'available' })).status).toBe(200);
    const offerId = await assignedChat('chat-1', 'ari');

    // LCH-1: the offer, as the agent's desktop reads it.
    const offered = await call('ari', 'GET', '/v1/chats/chat-1');
    expect(offered.status).toBe(200);
    expect(offered.body.chat).toMatchObject({
      status: 'offered',
      customerName: 'Ada Lovelace',
      queueName: 'Refunds',
      agentName: 'Ari Agent',
      offer: { offerId, purpose: 'assignment' },
    });
    expect(typeof offered.body.chat.offer.receivedAt).toBe('string');
    expect(offered.body.messages).toEqual([
      expect.objectContaining({ author: 'customer', initials: 'AL', text: 'My refund is late' }),
    ]);

    // Only the agent offered the chat sees or accepts it.
    expect((await call('sam', 'GET', '/v1/chats/chat-1')).status).toBe(404);
    const stolen = await call('sam', 'POST', `/v1/chats/chat-1/offers/${offerId}/accept`);
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.details.reason).toBe('not_your_offer');

    // LCH-2: accepted by the Available agent.
    const accepted = await call('ari', 'POST', `/v1/chats/chat-1/offers/${offerId}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', role: 'owner', offer: null });

    // LCH-5: a message goes once, however often it is sent; reserved characters and 1001 characters do not.
    const message = { clientMessageId: 'desk-1', text: 'Refund sent today 🇵🇱' };
    const sent = await call('ari', 'POST', '/v1/chats/chat-1/messages', message);
    expect(sent.status).toBe(201);
    const retried = await call('ari', 'POST', '/v1/chats/chat-1/messages', message);
    expect(retried).toEqual({ status: 200, body: sent.body });
    const reserved = await call('ari', 'POST', '/v1/chats/chat-1/messages', {
      clientMessageId: 'desk-2',
      text: 'Hi <name>',
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toContain('"<"');
    const long = await call('ari', 'POST', '/v1/chats/chat-1/messages', {
      clientMessageId: 'desk-3',
      text: 'é'.repeat(1001),
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('1001 characters');
    // 1000 characters as a person counts them, though each is two code points (e + combining accent).
    const combining = 'e\u0301'.repeat(1000);
    expect(
      (await call('ari', 'POST', '/v1/chats/chat-1/messages', { clientMessageId: 'desk-4', text: combining }))
        .status,
    ).toBe(201);
    expect(
      (await call('sam', 'POST', '/v1/chats/chat-1/messages', { clientMessageId: 'x', text: 'hi' })).status,
    ).toBe(403);
    const delivered = await commandsUntil((all) => all.filter((c) => c.type === 'chat.message').length >= 2);
    expect(
      delivered.filter((c) => c.type === 'chat.message' && c.sessionId === 'chat-1').map((c) => c.text),
    ).toEqual(['Refund sent today 🇵🇱', combining]);

    // LCH-3: the thread in order, customer's with initials.
    const thread = await call('ari', 'GET', '/v1/chats/chat-1');
    expect(
      thread.body.messages.map((m: { author: string; initials: string | null }) => [m.author, m.initials]),
    ).toEqual([
      ['customer', 'AL'],
      ['agent', null],
      ['agent', null],
    ]);

    // LCH-10: end, then the wrap-up is owed: Busy, no Available, no offer.
    const ended = await call('ari', 'POST', '/v1/chats/chat-1/end');
    expect(ended.body).toMatchObject({ status: 'ended', wrapUpOwed: true });
    expect(await commandsUntil((all) => all.some((c) => c.type === 'session.end'))).toContainEqual(
      expect.objectContaining({
        type: 'session.end',
        sessionId: 'chat-1',
        requestedBy: uidOf('ari'),
        reason: 'agent_ended',
      }),
    );
    expect((await call('ari', 'GET', '/v1/agent/desk')).body).toEqual({
      agentId: uidOf('ari'),
      state: 'busy',
      wrapUpsOwed: ['chat-1'],
    });
    const early = await call('ari', 'PUT', '/v1/agent/state', { state: 'available' });
    expect(early.status).toBe(409);
    expect(early.body.error.details.reason).toBe('wrap_up_owed');
    const searched = await call('ari', 'GET', '/v1/wrap-up-reasons?q=REFUND');
    expect(searched.body.items).toEqual([{ id: 'refund-issued', label: 'Refund issued' }]);
    expect(
      (await call('ari', 'POST', '/v1/chats/chat-1/wrap-up', { reasonId: 'no-such-reason' })).status,
    ).toBe(404);
    const wrapped = await call('ari', 'POST', '/v1/chats/chat-1/wrap-up', { reasonId: 'refund-issued' });
    expect(wrapped.body).toMatchObject({ status: 'wrapped_up', wrapUpOwed: false });
    expect((await call('ari', 'GET', '/v1/agent/desk')).body).toMatchObject({
      state: 'available',
      wrapUpsOwed: [],
    });
  }, 60_000);

  it('LCH-2: an offer not accepted in time is withdrawn by its task, the agent goes to RONA, the platform re-routes, and the agent comes back by hand', async () => {
    expect((await call('admin', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 5 })).status).toBe(
      200,
    );
    try {
      expect((await call('sam', 'PUT', '/v1/agent/state', { state: 'available' })).status).toBe(200);
      const offerId = await assignedChat('chat-2', 'sam');
      const all = await commandsUntil(
        (c) =>
          c.some((x) => x.type === 'chat.reroute' && x.sessionId === 'chat-2') &&
          c.some((x) => x.type === 'agent.state' && x.agentId === uidOf('sam') && x.state === 'rona'),
      );
      expect(all).toContainEqual(
        expect.objectContaining({
          type: 'chat.reroute',
          sessionId: 'chat-2',
          agentId: uidOf('sam'),
          reason: 'offer_timed_out',
        }),
      );
      expect(all).toContainEqual(
        expect.objectContaining({ type: 'agent.state', agentId: uidOf('sam'), state: 'rona' }),
      );
      expect((await call('sam', 'GET', '/v1/agent/desk')).body.state).toBe('rona');
      const late = await call('sam', 'POST', `/v1/chats/chat-2/offers/${offerId}/accept`);
      expect(late.status).toBe(409);
      expect(late.body.error.details.reason).toBe('offer_gone');
      // The task ran once and was answered 200: a redelivery would change nothing.
      expect(
        tasks
          .attempts(`offer-${Buffer.from(`chat-2 ${offerId}`).toString('base64url')}`)
          .map((a) => a.status),
      ).toEqual([200]);
      expect((await call('sam', 'PUT', '/v1/agent/state', { state: 'available' })).body.state).toBe(
        'available',
      );
    } finally {
      await call('admin', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 600 });
    }
  }, 60_000);

  it('when the timeout route is called without the queue’s OIDC token, then it is refused', async () => {
    const res = await fetch(`${events}/v1/tasks/chat-offer-timeout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: 'chat-2', offerId: 'x' }),
    });
    expect(res.status).toBe(401);
  });

  it('LCH-4: when an admin deletes the queue of a live chat, then the agent sees a warning and can only end it', async () => {
    expect((await call('ari', 'PUT', '/v1/agent/state', { state: 'available' })).status).toBe(200);
    const offerId = await assignedChat('chat-3', 'ari', 'q-doomed');
    expect((await call('ari', 'POST', `/v1/chats/chat-3/offers/${offerId}/accept`)).status).toBe(200);
    expect((await call('ari', 'DELETE', '/v1/settings/queues/q-doomed')).status).toBe(403);
    const deleted = await call('admin', 'DELETE', '/v1/settings/queues/q-doomed');
    expect(deleted).toEqual({ status: 200, body: { interruptedChats: 1 } });
    expect((await db.doc('queues/q-doomed').get()).exists).toBe(false);
    expect((await call('admin', 'DELETE', '/v1/settings/queues/q-doomed')).status).toBe(404);
    const view = (await call('ari', 'GET', '/v1/chats/chat-3')).body.chat;
    expect(view.status).toBe('interrupted');
    expect(view.interruption.warning).toContain('deleted');
    const refused = await call('ari', 'POST', '/v1/chats/chat-3/messages', {
      clientMessageId: 'm',
      text: 'still there?',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.reason).toBe('interrupted');
    expect((await call('ari', 'POST', '/v1/chats/chat-3/end')).body).toMatchObject({
      status: 'ended',
      wrapUpOwed: true,
    });
    expect((await call('ari', 'POST', '/v1/chats/chat-3/wrap-up', { reasonId: 'resolved' })).status).toBe(
      200,
    );
  }, 60_000);

  it('wrap-up reasons and the offer timeout are the admins’: an agent may not change them', async () => {
    expect((await call('ari', 'PUT', '/v1/wrap-up-reasons/mine', { label: 'Mine' })).status).toBe(403);
    expect((await call('ari', 'DELETE', '/v1/wrap-up-reasons/resolved')).status).toBe(403);
    expect((await call('ari', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 60 })).status).toBe(
      403,
    );
    expect((await call('admin', 'GET', '/v1/settings/chat-offers')).body).toEqual({
      offerTimeoutSeconds: 600,
    });
  });

  it('the offer timeout and the chat deflection settings are saved apart: saving one keeps the other', async () => {
    const chat = deflectionConfig().chat;
    expect((await call('admin', 'PUT', '/v1/settings/chat', chat)).status).toBe(200);
    expect((await call('admin', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 45 })).status).toBe(
      200,
    );
    expect((await db.doc('settings/chat').get()).data()).toMatchObject(chat);
    expect((await call('admin', 'PUT', '/v1/settings/chat', chat)).status).toBe(200);
    expect((await call('admin', 'GET', '/v1/settings/chat-offers')).body).toEqual({
      offerTimeoutSeconds: 45,
    });
    await call('admin', 'PUT', '/v1/settings/chat-offers', { offerTimeoutSeconds: 600 });
  });
});
