import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { composedIngest } from '../support/ingest.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Revealing the original text of a masked chat message (LCH-6) over HTTP: a permission no built-in
 * role holds, granted by an admin through a custom role, scoped to teams, and every reveal audited.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'chat-reveal-e2e';
const TOPIC = 'chat-reveal-e2e-commands';
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let api = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};

const people = {
  'rv-boss': { name: 'Bo Admin', roleIds: ['admin'], teamIds: [] },
  'rv-rita': { name: 'Rita Agent', roleIds: ['agent'], teamIds: ['team-a'] },
  'rv-ari': { name: 'Ari Agent', roleIds: ['agent'], teamIds: ['team-a'] },
  'rv-sam': { name: 'Sam Agent', roleIds: ['agent'], teamIds: ['team-b'] },
};
type Who = keyof typeof people;

const CARD_MESSAGE = 'My card is 4111 1111 1111 1111, please refund it';

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

async function platform(sessionId: string, sequence: number, type: string, fields: Record<string, unknown>) {
  await ingestSessionEvent(
    composedIngest(projectId, { databaseId }),
    SessionEvent.parse({
      schemaVersion: 1,
      eventId: `${sessionId}-${sequence}`,
      sessionId,
      sequence,
      occurredAt: new Date(Date.now() - (60 - sequence) * 1000).toISOString(),
      type,
      ...fields,
    }),
  );
}

async function liveChat(sessionId: string, queueId: string, agentId: string) {
  await platform(sessionId, 0, 'session.created', {
    kind: 'chat',
    channel: 'web',
    queue: { id: queueId, menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: `c-${sessionId}`, name: 'Ada Lovelace' },
  });
  await platform(sessionId, 1, 'session.connected', { agent: { id: agentId } });
  await platform(sessionId, 2, 'message.sent', {
    message: { id: 'm-card', author: { type: 'consumer' }, text: CARD_MESSAGE },
  });
}

const reveal = (who: Who, sessionId: string, messageId: string) =>
  call(who, 'POST', `/v1/chats/${sessionId}/messages/${messageId}/reveal`);

async function reveals(sessionId: string) {
  const page = await call('rv-boss', 'GET', `/v1/audit?sessionId=${sessionId}`);
  expect(page.status).toBe(200);
  return (page.body.items as Record<string, unknown>[]).filter((e) => e.action === 'message.revealed');
}

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: 'chat-reveal-secret-0123456789abcdef01234',
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_COMMANDS_TOPIC: TOPIC,
  });
  const [topics] = await pubsub.getTopics();
  if (!topics.some((t) => t.name.endsWith(`/${TOPIC}`))) await pubsub.createTopic(TOPIC);
  const batch = db.batch();
  batch.set(db.doc('queues/q-a'), { name: 'Billing', teamIds: ['team-a'] });
  batch.set(db.doc('queues/q-b'), { name: 'Support', teamIds: ['team-b'] });
  for (const [uid, person] of Object.entries(people))
    batch.set(db.doc(`users/${uid}`), { ...person, ...agentListing({ uid, ...person }) });
  await batch.commit();
  for (const uid of Object.keys(people)) {
    await createAccount(projectId, uid, `${uid}@reveal.example`);
    tokens[uid] = await signIn(`${uid}@reveal.example`);
  }
  await liveChat('rv-chat-a', 'q-a', 'rv-rita');
  await liveChat('rv-chat-b', 'q-b', 'rv-sam');

  const served = await serveFunctions({ api: 0 });
  configureLogs({ sink: () => {} });
  api = served.functions.find((f) => f.name === 'api')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await pubsub.close();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

describe('revealing a masked message (LCH-6)', () => {
  it('when an agent or even an admin has not been granted the permission, then 403 naming it, and nothing is audited', async () => {
    for (const who of ['rv-rita', 'rv-boss'] as const) {
      const refused = await reveal(who, 'rv-chat-a', 'm-card');
      expect(refused.status).toBe(403);
      expect(refused.body.error.details).toEqual({
        reason: 'missing_permission',
        permission: 'Sensitive-Data-Reveal',
      });
      expect(JSON.stringify(refused.body)).not.toContain('4111');
    }
    expect(await reveals('rv-chat-a')).toEqual([]);
  });

  it('when an admin grants it through a custom role, then the agent reads the original text and the reveal is audited without it', async () => {
    const role = await call('rv-boss', 'PUT', '/v1/roles/pii-reader', {
      name: 'Sensitive data reader',
      permissions: ['Sensitive-Data-Reveal'],
      scope: 'assigned_teams',
    });
    expect([200, 201]).toContain(role.status);
    const granted = await call('rv-boss', 'PUT', '/v1/people/rv-rita', {
      name: 'Rita Agent',
      roleIds: ['agent', 'pii-reader'],
      teamIds: ['team-a'],
    });
    expect(granted.status).toBe(200);

    const revealed = await reveal('rv-rita', 'rv-chat-a', 'm-card');
    expect(revealed.status).toBe(200);
    expect(revealed.body).toMatchObject({ messageId: 'm-card', author: 'consumer', text: CARD_MESSAGE });

    const entries = await reveals('rv-chat-a');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'message.revealed',
      actorUid: 'rv-rita',
      sessionId: 'rv-chat-a',
      messageId: 'm-card',
      kind: 'chat',
      at: revealed.body.revealedAt,
    });
    expect(JSON.stringify(entries)).not.toContain('4111');
    const stored = (await db.collection('audit').where('action', '==', 'message.revealed').get()).docs;
    expect(JSON.stringify(stored.map((d) => d.data()))).not.toContain('1111');

    // A second reveal is a second entry: every reveal is on the trail.
    expect((await reveal('rv-rita', 'rv-chat-a', 'm-card')).status).toBe(200);
    expect(await reveals('rv-chat-a')).toHaveLength(2);
  });

  it('when the holder asks about a chat outside their teams, or a message that is not there, then 404 and no entry', async () => {
    expect((await reveal('rv-rita', 'rv-chat-b', 'm-card')).status).toBe(404);
    expect((await reveal('rv-rita', 'rv-chat-a', 'm-nope')).status).toBe(404);
    expect(await reveals('rv-chat-b')).toEqual([]);
    const entries = await reveals('rv-chat-a');
    expect(entries.every((e) => e.messageId === 'm-card')).toBe(true);
  });

  it('when an agent of the same team without the permission asks, then 403 still', async () => {
    const refused = await reveal('rv-ari', 'rv-chat-a', 'm-card');
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.permission).toBe('Sensitive-Data-Reveal');
  });
});
