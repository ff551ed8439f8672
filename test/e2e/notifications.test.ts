import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
} from '../../functions/src/domain/notifications/settings.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Agent notification settings (NOT-1, NOT-2, NOT-3) saved and read by an admin through the api, on the
 * emulators. A database of its own keeps it apart from the other files that sign people in to the same
 * project.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'notifications-e2e';
const db = new Firestore({ projectId, databaseId });
let api = '';
let stop: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};

async function call(who: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const version = async () => Number((await db.doc('settings/notificationsVersion').get()).get('version') ?? 0);

const callsBody = {
  whisper: { enabled: true, speed: 1.25 },
  countdown: { enabled: true },
  incomingCallTone: { type: 'custom', toneId: 'tone-ring' },
  frequency: { mode: 'repeat', everySeconds: 20 },
  sms: { enabled: true },
};
const chatsBody = {
  newChatTone: { type: 'builtin', name: 'marimba' },
  frequency: { mode: 'once' },
  newMessageTone: { type: 'custom', toneId: 'tone-ring' },
};
const ring = {
  id: 'tone-ring',
  name: 'Ring.mp3',
  sizeBytes: 40_112,
  durationMs: 2_090,
  object: 'tones/tone-ring',
  generation: '1733250000000001',
  uploadedAt: '2026-12-03T18:00:00.000Z',
  uploadedBy: 'ns-admin',
};

beforeAll(async () => {
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    DIRECTORY_CACHE_SECONDS: '0',
  });
  for (const [uid, roleIds] of [
    ['ns-admin', ['admin']],
    ['ns-manager', ['manager']],
    ['ns-agent', ['agent']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: ['team-a'] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
    tokens[uid] = await signIn(`${uid}@acme.example`);
  }
  const served = await serveFunctions({ api: 0 });
  configureLogs({ sink: () => {} });
  api = served.functions.find((f) => f.name === 'api')!.url;
  stop = served.stop;
});

afterAll(async () => {
  await stop();
  await db.terminate();
  delete process.env.FIRESTORE_DATABASE_ID;
});

describe('agent notification settings through the api', () => {
  it('when nothing was saved yet, then the defaults are what an admin reads (NOT-1, NOT-2)', async () => {
    const read = await call('ns-admin', 'GET', '/v1/settings/notifications');
    expect(read).toEqual({
      status: 200,
      body: {
        calls: DEFAULT_CALL_NOTIFICATIONS,
        chats: DEFAULT_CHAT_NOTIFICATIONS,
        queues: [],
        tones: [],
        version: 0,
      },
    });
  });

  it('when someone without Settings-Edit, or no one, calls any route, then 403 or 401 and nothing is written', async () => {
    const before = await version();
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/settings/notifications'],
      ['PUT', '/v1/settings/notifications/calls', callsBody],
      ['PUT', '/v1/settings/notifications/chats', chatsBody],
      [
        'PUT',
        '/v1/settings/queues/q-billing/whisper',
        { enabled: true, announcement: { type: 'queue_name' } },
      ],
      ['DELETE', '/v1/settings/queues/q-billing/whisper'],
    ];
    for (const [method, path, body] of routes) {
      for (const who of ['ns-agent', 'ns-manager'])
        expect((await call(who, method, path, body)).status, `${who} ${method} ${path}`).toBe(403);
      expect((await call(undefined, method, path, body)).status, `${method} ${path}`).toBe(401);
    }
    expect(await version()).toBe(before);
  });

  it('when an admin saves each section, then it reads back exactly as saved, with defaults filled in, and a whisper deleted is gone (NOT-1, NOT-2, NOT-3)', async () => {
    const config = deflectionConfig();
    for (const [tag, language] of Object.entries(config.languages))
      expect((await call('ns-admin', 'PUT', `/v1/settings/languages/${tag}`, language)).status).toBe(200);
    for (const [id, queue] of Object.entries(config.queues))
      expect((await call('ns-admin', 'PUT', `/v1/settings/queues/${id}`, queue)).status).toBe(200);
    for (const [path, section] of [
      ['/v1/settings/support-center', config.supportCenter],
      ['/v1/settings/call', config.call],
      ['/v1/settings/chat', config.chat],
    ] as const)
      expect((await call('ns-admin', 'PUT', path, section)).status).toBe(200);

    // A tone the admin names must be in the library first.
    expect((await call('ns-admin', 'PUT', '/v1/settings/notifications/calls', callsBody)).body).toMatchObject(
      {
        error: { details: { issues: [{ path: 'calls.incomingCallTone', code: 'unknown_tone' }] } },
      },
    );
    await new FirestoreNotificationSettings(db, systemClock).putTone(ring);

    expect((await call('ns-admin', 'PUT', '/v1/settings/notifications/calls', callsBody)).status).toBe(200);
    expect((await call('ns-admin', 'PUT', '/v1/settings/notifications/chats', chatsBody)).status).toBe(200);
    const billing = { enabled: true, announcement: { type: 'tts', text: 'Facturation — client « VIP »' } };
    const refunds = {
      enabled: false,
      announcement: { type: 'recording', toneId: 'tone-ring' },
      speed: 0.75,
      countdown: true,
    };
    expect((await call('ns-admin', 'PUT', '/v1/settings/queues/q-billing/whisper', billing)).status).toBe(
      200,
    );
    const saved = await call('ns-admin', 'PUT', '/v1/settings/queues/q-refunds/whisper', refunds);
    expect(saved).toEqual({ status: 200, body: { version: expect.any(Number) } });

    const read = await call('ns-admin', 'GET', '/v1/settings/notifications');
    const { object: _object, generation: _generation, ...ringSummary } = ring;
    expect(read).toEqual({
      status: 200,
      body: {
        calls: callsBody,
        chats: chatsBody,
        queues: [
          { queueId: 'q-billing', whisper: billing },
          { queueId: 'q-refunds', whisper: refunds },
        ],
        tones: [
          {
            ...ringSummary,
            usedBy: ['calls.incomingCallTone', 'chats.newMessageTone', 'queues.q-refunds.announcement'],
          },
        ],
        version: saved.body.version,
      },
    });

    // A whisper without a speed reads back with the normal one; the others as they were.
    const withoutSpeed = { whisper: { enabled: false }, countdown: { enabled: false } };
    expect(
      (await call('ns-admin', 'PUT', '/v1/settings/notifications/calls', { ...callsBody, ...withoutSpeed }))
        .status,
    ).toBe(200);
    expect((await call('ns-admin', 'GET', '/v1/settings/notifications')).body.calls).toEqual({
      ...callsBody,
      whisper: { enabled: false, speed: 1 },
      countdown: { enabled: false },
    });

    expect((await call('ns-admin', 'DELETE', '/v1/settings/queues/q-billing/whisper')).status).toBe(200);
    const retried = await call('ns-admin', 'DELETE', '/v1/settings/queues/q-billing/whisper');
    expect(retried).toEqual({ status: 200, body: { version: await version() } });
    expect(
      (await call('ns-admin', 'GET', '/v1/settings/notifications')).body.queues.map((q: any) => q.queueId),
    ).toEqual(['q-refunds']);
  });

  it('when a save is not valid, then 400 or 404 says why and nothing is written', async () => {
    const before = await version();
    const refused = [
      [
        '/v1/settings/notifications/calls',
        { ...callsBody, frequency: { mode: 'repeat', everySeconds: 2 } },
        400,
      ],
      ['/v1/settings/notifications/calls', { ...callsBody, whisper: { enabled: true, speed: 3 } }, 400],
      [
        '/v1/settings/notifications/chats',
        { ...chatsBody, newChatTone: { type: 'builtin', name: 'siren' } },
        400,
      ],
      ['/v1/settings/notifications/chats', { ...chatsBody, extra: true }, 400],
      ['/v1/settings/queues/q-texts/whisper', { enabled: true, announcement: { type: 'queue_name' } }, 400],
      ['/v1/settings/queues/q-gone/whisper', { enabled: true, announcement: { type: 'queue_name' } }, 404],
      [
        '/v1/settings/queues/constructor/whisper',
        { enabled: true, announcement: { type: 'queue_name' } },
        404,
      ],
      [
        '/v1/settings/queues/q-billing/whisper',
        { enabled: true, announcement: { type: 'tts', text: '' } },
        400,
      ],
    ] as const;
    for (const [path, body, status] of refused) {
      const answer = await call('ns-admin', 'PUT', path, body);
      expect(answer.status, path).toBe(status);
      expect(answer.body.error.message, path).toEqual(expect.any(String));
    }
    expect(
      (await call('ns-admin', 'PUT', '/v1/settings/queues/q-texts/whisper', refused[4][1])).body,
    ).toMatchObject({
      error: { details: { issues: [{ path: 'queues.q-texts', code: 'not_a_call_queue' }] } },
    });
    expect(await version()).toBe(before);
  });
});
