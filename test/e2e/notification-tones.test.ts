import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  type CallNotifications,
} from '../../functions/src/domain/notifications/settings.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { changedDocuments, snapshotDocuments } from '../support/firestore-documents.js';
import { cbr, demoTone, wav } from '../support/mp3.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Custom tones (NOT-4, and NOT-3's uploaded whisper recordings) over HTTP, as the local stack serves
 * the api: the audio in the local Storage server, the metadata in the Firestore emulator.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'notification-tones-e2e';
const BUCKET = 'tones-e2e';
const db = new Firestore({ projectId, databaseId });
const settings = new FirestoreNotificationSettings(db, systemClock);
let storage: StorageServer;
let bucket: ReturnType<Storage['bucket']>;
let api = '';
let stop: () => Promise<void> = async () => {};
const tokens = new Map<string, string>();

interface ToneAnswer {
  id: string;
  name: string;
  sizeBytes: number;
  durationMs: number;
  uploadedAt: string;
  uploadedBy: string;
  usedBy: string[];
  preview: { url: string; expiresAt: string };
}

async function send(
  who: string | null,
  method: string,
  path: string,
  body?: Buffer,
  contentType = 'audio/mpeg',
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${tokens.get(who)}`;
  if (body) headers['content-type'] = contentType;
  const res = await fetch(`${api}${path}`, { method, headers, ...(body ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const upload = (name: string, bytes: Buffer, who = 'admin', contentType?: string) =>
  send(who, 'POST', `/v1/notification-tones?name=${encodeURIComponent(name)}`, bytes, contentType);

/** A preview as a browser's `<audio>` element asks for it: no credentials, maybe a byte range. */
async function play(url: string, range?: string) {
  const res = await fetch(`${api}${url}`, { headers: range ? { range } : {} });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const objectsInBucket = async () => (await bucket.getFiles())[0].map((file) => file.name).sort();

const callsUsing = (toneId: string): CallNotifications => ({
  ...DEFAULT_CALL_NOTIFICATIONS,
  incomingCallTone: { type: 'custom', toneId },
});

beforeAll(async () => {
  storage = await startStorageServer();
  const client = new Storage({ apiEndpoint: storage.url, projectId });
  [bucket] = await client.createBucket(BUCKET);
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: 'tones-e2e-platform-secret-0123456789abcdef',
    DIRECTORY_CACHE_SECONDS: '0',
    STORAGE_EMULATOR_HOST: storage.url,
    NOTIFICATION_TONES_BUCKET: BUCKET,
    NOTIFICATION_TONE_PREVIEW_KEY: 'tones-e2e-preview-key-0123456789abcdef',
  });
  for (const [uid, roleIds, teamIds] of [
    ['nt-admin', ['admin'], []],
    ['nt-manager', ['manager'], ['team-a']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: [...teamIds] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
  }
  tokens.set('admin', await signIn('nt-admin@acme.example'));
  tokens.set('manager', await signIn('nt-manager@acme.example'));
  const served = await serveFunctions({ api: 0 });
  api = served.functions[0]!.url;
  stop = served.stop;
}, 120_000);

afterAll(async () => {
  await stop();
  await storage?.close();
  await db.terminate();
  for (const name of ['STORAGE_EMULATOR_HOST', 'NOTIFICATION_TONES_BUCKET', 'NOTIFICATION_TONE_PREVIEW_KEY'])
    delete process.env[name];
});

describe('custom tones over the api (NOT-4)', () => {
  it('when an admin uploads an MP3, then it is listed as saved, with its measured duration, and its preview URL plays exactly its bytes without credentials, in ranges too', async () => {
    const bytes = demoTone();
    const { status, body } = await upload('Door bell', bytes);

    expect(status).toBe(201);
    const tone = body as ToneAnswer;
    expect(tone).toMatchObject({
      name: 'Door bell',
      sizeBytes: bytes.length,
      durationMs: Math.round((77 * 1152 * 1000) / 44100),
      uploadedBy: 'nt-admin',
      usedBy: [],
    });
    const listed = (await send('admin', 'GET', '/v1/notification-tones')).body.tones as ToneAnswer[];
    const { preview: _p, ...saved } = listed.find((t) => t.id === tone.id)!;
    const { preview: _q, ...answered } = tone;
    expect(saved).toEqual(answered);

    const whole = await play(tone.preview.url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/mpeg');
    expect(whole.bytes.equals(bytes)).toBe(true);
    const part = await play(tone.preview.url, 'bytes=100-199');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(part.bytes.equals(bytes.subarray(100, 200))).toBe(true);
    expect((await play(tone.preview.url, `bytes=${bytes.length}-`)).status).toBe(416);

    const forged = tone.preview.url.replace(/signature=[^&]+/, `signature=${'A'.repeat(43)}`);
    expect((await play(forged)).status).toBe(403);
    const otherTone = tone.preview.url.replace(tone.id, 'some-other-tone');
    expect((await play(otherTone)).status).toBe(403);
  });

  it('when a manager (no Settings-Edit) or nobody calls, then every tone route is refused and nothing is written; an admin is let in', async () => {
    const { body } = await upload('Kept', demoTone(10));
    const before = await snapshotDocuments(projectId, databaseId);
    const objects = await objectsInBucket();

    expect((await upload('Nope', demoTone(), 'manager')).status).toBe(403);
    expect((await send('manager', 'GET', '/v1/notification-tones')).status).toBe(403);
    expect(
      (await send('manager', 'PUT', `/v1/notification-tones/${body.id}`, demoTone(), 'audio/mpeg')).status,
    ).toBe(403);
    expect((await send('manager', 'DELETE', `/v1/notification-tones/${body.id}`)).status).toBe(403);
    expect((await send(null, 'POST', '/v1/notification-tones?name=x', demoTone())).status).toBe(401);

    expect(changedDocuments(before, await snapshotDocuments(projectId, databaseId))).toEqual([]);
    expect(await objectsInBucket()).toEqual(objects);
    expect((await send('admin', 'GET', '/v1/notification-tones')).status).toBe(200);
  });

  it('when an upload is a renamed .wav, a truncated file, an oversize file, an empty body or not audio/mpeg, then it gets a clear 4xx and nothing is stored in Storage or Firestore', async () => {
    const before = await snapshotDocuments(projectId, databaseId);
    const objects = await objectsInBucket();
    const truncated = demoTone().subarray(0, demoTone().length - 200);
    // 320 kbps for 28 s: a real MP3 within the duration limit, over the size limit.
    const oversize = cbr(1070, { bitrateIndex: 14 });
    expect(oversize.length).toBeGreaterThan(1_000_000);

    const answers = {
      wav: await upload('ring.mp3', wav()),
      truncated: await upload('cut.mp3', truncated),
      oversize: await upload('big.mp3', oversize),
      overBodyLimit: await upload('huge.mp3', Buffer.alloc(3 * 1024 * 1024)),
      empty: await send('admin', 'POST', '/v1/notification-tones?name=empty', Buffer.alloc(0)),
      json: await upload('json.mp3', demoTone(), 'admin', 'application/json'),
      noName: await send('admin', 'POST', '/v1/notification-tones', demoTone()),
    };

    expect(answers.wav).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'invalid_audio',
          message: 'The file is not MPEG audio (.mp3): it is a WAV file.',
          details: { reason: 'not_mpeg_audio' },
        },
      },
    });
    expect(answers.truncated).toMatchObject({
      status: 400,
      body: { error: { details: { reason: 'truncated' } } },
    });
    expect(answers.oversize).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    expect(answers.overBodyLimit).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
    expect(answers.json).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(answers.noName).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(answers.empty).toMatchObject({ status: 400, body: { error: { details: { reason: 'empty' } } } });

    expect(changedDocuments(before, await snapshotDocuments(projectId, databaseId))).toEqual([]);
    expect(await objectsInBucket()).toEqual(objects);
  });

  it('when a tone a setting uses is replaced, then the setting keeps it and plays the new audio, the old preview stops, and the old audio leaves the bucket', async () => {
    const { body: old } = await upload('Ring', demoTone(10));
    await settings.save({ section: 'calls', value: callsUsing(old.id) }, () => {});
    const oldObjects = await objectsInBucket();

    const replaced = await send(
      'admin',
      'PUT',
      `/v1/notification-tones/${old.id}?name=Ring%202`,
      demoTone(40),
    );

    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id: old.id,
      name: 'Ring 2',
      sizeBytes: demoTone(40).length,
      usedBy: ['calls.incomingCallTone'],
    });
    const { config, tones } = await settings.load();
    expect(config.calls.incomingCallTone).toEqual({ type: 'custom', toneId: old.id });
    expect(tones.get(old.id)?.sizeBytes).toBe(demoTone(40).length);
    expect((await play(replaced.body.preview.url)).bytes.equals(demoTone(40))).toBe(true);
    expect((await play(old.preview.url)).status).toBe(404);
    const objects = await objectsInBucket();
    expect(objects).toHaveLength(oldObjects.length);
    expect(objects).toContain(tones.get(old.id)!.object);
    expect(oldObjects.filter((name) => !objects.includes(name))).toHaveLength(1);
  });

  it('when a tone in use is deleted, then it is refused (409 tone_in_use) naming the setting; once the setting picks a built-in tone, the tone stays listed until deleted, then it and its audio are gone', async () => {
    const { body: tone } = await upload('Chime', demoTone(12));
    await settings.save({ section: 'calls', value: callsUsing(tone.id) }, () => {});
    const object = (await settings.load()).tones.get(tone.id)!.object;

    const refused = await send('admin', 'DELETE', `/v1/notification-tones/${tone.id}`);
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { details: { reason: 'tone_in_use', paths: ['calls.incomingCallTone'] } } },
    });
    expect(await objectsInBucket()).toContain(object);

    await settings.save({ section: 'calls', value: DEFAULT_CALL_NOTIFICATIONS }, () => {});
    const listed = (await send('admin', 'GET', '/v1/notification-tones')).body.tones as ToneAnswer[];
    expect(listed.find((t) => t.id === tone.id)?.usedBy).toEqual([]);

    expect((await send('admin', 'DELETE', `/v1/notification-tones/${tone.id}`)).status).toBe(204);
    expect((await settings.load()).tones.has(tone.id)).toBe(false);
    expect(await objectsInBucket()).not.toContain(object);
    expect((await play(tone.preview.url)).status).toBe(404);
    expect((await send('admin', 'DELETE', `/v1/notification-tones/${tone.id}`)).status).toBe(404);
  });
});
