import { firestoreClient } from '../adapters/firestore/client.js';
import { FirestoreDeflectionSettings } from '../adapters/firestore/deflection-settings.js';
import { FirestoreDirectory } from '../adapters/firestore/directory.js';
import { FirestoreAgentPresence } from '../adapters/firestore/presence.js';
import { FirestoreScheduledCallBook } from '../adapters/firestore/scheduled-calls.js';
import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { FirestoreMonitorStore } from '../adapters/firestore/supervision.js';
import { FirestoreVoicemailStore } from '../adapters/firestore/voicemails.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import { DeflectionEngine } from '../app/deflection/engine.js';
import type { IngestDeps } from '../app/ingest-session-event.js';
import type { FunctionConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { RecordingTasks } from '../ports/recordings.js';
import type { ConsumerTasks } from '../ports/consumers.js';
import { FirestoreConsumerStore } from '../adapters/firestore/consumers.js';

/** A value made on first use, then kept for the life of the instance. */
export function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export type DatabaseSettings = Pick<
  FunctionConfig,
  'projectId' | 'firestoreDatabaseId' | 'directoryDatabaseId' | 'directoryCacheSeconds'
>;

/**
 * The sessions database and the directory (people and roles: the same database locally, one of their
 * own where deployed), each client made on first use.
 */
export function databases(config: DatabaseSettings, clock: Clock) {
  const db = once(() => firestoreClient(config.projectId, config.firestoreDatabaseId));
  const directoryDb = once(() =>
    config.directoryDatabaseId === config.firestoreDatabaseId
      ? db()
      : firestoreClient(config.projectId, config.directoryDatabaseId),
  );
  const directory = once(
    () => new FirestoreDirectory(db(), config.directoryCacheSeconds * 1000, clock, () => directoryDb()),
  );
  return { db, directoryDb, directory };
}

export type Databases = ReturnType<typeof databases>;

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

/** Deflection: the platform asks what to offer, the api edits the settings. */
export function deflection(dbs: Databases, clock: Clock): DeflectionDeps {
  const settings = new FirestoreDeflectionSettings(dbs.db(), clock);
  return {
    settings,
    // Saves are seen at once through the version listener; the time limit is only a safety net.
    engine: new DeflectionEngine(settings, 5 * 60_000, clock),
    presence: new FirestoreAgentPresence(dbs.db()),
    voicemails: new FirestoreVoicemailStore(dbs.db()),
    scheduledCalls: new FirestoreScheduledCallBook(dbs.db()),
  };
}
