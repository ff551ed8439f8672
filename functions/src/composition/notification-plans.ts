import { FirestoreNotificationSettings } from '../adapters/firestore/notification-settings.js';
import { PubSubPlatformCommands } from '../adapters/pubsub/platform-commands.js';
import type { PlanDeps } from '../app/notifications/plans.js';
import { NotificationPlanner } from '../app/notifications/planner.js';
import type { FunctionConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { Databases } from './firestore.js';
import type { IngestDeps } from '../app/ingest-session-event.js';

/** Agents' notification plans, asked by the platform: the cached planner, the sessions, the agents' phones. */
export function notificationPlans(
  config: Pick<FunctionConfig, 'projectId' | 'platformCommandsTopic'>,
  dbs: Databases,
  ingest: Pick<IngestDeps, 'sessions' | 'queues'>,
  deflection: PlanDeps['deflection'],
  clock: Clock,
): PlanDeps {
  return {
    // Saves are seen at once through the version listener; the time limit is only a safety net.
    planner: new NotificationPlanner(new FirestoreNotificationSettings(dbs.db(), clock), 5 * 60_000, clock),
    sessions: ingest.sessions,
    queues: ingest.queues,
    deflection,
    people: dbs.directory(),
    commands: new PubSubPlatformCommands(config.projectId, config.platformCommandsTopic),
    clock,
  };
}
