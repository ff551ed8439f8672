import { randomUUID } from 'node:crypto';
import { FirestoreNotificationSettings } from '../adapters/firestore/notification-settings.js';
import { GcsToneAudio } from '../adapters/storage/notification-tones.js';
import type { FunctionConfig, NotificationTonesSettings } from '../config.js';
import type { ToneApiDeps } from '../http/api/notification-tones.js';
import type { Clock } from '../ports/clock.js';
import type { Databases } from './firestore.js';

/** The tone library (NOT-4): its audio in the tones bucket, its metadata in the notification settings' store. */
export function notificationTones(
  config: Pick<FunctionConfig, 'projectId'>,
  tones: NotificationTonesSettings,
  dbs: Databases,
  clock: Clock,
): ToneApiDeps {
  const { storageEmulatorHost } = tones;
  return {
    store: new FirestoreNotificationSettings(dbs.db(), clock),
    audio: new GcsToneAudio({
      projectId: config.projectId,
      bucket: tones.bucket,
      ...(storageEmulatorHost ? { apiEndpoint: storageEmulatorHost } : {}),
    }),
    clock,
    newId: randomUUID,
    previewKey: tones.previewKey,
  };
}
