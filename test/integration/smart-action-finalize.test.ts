import { randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreMediaRecords } from '../../functions/src/adapters/firestore/smart-action-media.js';
import { FirestoreSmartActionRequests } from '../../functions/src/adapters/firestore/smart-actions.js';
import { GcsMediaBlobs } from '../../functions/src/adapters/storage/media-blobs.js';
import {
  issueUploads,
  mediaFinalized,
  type FinalizedObject,
  type MediaDeps,
} from '../../functions/src/app/smart-actions/media.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * mediaReady's work as Eventarc delivers it, at least once: on the Firestore emulator and our Storage
 * server through the real clients. A finalize delivered again after its file was dealt with must be
 * answered, not thrown back for ever (a throw asks Eventarc to deliver it again).
 */
const projectId = testProjectId('media-finalize');
const BUCKET = 'finalize-media';
const db = testFirestore(projectId);
let storage: StorageServer;
let gcs: Storage;
let deps: MediaDeps;
const logged: string[] = [];

const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 0x90)]);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(40, 1),
]);

beforeAll(async () => {
  configureLogs({ sink: (line) => void logged.push(line) });
  storage = await startStorageServer();
  gcs = new Storage({ apiEndpoint: storage.url, projectId });
  await gcs.createBucket(BUCKET);
  const chat = {
    id: 'web-1',
    kind: 'chat',
    channel: 'web',
    status: 'connected',
    agent: { id: 'ava' },
  } as unknown as Session;
  deps = {
    sessions: { getSession: async (id) => (id === chat.id ? chat : undefined) },
    records: new FirestoreMediaRecords(db),
    blobs: new GcsMediaBlobs({ projectId, bucket: BUCKET, apiEndpoint: storage.url }),
    requests: new FirestoreSmartActionRequests(db),
    clock: { now: () => new Date() },
    newMediaId: () => randomBytes(12).toString('hex'),
  };
});

afterAll(async () => {
  await db.terminate();
  await storage?.close();
});

/** An attachment's upload URL, the bytes PUT to it, and the finalize event as Storage reports it. */
async function uploaded(askId: string, fileName: string, bytes: Buffer): Promise<FinalizedObject> {
  const [slot] = await issueUploads(deps, {
    sessionId: 'web-1',
    askId,
    files: [{ sizeBytes: bytes.length, fileName }],
  });
  const res = await fetch(slot!.uploadUrl, { method: 'PUT', body: bytes });
  expect(res.status).toBe(200);
  const [metadata] = await gcs.bucket(BUCKET).file(slot!.object).getMetadata();
  return { name: slot!.object, generation: String(metadata.generation), sizeBytes: bytes.length };
}

describe('a finalize delivered again', () => {
  it('when a refused file was deleted and its finalize comes again, then the repeat is answered and the verdict stands', async () => {
    const object = await uploaded('again-exe', 'cat.png', EXE);
    expect(await mediaFinalized(deps, object)).toBe('refused');
    expect((await gcs.bucket(BUCKET).file(object.name).exists())[0]).toBe(false);

    expect(await mediaFinalized(deps, object)).toBe('ignored');
    const [record] = (await db.collection('sessions/web-1/media').where('askId', '==', 'again-exe').get())
      .docs;
    expect(record!.data()).toMatchObject({ state: 'refused', reason: 'executable' });
  });

  it('when a file no URL was issued for was deleted and its finalize comes again, then the repeat is answered', async () => {
    const name = `media/web-1/_attachments/1-${'cd'.repeat(12)}`;
    await gcs.bucket(BUCKET).file(name).save(PNG, { resumable: false });
    const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
    const object = { name, generation: String(metadata.generation), sizeBytes: PNG.length };
    expect(await mediaFinalized(deps, object)).toBe('not_issued');
    expect(await mediaFinalized(deps, object)).toBe('ignored');
  });

  it('when an accepted file is finalized again, then it stays accepted and shown, once', async () => {
    const object = await uploaded('again-png', 'dog.png', PNG);
    expect(await mediaFinalized(deps, object)).toBe('accepted');
    expect(await mediaFinalized(deps, object)).toBe('accepted');
    const shown = await db.collection('agentDesks/ava/media').where('sessionId', '==', 'web-1').get();
    expect(shown.docs.map((d) => d.get('purpose'))).toEqual(['attachment']);
    expect((await gcs.bucket(BUCKET).file(object.name).exists())[0]).toBe(true);
  });
});

describe('download URLs on a stack moved forward in time (docs/local-stack.md)', () => {
  it('when the stack has moved 8 days on, then an accepted file is shown with a URL that reads it for 15 minutes of that time, and not after', async () => {
    const DAY = 24 * 60 * 60_000;
    const movedStorage = await startStorageServer();
    try {
      const movedGcs = new Storage({ apiEndpoint: movedStorage.url, projectId });
      await movedGcs.createBucket(BUCKET);
      let moved = 8 * DAY;
      movedStorage.advanceTime(moved);
      const movedDeps: MediaDeps = {
        ...deps,
        blobs: new GcsMediaBlobs({ projectId, bucket: BUCKET, apiEndpoint: movedStorage.url }),
        clock: { now: () => new Date(Date.now() + moved) },
      };
      const [slot] = await issueUploads(movedDeps, {
        sessionId: 'web-1',
        askId: 'moved-png',
        files: [{ sizeBytes: PNG.length, fileName: 'moved.png' }],
      });
      expect((await fetch(slot!.uploadUrl, { method: 'PUT', body: PNG })).status).toBe(200);
      const [metadata] = await movedGcs.bucket(BUCKET).file(slot!.object).getMetadata();
      const object = { name: slot!.object, generation: String(metadata.generation), sizeBytes: PNG.length };

      expect(await mediaFinalized(movedDeps, object)).toBe('accepted');
      const shown = (await db.doc(`agentDesks/ava/media/${slot!.mediaId}`).get()).data()!;
      expect(Date.parse(shown.downloadUrlExpiresAt as string)).toBeGreaterThan(Date.now() + moved);
      const read = await fetch(shown.downloadUrl as string);
      expect(read.status).toBe(200);
      expect(Buffer.from(await read.arrayBuffer()).equals(PNG)).toBe(true);

      movedStorage.advanceTime(16 * 60_000);
      moved += 16 * 60_000;
      expect((await fetch(shown.downloadUrl as string)).status).toBe(400);
    } finally {
      await movedStorage.close();
    }
  });
});

describe('an askId used again', () => {
  it('when the same askId comes for other files, then it is refused and nothing is added; asked as it was, the same URLs come back', async () => {
    const ask = { sessionId: 'web-1', askId: 'reused', files: [{ sizeBytes: 100, fileName: 'a.png' }] };
    const first = await issueUploads(deps, ask);
    expect(await issueUploads(deps, ask)).toEqual(first);
    for (const other of [
      { ...ask, files: [{ sizeBytes: 101, fileName: 'a.png' }] },
      { ...ask, files: [{ sizeBytes: 100, fileName: 'b.png' }] },
      { ...ask, files: [...ask.files, { sizeBytes: 100, fileName: 'c.png' }] },
    ])
      await expect(issueUploads(deps, other)).rejects.toMatchObject({
        status: 409,
        details: { reason: 'ask_id_reused' },
      });
    const slots = await db.collection('sessions/web-1/media').where('askId', '==', 'reused').get();
    expect(slots.size).toBe(1);
  });
});
