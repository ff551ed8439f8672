import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT, testFirestore } from '../support/projects.js';

/**
 * Supervisors over HTTP: the api and platformEvents functions served by the functions framework,
 * people signed in on the Auth emulator, Firestore and Pub/Sub on their emulators.
 */
const projectId = AUTH_TEST_PROJECT;
const SECRET = 'supervision-secret-0123456789abcdef012345';
const db = testFirestore(projectId);
const pubsub = new PubSub({ projectId });
let api = '';
let events = '';
let stop: () => Promise<void> = async () => {};
let commands: Subscription;
const tokens: Record<string, string> = {};

const people = {
  admin: { name: 'Alex Admin', roleIds: ['admin'], teamIds: [] },
  manager: { name: 'Morgan Manager', roleIds: ['manager'], teamIds: ['team-a'] },
  trainee: { name: 'Tess Trainee', roleIds: ['agent', 'trainee'], teamIds: ['team-a'] },
  ari: { name: 'Ari Agent', roleIds: ['agent'], teamIds: ['team-a'] },
  sam: { name: 'Sam Agent', roleIds: ['agent'], teamIds: ['team-b'] },
};
type Who = keyof typeof people;

const T0 = Date.now();
const minutesAgo = (m: number) => new Date(T0 - m * 60_000).toISOString();
const sequences = new Map<string, number>();

async function platform(
  sessionId: string,
  type: string,
  fields: Record<string, unknown> = {},
  at = new Date().toISOString(),
) {
  const sequence = sequences.get(sessionId) ?? 0;
  sequences.set(sessionId, sequence + 1);
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence,
    occurredAt: at,
    type,
    ...fields,
  });
  const res = await sendSigned(`${events}/v1/events`, body, { secret: SECRET });
  expect(res.status).toBe(200);
}

const created = (
  id: string,
  kind: 'call' | 'chat',
  queue: 'q-a' | 'q-b',
  consumer: Record<string, unknown>,
  at: string,
) =>
  platform(
    id,
    'session.created',
    {
      kind,
      channel: kind === 'call' ? 'ivr' : 'web',
      queue: { id: queue, menuPath: queue === 'q-a' ? ['Billing', 'Refunds'] : ['Support'] },
      language: 'en',
      consumer,
    },
    at,
  );

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

/** The commands published since the last call, as the platform's subscription receives them. */
async function publishedCommands(
  atLeast: number,
): Promise<{ type: string; sessionId: string; commandId: string }[]> {
  const received: { type: string; sessionId: string; commandId: string }[] = [];
  await new Promise<void>((resolve) => {
    const onMessage = (m: { data: Buffer; ack(): void }) => {
      received.push(JSON.parse(m.data.toString()) as never);
      m.ack();
    };
    commands.on('message', onMessage);
    // Wait for the expected ones (up to 15 s on a slow machine), then a moment more for any extra.
    const started = Date.now();
    const check = setInterval(() => {
      if (received.length >= atLeast || Date.now() - started > 15_000) {
        clearInterval(check);
        setTimeout(() => {
          commands.removeListener('message', onMessage);
          resolve();
        }, 750);
      }
    }, 100);
  });
  return received;
}

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_COMMANDS_TOPIC: 'platform-commands',
  });
  const [topic] = await pubsub.createTopic('platform-commands');
  [commands] = await topic.createSubscription('commands-seen-by-test');

  const batch = db.batch();
  batch.set(db.doc('queues/q-a'), { name: 'Refunds', teamIds: ['team-a'] });
  batch.set(db.doc('queues/q-b'), { name: 'Support', teamIds: ['team-b'] });
  batch.set(db.doc('roles/trainee'), {
    name: 'Agent in training',
    permissions: ['Monitor-Calls', 'Monitor-Chats'],
    scope: 'assigned_teams',
  });
  batch.set(db.doc('settings/supervision'), {
    stuckThresholds: { queuedMinutes: 300, connectedMinutes: 480 },
  });
  const { agentListing } = await import('../../functions/src/domain/supervision/agent-listing.js');
  for (const [uid, person] of Object.entries(people))
    batch.set(db.doc(`users/${uid}`), { ...person, ...agentListing({ uid, ...person }) });
  await batch.commit();
  for (const uid of Object.keys(people)) {
    await createAccount(projectId, uid, `${uid}@acme.example`);
    tokens[uid] = await signIn(`${uid}@acme.example`);
  }

  const served = await serveFunctions({ api: 0, platformEvents: 0 });
  configureLogs({ sink: () => {} });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  stop = served.stop;

  // Team A: a connected call (Ari), a connected chat (Ari, anonymous consumer), a call queued 6 h ago.
  await created('call-a', 'call', 'q-a', { id: 'c-ada', name: 'Ada Lovelace' }, minutesAgo(20));
  await platform('call-a', 'session.connected', { agent: { id: 'ari', name: 'Ari' } }, minutesAgo(18));
  await created('chat-a', 'chat', 'q-a', { id: 'visitor-7f3a', anonymous: true }, minutesAgo(10));
  await platform('chat-a', 'session.connected', { agent: { id: 'ari' } }, minutesAgo(9));
  await platform(
    'chat-a',
    'message.sent',
    { message: { id: 'm1', author: { type: 'consumer' }, text: 'My refund is late' } },
    minutesAgo(8),
  );
  await platform(
    'chat-a',
    'message.sent',
    { message: { id: 'm2', author: { type: 'agent', id: 'ari' }, text: 'Let me check' } },
    minutesAgo(7),
  );
  await created('call-stuck', 'call', 'q-a', { id: 'c-grace', name: 'Grace Hopper' }, minutesAgo(6 * 60));
  await created('call-fresh', 'call', 'q-a', { id: 'c-alan', name: 'Alan Turing' }, minutesAgo(1));
  // Team B: a connected call (Sam).
  await created('call-b', 'call', 'q-b', { id: 'c-kat', name: 'Katherine Johnson' }, minutesAgo(15));
  await platform('call-b', 'session.connected', { agent: { id: 'sam', name: 'Sam' } }, minutesAgo(14));
});

afterAll(async () => {
  await stop();
  await commands?.close();
  await pubsub.close();
  await db.terminate();
});

describe('people authentication', () => {
  it('when no token, a forged one or one of a stranger is presented, then 401 or 403 with a reason', async () => {
    expect((await call(null, 'GET', '/v1/me')).body.error.details.reason).toBe('missing_bearer_token');
    const forged = await fetch(`${api}/v1/me`, { headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(forged.status).toBe(401);
    await createAccount(projectId, 'stranger', 'stranger@acme.example');
    const res = await fetch(`${api}/v1/me`, {
      headers: { authorization: `Bearer ${await signIn('stranger@acme.example')}` },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe(
      'not_a_member',
    );
  });

  it('when a manager asks who they are, then their permissions are scoped to their team', async () => {
    const me = await call('manager', 'GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.permissions).toEqual({
      'Monitor-Calls': ['team-a'],
      'Monitor-Chats': ['team-a'],
      Barge: ['team-a'],
      'Monitor-Chats-Edit': ['team-a'],
    });
  });
});

describe('lists (MON-6)', () => {
  it('when an admin lists connected calls, then both teams show; a manager sees their team only; an agent is refused', async () => {
    const ids = (r: { body: Record<string, any> }) =>
      (r.body.items as { id: string }[]).map((i) => i.id).sort();
    expect(ids(await call('admin', 'GET', '/v1/sessions?kind=call&state=connected'))).toEqual([
      'call-a',
      'call-b',
    ]);
    expect(ids(await call('manager', 'GET', '/v1/sessions?kind=call&state=connected'))).toEqual(['call-a']);
    expect(ids(await call('manager', 'GET', '/v1/sessions?kind=call&state=connected&teamId=team-b'))).toEqual(
      [],
    );
    const agent = await call('ari', 'GET', '/v1/sessions?kind=call&state=connected');
    expect(agent.status).toBe(403);
    expect(agent.body.error.details).toEqual({ reason: 'missing_permission', permission: 'Monitor-Calls' });
  });

  it('when queued calls are listed, then the longest waiting comes first and is marked stuck past the threshold', async () => {
    const res = await call('manager', 'GET', '/v1/sessions?kind=call&state=queued');
    expect(res.body.items.map((i: { id: string; stuck: boolean }) => [i.id, i.stuck])).toEqual([
      ['call-stuck', true],
      ['call-fresh', false],
    ]);
  });

  it('when paging one by one, then every session comes once and the last page has no cursor', async () => {
    const first = await call('admin', 'GET', '/v1/sessions?kind=call&state=queued&pageSize=1');
    expect(first.body.items).toHaveLength(1);
    const second = await call(
      'admin',
      'GET',
      `/v1/sessions?kind=call&state=queued&pageSize=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect(second.body.nextCursor).toBeNull();
    expect((await call('admin', 'GET', '/v1/sessions?kind=call&state=queued&cursor=bogus')).status).toBe(400);
  });

  it('when a cursor is forged, or comes from another list or other filters, then 400 invalid_cursor and no query runs', async () => {
    const first = await call('admin', 'GET', '/v1/sessions?kind=call&state=queued&pageSize=1');
    const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'a/b'])).toString('base64url');
    for (const path of [
      `/v1/sessions?kind=call&state=connected&pageSize=1&cursor=${first.body.nextCursor}`,
      `/v1/sessions?kind=chat&state=queued&pageSize=1&cursor=${first.body.nextCursor}`,
      `/v1/agents?cursor=${first.body.nextCursor}`,
      `/v1/audit?cursor=${first.body.nextCursor}`,
      `/v1/sessions?kind=call&state=queued&cursor=${forged}`,
      `/v1/agents?cursor=${forged}`,
      `/v1/audit?cursor=${forged}`,
      `/v1/audit?cursor=${encodeURIComponent('%%\u0000')}`,
    ]) {
      const res = await call('admin', 'GET', path);
      expect([path, res.status, res.body.error.details.issues[0].code]).toEqual([
        path,
        400,
        'invalid_cursor',
      ]);
    }
  });

  it('when searching by consumer name, consumer id or agent name, then the session is found within scope', async () => {
    const found = async (who: Who, q: string) =>
      (
        await call(who, 'GET', `/v1/sessions?kind=call&state=connected&q=${encodeURIComponent(q)}`)
      ).body.items.map((i: { id: string }) => i.id);
    expect(await found('manager', 'lovel')).toEqual(['call-a']);
    expect(await found('manager', 'c-ada')).toEqual(['call-a']);
    expect(await found('admin', 'Sam')).toEqual(['call-b']);
    expect(await found('manager', 'Katherine')).toEqual([]);
  });

  it('when bad filters are given, then a 400 names them', async () => {
    const res = await call('admin', 'GET', '/v1/sessions?kind=fax&state=connected&pageSize=1000');
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'kind',
      'pageSize',
    ]);
  });

  it("when agents are listed, then each shows their current sessions, within the manager's teams", async () => {
    const res = await call('manager', 'GET', '/v1/agents');
    expect(res.body.items.map((a: { uid: string }) => a.uid)).toEqual(['ari', 'trainee']);
    const ari = res.body.items[0];
    expect(ari.currentSessions.map((s: { id: string }) => s.id).sort()).toEqual(['call-a', 'chat-a']);
    const admin = await call('admin', 'GET', '/v1/agents?q=sam');
    expect(
      admin.body.items.map((a: { uid: string; currentSessions: { id: string }[] }) => [
        a.uid,
        a.currentSessions.map((s) => s.id),
      ]),
    ).toEqual([['sam', ['call-b']]]);
  });
});

describe('details (MON-4, MON-5)', () => {
  it('when a manager opens a call of their team, then metrics, participants and allowed actions show', async () => {
    const res = await call('manager', 'GET', '/v1/sessions/call-a');
    expect(res.status).toBe(200);
    expect(res.body.metrics.queueWaitMs).toBe(120_000);
    expect(res.body.metrics.talkMs).toBeGreaterThanOrEqual(18 * 60_000 - 5_000);
    expect(res.body.agent).toEqual({ id: 'ari', name: 'Ari Agent' }); // as in Users & Teams
    expect(res.body.actions).toEqual({ monitor: true, barge: true, end: true });
  });

  it('when a chat has an anonymous consumer, then the end user is their unique id and the issue is the menu path', async () => {
    const res = await call('trainee', 'GET', '/v1/sessions/chat-a');
    expect(res.body.endUser.display).toBe('visitor-7f3a');
    expect(res.body.issue).toBe('Billing > Refunds');
    expect(res.body.actions).toEqual({ monitor: true, barge: false, end: false });
  });

  it("when a manager reaches for another team's call by any route, then it is answered as a call that does not exist", async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['GET', '/messages'],
      ['PUT', '/monitors/me'],
      ['POST', '/barge'],
      ['POST', '/end-requests'],
      ['POST', '/end', { confirmationId: '00000000-0000-4000-8000-000000000000' }],
      ['GET', '/transfer-targets'],
    ];
    for (const [method, path, body] of routes) {
      const other = await call('manager', method, `/v1/sessions/call-b${path}`, body);
      const unknown = await call('manager', method, `/v1/sessions/no-such-call${path}`, body);
      expect([method, path, other.status]).toEqual([method, path, 404]);
      expect(other.body).toEqual(unknown.body);
    }
    expect((await call('admin', 'GET', '/v1/sessions/nope')).status).toBe(404);
  });

  it('when someone without the permission at all asks, then 403 for any id, existing or not', async () => {
    for (const id of ['call-a', 'call-b', 'no-such-call']) {
      const res = await call('ari', 'GET', `/v1/sessions/${id}`);
      expect([id, res.status, res.body.error.details]).toEqual([
        id,
        403,
        { reason: 'missing_permission', permission: 'Monitor-Calls' },
      ]);
    }
    const barged = await call('trainee', 'POST', '/v1/sessions/call-b/barge');
    expect([barged.status, barged.body.error.details.reason]).toEqual([403, 'missing_permission']);
  });
});

describe('monitoring (MON-1, 2, 3, 7) and barge', () => {
  it('when two people monitor a chat, then both read the live thread, and the agent sees no trace of them', async () => {
    expect((await call('manager', 'PUT', '/v1/sessions/chat-a/monitors/me')).status).toBe(200);
    expect((await call('trainee', 'PUT', '/v1/sessions/chat-a/monitors/me')).status).toBe(200);
    const thread = await call('trainee', 'GET', '/v1/sessions/chat-a/messages');
    expect(thread.body.messages.map((m: { text: string }) => m.text)).toEqual([
      'My refund is late',
      'Let me check',
    ]);
    expect((await call('admin', 'GET', '/v1/sessions/chat-a/messages')).body.error.details.reason).toBe(
      'not_monitoring',
    );

    // The agent: no API reaches the session's details or monitors, and their own session's document
    // (which firestore.rules lets them read) says nothing of monitors.
    expect((await call('ari', 'GET', '/v1/sessions/chat-a')).status).toBe(403);
    expect((await call('ari', 'PUT', '/v1/sessions/chat-a/monitors/me')).status).toBe(403);
    const own = (await db.doc('sessions/chat-a').get()).data()!;
    expect(JSON.stringify(own)).not.toMatch(/monitor|manager|trainee/i);
  });

  it('when monitoring stops twice, then both answer 204 and the thread is closed to them', async () => {
    expect((await call('trainee', 'DELETE', '/v1/sessions/chat-a/monitors/me')).status).toBe(204);
    expect((await call('trainee', 'DELETE', '/v1/sessions/chat-a/monitors/me')).status).toBe(204);
    expect((await call('trainee', 'GET', '/v1/sessions/chat-a/messages')).status).toBe(409);
  });

  it('when the chat ends, then every monitor stops', async () => {
    await platform('chat-a', 'session.ended', { reason: 'completed' });
    expect((await call('manager', 'GET', '/v1/sessions/chat-a/messages')).body.error?.details.reason).toBe(
      'not_monitoring',
    );
    const monitors = await db.collection('monitors').where('sessionId', '==', 'chat-a').get();
    expect(monitors.docs.map((d) => [d.get('uid'), d.get('active')]).sort()).toEqual([
      ['manager', false],
      ['trainee', false],
    ]);
  });

  it('when a manager listens to and barges on a call, then the platform gets both commands; a trainee may listen but not barge', async () => {
    expect((await call('trainee', 'PUT', '/v1/sessions/call-a/monitors/me')).status).toBe(200);
    const trainee = await call('trainee', 'POST', '/v1/sessions/call-a/barge');
    expect(trainee.status).toBe(403);
    expect(trainee.body.error.details).toEqual({ reason: 'missing_permission', permission: 'Barge' });
    expect((await call('manager', 'PUT', '/v1/sessions/call-a/monitors/me')).status).toBe(200);
    const barged = await call('manager', 'POST', '/v1/sessions/call-a/barge');
    expect(barged.status).toBe(200);
    expect(barged.body.mode).toBe('barge');
    const sent = await publishedCommands(3);
    expect(
      sent
        .filter((c) => c.sessionId === 'call-a')
        .map((c) => c.type)
        .sort(),
    ).toEqual(['barge', 'monitor.start', 'monitor.start']);
  });

  it('when a queued call is monitored, then 409: there is nothing to listen to yet', async () => {
    const res = await call('manager', 'PUT', '/v1/sessions/call-fresh/monitors/me');
    expect(res.status).toBe(409);
    expect(res.body.error.details.reason).toBe('session_not_live');
  });
});

describe('ending stuck sessions (END-1, 2, 3)', () => {
  it('when the session changes between the look and the confirmation, then it is not ended blindly', async () => {
    const look = await call('manager', 'POST', '/v1/sessions/call-stuck/end-requests');
    expect(look.status).toBe(201);
    expect(look.body.session.stuck).toBe(true);
    await platform('call-stuck', 'participant.joined', {
      participant: { id: 'p-ivr', role: 'virtual_agent' },
    });
    const confirm = await call('manager', 'POST', '/v1/sessions/call-stuck/end', {
      confirmationId: look.body.confirmationId,
    });
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.details.reason).toBe('session_changed');
    expect((await db.doc('sessions/call-stuck').get()).get('status')).toBe('queued');
  });

  it('when confirmed on an unchanged session, then it ends, the platform is told, and a repeat is harmless', async () => {
    const look = await call('manager', 'POST', '/v1/sessions/call-stuck/end-requests');
    const confirm = await call('manager', 'POST', '/v1/sessions/call-stuck/end', {
      confirmationId: look.body.confirmationId,
    });
    expect(confirm.status).toBe(200);
    expect(confirm.body.ended).toBe(true);
    const stored = (await db.doc('sessions/call-stuck').get()).data()!;
    expect([stored.status, stored.endReason]).toEqual(['ended', 'ended_by_supervisor']);
    const again = await call('manager', 'POST', '/v1/sessions/call-stuck/end', {
      confirmationId: look.body.confirmationId,
    });
    expect(again.status).toBe(200);
    const sent = await publishedCommands(1);
    expect(sent.filter((c) => c.type === 'session.end').map((c) => [c.sessionId, c.commandId])).toEqual([
      ['call-stuck', look.body.confirmationId],
    ]);
  });

  it("when someone without Monitor-Chats-Edit, or with someone else's confirmation, tries to end, then it is refused", async () => {
    expect(
      (await call('trainee', 'POST', '/v1/sessions/call-fresh/end-requests')).body.error.details.permission,
    ).toBe('Monitor-Chats-Edit');
    const look = await call('manager', 'POST', '/v1/sessions/call-fresh/end-requests');
    const stolen = await call('admin', 'POST', '/v1/sessions/call-fresh/end', {
      confirmationId: look.body.confirmationId,
    });
    expect(stolen.status).toBe(404);
    expect(
      (await call('manager', 'POST', '/v1/sessions/call-fresh/end', { confirmationId: 'not-a-uuid' })).status,
    ).toBe(400);
  });
});

describe('audit trail', () => {
  it('when an admin reads it, then monitoring, barge and ending show with who and when; a manager is refused', async () => {
    const res = await call('admin', 'GET', '/v1/audit?pageSize=100');
    expect(res.status).toBe(200);
    const actions = new Set(
      res.body.items.map((e: { action: string; actorUid: string }) => `${e.actorUid} ${e.action}`),
    );
    for (const expected of [
      'manager monitor.started',
      'trainee monitor.stopped',
      'manager barge.started',
      'manager session.end_requested',
      'manager session.ended',
    ])
      expect(actions).toContain(expected);
    const manager = await call('manager', 'GET', '/v1/audit');
    expect(manager.status).toBe(403);
    expect((await call('ari', 'GET', '/v1/audit')).status).toBe(403);
  });
});
