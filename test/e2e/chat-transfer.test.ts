import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions } from '../../functions/src/adapters/tasks/recording-tasks.js';
import { offerTimeoutTaskId } from '../../functions/src/adapters/tasks/offer-timeouts.js';
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
 * Transfer (LCH-8) and conference (LCH-9) over HTTP: the api and platformEvents functions served by
 * the functions framework, agents signed in on the Auth emulator, the platform's events signed, its
 * commands read from the topic, and offers' timeouts run by the local Cloud Tasks server.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'chat-transfer-e2e';
const TOPIC = 'chat-transfer-e2e-commands';
const SECRET = 'chat-transfer-secret-0123456789abcdef0123';
const QUEUE = `projects/${projectId}/locations/local/queues/chat-transfer-offers`;
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let api = '';
let events = '';
let tasks: TasksServer;
let stop: () => Promise<void> = async () => {};
let subscription: Subscription;
const commands: Record<string, any>[] = [];
const tokens: Record<string, string> = {};

const AGENTS = ['ann', 'bob', 'cy', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jo'] as const;
type Agent = (typeof AGENTS)[number];
const nameOf = (uid: string) => `${uid[0]!.toUpperCase()}${uid.slice(1)} Agent`;

async function call(who: Agent, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[who]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

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

/** A chat on the Refunds queue, assigned to `agentId` and accepted by them. */
async function acceptedChat(sessionId: string, agentId: Agent) {
  await platform(sessionId, 'session.created', {
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: `c-${sessionId}`, name: 'Melissa Jones' },
  });
  await platform(sessionId, 'message.sent', {
    message: { id: `${sessionId}-hello`, author: { type: 'consumer' }, text: 'Where is my refund?' },
  });
  const offerId = await platform(sessionId, 'session.assigned', { agent: { id: agentId } });
  return { offerId, accept: () => call(agentId, 'POST', `/v1/chats/${sessionId}/offers/${offerId}/accept`) };
}

const reasonOf = async (res: Response) =>
  ((await res.json()) as { error: { details: { reason: string } } }).error.details.reason;

/** The platform's pick for a transfer to a queue, signed afresh. */
const pickFor = (sessionId: string, pick: { offerId: string; agentId: string | null }) =>
  sendSigned(`${events}/v1/chats/${sessionId}/transfer-pick`, JSON.stringify(pick), { secret: SECRET });

const chatOf = async (who: Agent, sessionId: string) =>
  (await call(who, 'GET', `/v1/chats/${sessionId}`)).body;
const deskOf = async (who: Agent) => (await call(who, 'GET', '/v1/agent/desk')).body;

/** The commands published about a session, once at least `count` of them have arrived. */
async function commandsAbout(sessionId: string, type: string, count: number) {
  const of = () => commands.filter((c) => c.sessionId === sessionId && c.type === type);
  for (let i = 0; i < 150 && of().length < count; i++) await new Promise((r) => setTimeout(r, 100));
  return of();
}

/** Runs an offer's timeout task now, as Cloud Tasks would when it falls due. */
async function runTimeout(sessionId: string, offerId: string) {
  const { CloudTasksClient } = await import('@google-cloud/tasks');
  const client = new CloudTasksClient(clientOptions(new URL(tasks.url).host));
  const taskId = offerTimeoutTaskId(sessionId, offerId);
  await client.runTask({ name: `${QUEUE}/tasks/${taskId}` });
  await client.close();
  for (let i = 0; i < 150 && !tasks.attempts(taskId).some((a) => a.outcome === 'succeeded'); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(tasks.attempts(taskId).map((a) => a.outcome)).toEqual(['succeeded']);
}

beforeAll(async () => {
  tasks = await startTasksServer({});
  const eventsPort = await freePort();
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_COMMANDS_TOPIC: TOPIC,
    CHAT_OFFERS_QUEUE: QUEUE,
    CHAT_OFFER_TIMEOUT_URL: `http://127.0.0.1:${eventsPort}/v1/tasks/chat-offer-timeout`,
    CHAT_TASKS_SERVICE_ACCOUNT: `chat-tasks@${projectId}.iam.gserviceaccount.com`,
    TASKS_EMULATOR_HOST: new URL(tasks.url).host,
    TASKS_OIDC_CERTS_URL: tasks.certsUrl,
  });
  const [topics] = await pubsub.getTopics();
  if (!topics.some((t) => t.name.endsWith(`/${TOPIC}`))) await pubsub.createTopic(TOPIC);
  [subscription] = await pubsub.topic(TOPIC).createSubscription(`chat-transfer-e2e-${Date.now()}`);
  subscription.on('message', (m: { data: Buffer; ack(): void }) => {
    commands.push(JSON.parse(m.data.toString()) as Record<string, any>);
    m.ack();
  });

  // Open around the clock, so that the queues a chat may go to do not depend on when the test runs.
  const config = deflectionConfig();
  const always = { open: '00:00', close: '24:00' };
  config.supportCenter.hours = {
    timeZone: 'UTC',
    weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [always]])),
  };
  config.supportCenter.customHours = [];
  const batch = db.batch();
  batch.set(db.doc('settings/supportCenter'), config.supportCenter);
  batch.set(db.doc('settings/call'), config.call);
  batch.set(db.doc('settings/chat'), config.chat);
  for (const [tag, language] of Object.entries(config.languages))
    batch.set(db.doc(`languages/${tag}`), language);
  for (const [id, queue] of Object.entries(config.queues)) batch.set(db.doc(`queues/${id}`), queue);
  for (const uid of AGENTS) {
    const person = { name: nameOf(uid), roleIds: ['agent'], teamIds: ['team-a'] };
    batch.set(db.doc(`users/${uid}`), { ...person, ...agentListing({ uid, ...person }) });
  }
  await batch.commit();

  const served = await serveFunctions({ api: 0, platformEvents: eventsPort });
  configureLogs({ sink: () => {} });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;

  for (const uid of AGENTS) {
    await createAccount(projectId, uid, `${uid}@transfer.example`);
    tokens[uid] = await signIn(`${uid}@transfer.example`);
    // Logged in as the platform sees them, and Available by their own choice.
    const report = JSON.stringify({ state: 'available', at: new Date().toISOString() });
    const reported = await sendSigned(`${events}/v1/agents/${uid}/presence`, report, {
      secret: SECRET,
      method: 'PUT',
    });
    expect(reported.status).toBe(200);
    expect((await call(uid, 'PUT', '/v1/agent/state', { state: 'available' })).status).toBe(200);
  }
});

afterAll(async () => {
  await stop();
  await subscription?.close();
  await pubsub.close();
  await tasks?.close();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
  for (const name of [
    'CHAT_OFFERS_QUEUE',
    'CHAT_OFFER_TIMEOUT_URL',
    'CHAT_TASKS_SERVICE_ACCOUNT',
    'TASKS_EMULATOR_HOST',
    'TASKS_OIDC_CERTS_URL',
  ])
    delete process.env[name];
});

describe('transfer (LCH-8)', () => {
  it('when the agent has not accepted the chat yet, then transferring or inviting is refused with a 409 saying to accept first', async () => {
    const { accept } = await acceptedChat('t-early', 'ann');
    for (const [path, body] of [
      ['transfer', { to: { type: 'agent', agentId: 'bob' } }],
      ['conference', { agentId: 'bob' }],
    ] as const) {
      const refused = await call('ann', 'POST', `/v1/chats/t-early/${path}`, body);
      expect(refused.status).toBe(409);
      expect(refused.body.error.details.reason).toBe('not_accepted');
      expect(refused.body.error.message).toMatch(/Accept the chat first/);
    }
    expect((await chatOf('bob', 't-early')).error?.code).toBe('not_found');
    expect((await accept()).status).toBe(200);
  });

  it('when the owner lists where the chat may go, then open queues and available, logged-in agents show, searchable', async () => {
    const all = await call('ann', 'GET', '/v1/chats/t-early/transfer-targets');
    expect(all.status).toBe(200);
    const agentIds = (all.body.agents as { agentId: string }[]).map((a) => a.agentId);
    expect(agentIds).toContain('bob');
    expect(agentIds).not.toContain('ann');
    expect((all.body.queues as { queueId: string }[]).map((q) => q.queueId)).toContain('q-support');
    expect((all.body.queues as { queueId: string }[]).map((q) => q.queueId)).not.toContain('q-refunds');

    const searched = await call('ann', 'GET', '/v1/chats/t-early/transfer-targets?q=bob');
    expect(searched.body.agents).toEqual([{ agentId: 'bob', name: 'Bob Agent' }]);
    expect(searched.body.queues).toEqual([]);

    // Refreshing reflects a change of state: an agent who goes Away leaves the list.
    expect((await call('jo', 'PUT', '/v1/agent/state', { state: 'away' })).status).toBe(200);
    const refreshed = await call('ann', 'GET', '/v1/chats/t-early/transfer-targets');
    expect((refreshed.body.agents as { agentId: string }[]).map((a) => a.agentId)).not.toContain('jo');
    expect((await call('bob', 'GET', '/v1/chats/t-early/transfer-targets')).status).toBe(404);
  });

  it('when the receiving agent accepts, then they own the chat, the first agent owes a wrap-up, and the platform is told', async () => {
    const requested = await call('ann', 'POST', '/v1/chats/t-early/transfer', {
      to: { type: 'agent', agentId: 'bob' },
    });
    expect(requested.status).toBe(200);
    expect(requested.body).toMatchObject({ status: 'transfer_requested', role: 'owner' });

    const offered = await chatOf('bob', 't-early');
    expect(offered.chat).toMatchObject({ status: 'offered', offer: { purpose: 'transfer' } });
    expect(offered.messages).toEqual([expect.objectContaining({ text: 'Where is my refund?' })]);
    const accepted = await call(
      'bob',
      'POST',
      `/v1/chats/t-early/offers/${offered.chat.offer.offerId as string}/accept`,
    );
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', role: 'owner' });

    expect((await chatOf('ann', 't-early')).chat).toMatchObject({ status: 'transferred', wrapUpOwed: true });
    expect(await deskOf('ann')).toMatchObject({ state: 'busy', wrapUpsOwed: ['t-early'] });
    const told = await commandsAbout('t-early', 'chat.transfer', 2);
    expect(told.map((c) => c.status)).toEqual(['requested', 'completed']);
    expect(told[1]).toMatchObject({ from: 'ann', to: { type: 'agent', agentId: 'bob' } });
    // The first agent no longer answers the chat.
    const late = await call('ann', 'POST', '/v1/chats/t-early/messages', {
      clientMessageId: 'late-1',
      text: 'hi',
    });
    expect(late.status).toBe(403);
  });

  it('when the receiving agent declines, then the transfer is rejected and the chat stays with the first agent', async () => {
    await (await acceptedChat('t-declined', 'dan')).accept();
    await call('dan', 'POST', '/v1/chats/t-declined/transfer', { to: { type: 'agent', agentId: 'cy' } });
    const offer = (await chatOf('cy', 't-declined')).chat.offer as { offerId: string };
    const declined = await call('cy', 'POST', `/v1/chats/t-declined/offers/${offer.offerId}/decline`);
    expect(declined.status).toBe(200);

    expect((await chatOf('dan', 't-declined')).chat).toMatchObject({
      status: 'accepted',
      role: 'owner',
      wrapUpOwed: false,
    });
    expect(await deskOf('dan')).toMatchObject({ state: 'available', wrapUpsOwed: [] });
    const told = await commandsAbout('t-declined', 'chat.transfer', 2);
    expect(told.map((c) => c.status)).toEqual(['requested', 'rejected']);
    const sent = await call('dan', 'POST', '/v1/chats/t-declined/messages', {
      clientMessageId: 'after-decline',
      text: 'Still with you',
    });
    expect(sent.status).toBe(201);
  });

  it('when the receiving agent lets the offer time out, then the transfer is rejected, the chat stays, and they go to RONA', async () => {
    await (await acceptedChat('t-timeout', 'eve')).accept();
    await call('eve', 'POST', '/v1/chats/t-timeout/transfer', { to: { type: 'agent', agentId: 'cy' } });
    const offer = (await chatOf('cy', 't-timeout')).chat.offer as { offerId: string };
    await runTimeout('t-timeout', offer.offerId);

    expect((await chatOf('eve', 't-timeout')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    expect(await deskOf('cy')).toMatchObject({ state: 'rona' });
    expect(await deskOf('eve')).toMatchObject({ wrapUpsOwed: [] });
    const told = await commandsAbout('t-timeout', 'chat.transfer', 2);
    expect(told.map((c) => c.status)).toEqual(['requested', 'rejected']);
    // A late accept finds the offer gone.
    const late = await call('cy', 'POST', `/v1/chats/t-timeout/offers/${offer.offerId}/accept`);
    expect(late.status).toBe(409);
  });

  it('when the chat goes to a queue, then the agent the platform picks is offered it, and on accepting owns it', async () => {
    await (await acceptedChat('t-queue', 'hal')).accept();
    const requested = await call('hal', 'POST', '/v1/chats/t-queue/transfer', {
      to: { type: 'queue', queueId: 'q-support' },
    });
    expect(requested.status).toBe(200);
    const asked = await commandsAbout('t-queue', 'chat.transfer', 1);
    expect(asked[0]).toMatchObject({ status: 'requested', to: { type: 'queue', queueId: 'q-support' } });
    const request = asked[0]!.offerId as string;
    expect(request).toMatch(/^transfer-/);

    const stale = await pickFor('t-queue', { offerId: 'transfer-someone-else', agentId: 'ivy' });
    expect(stale.status).toBe(409);
    expect(await reasonOf(stale)).toBe('stale_transfer');
    expect((await chatOf('ivy', 't-queue')).error?.code).toBe('not_found');

    const pick = JSON.stringify({ offerId: request, agentId: 'ivy' });
    const picked = await sendSigned(`${events}/v1/chats/t-queue/transfer-pick`, pick, { secret: SECRET });
    expect(await picked.json()).toEqual({ outcome: 'offered' });
    const offer = (await chatOf('ivy', 't-queue')).chat.offer as { offerId: string };
    expect(offer.offerId).toBe(`${request}.picked`);
    // The same pick again, signed afresh, is refused and offers nothing to anyone else.
    const again = await pickFor('t-queue', { offerId: request, agentId: 'jo' });
    expect(again.status).toBe(409);
    expect(await reasonOf(again)).toBe('stale_transfer');
    expect((await chatOf('jo', 't-queue')).error?.code).toBe('not_found');

    expect((await call('ivy', 'POST', `/v1/chats/t-queue/offers/${offer.offerId}/accept`)).status).toBe(200);
    expect((await chatOf('hal', 't-queue')).chat).toMatchObject({ status: 'transferred', wrapUpOwed: true });
    expect((await chatOf('ivy', 't-queue')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    const told = await commandsAbout('t-queue', 'chat.transfer', 2);
    expect(told.map((c) => [c.status, c.offerId])).toEqual([
      ['requested', request],
      ['completed', request],
    ]);
  });

  it('when a pick is sent twice with one signature, then the copy is refused as replayed', async () => {
    await (await acceptedChat('t-queue-copy', 'eve')).accept();
    await call('eve', 'POST', '/v1/chats/t-queue-copy/transfer', {
      to: { type: 'queue', queueId: 'q-support' },
    });
    const request = (await commandsAbout('t-queue-copy', 'chat.transfer', 1))[0]!.offerId as string;
    const body = JSON.stringify({ offerId: request, agentId: null });
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await sendSigned(`${events}/v1/chats/t-queue-copy/transfer-pick`, body, {
      secret: SECRET,
      timestamp,
    });
    expect(await first.json()).toEqual({ outcome: 'rejected' });
    const copy = await sendSigned(`${events}/v1/chats/t-queue-copy/transfer-pick`, body, {
      secret: SECRET,
      timestamp,
    });
    expect(copy.status).toBe(409);
    expect(await reasonOf(copy)).toBe('replayed_request');
  });

  it('when the platform finds nobody in the queue, then the transfer is rejected and the chat stays', async () => {
    await (await acceptedChat('t-queue-none', 'dan')).accept();
    await call('dan', 'POST', '/v1/chats/t-queue-none/transfer', {
      to: { type: 'queue', queueId: 'q-support' },
    });
    const request = (await commandsAbout('t-queue-none', 'chat.transfer', 1))[0]!.offerId as string;
    const picked = await pickFor('t-queue-none', { offerId: request, agentId: null });
    expect(await picked.json()).toEqual({ outcome: 'rejected' });
    expect((await chatOf('dan', 't-queue-none')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    const told = await commandsAbout('t-queue-none', 'chat.transfer', 2);
    expect(told.map((c) => c.status)).toEqual(['requested', 'rejected']);
  });

  it('when the platform never answers a transfer to a queue, then its timeout rejects the transfer and the chat stays', async () => {
    await (await acceptedChat('t-queue-silent', 'gus')).accept();
    await call('gus', 'POST', '/v1/chats/t-queue-silent/transfer', {
      to: { type: 'queue', queueId: 'q-support' },
    });
    const request = (await commandsAbout('t-queue-silent', 'chat.transfer', 1))[0]!.offerId as string;
    await runTimeout('t-queue-silent', request);
    expect((await chatOf('gus', 't-queue-silent')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    const told = await commandsAbout('t-queue-silent', 'chat.transfer', 2);
    expect(told.map((c) => c.status)).toEqual(['requested', 'rejected']);
    // A pick that comes after the timeout is stale.
    const late = await pickFor('t-queue-silent', { offerId: request, agentId: 'ivy' });
    expect(late.status).toBe(409);
    expect((await chatOf('ivy', 't-queue-silent')).error?.code).toBe('not_found');
  });

  it('when a transfer names a queue that is not a target, then 409 and nothing changes', async () => {
    const refused = await call('ivy', 'POST', '/v1/chats/t-queue/transfer', {
      to: { type: 'queue', queueId: 'q-nowhere' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.reason).toBe('not_a_transfer_target');
    expect((await chatOf('ivy', 't-queue')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
  });
});

describe('conference (LCH-9)', () => {
  it('when the invited agent accepts, then both share the chat, the thread says who joined, both write, and End conference leads to wrap-up', async () => {
    await (await acceptedChat('t-conf', 'fay')).accept();
    const invited = await call('fay', 'POST', '/v1/chats/t-conf/conference', { agentId: 'gus' });
    expect(invited.status).toBe(200);
    expect(invited.body).toMatchObject({ status: 'conference_requested' });
    const offer = (await chatOf('gus', 't-conf')).chat.offer as { offerId: string; purpose: string };
    expect(offer.purpose).toBe('conference');
    expect((await call('gus', 'POST', `/v1/chats/t-conf/offers/${offer.offerId}/accept`)).status).toBe(200);

    for (const who of ['fay', 'gus'] as const) {
      const seen = await chatOf(who, 't-conf');
      expect(seen.chat.status).toBe('conference');
      expect(seen.messages).toContainEqual(
        expect.objectContaining({ author: 'system', text: 'Gus Agent joined the chat.' }),
      );
    }
    for (const who of ['fay', 'gus'] as const) {
      const sent = await call(who, 'POST', '/v1/chats/t-conf/messages', {
        clientMessageId: `conf-${who}`,
        text: `Hello from ${who}`,
      });
      expect(sent.status).toBe(201);
    }
    expect((await commandsAbout('t-conf', 'chat.conference', 1))[0]).toMatchObject({
      agentId: 'gus',
      status: 'joined',
    });

    const ended = await call('gus', 'POST', '/v1/chats/t-conf/conference/end');
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ wrapUpOwed: true });
    expect(await deskOf('gus')).toMatchObject({ wrapUpsOwed: ['t-conf'] });
    expect((await chatOf('fay', 't-conf')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    expect((await call('gus', 'POST', '/v1/chats/t-conf/conference/end')).status).toBe(409);
  });

  it('when the invited agent declines, then the chat goes back to the owner alone', async () => {
    await (await acceptedChat('t-conf-no', 'bob')).accept();
    await call('bob', 'POST', '/v1/chats/t-conf-no/conference', { agentId: 'ivy' });
    const offer = (await chatOf('ivy', 't-conf-no')).chat.offer as { offerId: string };
    expect((await call('ivy', 'POST', `/v1/chats/t-conf-no/offers/${offer.offerId}/decline`)).status).toBe(
      200,
    );
    expect((await chatOf('bob', 't-conf-no')).chat).toMatchObject({ status: 'accepted', role: 'owner' });
    expect((await call('bob', 'POST', '/v1/chats/t-conf-no/conference/end')).status).toBe(409);
  });
});
