import { FieldValue, Firestore } from '@google-cloud/firestore';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { freePort } from '../../scripts/stack/recordings.js';
import { createAccount, signIn } from '../support/people.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { requestTarget, sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Reserved data properties and profile flags over HTTP (RDP-1, RDP-2, RDP-4): sent by the SDK in
 * session events, set and read back through the Apps API, forwarded from SIP headers or from a virtual
 * agent's verification; then shown on the supervisors' session details and lists and on the agent's
 * chat desk. api and platformEvents served by the functions framework, Firestore and Auth on emulators.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'reserved-data-e2e';
const TOPIC = 'reserved-data-commands';
const SECRET = 'reserved-data-platform-secret-0123456789ab';
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let tasks: TasksServer;
let commands: Subscription;
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};
const logLines: string[] = [];

const people = {
  manager: { name: 'Morgan Manager', roleIds: ['manager'], teamIds: ['team-a'] },
  outsider: { name: 'Olga Outsider', roleIds: ['manager'], teamIds: ['team-b'] },
  ari: { name: 'Ari Agent', roleIds: ['agent'], teamIds: ['team-a'] },
};
type Who = keyof typeof people;
/** The Auth emulator's project is shared with other test files: these people have uids of their own. */
const uidOf = (who: Who) => `reserved-data-${who}`;

const at = (second: number) => new Date(Date.UTC(2026, 10, 22, 10, 0, second)).toISOString();

/** One platform event at `sequence`; its id names the session and the sequence. */
async function platform(
  sessionId: string,
  sequence: number,
  type: string,
  fields: Record<string, unknown> = {},
) {
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence,
    occurredAt: at(sequence),
    type,
    ...fields,
  });
  const res = await sendSigned(`${events}/v1/events`, body, { secret: SECRET });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const created = (sessionId: string, metadata?: Record<string, unknown>, sequence = 0) =>
  platform(sessionId, sequence, 'session.created', {
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q-refunds', menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: 'c-ada', name: 'Ada Lovelace', anonymous: false },
    ...(metadata ? { metadata } : {}),
  });

const metadataUpdated = (
  sessionId: string,
  sequence: number,
  source: string,
  metadata: Record<string, unknown>,
  by?: string,
) => platform(sessionId, sequence, 'metadata.updated', { source, metadata, ...(by ? { by } : {}) });

/** The Apps API, as the platform relays it: signed, the session in the path. */
async function appsApi(method: 'GET' | 'PATCH', sessionId: string, body?: unknown, timestamp?: number) {
  const url = `${events}/v1/sessions/${sessionId}/reserved-data`;
  const signedAt = timestamp ?? Math.floor(Date.now() / 1000);
  const res =
    body === undefined
      ? await fetch(url, {
          method,
          headers: {
            'x-switchboard-timestamp': String(signedAt),
            'x-switchboard-signature': signPlatformRequest(SECRET, signedAt, {
              method,
              path: requestTarget(url),
              body: Buffer.alloc(0),
            }),
          },
        })
      : await sendSigned(url, JSON.stringify(body), { secret: SECRET, method, timestamp: signedAt });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

const setByApi = (sessionId: string, sequence: number, properties: Record<string, unknown>) =>
  appsApi('PATCH', sessionId, {
    eventId: `${sessionId}-${sequence}`,
    sequence,
    occurredAt: at(sequence),
    ...properties,
  });

async function call(who: Who, method: string, path: string, body?: unknown) {
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

const eventCount = async (sessionId: string) =>
  (await db.collection(`sessions/${sessionId}/events`).get()).size;

beforeAll(async () => {
  configureLogs({ sink: (line) => logLines.push(line) });
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
  [commands] = await topic.createSubscription('reserved-data-commands-seen-by-test');
  commands.on('message', (m: { ack(): void }) => m.ack());
  const batch = db.batch();
  batch.set(db.doc('queues/q-refunds'), { name: 'Refunds', teamIds: ['team-a'] });
  batch.set(db.doc('settings/chatOffers'), { offerTimeoutSeconds: 600 });
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
}, 120_000);

afterAll(async () => {
  await stop();
  await commands?.close();
  await pubsub.close();
  await tasks?.close();
  await db.terminate();
});

describe('RDP-1: reserved data properties from every source, read back', () => {
  it('when the SDK sends them at the start and later, then they read back as flags from the SDK, and its other keys are kept', async () => {
    await created('rdp-sdk', { reserved_verified_customer: true, plan: 'gold' });
    await metadataUpdated('rdp-sdk', 1, 'sdk', { reserved_repeat_customer: true, plan: 'silver' });

    const read = await appsApi('GET', 'rdp-sdk');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      sessionId: 'rdp-sdk',
      reserved_verified_customer: true,
      reserved_bad_actor: null,
      reserved_repeat_customer: true,
      profile: {
        verifiedCustomer: { value: true, source: 'sdk', sequence: 0, at: at(0) },
        repeatCustomer: { value: true, source: 'sdk', sequence: 1, at: at(1) },
      },
    });
    expect((await db.doc('sessions/rdp-sdk').get()).get('metadata')).toEqual({ plan: 'silver' });
  });

  it('when the Apps API sets one during the session, then only it changes, it reads back, and the change is in the history', async () => {
    await created('rdp-api', { reserved_verified_customer: true });
    const set = await setByApi('rdp-api', 1, { reserved_bad_actor: true, by: 'crm-app' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      outcome: 'applied',
      reserved_verified_customer: true,
      reserved_bad_actor: true,
      reserved_repeat_customer: null,
      lastSequence: 1,
    });
    const ingestedLines = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.event === 'session_event_ingested' && entry.eventId === 'rdp-api-1');
    expect(ingestedLines).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        sessionId: 'rdp-api',
        eventType: 'metadata.updated',
        outcome: 'applied',
        status: 'queued',
      }),
    ]);
    expect(Object.keys(ingestedLines[0]!)).not.toContain('metadata');

    const read = await appsApi('GET', 'rdp-api');
    expect(read.body.profile).toEqual({
      verifiedCustomer: { value: true, source: 'sdk', sequence: 0, at: at(0) },
      badActor: { value: true, source: 'api', sequence: 1, at: at(1) },
    });
    expect(read.body.history).toEqual([
      expect.objectContaining({ flag: 'verifiedCustomer', from: null, to: true, source: 'sdk' }),
      {
        flag: 'badActor',
        from: null,
        to: true,
        source: 'api',
        by: 'crm-app',
        sequence: 1,
        eventId: 'rdp-api-1',
        at: at(1),
      },
    ]);

    const unset = await setByApi('rdp-api', 2, { reserved_verified_customer: false });
    expect(unset.body).toMatchObject({ reserved_verified_customer: false, reserved_bad_actor: true });
    expect(unset.body.history.at(-1)).toMatchObject({ flag: 'verifiedCustomer', from: true, to: false });
  });

  it('when the same signed call comes twice, then the copy is refused with 409 and changes nothing', async () => {
    await created('rdp-replay');
    const body = { eventId: 'rdp-replay-1', sequence: 1, occurredAt: at(1), reserved_repeat_customer: true };
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await appsApi('PATCH', 'rdp-replay', body, timestamp)).status).toBe(200);
    const copy = await appsApi('PATCH', 'rdp-replay', body, timestamp);
    expect(copy.status).toBe(409);
    expect(copy.body.error.details.reason).toBe('replayed_request');
    // Signed afresh, the same call is a redelivery: a duplicate, nothing new.
    const again = await appsApi('PATCH', 'rdp-replay', body, timestamp + 1);
    expect(again.body).toMatchObject({ outcome: 'duplicate', reserved_repeat_customer: true });
    expect((await appsApi('GET', 'rdp-replay')).body.history).toHaveLength(1);
    expect(await eventCount('rdp-replay')).toBe(2);
  });

  it.each([
    ['a property that is not true or false', { reserved_bad_actor: 'yes' }, 'reserved_bad_actor'],
    ['an unknown property', { reserved_bad_actor: true, reserved_vip: true }, '(root)'],
    ['no property at all', {}, '(root)'],
    ['no place in the order', { sequence: -1, reserved_bad_actor: true }, 'sequence'],
  ])(
    'when the Apps API is sent %s, then it is a 400 naming it and nothing is written',
    async (_, change, path) => {
      const sessionId = `rdp-bad-${path.replace(/\W/g, '')}-${Object.keys(change).length}`;
      await created(sessionId);
      const res = await appsApi('PATCH', sessionId, {
        eventId: `${sessionId}-1`,
        sequence: 1,
        occurredAt: at(1),
        ...change,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      const issues = res.body.error.details.issues as { path: string; message: string }[];
      expect(issues.map((i) => i.path)).toContain(path);
      if ('reserved_vip' in change) expect(JSON.stringify(issues)).toContain('reserved_vip');
      expect(await eventCount(sessionId)).toBe(1);
      expect((await appsApi('GET', sessionId)).body.profile).toEqual({});
    },
  );

  it('when a call is not signed, or signed for another session, then it is a 401 and nothing is written', async () => {
    await created('rdp-unsigned');
    const body = JSON.stringify({ eventId: 'x-1', sequence: 1, occurredAt: at(1), reserved_bad_actor: true });
    const unsigned = await fetch(`${events}/v1/sessions/rdp-unsigned/reserved-data`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const signedElsewhere = await sendSigned(`${events}/v1/sessions/rdp-unsigned/reserved-data`, body, {
      secret: SECRET,
      method: 'PATCH',
      signature: signPlatformRequest(SECRET, Math.floor(Date.now() / 1000), {
        method: 'PATCH',
        path: '/v1/sessions/rdp-other/reserved-data',
        body,
      }),
    });
    expect(signedElsewhere.status).toBe(401);
    expect(await eventCount('rdp-unsigned')).toBe(1);
    expect((await fetch(`${events}/v1/sessions/rdp-unsigned/reserved-data`)).status).toBe(401);
  });

  it('when a session was never heard of, then reading its properties is a 404', async () => {
    const res = await appsApi('GET', 'rdp-nobody');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('when SIP headers carry them, then the flags come from SIP', async () => {
    await created('rdp-sip');
    await metadataUpdated('rdp-sip', 1, 'sip', {
      reserved_verified_customer: false,
      reserved_repeat_customer: true,
    });
    expect((await appsApi('GET', 'rdp-sip')).body.profile).toEqual({
      verifiedCustomer: { value: false, source: 'sip', sequence: 1, at: at(1) },
      repeatCustomer: { value: true, source: 'sip', sequence: 1, at: at(1) },
    });
  });

  it('when SIP sends a key of its own, then it is a 400 and nothing is written', async () => {
    await created('rdp-sip-bad');
    const body = JSON.stringify({
      schemaVersion: 1,
      eventId: 'rdp-sip-bad-1',
      sessionId: 'rdp-sip-bad',
      sequence: 1,
      occurredAt: at(1),
      type: 'metadata.updated',
      source: 'sip',
      metadata: { reserved_bad_actor: true, account: 'A-1' },
    });
    const res = await sendSigned(`${events}/v1/events`, body, { secret: SECRET });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as {
      error: { details: { issues: { path: string; message: string }[] } };
    };
    expect(answer.error.details.issues).toEqual([
      expect.objectContaining({
        path: 'metadata',
        message: 'only the reserved properties come from sip (one other key)',
      }),
    ]);
    expect(await eventCount('rdp-sip-bad')).toBe(1);
  });

  it('when the SDK sends personal data as keys, thousands of them, then the 400 is short and repeats none', async () => {
    await created('rdp-pii-keys');
    const event = (metadata: Record<string, unknown>) =>
      JSON.stringify({
        schemaVersion: 1,
        eventId: 'rdp-pii-keys-1',
        sessionId: 'rdp-pii-keys',
        sequence: 1,
        occurredAt: at(1),
        type: 'metadata.updated',
        source: 'sdk',
        metadata,
      });
    // As many bad keys as an event's 64 KB hold.
    const flood = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`@${i}`, i]));
    for (const metadata of [{ 'ada.lovelace@example.com': true }, flood]) {
      const res = await sendSigned(`${events}/v1/events`, event(metadata), { secret: SECRET });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toMatch(/lovelace|example\.com|@\d/);
      expect(text.length).toBeLessThan(1000);
      const answer = JSON.parse(text) as { error: { details: { issues: { path: string }[] } } };
      expect(answer.error.details.issues.map((i) => i.path)).toEqual(['metadata']);
    }
    expect(await eventCount('rdp-pii-keys')).toBe(1);
  });

  it('when the sources arrive out of order and with copies, then the session ends as if they came in order: the last writer wins', async () => {
    const writes = [
      () => created('rdp-ooo-a', { reserved_verified_customer: true, reserved_bad_actor: false }),
      () => metadataUpdated('rdp-ooo-a', 1, 'sip', { reserved_bad_actor: true }),
      () => setByApi('rdp-ooo-a', 2, { reserved_verified_customer: false }),
      () => metadataUpdated('rdp-ooo-a', 3, 'virtual_agent', { reserved_verified_customer: true }, 'va-1'),
    ];
    const reversed = [
      () => metadataUpdated('rdp-ooo-b', 3, 'virtual_agent', { reserved_verified_customer: true }, 'va-1'),
      () => setByApi('rdp-ooo-b', 2, { reserved_verified_customer: false }),
      () => metadataUpdated('rdp-ooo-b', 1, 'sip', { reserved_bad_actor: true }),
      () => created('rdp-ooo-b', { reserved_verified_customer: true, reserved_bad_actor: false }),
      () => metadataUpdated('rdp-ooo-b', 1, 'sip', { reserved_bad_actor: true }),
    ];
    for (const write of writes) await write();
    for (const write of reversed) await write();

    const inOrder = (await appsApi('GET', 'rdp-ooo-a')).body;
    const outOfOrder = (await appsApi('GET', 'rdp-ooo-b')).body;
    expect(inOrder.profile).toEqual({
      verifiedCustomer: { value: true, source: 'virtual_agent', sequence: 3, at: at(3) },
      badActor: { value: true, source: 'sip', sequence: 1, at: at(1) },
    });
    expect(outOfOrder.profile).toEqual(inOrder.profile);
    const changes = (history: any[]) => history.map(({ eventId: _id, ...change }) => change);
    expect(changes(outOfOrder.history)).toEqual(changes(inOrder.history));
    expect(changes(inOrder.history).map((c) => [c.flag, c.from, c.to, c.source])).toEqual([
      ['verifiedCustomer', null, true, 'sdk'],
      ['badActor', null, false, 'sdk'],
      ['badActor', false, true, 'sip'],
      ['verifiedCustomer', true, false, 'api'],
      ['verifiedCustomer', false, true, 'virtual_agent'],
    ]);
  });
});

describe('RDP-4: a virtual agent that verified the end user', () => {
  it('when it passes verified customer, then the flag is verified with the source virtual agent, and supervisors see it so', async () => {
    await created('rdp-va', { reserved_verified_customer: false });
    await metadataUpdated('rdp-va', 1, 'virtual_agent', { reserved_verified_customer: true }, 'va-billing');
    const read = (await appsApi('GET', 'rdp-va')).body;
    expect(read.reserved_verified_customer).toBe(true);
    expect(read.profile.verifiedCustomer).toMatchObject({ value: true, source: 'virtual_agent' });
    expect(read.history.at(-1)).toMatchObject({
      from: false,
      to: true,
      source: 'virtual_agent',
      by: 'va-billing',
    });

    const details = await call('manager', 'GET', '/v1/sessions/rdp-va');
    expect(details.body.profileFlags).toEqual([
      {
        flag: 'verified',
        label: 'Verified customer',
        source: 'virtual_agent',
        sourceLabel: 'Virtual agent',
        since: at(1),
      },
    ]);
  });
});

describe('RDP-2: profile flags where agents and supervisors already look', () => {
  it('when a session has flags, then its details and the list show them with their sources; a manager of another team sees neither', async () => {
    await created('rdp-views', { reserved_repeat_customer: true });
    await metadataUpdated('rdp-views', 1, 'sip', { reserved_bad_actor: true });
    await setByApi('rdp-views', 2, { reserved_verified_customer: false });

    const expected = [
      {
        flag: 'unverified',
        label: 'Unverified customer',
        source: 'api',
        sourceLabel: 'Apps API',
        since: at(2),
      },
      { flag: 'bad_actor', label: 'Bad actor', source: 'sip', sourceLabel: 'SIP header', since: at(1) },
      { flag: 'repeat_customer', label: 'Repeat customer', source: 'sdk', sourceLabel: 'SDK', since: at(0) },
    ];
    const details = await call('manager', 'GET', '/v1/sessions/rdp-views');
    expect(details.status).toBe(200);
    expect(details.body.profileFlags).toEqual(expected);
    expect(details.body.profile.badActor).toMatchObject({ value: true, source: 'sip' });
    expect(details.body.profileHistory).toHaveLength(3);

    const list = await call('manager', 'GET', '/v1/sessions?kind=chat&state=queued&pageSize=100');
    expect(list.status).toBe(200);
    const listed = list.body.items.find((s: { id: string }) => s.id === 'rdp-views');
    expect(listed.profileFlags).toEqual(expected);

    // Outside their teams, a session is not one they know of.
    expect((await call('outsider', 'GET', '/v1/sessions/rdp-views')).status).toBe(404);
    const theirs = await call('outsider', 'GET', '/v1/sessions?kind=chat&state=queued&pageSize=100');
    expect(theirs.body.items.map((s: { id: string }) => s.id)).not.toContain('rdp-views');
  });

  it("when a chat is on an agent's desk and a flag changes, then the desk's document shows the flags as they now are", async () => {
    expect((await call('ari', 'PUT', '/v1/agent/state', { state: 'available' })).status).toBe(200);
    await created('rdp-desk', { reserved_verified_customer: true });
    await platform('rdp-desk', 1, 'session.assigned', { agent: { id: uidOf('ari') } });

    const offered = await call('ari', 'GET', '/v1/chats/rdp-desk');
    expect(offered.status).toBe(200);
    expect(offered.body.chat.profileFlags).toEqual([
      expect.objectContaining({ flag: 'verified', source: 'sdk', sourceLabel: 'SDK' }),
    ]);

    await metadataUpdated('rdp-desk', 2, 'sip', {
      reserved_bad_actor: true,
      reserved_verified_customer: false,
    });
    const desk = (await db.doc(`agentDesks/${uidOf('ari')}/chats/rdp-desk`).get()).data()!;
    expect(desk.profileFlags.map((f: { flag: string; source: string }) => [f.flag, f.source])).toEqual([
      ['unverified', 'sip'],
      ['bad_actor', 'sip'],
    ]);
    expect((await call('ari', 'GET', '/v1/chats/rdp-desk')).body.chat.profileFlags).toEqual(
      desk.profileFlags,
    );
    // The chat itself did not move: still offered to the same agent.
    expect(desk).toMatchObject({ status: 'offered', role: 'offered' });
  });

  it('when a session was stored before it had profile flags, then it is shown without any and takes them as they come', async () => {
    await created('rdp-old');
    await db.doc('sessions/rdp-old').update({
      profile: FieldValue.delete(),
      metadata: FieldValue.delete(),
      profileHistory: FieldValue.delete(),
    });
    const before = await call('manager', 'GET', '/v1/sessions/rdp-old');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ profileFlags: [], profile: {}, profileHistory: [] });
    expect((await appsApi('GET', 'rdp-old')).body.reserved_bad_actor).toBeNull();

    await metadataUpdated('rdp-old', 1, 'sip', { reserved_bad_actor: true });
    const after = await call('manager', 'GET', '/v1/sessions/rdp-old');
    expect(after.body.profileFlags).toEqual([expect.objectContaining({ flag: 'bad_actor', source: 'sip' })]);
  });

  it('when properties were sent, then no log line carries the metadata the SDK sent', () => {
    const all = logLines.join('\n');
    expect(all).toContain('session_event_ingested');
    expect(all).not.toContain('gold');
    expect(all).not.toContain('silver');
  });
});
