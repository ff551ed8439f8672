import { FirestoreConsumerStore } from '../adapters/firestore/consumers.js';
import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { FirestoreMonitorStore } from '../adapters/firestore/supervision.js';
import type { IngestDeps } from '../app/ingest-session-event.js';
import type { Clock } from '../ports/clock.js';
import type { ConsumerTasks } from '../ports/consumers.js';
import type { RecordingTasks } from '../ports/recordings.js';
import type { Databases } from './firestore.js';

/** Session event ingestion: both platform event functions, and the api's admin routes. */
export function sessionIngest(
  dbs: Databases,
  clock: Clock,
  /** The CRM worker's queue: recordings, and anonymous consumers' tickets. */
  tasks: (RecordingTasks & ConsumerTasks) | undefined,
): IngestDeps {
  return {
    sessions: new FirestoreSessionRepository(dbs.db()),
    queues: dbs.directory(),
    monitors: new FirestoreMonitorStore(dbs.db()),
    clock,
    ...(tasks
      ? { recordings: tasks, consumers: { consumers: new FirestoreConsumerStore(dbs.db()), tasks } }
      : {}),
  };
}
