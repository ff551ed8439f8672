import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorHost, testFirestore, testProjectId } from '../support/projects.js';

/**
 * firestore.rules on the Firestore emulator, read as a client SDK would: with an ID token of an agent,
 * of an admin, or with none. Data is written with the emulator's owner credentials.
 */
const projectId = testProjectId('rules');
const db = testFirestore(projectId);
const base = () =>
  `http://${emulatorHost('FIRESTORE_EMULATOR_HOST')}/v1/projects/${projectId}/databases/(default)/documents`;

/** An unsigned token, as the Auth emulator issues them; the Firestore emulator reads its claims. */
const tokenFor = (uid: string) =>
  [
    Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
    Buffer.from(
      JSON.stringify({
        iss: `https://securetoken.google.com/${projectId}`,
        aud: projectId,
        sub: uid,
        user_id: uid,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
        firebase: { sign_in_provider: 'password', identities: {} },
      }),
    ).toString('base64url'),
    '',
  ].join('.');

async function read(path: string, uid?: string) {
  const res = await fetch(`${base()}/${path}`, {
    headers: uid ? { authorization: `Bearer ${tokenFor(uid)}` } : {},
  });
  return res.status;
}

async function runQuery(
  collection: string,
  uid: string,
  where?: { field: string; value: string },
  andWhere?: { field: string; value: string },
) {
  const structuredQuery: Record<string, unknown> = { from: [{ collectionId: collection }] };
  const filter = (w: { field: string; value: string }) => ({
    fieldFilter: { field: { fieldPath: w.field }, op: 'EQUAL', value: { stringValue: w.value } },
  });
  if (where)
    structuredQuery.where = andWhere
      ? { compositeFilter: { op: 'AND', filters: [filter(where), filter(andWhere)] } }
      : filter(where);
  const res = await fetch(`${base()}:runQuery`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokenFor(uid)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ structuredQuery }),
  });
  return res.status;
}

beforeAll(async () => {
  await db
    .doc('sessions/S-ari')
    .set({ kind: 'call', listState: 'connected', agent: { id: 'u-ari', name: 'Ari' } });
  // A live chat: its session holds the customer's data as sent; the agent's documents, masked.
  await db.doc('sessions/C-ari').set({
    kind: 'chat',
    listState: 'connected',
    agent: { id: 'u-ari', name: 'Ari' },
    consumer: { id: 'c-1', name: '+447966197542' },
  });
  await db.doc('chats/C-ari').set({ sessionId: 'C-ari', phase: 'accepted', owner: 'u-ari' });
  await db.doc('agentDesks/u-ari').set({ agentId: 'u-ari', state: 'available', wrapUpsOwed: [] });
  await db.doc('agentDesks/u-ari/chats/C-ari').set({ sessionId: 'C-ari', customerName: '*********7542' });
  await db
    .doc('agentDesks/u-ari/chats/C-ari/messages/m1')
    .set({ messageId: 'm1', author: 'customer', text: 'm******@gmail.com', order: '1' });
  await db
    .doc('sessions/S-sam')
    .set({ kind: 'call', listState: 'connected', agent: { id: 'u-sam', name: 'Sam' } });
  await db.doc('sessions/S-queued').set({ kind: 'call', listState: 'queued', agent: null });
  await db.doc('sessions/S-ari/events/e1').set({ type: 'message.sent' });
  await db.doc('monitors/S-ari__u-manager').set({ sessionId: 'S-ari', uid: 'u-manager', active: true });
  await db
    .doc('audit/a1')
    .set({ sessionId: 'S-ari', agentId: 'u-ari', actorUid: 'u-manager', action: 'monitor.started' });
  await db.doc('users/u-admin').set({ roleIds: ['admin'] });
  await db.doc('consumers/web_visitor:v-1').set({ key: 'web_visitor:v-1', contactId: '003000000000001AAA' });
  await db.doc('consumerMerges/m-1').set({ id: 'm-1', consumerKey: 'web_visitor:v-1', consumerId: 'c-1' });
  await db.doc('notifications/u-ari__vm-1').set({ agentId: 'u-ari', type: 'voicemail', voicemailId: 'vm-1' });
  await db.doc('voicemails/vm-1').set({ queueId: 'q-1', callerNumber: '+15551234567' });
  await db.doc('sessions/S-ari/smartActions/r-1').set({
    id: 'r-1',
    kind: 'call',
    agentId: 'u-ari',
    action: 'text_input',
    result: { type: 'text', text: 'A' },
  });
  await db.doc('sessions/C-ari/smartActions/r-2').set({ id: 'r-2', kind: 'chat', agentId: 'u-ari' });
  await db.doc('agentDesks/u-ari/media/m-1').set({ id: 'm-1', sessionId: 'S-ari', downloadUrl: 'u' });
  await db.doc('agentDesks/u-ari/chats/C-ari/smartActions/r-2').set({ id: 'r-2', kind: 'chat' });
  await db.doc('sessions/S-ari/media/m-1').set({ id: 'm-1', agentId: 'u-ari', uploadUrl: 'u' });
  await db
    .doc('recordings/rec-1')
    .set({ sessionId: 'S-sam', status: 'uploading', object: { name: 'r.wav' } });
});

afterAll(() => db.terminate());

describe('firestore.rules', () => {
  it('when an agent reads a session they handle, then it is allowed', async () => {
    expect(await read('sessions/S-ari', 'u-ari')).toBe(200);
  });

  it('when an agent lists the calls they handle, then it is allowed; all sessions, denied', async () => {
    const calls = { field: 'kind', value: 'call' };
    expect(await runQuery('sessions', 'u-ari', { field: 'agent.id', value: 'u-ari' }, calls)).toBe(200);
    expect(await runQuery('sessions', 'u-ari')).toBe(403);
  });

  it("when an agent reads another agent's session, a queued one, or anyone reads without a token, then it is denied", async () => {
    expect(await read('sessions/S-sam', 'u-ari')).toBe(403);
    expect(await read('sessions/S-queued', 'u-ari')).toBe(403);
    expect(await read('sessions/S-ari')).toBe(403);
  });

  it('when an agent looks for the monitors of their own session, by id or by query, then it is denied', async () => {
    expect(await read('monitors/S-ari__u-manager', 'u-ari')).toBe(403);
    expect(await runQuery('monitors', 'u-ari', { field: 'sessionId', value: 'S-ari' })).toBe(403);
  });

  it('when anyone, an admin included, reads anonymous consumers or their merges, then it is denied', async () => {
    for (const uid of ['u-ari', 'u-admin', undefined]) {
      expect(await read('consumers/web_visitor:v-1', uid)).toBe(403);
      expect(await read('consumerMerges/m-1', uid)).toBe(403);
    }
    expect(await runQuery('consumerMerges', 'u-admin', { field: 'consumerId', value: 'c-1' })).toBe(403);
  });

  it("when an agent reads the audit trail or their session's events, then it is denied", async () => {
    expect(await read('audit/a1', 'u-ari')).toBe(403);
    expect(await runQuery('audit', 'u-ari', { field: 'agentId', value: 'u-ari' })).toBe(403);
    expect(await read('sessions/S-ari/events/e1', 'u-ari')).toBe(403);
  });

  it("when the agent of a call reads its recording's upload plan, then it is denied (REC-4: only through the api)", async () => {
    expect(await read('recordings/rec-1', 'u-sam')).toBe(403);
    expect(await runQuery('recordings', 'u-sam', { field: 'sessionId', value: 'S-sam' })).toBe(403);
    expect(await read('recordings/rec-1', 'u-admin')).toBe(403);
    // The same reader is let through where a rule allows it: the denial above is the rule's doing.
    expect(await read('sessions/S-sam', 'u-sam')).toBe(200);
  });

  it('when even an admin reads monitors, audit or users directly, then it is denied: those go through the API', async () => {
    expect(await read('monitors/S-ari__u-manager', 'u-admin')).toBe(403);
    expect(await read('audit/a1', 'u-admin')).toBe(403);
    expect(await read('users/u-admin', 'u-admin')).toBe(403);
  });

  it("when an agent reads their own notifications, then it is allowed; another agent's, or the voicemail itself, denied", async () => {
    expect(await read('notifications/u-ari__vm-1', 'u-ari')).toBe(200);
    expect(await runQuery('notifications', 'u-ari', { field: 'agentId', value: 'u-ari' })).toBe(200);
    expect(await read('notifications/u-ari__vm-1', 'u-sam')).toBe(403);
    expect(await read('voicemails/vm-1', 'u-ari')).toBe(403);
  });

  it("when an agent reads their own desk, chat and thread (by id or listener query), then it is allowed; another agent's, a supervisor's client, a consumer or no token, denied", async () => {
    for (const path of [
      'agentDesks/u-ari',
      'agentDesks/u-ari/chats/C-ari',
      'agentDesks/u-ari/chats/C-ari/messages/m1',
    ]) {
      expect(await read(path, 'u-ari')).toBe(200);
      for (const stranger of ['u-sam', 'u-manager', 'u-admin', 'consumer-c-1'])
        expect(await read(path, stranger)).toBe(403);
      expect(await read(path)).toBe(403);
    }
    const queryUnder = async (parent: string, collectionId: string, uid: string) =>
      (
        await fetch(`${base()}/${parent}:runQuery`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenFor(uid)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ structuredQuery: { from: [{ collectionId }] } }),
        })
      ).status;
    expect(await queryUnder('agentDesks/u-ari', 'chats', 'u-ari')).toBe(200);
    expect(await queryUnder('agentDesks/u-ari/chats/C-ari', 'messages', 'u-ari')).toBe(200);
    expect(await queryUnder('agentDesks/u-ari', 'chats', 'u-sam')).toBe(403);
    expect(await queryUnder('agentDesks/u-ari/chats/C-ari', 'messages', 'u-manager')).toBe(403);
  });

  it("when the agent of a chat reads its session or the chat's own state, where the customer's data is unmasked, then it is denied", async () => {
    expect(await read('sessions/C-ari', 'u-ari')).toBe(403);
    expect(await read('chats/C-ari', 'u-ari')).toBe(403);
    expect(await runQuery('sessions', 'u-ari', { field: 'agent.id', value: 'u-ari' })).toBe(403);
  });

  it("when the agent of a call reads its smart actions (by id or listener query), then it is allowed; another agent, no token, or a chat's session, denied", async () => {
    expect(await read('sessions/S-ari/smartActions/r-1', 'u-ari')).toBe(200);
    expect(await read('sessions/S-ari/smartActions/r-1', 'u-sam')).toBe(403);
    expect(await read('sessions/S-ari/smartActions/r-1', 'u-manager')).toBe(403);
    expect(await read('sessions/S-ari/smartActions/r-1')).toBe(403);
    // A chat's session holds the customer's data unmasked: its requests are read on the agent's desk.
    expect(await read('sessions/C-ari/smartActions/r-2', 'u-ari')).toBe(403);
    const listen = async (sessionId: string, uid: string) =>
      (
        await fetch(`${base()}/sessions/${sessionId}:runQuery`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenFor(uid)}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            structuredQuery: {
              from: [{ collectionId: 'smartActions' }],
              where: {
                fieldFilter: { field: { fieldPath: 'kind' }, op: 'EQUAL', value: { stringValue: 'call' } },
              },
            },
          }),
        })
      ).status;
    expect(await listen('S-ari', 'u-ari')).toBe(200);
    expect(await listen('S-ari', 'u-sam')).toBe(403);
  });

  it("when an agent reads the customer's files and a chat's smart actions on their own desk, then it is allowed; anyone else, and the upload slots under the session, denied", async () => {
    for (const path of ['agentDesks/u-ari/media/m-1', 'agentDesks/u-ari/chats/C-ari/smartActions/r-2']) {
      expect(await read(path, 'u-ari')).toBe(200);
      for (const stranger of ['u-sam', 'u-manager', 'u-admin', 'consumer-c-1'])
        expect(await read(path, stranger)).toBe(403);
      expect(await read(path)).toBe(403);
    }
    // Upload slots hold the upload URLs: no client reads them, not even the session's agent.
    expect(await read('sessions/S-ari/media/m-1', 'u-ari')).toBe(403);
    expect(await read('sessions/S-ari/media/m-1', 'u-admin')).toBe(403);
  });

  it('when a client writes anything, then it is denied', async () => {
    const res = await fetch(`${base()}/sessions/S-ari?updateMask.fieldPaths=kind`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${tokenFor('u-ari')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { kind: { stringValue: 'call' } } }),
    });
    expect(res.status).toBe(403);
  });
});
