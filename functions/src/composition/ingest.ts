import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { FirestoreMonitorStore } from '../adapters/firestore/supervision.js';
import type { IngestDeps } from '../app/ingest-session-event.js';
import type { Clock } from '../ports/clock.js';
import type { RecordingTasks } from '../ports/recordings.js';
import type { Databases } from './firestore.js';

/** Session event ingestion: both platform event functions, and the api's admin routes. */
export function sessionIngest(
  dbs: Databases,
  clock: Clock,
  recordings: RecordingTasks | undefined,
): IngestDeps {
  return {
    sessions: new FirestoreSessionRepository(dbs.db()),
    queues: dbs.directory(),
    monitors: new FirestoreMonitorStore(dbs.db()),
    clock,
    ...(recordings ? { recordings } : {}),
  };
}
