import { FirestoreNotificationSettings } from '../adapters/firestore/notification-settings.js';
import type { NotificationDeps } from '../app/notifications/deps.js';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { AuditLog } from '../ports/supervision.js';
import type { DeflectionSettingsStore } from '../ports/deflection-settings.js';
import type { Databases } from './firestore.js';

/** Agent notifications: their settings and tone library, with the queue directory the deflection settings keep. */
export function notifications(
  dbs: Databases,
  clock: Clock,
  queues: DeflectionSettingsStore,
  audit: AuditLog,
): NotificationDeps {
  return {
    settings: new FirestoreNotificationSettings(dbs.db(), clock),
    queues,
    audit,
    clock,
    newId: randomUUID,
  };
}
