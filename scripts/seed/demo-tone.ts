import type { Firestore } from '@google-cloud/firestore';
import { randomUUID } from 'node:crypto';
import { FirestoreAuditLog } from '../../functions/src/adapters/firestore/supervision.js';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { GcsToneAudio } from '../../functions/src/adapters/storage/notification-tones.js';
import { uploadTone } from '../../functions/src/app/notifications/tones.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';

export const DEMO_TONE_NAME = 'Demo tone';

/**
 * Two seconds of MPEG-1 Layer III, 128 kbps, 44.1 kHz: 77 frames of 417 bytes, each a header and
 * silence. Enough for the tone library's list and preview to have something real to show.
 */
export function demoToneBytes(): Buffer {
  const frame = Buffer.alloc(417);
  Buffer.from([0xff, 0xfb, 0x90, 0x44]).copy(frame);
  return Buffer.concat(Array.from({ length: 77 }, () => frame));
}

/**
 * One uploaded tone in the library (NOT-4), uploaded as admin@ would through the api, unless a tone of
 * that name is there already.
 */
export async function seedDemoTone(
  db: Firestore,
  storage: { projectId: string; bucket: string; url: string },
  now = new Date(),
): Promise<string> {
  const store = new FirestoreNotificationSettings(db, { now: () => now });
  const existing = [...(await store.load()).tones.values()].find((tone) => tone.name === DEMO_TONE_NAME);
  if (existing) return existing.id;
  const admin = resolveActor(
    { uid: 'u-admin', name: 'Alex Admin', roleIds: ['admin'], teamIds: [] },
    new Map(Object.entries(BUILT_IN_ROLES)),
  );
  const deps = {
    store,
    audio: new GcsToneAudio({
      projectId: storage.projectId,
      bucket: storage.bucket,
      apiEndpoint: storage.url,
    }),
    audit: new FirestoreAuditLog(db),
    clock: { now: () => now },
    newId: randomUUID,
  };
  const { tone } = await uploadTone(deps, admin, { name: DEMO_TONE_NAME, bytes: demoToneBytes() });
  return tone.id;
}
