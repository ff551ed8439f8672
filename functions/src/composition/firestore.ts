import { firestoreClient } from '../adapters/firestore/client.js';
import { FirestoreDirectory } from '../adapters/firestore/directory.js';
import type { FunctionConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';

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
 * own where deployed), each client made on first use. What only some functions use is composed in
 * modules of its own (ingest.ts, deflection.ts): every module a function imports is evaluated at its
 * cold start, schemas and all, and the recording functions import this one.
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
