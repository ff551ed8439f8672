import type { Clock } from '../../ports/clock.js';
import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';
import type { NotificationSettingsStore } from '../../ports/notification-settings.js';
import type { AuditLog } from '../../ports/supervision.js';

/** What the notification routes work with. */
export interface NotificationDeps {
  settings: NotificationSettingsStore;
  /** The queue directory: the queues and their channels, as the deflection settings define them. */
  queues: DeflectionSettingsStore;
  /** Every save is recorded there: who, when, which section (never its values). */
  audit: AuditLog;
  clock: Clock;
  newId: () => string;
}
