import { randomUUID } from 'node:crypto';
import { FirestoreSmartActionRequests } from '../adapters/firestore/smart-actions.js';
import { PubSubPlatformCommands } from '../adapters/pubsub/platform-commands.js';
import type { IngestDeps } from '../app/ingest-session-event.js';
import type { SmartActionDeps } from '../app/smart-actions/requests.js';
import type { FunctionConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { SessionRepository } from '../ports/session-repository.js';
import type { Databases } from './firestore.js';

/** Smart actions: the requests beside their sessions, and the platform's command topic. */
export function smartActions(
  config: Pick<FunctionConfig, 'projectId' | 'platformCommandsTopic'>,
  dbs: Databases,
  sessions: Pick<SessionRepository, 'getSession'>,
  clock: Clock,
  ingest?: IngestDeps,
): SmartActionDeps {
  return {
    sessions,
    requests: new FirestoreSmartActionRequests(dbs.db()),
    commands: new PubSubPlatformCommands(config.projectId, config.platformCommandsTopic),
    clock,
    newId: randomUUID,
    ...(ingest ? { ingest } : {}),
  };
}
