import type { Clock } from '../../ports/clock.js';
import type { DeflectionSettingsStore } from '../../ports/deflection-settings.js';
import type { NotificationSettingsStore } from '../../ports/notification-settings.js';

/** What the notification routes work with. */
export interface NotificationDeps {
  settings: NotificationSettingsStore;
  /** The queue directory: the queues and their channels, as the deflection settings define them. */
  queues: DeflectionSettingsStore;
  clock: Clock;
}
