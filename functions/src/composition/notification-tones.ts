import { randomUUID } from 'node:crypto';
import { GcsToneAudio } from '../adapters/storage/notification-tones.js';
import type { FunctionConfig, NotificationTonesSettings } from '../config.js';
import type { ToneApiDeps } from '../http/api/notification-tones.js';
import type { Clock } from '../ports/clock.js';
import type { NotificationSettingsStore } from '../ports/notification-settings.js';
import type { AuditLog } from '../ports/supervision.js';

/** The tone library (NOT-4): its audio in the tones bucket, its metadata in the notification settings' own store. */
export function notificationTones(
  config: Pick<FunctionConfig, 'projectId'>,
  tones: NotificationTonesSettings,
  store: NotificationSettingsStore,
  audit: AuditLog,
  clock: Clock,
): ToneApiDeps {
  const { storageEmulatorHost } = tones;
  return {
    store,
    audio: new GcsToneAudio({
      projectId: config.projectId,
      bucket: tones.bucket,
      ...(storageEmulatorHost ? { apiEndpoint: storageEmulatorHost } : {}),
    }),
    audit,
    clock,
    newId: randomUUID,
    previewKey: tones.previewKey,
  };
}
