import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { MAX_CUSTOM_ROLES } from '../../functions/src/domain/access/permissions.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { composedIngest } from '../support/ingest.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * What admins configure through the api: people, custom roles, queue teams and stuck thresholds, with
 * the directory caches on (ten minutes), as deployed: a change must still reach the next request.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'admin-e2e';
const TOPIC = 'admin-e2e-commands';
const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let api = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};

const people = {
  'ad-boss': { roleIds: ['admin'], teamIds: [] },
  'ad-mona': { roleIds: ['manager'], teamIds: ['team-a'] },
  'ad-bea': { roleIds: ['manager'], teamIds: ['team-b'] },
  'ad-ari': { roleIds: ['agent'], teamIds: ['team-a'] },
  'ad-keeper': { roleIds: ['people-keeper'], teamIds: [] },
  'ad-tess': { roleIds: ['agent', 'trainee'], teamIds: ['team-a'] },
  'ad-setter': { roleIds: ['settings-editor'], teamIds: [] },
};
type Who = keyof typeof people;

const customRoles = {
  'people-keeper': { name: 'People keeper', permissions: ['Users-Edit'], scope: 'all_teams' },
  trainee: {
    name: 'Agent in training',
    permissions: ['Monitor-Calls', 'Monitor-Chats'],
    scope: 'assigned_teams',
  },
  'settings-editor': { name: 'Settings editor', permissions: ['Settings-Edit'], scope: 'all_teams' },
};

async function call(who: Who | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${tokens[who]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Every document an admin route could write, to prove that a refused request wrote none. */
async function everything(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const collection of ['users', 'roles', 'queues', 'settings', 'audit', 'sessions', 'languages'])
    for (const doc of (await db.collection(collection).get()).docs) {
      const { updatedAt: _updatedAt, ...data } = doc.data();
      out[`${collection}/${doc.id}`] = data;
    }
  return JSON.stringify(out);
}

const T0 = Date.now();
const minutesAgo = (m: number) => new Date(T0 - m * 60_000).toISOString();

async function platform(sessionId: string, sequence: number, type: string, fields: Record<string, unknown>) {
  const deps = composedIngest(projectId, { databaseId });
  await ingestSessionEvent(
    deps,
    SessionEvent.parse({
      schemaVersion: 1,
      eventId: `${sessionId}-${sequence}`,
      sessionId,
      sequence,
      type,
      ...fields,
    }),
  );
}

const created = (id: string, queueId: string, name: string, at: string) =>
  platform(id, 0, 'session.created', {
    occurredAt: at,
    kind: 'call',
    channel: 'ivr',
    queue: { id: queueId, menuPath: ['Billing', 'Refunds'] },
    language: 'en',
    consumer: { id: `c-${id}`, name },
  });

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: 'admin-secret-0123456789abcdef0123456789ab',
    DIRECTORY_CACHE_SECONDS: '600',
    PLATFORM_COMMANDS_TOPIC: TOPIC,
  });
  const [topics] = await pubsub.getTopics();
  if (!topics.some((t) => t.name.endsWith(`/${TOPIC}`))) await pubsub.createTopic(TOPIC);

  const config = deflectionConfig();
  const batch = db.batch();
  batch.set(db.doc('settings/supportCenter'), config.supportCenter);
  batch.set(db.doc('settings/call'), config.call);
  batch.set(db.doc('settings/chat'), config.chat);
  for (const [tag, language] of Object.entries(config.languages))
    batch.set(db.doc(`languages/${tag}`), language);
  for (const [id, queue] of Object.entries(config.queues))
    batch.set(db.doc(`queues/${id}`), { ...queue, teamIds: id === 'q-refunds' ? ['team-a'] : queue.teamIds });
  for (const [id, role] of Object.entries(customRoles)) batch.set(db.doc(`roles/${id}`), role);
  for (const [uid, person] of Object.entries(people)) {
    const full = { uid, name: `${uid[3]!.toUpperCase()}${uid.slice(4)} Person`, ...person };
    batch.set(db.doc(`users/${uid}`), {
      name: full.name,
      roleIds: full.roleIds,
      teamIds: full.teamIds,
      ...agentListing(full),
    });
  }
  await batch.commit();
  for (const uid of Object.keys(people)) {
    await createAccount(projectId, uid, `${uid}@admin.example`);
    tokens[uid] = await signIn(`${uid}@admin.example`);
  }

  // A connected call and a call queued ten minutes ago, on the Refunds queue (team A).
  await created('live-1', 'q-refunds', 'Ada Lovelace', minutesAgo(20));
  await platform('live-1', 1, 'session.connected', { occurredAt: minutesAgo(18), agent: { id: 'ad-ari' } });
  await created('waiting-1', 'q-refunds', 'Grace Hopper', minutesAgo(10));
  // A chat whose customer gave their mobile number as their name, and typed a card and an address.
  await platform('chat-private', 0, 'session.created', {
    occurredAt: minutesAgo(5),
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q-support', menuPath: ['Support'] },
    language: 'en',
    consumer: { id: 'c-private', name: '+447966197542' },
  });
  await platform('chat-private', 1, 'session.connected', {
    occurredAt: minutesAgo(4),
    agent: { id: 'ad-ari' },
  });
  await platform('chat-private', 2, 'message.sent', {
    occurredAt: minutesAgo(3),
    message: {
      id: 'm1',
      author: { type: 'consumer' },
      text: 'card 4111 1111 1111 1111, mail melissa@gmail.com',
    },
  });
  await platform('chat-private', 3, 'message.sent', {
    occurredAt: minutesAgo(2),
    message: {
      id: 'm2',
      author: { type: 'agent', id: 'ad-ari' },
      text: 'Order 1234567890123 ships today; I noted melissa@gmail.com',
    },
  });

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

const newPerson = { name: 'Nora New', roleIds: ['agent'], teamIds: ['team-a'], phone: '+15550142' };

describe('who may use the admin routes', () => {
  // Each route with a request that is valid, so that only the permission decides.
  const routes: [method: string, path: string, body: unknown, guard: 'people' | 'settings'][] = [
    ['GET', '/v1/people', undefined, 'people'],
    ['GET', '/v1/people/ad-ari', undefined, 'people'],
    ['PUT', '/v1/people/perm-probe', newPerson, 'people'],
    ['DELETE', '/v1/people/perm-probe', undefined, 'people'],
    ['GET', '/v1/roles', undefined, 'people'],
    ['GET', '/v1/roles/trainee', undefined, 'people'],
    [
      'PUT',
      '/v1/roles/perm-probe',
      { name: 'Probe', permissions: ['Barge'], scope: 'assigned_teams' },
      'people',
    ],
    ['DELETE', '/v1/roles/perm-probe', undefined, 'people'],
    ['PUT', '/v1/queues/q-night/teams', { teamIds: ['team-a'] }, 'settings'],
    ['GET', '/v1/settings/stuck-thresholds', undefined, 'settings'],
    ['PUT', '/v1/settings/stuck-thresholds', { queuedMinutes: 300, connectedMinutes: 480 }, 'settings'],
    ['GET', '/v1/settings/privacy', undefined, 'settings'],
    ['PUT', '/v1/settings/privacy', { maskSensitiveData: false }, 'settings'],
  ];
  const allowed: Record<'people' | 'settings', Who[]> = {
    people: ['ad-boss', 'ad-keeper'],
    settings: ['ad-boss', 'ad-setter'],
  };
  const everyone: Who[] = ['ad-boss', 'ad-mona', 'ad-ari', 'ad-keeper', 'ad-tess', 'ad-setter'];

  it('when someone without the permission calls a route, then 403 with the missing permission and nothing is written', async () => {
    for (const [method, path, body, guard] of routes) {
      for (const who of everyone.filter((w) => !allowed[guard].includes(w))) {
        const before = await everything();
        const res = await call(who, method, path, body);
        expect([who, method, path, res.status]).toEqual([who, method, path, 403]);
        expect(res.body.error.details.permission).toBe(guard === 'people' ? 'Users-Edit' : 'Settings-Edit');
        expect(await everything()).toBe(before);
      }
      const anonymous = await call(null, method, path, body);
      expect(anonymous.status).toBe(401);
    }
  });

  it('when the admin or a custom role with the permission calls each route, then it is done', async () => {
    for (const who of ['ad-boss', 'ad-keeper', 'ad-setter'] as const)
      for (const [method, path, body] of routes.filter(([, , , g]) => allowed[g].includes(who))) {
        const res = await call(who, method, path, body);
        expect([who, method, path, res.status, res.status < 300 ? null : res.body]).toEqual([
          who,
          method,
          path,
          res.status,
          null,
        ]);
      }
  });

  it('when a role grants Users-Edit for assigned teams only, then people stay out of reach', async () => {
    const teamScoped = await call('ad-boss', 'PUT', '/v1/roles/team-keeper', {
      name: 'Team keeper',
      permissions: ['Users-Edit'],
      scope: 'assigned_teams',
    });
    expect(teamScoped.status).toBe(201);
    await call('ad-boss', 'PUT', '/v1/people/ad-tk', {
      name: 'Tk',
      roleIds: ['team-keeper'],
      teamIds: ['team-a'],
    });
    await createAccount(projectId, 'ad-tk', 'ad-tk@admin.example');
    const token = await signIn('ad-tk@admin.example');
    const res = await fetch(`${api}/v1/people`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.details.reason).toBe('people_need_all_teams');
    expect((await call('ad-boss', 'DELETE', '/v1/people/ad-tk')).status).toBe(204);
  });
});

describe('people', () => {
  it('when an admin creates, reads, replaces and deletes a person, then what is read back is what was saved', async () => {
    const created = await call('ad-boss', 'PUT', '/v1/people/ad-nora', newPerson);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ uid: 'ad-nora', ...newPerson });
    expect((await call('ad-boss', 'GET', '/v1/people/ad-nora')).body).toEqual({
      uid: 'ad-nora',
      ...newPerson,
    });

    // Replacing leaves out the phone and a team: both are gone, not merged with what was there.
    const replaced = await call('ad-boss', 'PUT', '/v1/people/ad-nora', {
      name: 'Nora Newer',
      roleIds: ['agent', 'trainee'],
      teamIds: [],
    });
    expect(replaced.status).toBe(200);
    const expected = {
      uid: 'ad-nora',
      name: 'Nora Newer',
      roleIds: ['agent', 'trainee'],
      teamIds: [],
      phone: null,
    };
    expect((await call('ad-boss', 'GET', '/v1/people/ad-nora')).body).toEqual(expected);
    // The Agents list follows the person's new name at once.
    const agents = await call('ad-boss', 'GET', '/v1/agents?q=newer');
    expect(agents.body.items.map((a: { uid: string }) => a.uid)).toEqual(['ad-nora']);

    expect((await call('ad-boss', 'DELETE', '/v1/people/ad-nora')).status).toBe(204);
    expect((await call('ad-boss', 'GET', '/v1/people/ad-nora')).status).toBe(404);
    expect((await call('ad-boss', 'DELETE', '/v1/people/ad-nora')).status).toBe(404);
  });

  it('when people are listed a page at a time, then every person comes once, A to Z, and search and team narrow it', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Record<string, any> } = await call(
        'ad-boss',
        'GET',
        `/v1/people?pageSize=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((p: { uid: string }) => p.uid));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...Object.keys(people)].sort());
    const search = await call('ad-boss', 'GET', '/v1/people?q=mona');
    expect(search.body.items.map((p: { uid: string }) => p.uid)).toEqual(['ad-mona']);
    const team = await call('ad-boss', 'GET', '/v1/people?teamId=team-b');
    expect(team.body.items.map((p: { uid: string }) => p.uid)).toEqual(['ad-bea']);
  });

  it('when names and ids are at their longest, then every next-page cursor the list hands out is accepted', async () => {
    const longest = ['a', 'b', 'c'].map((c) => `ad-${c}${'x'.repeat(124)}`);
    const name = '長'.repeat(99);
    for (const uid of longest)
      expect(
        (await call('ad-boss', 'PUT', `/v1/people/${uid}`, { ...newPerson, name: `${name}${uid[3]}` }))
          .status,
      ).toBe(201);
    try {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: Record<string, any> } = await call(
          'ad-boss',
          'GET',
          `/v1/people?pageSize=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((p: { uid: string }) => p.uid));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen.filter((uid) => longest.includes(uid))).toEqual(longest);
    } finally {
      for (const uid of longest) await call('ad-boss', 'DELETE', `/v1/people/${uid}`);
    }
  });

  it('when a person is invalid (a * team, an unknown role, a bad phone, unknown fields, a forged cursor), then 400 naming it and nothing is written', async () => {
    const bad: [unknown, string][] = [
      [{ ...newPerson, teamIds: ['*'] }, 'teamIds.0'],
      [{ ...newPerson, teamIds: ['team-a/x'] }, 'teamIds.0'],
      [{ ...newPerson, teamIds: ['team-a', 'team-a'] }, 'teamIds'],
      [{ ...newPerson, roleIds: ['agent', 'constructor'] }, 'roleIds.1'],
      [{ ...newPerson, phone: '555-0142' }, 'phone'],
      [{ ...newPerson, phone: '+1555014212345678' }, 'phone'],
      [{ ...newPerson, name: ' ' }, 'name'],
      [{ ...newPerson, name: 'x'.repeat(101) }, 'name'],
      [{ ...newPerson, teamIds: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'teamIds'],
      [{ ...newPerson, admin: true }, '(root)'],
    ];
    const before = await everything();
    for (const [body, path] of bad) {
      const res = await call('ad-boss', 'PUT', '/v1/people/nobody', body);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    for (const cursor of ['bm90IGEgY3Vyc29y', Buffer.from('["a","x/y"]').toString('base64url')])
      expect((await call('ad-boss', 'GET', `/v1/people?cursor=${cursor}`)).status).toBe(400);
    expect((await call('ad-boss', 'PUT', '/v1/people/a%2Fb', newPerson)).status).toBe(400);
    expect(await everything()).toBe(before);
  });

  it('when a * team was stored by hand, then it is not read as every team', async () => {
    await db.doc('users/ad-star').set({ name: 'Star', roleIds: ['manager'], teamIds: ['*'] });
    await createAccount(projectId, 'ad-star', 'ad-star@admin.example');
    const token = await signIn('ad-star@admin.example');
    const me = (await (
      await fetch(`${api}/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as any;
    expect(me.teamIds).toEqual([]);
    const session = await fetch(`${api}/v1/sessions/live-1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(session.status).not.toBe(200);
    expect((await call('ad-boss', 'GET', '/v1/people/ad-star')).body.teamIds).toEqual([]);
    await db.doc('users/ad-star').delete();
  });

  it('when the only admin would lose the admin role or be deleted, then 409 and nothing changes; with a second admin it is allowed', async () => {
    const before = await everything();
    const demote = await call('ad-boss', 'PUT', '/v1/people/ad-boss', {
      name: 'Boss',
      roleIds: ['manager'],
      teamIds: [],
    });
    expect(demote.status).toBe(409);
    expect(demote.body.error.details.reason).toBe('last_admin');
    expect((await call('ad-boss', 'DELETE', '/v1/people/ad-boss')).status).toBe(409);
    expect((await call('ad-keeper', 'DELETE', '/v1/people/ad-boss')).status).toBe(409);
    expect(await everything()).toBe(before);

    expect(
      (
        await call('ad-keeper', 'PUT', '/v1/people/ad-deputy', {
          name: 'Deputy',
          roleIds: ['admin'],
          teamIds: [],
        })
      ).status,
    ).toBe(201);
    expect((await call('ad-keeper', 'DELETE', '/v1/people/ad-deputy')).status).toBe(204);
    // Still the only admin once the deputy is gone.
    expect((await call('ad-boss', 'DELETE', '/v1/people/ad-boss')).status).toBe(409);
  });
});

describe('roles', () => {
  it('when roles are listed, then built-in ones are marked and custom ones follow', async () => {
    const res = await call('ad-boss', 'GET', '/v1/roles');
    expect(res.status).toBe(200);
    const byId = new Map(res.body.items.map((r: { id: string }) => [r.id, r]));
    expect(byId.get('admin')).toMatchObject({ builtIn: true, scope: 'all_teams' });
    expect((byId.get('admin') as { permissions: string[] }).permissions).toContain('Users-Edit');
    expect(byId.get('trainee')).toEqual({ id: 'trainee', builtIn: false, ...customRoles.trainee });
  });

  it('when a custom role gains a permission, then its holders have it on their next request', async () => {
    // The role list is cached for ten minutes here: the change must still be seen at once.
    expect((await call('ad-tess', 'GET', '/v1/people')).status).toBe(403);
    const saved = await call('ad-boss', 'PUT', '/v1/roles/trainee', {
      ...customRoles.trainee,
      permissions: ['Monitor-Calls', 'Monitor-Chats', 'Users-Edit'],
      scope: 'all_teams',
    });
    expect(saved.status).toBe(200);
    expect((await call('ad-tess', 'GET', '/v1/people')).status).toBe(200);
    expect((await call('ad-boss', 'PUT', '/v1/roles/trainee', customRoles.trainee)).status).toBe(200);
    expect((await call('ad-tess', 'GET', '/v1/people')).status).toBe(403);
    expect((await call('ad-boss', 'GET', '/v1/roles/trainee')).body).toEqual({
      id: 'trainee',
      builtIn: false,
      ...customRoles.trainee,
    });
  });

  it('when a built-in role is written or a held role deleted, then it is refused and nothing changes', async () => {
    const before = await everything();
    const builtIn = await call('ad-boss', 'PUT', '/v1/roles/admin', {
      name: 'Admin',
      permissions: [],
      scope: 'all_teams',
    });
    expect(builtIn.status).toBe(403);
    expect(builtIn.body.error.details.reason).toBe('built_in_role');
    expect((await call('ad-boss', 'DELETE', '/v1/roles/agent')).status).toBe(403);
    const held = await call('ad-boss', 'DELETE', '/v1/roles/trainee');
    expect(held.status).toBe(409);
    expect(held.body.error.details.reason).toBe('role_in_use');
    for (const body of [
      { name: 'X', permissions: ['Root'], scope: 'all_teams' },
      { name: 'X', permissions: ['Barge', 'Barge'], scope: 'all_teams' },
      { name: 'X', permissions: [], scope: 'everywhere' },
      { name: 'X', permissions: [] },
    ])
      expect((await call('ad-boss', 'PUT', '/v1/roles/new-role', body)).status).toBe(400);
    expect((await call('ad-boss', 'GET', '/v1/roles/constructor')).status).toBe(404);
    expect((await call('ad-boss', 'DELETE', '/v1/roles/toString')).status).toBe(404);
    expect(await everything()).toBe(before);
  });

  it('when an unused custom role is deleted, then it is gone and can no longer be given', async () => {
    expect(
      (
        await call('ad-boss', 'PUT', '/v1/roles/temp', {
          name: 'Temp',
          permissions: [],
          scope: 'assigned_teams',
        })
      ).status,
    ).toBe(201);
    expect((await call('ad-boss', 'DELETE', '/v1/roles/temp')).status).toBe(204);
    expect((await call('ad-boss', 'GET', '/v1/roles/temp')).status).toBe(404);
    const res = await call('ad-boss', 'PUT', '/v1/people/temp-holder', {
      name: 'T',
      roleIds: ['temp'],
      teamIds: [],
    });
    expect(res.status).toBe(400);
  });
});

describe('queue teams', () => {
  it('when the custom roles reach their limit, then a new one is refused with 409 and nothing is written; an existing one can still be replaced', async () => {
    const stored = (await db.collection('roles').get()).size;
    const filler = Array.from({ length: MAX_CUSTOM_ROLES - stored }, (_, i) => `filler-${i}`);
    const batch = db.batch();
    for (const id of filler)
      batch.set(db.doc(`roles/${id}`), { name: id, permissions: [], scope: 'assigned_teams' });
    await batch.commit();
    try {
      const before = await everything();
      const refused = await call('ad-boss', 'PUT', '/v1/roles/one-too-many', {
        name: 'One too many',
        permissions: [],
        scope: 'assigned_teams',
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.details.reason).toBe('too_many_roles');
      expect(await everything()).toBe(before);
      const replaced = await call('ad-boss', 'PUT', '/v1/roles/filler-0', {
        name: 'Filler renamed',
        permissions: ['Monitor-Calls'],
        scope: 'assigned_teams',
      });
      expect(replaced.status).toBe(200);
      expect((await db.doc('roles/filler-0').get()).get('name')).toBe('Filler renamed');
    } finally {
      const cleanup = db.batch();
      for (const id of filler) cleanup.delete(db.doc(`roles/${id}`));
      await cleanup.commit();
    }
  });

  it('when a queue moves from team A to team B, then team B sees and may monitor its live calls at once, and team A no longer does', async () => {
    expect((await call('ad-bea', 'GET', '/v1/sessions/live-1')).status).not.toBe(200);
    expect((await call('ad-mona', 'GET', '/v1/sessions/live-1')).status).toBe(200);
    const before = (await call('ad-boss', 'GET', '/v1/settings/deflection')).body.config.queues['q-refunds'];

    const res = await call('ad-boss', 'PUT', '/v1/queues/q-refunds/teams', { teamIds: ['team-b'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ queueId: 'q-refunds', teamIds: ['team-b'], sessionsUpdated: 2 });

    expect((await call('ad-bea', 'GET', '/v1/sessions/live-1')).status).toBe(200);
    expect((await call('ad-bea', 'PUT', '/v1/sessions/live-1/monitors/me')).status).toBe(200);
    const queued = await call('ad-bea', 'GET', '/v1/sessions?kind=call&state=queued&q=grace');
    expect(queued.body.items.map((i: { id: string }) => i.id)).toEqual(['waiting-1']);
    expect((await call('ad-mona', 'GET', '/v1/sessions/live-1')).status).not.toBe(200);
    expect((await call('ad-mona', 'GET', '/v1/sessions?kind=call&state=queued&q=grace')).body.items).toEqual(
      [],
    );
    // The rest of the queue's settings is untouched.
    const after = (await call('ad-boss', 'GET', '/v1/settings/deflection')).body.config.queues['q-refunds'];
    expect(after).toEqual({ ...before, teamIds: ['team-b'] });
  });

  it('when the teams are not plain team ids or the queue does not exist, then 4xx and nothing is written', async () => {
    const before = await everything();
    for (const teamIds of [
      ['*'],
      ['a/b'],
      ['t', 't'],
      'team-a',
      Array.from({ length: 51 }, (_, i) => `t${i}`),
    ])
      expect((await call('ad-boss', 'PUT', '/v1/queues/q-refunds/teams', { teamIds })).status).toBe(400);
    for (const queueId of ['q-nowhere', 'constructor', 'toString', 'hasOwnProperty'])
      expect((await call('ad-boss', 'PUT', `/v1/queues/${queueId}/teams`, { teamIds: [] })).status).toBe(404);
    expect(await everything()).toBe(before);
  });
});

describe('stuck thresholds (END-3)', () => {
  const stuckOf = async (id: string) =>
    (await call('ad-boss', 'GET', '/v1/sessions?kind=call&state=queued')).body.items.find(
      (i: { id: string }) => i.id === id,
    ).stuck as boolean;

  it('when the queued threshold is lowered below a wait, then the list marks that call stuck at once, and back', async () => {
    expect(await stuckOf('waiting-1')).toBe(false);
    const saved = await call('ad-boss', 'PUT', '/v1/settings/stuck-thresholds', {
      queuedMinutes: 5,
      connectedMinutes: 480,
    });
    expect(saved.body).toEqual({ queuedMinutes: 5, connectedMinutes: 480 });
    expect((await call('ad-setter', 'GET', '/v1/settings/stuck-thresholds')).body).toEqual(saved.body);
    expect(await stuckOf('waiting-1')).toBe(true);
    await call('ad-boss', 'PUT', '/v1/settings/stuck-thresholds', {
      queuedMinutes: 300,
      connectedMinutes: 480,
    });
    expect(await stuckOf('waiting-1')).toBe(false);
  });

  it('when a threshold is out of bounds or not a whole number of minutes, then 400 and nothing changes', async () => {
    const before = await everything();
    for (const body of [
      { queuedMinutes: 0, connectedMinutes: 480 },
      { queuedMinutes: 30 * 24 * 60 + 1, connectedMinutes: 480 },
      { queuedMinutes: 1.5, connectedMinutes: 480 },
      { queuedMinutes: '5', connectedMinutes: 480 },
      { queuedMinutes: 5 },
      { queuedMinutes: 5, connectedMinutes: 480, endedMinutes: 1 },
    ])
      expect((await call('ad-boss', 'PUT', '/v1/settings/stuck-thresholds', body)).status).toBe(400);
    expect(await everything()).toBe(before);
  });
});

describe('masking sensitive customer data (LCH-6, LCH-7)', () => {
  /** What a supervisor sees of the chat: its list entry, its details and its thread. */
  async function supervisorSees() {
    const listed = (await call('ad-boss', 'GET', '/v1/sessions?kind=chat&state=connected')).body.items.find(
      (i: { id: string }) => i.id === 'chat-private',
    );
    const details = (await call('ad-boss', 'GET', '/v1/sessions/chat-private')).body;
    const agents = (await call('ad-boss', 'GET', '/v1/agents?q=ad-ari')).body.items;
    const thread = (await call('ad-boss', 'GET', '/v1/sessions/chat-private/messages')).body;
    return {
      listed: listed.endUser,
      details: details.endUser,
      consumerParticipant: details.participants.find((p: { role: string }) => p.role === 'consumer') ?? null,
      agentsList: agents
        .flatMap((a: { currentSessions: { id: string; endUser: string }[] }) => a.currentSessions)
        .find((s: { id: string }) => s.id === 'chat-private').endUser,
      thread: thread.messages.map((m: { text: string }) => m.text),
    };
  }

  it('when an admin turns masking on, then it reads back on and supervisors see the customer masked; turned off, as written', async () => {
    expect((await call('ad-boss', 'PUT', '/v1/sessions/chat-private/monitors/me')).status).toBe(200);
    expect((await call('ad-setter', 'GET', '/v1/settings/privacy')).body).toEqual({
      maskSensitiveData: false,
    });
    const asWritten = await supervisorSees();
    expect(asWritten).toMatchObject({
      listed: '+447966197542',
      details: { id: 'c-private', name: '+447966197542', display: '+447966197542' },
      agentsList: '+447966197542',
      thread: [
        'card 4111 1111 1111 1111, mail melissa@gmail.com',
        'Order 1234567890123 ships today; I noted melissa@gmail.com',
      ],
    });

    const on = await call('ad-setter', 'PUT', '/v1/settings/privacy', { maskSensitiveData: true });
    expect([on.status, on.body]).toEqual([200, { maskSensitiveData: true }]);
    expect((await call('ad-boss', 'GET', '/v1/settings/privacy')).body).toEqual({ maskSensitiveData: true });
    const stored = (await db.doc('settings/privacy').get()).data()!;
    expect(stored).toMatchObject({ maskSensitiveData: true, updatedBy: 'ad-setter' });
    const masked = await supervisorSees();
    expect(masked).toMatchObject({
      listed: '*********7542',
      details: { id: 'c-private', name: '*********7542', display: '*********7542' },
      agentsList: '*********7542',
      thread: [
        'card ************1111, mail m******@gmail.com',
        'Order 1234567890123 ships today; I noted m******@gmail.com',
      ],
    });
    expect(JSON.stringify(masked)).not.toMatch(/7966|4111 1111|melissa/);

    const off = await call('ad-boss', 'PUT', '/v1/settings/privacy', { maskSensitiveData: false });
    expect([off.status, off.body]).toEqual([200, { maskSensitiveData: false }]);
    expect(await supervisorSees()).toEqual(asWritten);
    expect((await call('ad-boss', 'DELETE', '/v1/sessions/chat-private/monitors/me')).status).toBe(204);
  });

  it('when the body is anything but the one setting as a boolean, then 400 and nothing changes', async () => {
    const before = await everything();
    for (const body of [
      {},
      { maskSensitiveData: 'true' },
      { maskSensitiveData: 1 },
      { maskSensitiveData: null },
      { maskSensitiveData: true, updatedBy: 'someone-else' },
      [true],
      'true',
    ])
      expect((await call('ad-boss', 'PUT', '/v1/settings/privacy', body)).status).toBe(400);
    expect(await everything()).toBe(before);
    expect((await call('ad-boss', 'GET', '/v1/settings/privacy')).body).toEqual({ maskSensitiveData: false });
  });
});

describe('audit', () => {
  it('when admins change people, roles, queues and thresholds, then the audit trail says who changed what', async () => {
    const res = await call('ad-boss', 'GET', '/v1/audit?actorUid=ad-boss&pageSize=100');
    expect(res.status).toBe(200);
    const seen = new Set(
      res.body.items.map(
        (e: { action: string; subject?: { type: string; id: string } }) =>
          `${e.action} ${e.subject?.type}/${e.subject?.id}`,
      ),
    );
    for (const entry of [
      'person.saved person/ad-nora',
      'person.deleted person/ad-nora',
      'role.saved role/trainee',
      'role.deleted role/temp',
      'queue.teams_changed queue/q-refunds',
      'stuck_thresholds.changed settings/stuckThresholds',
      'privacy_settings.changed settings/privacy',
    ])
      expect(seen).toContain(entry);
    const keeper = await call('ad-boss', 'GET', '/v1/audit?actorUid=ad-keeper&pageSize=100');
    expect(keeper.body.items.map((e: { action: string }) => e.action)).toContain('person.deleted');
  });
});
