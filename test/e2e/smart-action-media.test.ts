import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreSmartActionRequests } from '../../functions/src/adapters/firestore/smart-actions.js';
import { newRequest, type SmartAction } from '../../functions/src/domain/smart-actions/actions.js';
import { configureLogs } from '../../functions/src/log.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { finalizeNotifier } from '../../scripts/stack/recordings.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Smart-action media as deployed, on this machine (SMA-2, SMA-3, SMA-4): the platform asks
 * platformEvents for upload URLs; the bytes go from the "SDK" (fetch) straight to our Storage server;
 * its finalize notification reaches mediaReady as Eventarc's would; the verdict lands in Firestore,
 * where the agent's desktop listens.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'smart-action-media-e2e';
const BUCKET = 'acme-smart-action-media';
const SECRET = 'media-platform-secret-0123456789abcdef';
const db = new Firestore({ projectId, databaseId });
const requests = new FirestoreSmartActionRequests(db);
const notifier = finalizeNotifier();
let storage: StorageServer;
let gcs: Storage;
let events = '';
let api = '';
const tokens = new Map<string, string>();
let stop: () => Promise<void> = async () => {};
const logged: string[] = [];

const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
const MP4_HEAD = Buffer.concat([
  Buffer.from([0, 0, 0, 24]),
  Buffer.from('ftypisom'),
  Buffer.from([0, 0, 2, 0]),
  Buffer.from('isomavc1'),
]);
const png = (n: number) => Buffer.concat([PNG, Buffer.alloc(n, 7)]);

beforeAll(async () => {
  configureLogs({ sink: (line) => void logged.push(line) });
  storage = await startStorageServer({
    onFinalize: (object) => (object.bucket === BUCKET ? notifier.onFinalize(object) : undefined),
  });
  gcs = new Storage({ apiEndpoint: storage.url, projectId });
  await gcs.createBucket(BUCKET);
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    DIRECTORY_CACHE_SECONDS: '0',
    PLATFORM_SIGNING_SECRET: SECRET,
    MEDIA_BUCKET: BUCKET,
    STORAGE_EMULATOR_HOST: storage.url,
  });
  await db.doc('queues/q-1').set({ name: 'Support', teamIds: ['team-a'] });
  for (const [uid, roleIds] of [
    ['media-cyd', ['agent']],
    ['media-dan', ['agent']],
    ['media-mona', ['manager']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: ['team-a'] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
    tokens.set(uid, await signIn(`${uid}@acme.example`));
  }
  const served = await serveFunctions({ platformEvents: 0, mediaReady: 0, api: 0 });
  api = served.functions.find((f) => f.name === 'api')!.url;
  events = served.functions.find((f) => f.name === 'platformEvents')!.url;
  notifier.deliverTo(served.functions.find((f) => f.name === 'mediaReady')!.url);
  stop = served.stop;
}, 120_000);

afterAll(async () => {
  await stop();
  await storage?.close();
  await db.terminate();
  for (const name of [
    'MEDIA_BUCKET',
    'STORAGE_EMULATOR_HOST',
    'PLATFORM_SIGNING_SECRET',
    'FIRESTORE_DATABASE_ID',
    'DIRECTORY_CACHE_SECONDS',
  ])
    delete process.env[name];
});

async function platform(path: string, payload: unknown) {
  const res = await sendSigned(`${events}${path}`, JSON.stringify(payload), { secret: SECRET });
  return { status: res.status, body: (await res.json()) as any };
}

let eventNumber = 0;
async function session(sessionId: string, kind: 'call' | 'chat', channel: 'mobile' | 'web', agentId: string) {
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  for (const [sequence, type, fields] of [
    [
      0,
      'session.created',
      {
        kind,
        channel,
        language: 'en',
        queue: { id: 'q-1', menuPath: ['Support'] },
        consumer: { id: 'c-1', name: 'Ada' },
      },
    ],
    [1, 'session.assigned', { agent: { id: agentId } }],
    [2, 'session.connected', {}],
  ] as const) {
    const res = await platform('/v1/events', {
      schemaVersion: 1,
      eventId: `m-${++eventNumber}`,
      sessionId,
      sequence,
      occurredAt: at(sequence),
      type,
      ...fields,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

async function request(
  sessionId: string,
  action: SmartAction,
  agentId: string,
  kind: 'call' | 'chat' = 'call',
) {
  const id = `req-${action}-${sessionId}`;
  await requests.create(sessionId, () => ({
    create: newRequest({ id, sessionId, kind, action, agentId, clientRequestId: `c-${id}`, now: new Date() }),
  }));
  return id;
}

const askUploads = (sessionId: string, ask: Record<string, unknown>) =>
  platform(`/v1/sessions/${sessionId}/media-uploads`, ask);

/** What the SDK does with an upload URL: one PUT of the whole file. */
async function upload(url: string, bytes: Buffer) {
  const res = await fetch(url, { method: 'PUT', body: bytes });
  expect(res.status).toBe(200);
}

async function until<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('never happened');
}

const settled = (sessionId: string, mediaId: string) =>
  until(async () => {
    const record = (await db.doc(`sessions/${sessionId}/media/${mediaId}`).get()).data();
    return record && record.state !== 'issued' ? record : undefined;
  });

const exists = async (object: string) => (await gcs.bucket(BUCKET).file(object).exists())[0];

describe('photos for a mobile call (SMA-1, SMA-2)', () => {
  it('when four photos are uploaded, then all four are accepted; a fifth URL and a fifth photo are refused', async () => {
    await session('call-photos', 'call', 'mobile', 'ava');
    const requestId = await request('call-photos', 'photos', 'ava');
    const four = await askUploads('call-photos', {
      askId: 'ask-1',
      requestId,
      files: [1, 2, 3, 4].map((n) => ({ sizeBytes: PNG.length + n })),
    });
    expect(four.status).toBe(200);
    expect(four.body.uploads.map((u: any) => u.slot)).toEqual([1, 2, 3, 4]);
    for (const u of four.body.uploads)
      expect(u.object).toMatch(new RegExp(`^media/call-photos/${requestId}/${u.slot}-[0-9a-f]{24}$`));

    const again = await askUploads('call-photos', {
      askId: 'ask-1',
      requestId,
      files: [1, 2, 3, 4].map((n) => ({ sizeBytes: PNG.length + n })),
    });
    expect(again.body.uploads).toEqual(four.body.uploads);
    const fifthUrl = await askUploads('call-photos', {
      askId: 'ask-2',
      requestId,
      files: [{ sizeBytes: 100 }],
    });
    expect(fifthUrl.status).toBe(409);
    expect(fifthUrl.body.error.details).toMatchObject({
      reason: 'too_many_files',
      maxFiles: 4,
      alreadyIssued: 4,
    });

    for (const [i, u] of four.body.uploads.entries()) await upload(u.uploadUrl, png(i + 1));
    for (const u of four.body.uploads)
      expect(await settled('call-photos', u.mediaId)).toMatchObject({ state: 'accepted', format: 'png' });

    // A fifth photo written beside them, under a name no URL was issued for: deleted.
    const fifth = `media/call-photos/${requestId}/5-${'ab'.repeat(12)}`;
    await gcs.bucket(BUCKET).file(fifth).save(png(5), { resumable: false });
    await until(async () => ((await exists(fifth)) ? undefined : true));
    expect(logged.some((line) => line.includes('media_not_issued'))).toBe(true);

    const answered = await requests.get('call-photos', requestId);
    expect(answered).toMatchObject({ state: 'answered', result: { type: 'media' } });
    const desk = await db.collection('agentDesks/ava/media').where('sessionId', '==', 'call-photos').get();
    expect(desk.size).toBe(4);
  });

  it('when the session is not asked for media, then no URL is issued and nothing is written', async () => {
    await session('call-text', 'call', 'mobile', 'ava');
    const textRequest = await request('call-text', 'text_input', 'ava');
    const res = await askUploads('call-text', {
      askId: 'a',
      requestId: textRequest,
      files: [{ sizeBytes: 10 }],
    });
    expect(res.status).toBe(409);
    expect(res.body.error.details.reason).toBe('not_a_media_request');
    const noAttachment = await askUploads('call-text', {
      askId: 'b',
      files: [{ sizeBytes: 10, fileName: 'x.png' }],
    });
    expect(noAttachment.status).toBe(409);
    expect(noAttachment.body.error.details.reason).toBe('attachments_only_in_web_chats');
    expect((await db.collection('sessions/call-text/media').get()).size).toBe(0);
  });
});

describe('web chat attachments (SMA-3)', () => {
  it('when a .png is really an executable, then it is refused, deleted, and the record says why', async () => {
    await session('web-chat', 'chat', 'web', 'bea');
    const ask = await askUploads('web-chat', {
      askId: 'att-1',
      files: [{ sizeBytes: EXE.length, fileName: 'cat.png' }],
    });
    expect(ask.status).toBe(200);
    const [slot] = ask.body.uploads;
    expect(slot.object).toMatch(/^media\/web-chat\/_attachments\/1-/);
    await upload(slot.uploadUrl, EXE);
    expect(await settled('web-chat', slot.mediaId)).toMatchObject({ state: 'refused', reason: 'executable' });
    await until(async () => ((await exists(slot.object)) ? undefined : true));
    expect((await db.doc(`agentDesks/bea/media/${slot.mediaId}`).get()).exists).toBe(false);
  });

  it('when an attachment is not .png, .jpg or .mp4, then no URL is issued', async () => {
    const res = await askUploads('web-chat', {
      askId: 'att-2',
      files: [{ sizeBytes: 10, fileName: 'notes.pdf' }],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('not_an_attachment_type');
  });

  it('when the upload is longer than the size asked for, then Storage refuses it', async () => {
    const ask = await askUploads('web-chat', {
      askId: 'att-3',
      files: [{ sizeBytes: 20, fileName: 'a.png' }],
    });
    const res = await fetch(ask.body.uploads[0].uploadUrl, { method: 'PUT', body: png(100) });
    expect(res.status).toBe(400);
    expect(await exists(ask.body.uploads[0].object)).toBe(false);
  });
});

describe('a video shown to the agent at once (SMA-4)', () => {
  it('when an .mp4 is uploaded, then a listener on the agent desk sees it with a download URL that reads it', async () => {
    await session('chat-video', 'chat', 'mobile', 'media-cyd');
    const requestId = await request('chat-video', 'video', 'media-cyd', 'chat');
    const video = Buffer.concat([MP4_HEAD, Buffer.alloc(3_000_000, 1)]);
    const ask = await askUploads('chat-video', {
      askId: 'v-1',
      requestId,
      files: [{ sizeBytes: video.length }],
    });
    expect(ask.status).toBe(200);

    const seen = new Promise<any>((resolve) => {
      const unsubscribe = db.collection('agentDesks/media-cyd/media').onSnapshot((snapshot) => {
        const doc = snapshot.docs.find((d) => d.id === ask.body.uploads[0].mediaId);
        if (doc) {
          unsubscribe();
          resolve(doc.data());
        }
      });
    });
    await upload(ask.body.uploads[0].uploadUrl, video);
    const shown = await seen;
    expect(shown).toMatchObject({
      sessionId: 'chat-video',
      requestId,
      purpose: 'video',
      format: 'mp4',
      contentType: 'video/mp4',
      sizeBytes: video.length,
    });
    const download = await fetch(shown.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(video)).toBe(true);
    expect(await requests.get('chat-video', requestId)).toMatchObject({ state: 'answered' });
  });
});

describe("who sees a session's media (SMA-4)", () => {
  const media = (uid: string) =>
    fetch(`${api}/v1/sessions/chat-video/media`, {
      headers: { authorization: `Bearer ${tokens.get(uid)!}` },
    });

  it("when the session's agent asks, then they get its files with a fresh URL; another agent is refused", async () => {
    const own = await media('media-cyd');
    expect(own.status).toBe(200);
    const body = (await own.json()) as any;
    expect(body.media).toEqual([
      expect.objectContaining({
        purpose: 'video',
        state: 'accepted',
        format: 'mp4',
        downloadUrl: expect.any(String),
      }),
    ]);
    expect(body.next).toBeNull();
    expect((await fetch(body.media[0].downloadUrl)).status).toBe(200);
    const other = await media('media-dan');
    expect(other.status).toBe(403);
  });

  it('when a supervisor monitors the chat, then they see its files; not before', async () => {
    const before = await media('media-mona');
    expect(before.status).toBe(409);
    expect(((await before.json()) as any).error.details.reason).toBe('not_monitoring');
    const start = await fetch(`${api}/v1/sessions/chat-video/monitors/me`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.get('media-mona')!}` },
    });
    expect(start.status).toBe(200);
    const monitoring = await media('media-mona');
    expect(monitoring.status).toBe(200);
    expect(((await monitoring.json()) as any).media[0]).toMatchObject({ state: 'accepted', format: 'mp4' });
  });
});

describe("a session's media, a page at a time", () => {
  it('when a session has more files than a page, then next leads to the rest, and an unknown after is refused', async () => {
    await session('chat-pages', 'chat', 'web', 'media-cyd');
    const ask = await askUploads('chat-pages', {
      askId: 'pages-1',
      files: ['a.png', 'b.jpg', 'c.mp4'].map((fileName) => ({ sizeBytes: 10, fileName })),
    });
    expect(ask.status).toBe(200);
    const page = async (query: string) => {
      const res = await fetch(`${api}/v1/sessions/chat-pages/media?${query}`, {
        headers: { authorization: `Bearer ${tokens.get('media-cyd')!}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const first = await page('limit=2');
    expect(first.status).toBe(200);
    expect(first.body.media).toHaveLength(2);
    expect(first.body.next).toBe(first.body.media[1].mediaId);
    const second = await page(`limit=2&after=${first.body.next}`);
    expect(second.body.media).toHaveLength(1);
    expect(second.body.next).toBeNull();
    expect([...first.body.media, ...second.body.media].map((m: any) => m.mediaId).sort()).toEqual(
      ask.body.uploads.map((u: any) => u.mediaId).sort(),
    );
    const unknown = await page(`after=${'f'.repeat(24)}`);
    expect(unknown.status).toBe(400);
  });
});
