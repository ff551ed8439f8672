import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { GcsToneAudio } from '../../functions/src/adapters/storage/notification-tones.js';
import {
  deleteTone,
  MAX_TONES,
  ORPHAN_GRACE_MS,
  replaceTone,
  toneAudio,
  uploadTone,
  type ToneDeps,
} from '../../functions/src/app/notifications/tones.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import type { NotificationSettingsStore } from '../../functions/src/ports/notification-settings.js';
import type { ToneAudioStore } from '../../functions/src/ports/notification-tones.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { DEMO_TONE_NAME, demoToneBytes, seedDemoTone } from '../../scripts/seed/demo-tone.js';
import { checkMpegAudio } from '../../functions/src/domain/notifications/mp3.js';
import { demoTone } from '../support/mp3.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * The tone library's order of writes (NOT-4) on the real adapters, the Firestore emulator and the local
 * Storage server, with a failure injected between the audio and the metadata: nothing is lost, and
 * what a failure leaves is swept.
 */
const db = testFirestore(testProjectId('notif-tones'));
const BUCKET = 'tones-integration';
const roles = new Map(Object.entries(BUILT_IN_ROLES));
const admin = resolveActor({ uid: 'u-admin', name: 'Admin', roleIds: ['admin'], teamIds: [] }, roles);
let server: StorageServer;
let bucket: ReturnType<Storage['bucket']>;
let audio: GcsToneAudio;
const store = new FirestoreNotificationSettings(db, { now: () => new Date() });

beforeAll(async () => {
  server = await startStorageServer();
  [bucket] = await new Storage({ apiEndpoint: server.url, projectId: 'demo-switchboard' }).createBucket(
    BUCKET,
  );
  audio = new GcsToneAudio({ projectId: 'demo-switchboard', bucket: BUCKET, apiEndpoint: server.url });
});

afterAll(async () => {
  await server?.close();
  await db.terminate();
});

const objects = async () => (await bucket.getFiles({ prefix: 'tones/' }))[0].map((f) => f.name).sort();

/** The real adapters, the next metadata write or audio deletion made to fail when asked, and a clock to move. */
function library() {
  const faults = { putTone: false, deleteAudio: false };
  let offsetMs = 0;
  const failing: NotificationSettingsStore = Object.create(store, {
    putTone: {
      value: (...args: Parameters<NotificationSettingsStore['putTone']>) => {
        if (faults.putTone) return Promise.reject(new Error('DEADLINE_EXCEEDED'));
        return store.putTone(...args);
      },
    },
  });
  const failingAudio: ToneAudioStore = {
    create: (name, bytes) => audio.create(name, bytes),
    read: (name, generation) => audio.read(name, generation),
    list: (limit) => audio.list(limit),
    delete: (name, generation) =>
      faults.deleteAudio ? Promise.reject(new Error('503 from Storage')) : audio.delete(name, generation),
  };
  const deps: ToneDeps = {
    store: failing,
    audio: failingAudio,
    audit: { record: async () => {}, list: async () => [] },
    clock: { now: () => new Date(Date.now() + offsetMs) },
    newId: () => crypto.randomUUID(),
  };
  return { deps, faults, later: (ms: number) => void (offsetMs += ms) };
}

describe('the tone library on Firestore and Storage (NOT-4)', () => {
  it('when the metadata write fails after the audio was written, then the audio is deleted from the bucket and no tone is saved', async () => {
    const { deps, faults } = library();
    const before = await objects();
    const tonesBefore = (await store.load()).tones.size;
    faults.putTone = true;

    await expect(uploadTone(deps, admin, { name: 'Lost', bytes: demoTone() })).rejects.toThrow(
      'DEADLINE_EXCEEDED',
    );

    expect(await objects()).toEqual(before);
    expect((await store.load()).tones.size).toBe(tonesBefore);
  });

  it('when a replacement fails to save, then the tone still plays its old audio and the new audio is gone from the bucket', async () => {
    const { deps, faults } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Keep', bytes: demoTone(10) });
    const before = await objects();
    faults.putTone = true;

    await expect(replaceTone(deps, admin, tone.id, { bytes: demoTone(30) })).rejects.toThrow();

    expect(await objects()).toEqual(before);
    expect((await store.load()).tones.get(tone.id)).toEqual(tone);
    expect(await toneAudio(deps, tone.id, tone.generation)).toEqual(demoTone(10));
  });

  it('when the cleanup fails too, then the audio left behind is deleted by a later write once it is old enough, and named audio never is', async () => {
    const { deps, faults, later } = library();
    const { tone: kept } = await uploadTone(deps, admin, { name: 'Kept', bytes: demoTone(5) });
    faults.putTone = true;
    faults.deleteAudio = true;
    await expect(uploadTone(deps, admin, { name: 'Orphan', bytes: demoTone(7) })).rejects.toThrow();
    faults.putTone = false;
    faults.deleteAudio = false;
    const left = (await objects()).filter((name) => name !== kept.object);
    expect(left.length).toBeGreaterThan(0);

    later(ORPHAN_GRACE_MS + 60_000);
    const { tone: next } = await uploadTone(deps, admin, { name: 'Next', bytes: demoTone(6) });

    const named = [...(await store.load()).tones.values()].map((tone) => tone.object).sort();
    expect(await objects()).toEqual(named);
    expect(named).toContain(kept.object);
    expect(named).toContain(next.object);
    await deleteTone(deps, admin, next.id);
    await deleteTone(deps, admin, kept.id);
  });

  it('when uploads race with one place left in the library, then exactly one is saved, the others are refused (409) and leave no audio behind', async () => {
    const fresh = testFirestore(testProjectId('notif-tones-full'));
    const full = new FirestoreNotificationSettings(fresh, { now: () => new Date() });
    try {
      const { deps } = library();
      const raced: ToneDeps = { ...deps, store: full };
      const uploadedAt = new Date().toISOString();
      for (let i = 0; i < MAX_TONES - 1; i++)
        await full.putTone({
          id: `tone-${i}`,
          name: `t${i}.mp3`,
          sizeBytes: 1_000,
          durationMs: 1_000,
          object: `tones/tone-${i}/x.mp3`,
          generation: '1',
          uploadedAt,
          uploadedBy: 'u-admin',
        });
      const before = await objects();
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((name) => uploadTone(raced, admin, { name, bytes: demoTone() })),
      );
      const saved = outcomes.filter((o) => o.status === 'fulfilled');
      expect(saved).toHaveLength(1);
      for (const outcome of outcomes.filter((o) => o.status === 'rejected'))
        expect(outcome.reason).toMatchObject({ status: 409, details: { reason: 'tone_library_full' } });
      expect((await full.load()).tones.size).toBe(MAX_TONES);
      const added = (await objects()).filter((name) => !before.includes(name));
      expect(added).toEqual([
        (saved[0] as PromiseFulfilledResult<{ tone: { object: string } }>).value.tone.object,
      ]);
    } finally {
      await fresh.terminate();
    }
  });

  it('when the local stack seeds its demo tone, then it is a valid MP3 that plays back, and seeding again adds none', async () => {
    const { deps } = library();
    expect(checkMpegAudio(demoToneBytes())).toMatchObject({ ok: true, audio: { frames: 77 } });
    const storage = { projectId: 'demo-switchboard', bucket: BUCKET, url: server.url };

    const id = await seedDemoTone(db, storage);
    expect(await seedDemoTone(db, storage)).toBe(id);

    const tones = [...(await store.load()).tones.values()].filter((tone) => tone.name === DEMO_TONE_NAME);
    expect(tones.map((tone) => tone.id)).toEqual([id]);
    expect(await toneAudio(deps, id, tones[0]!.generation)).toEqual(demoToneBytes());
  });
});
