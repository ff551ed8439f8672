import { randomUUID } from 'node:crypto';
import { firestoreClient } from './adapters/firestore/client.js';
import { FirestoreDeflectionSettings } from './adapters/firestore/deflection-settings.js';
import { FirestoreAgentPresence } from './adapters/firestore/presence.js';
import { FirestoreScheduledCallBook } from './adapters/firestore/scheduled-calls.js';
import { FirestoreVoicemailStore } from './adapters/firestore/voicemails.js';
import { DeflectionEngine } from './app/deflection/engine.js';
import {
  FirestoreDirectory,
  FirestorePeopleAdmin,
  FirestoreQueueSessions,
  FirestoreRolesAdmin,
} from './adapters/firestore/directory.js';
import type { AdminDeps } from './app/admin/directory.js';
import { FirestoreSessionRepository } from './adapters/firestore/session-repository.js';
import {
  FirestoreAgentQueries,
  FirestoreAuditLog,
  FirestoreEndConfirmations,
  FirestoreMonitorStore,
  FirestoreSessionQueries,
  FirestoreSupervisionSettings,
} from './adapters/firestore/supervision.js';
import { AuthEmulatorIdTokenVerifier, FirebaseIdTokenVerifier } from './adapters/identity/id-tokens.js';
import { PubSubPlatformCommands } from './adapters/pubsub/platform-commands.js';
import type { IngestDeps } from './app/ingest-session-event.js';
import type { SupervisionDeps } from './app/supervision/deps.js';
import { recordingsConfig, recordingsConfigured, type Config } from './config.js';
import { FirestoreRecordingPlans } from './adapters/firestore/recording-plans.js';
import { OidcCallerVerifier } from './adapters/identity/oidc-callers.js';
import { SalesforceCrm } from './adapters/salesforce/salesforce-crm.js';
import { GcsRecordingBlobs } from './adapters/storage/recording-blobs.js';
import { CloudTasksRecordingTasks } from './adapters/tasks/recording-tasks.js';
import type { RecordingsDeps } from './app/recordings/deps.js';
import type { DownloadDeps } from './app/recordings/download.js';
import type { PeopleDeps } from './app/authenticate.js';
import type { DeflectionDeps } from './app/deflection/deps.js';
import type { QueueDirectory } from './ports/queues.js';
import { systemClock, type Clock } from './ports/clock.js';

import type { Firestore } from '@google-cloud/firestore';
import { FirestoreSignedRequestLedger } from './adapters/firestore/signed-requests.js';

/** Session event ingestion on Firestore: what platformEvents, the seed and the benchmarks share. */
export function firestoreIngestDeps(
  db: Firestore,
  cacheTtlMs: number,
  clock: Clock = systemClock,
  queues: QueueDirectory = new FirestoreDirectory(db, cacheTtlMs, clock),
): IngestDeps {
  return {
    sessions: new FirestoreSessionRepository(db),
    queues,
    monitors: new FirestoreMonitorStore(db),
    clock,
  };
}

/**
 * Builds the adapters a function needs, on first use and once per instance. Nothing here runs at
 * import: a function that never touches Pub/Sub never loads its client.
 */
export function compose(config: Config, clock: Clock = systemClock) {
  const once = <T>(make: () => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const db = once(() => firestoreClient(config.projectId, config.firestoreDatabaseId));
  // People and roles (users/, roles/): the same database locally, one of their own where deployed.
  const directoryDb = once(() =>
    config.directoryDatabaseId === config.firestoreDatabaseId
      ? db()
      : firestoreClient(config.projectId, config.directoryDatabaseId),
  );
  const directory = once(
    () => new FirestoreDirectory(db(), config.directoryCacheSeconds * 1000, clock, () => directoryDb()),
  );
  const recordingTasks = once(() => {
    const r = recordingsConfig(config);
    return new CloudTasksRecordingTasks({
      queue: r.queue,
      workerUrl: r.workerUrl,
      serviceAccountEmail: r.tasksServiceAccount,
      ...(r.tasksEmulatorHost ? { emulatorHost: r.tasksEmulatorHost } : {}),
    });
  });
  const ingest = once((): IngestDeps => ({
    ...firestoreIngestDeps(db(), 0, clock, directory()),
    ...(recordingsConfigured(config) ? { recordings: recordingTasks() } : {}),
  }));
  const people = once((): PeopleDeps => ({
    idTokens: config.authEmulatorHost
      ? new AuthEmulatorIdTokenVerifier(config.projectId, clock)
      : new FirebaseIdTokenVerifier(config.projectId, clock),
    people: directory(),
  }));
  const supervisionSettings = once(
    () => new FirestoreSupervisionSettings(db(), config.directoryCacheSeconds * 1000, clock),
  );
  const supervision = once((): SupervisionDeps => ({
    sessions: new FirestoreSessionQueries(db()),
    agents: new FirestoreAgentQueries(directoryDb()),
    monitors: ingest().monitors,
    audit: new FirestoreAuditLog(db()),
    confirmations: new FirestoreEndConfirmations(db()),
    settings: supervisionSettings(),
    people: directory(),
    commands: new PubSubPlatformCommands(config.projectId, config.platformCommandsTopic),
    ingest: ingest(),
    clock,
    newId: randomUUID,
  }));
  const deflection = once((): DeflectionDeps => {
    const settings = new FirestoreDeflectionSettings(db(), clock);
    return {
      settings,
      // Saves are seen at once through the version listener; the time limit is only a safety net.
      engine: new DeflectionEngine(settings, 5 * 60_000, clock),
      presence: new FirestoreAgentPresence(db()),
      voicemails: new FirestoreVoicemailStore(db()),
      scheduledCalls: new FirestoreScheduledCallBook(db()),
    };
  });
  const recordings = once((): RecordingsDeps => {
    const r = recordingsConfig(config);
    const crm = once(() => {
      if (!config.salesforce)
        throw new Error('The CRM is not configured: set SALESFORCE_LOGIN_URL and the rest');
      return new SalesforceCrm(config.salesforce, clock);
    });
    return {
      plans: new FirestoreRecordingPlans(db()),
      blobs: new GcsRecordingBlobs({
        projectId: config.projectId,
        ...(r.storageEmulatorHost ? { apiEndpoint: r.storageEmulatorHost } : {}),
      }),
      tasks: recordingTasks(),
      crm,
      sessions: ingest().sessions,
      clock,
      bucket: r.bucket,
      partSizeBytes: r.partSizeBytes,
    };
  });
  const recordingTaskCaller = once(() => {
    const r = recordingsConfig(config);
    return new OidcCallerVerifier(
      {
        audience: r.workerUrl,
        serviceAccountEmail: r.tasksServiceAccount,
        ...(r.tasksOidcCertsUrl ? { certsUrl: r.tasksOidcCertsUrl } : {}),
      },
      clock,
    );
  });
  const downloads = once((): DownloadDeps => ({
    plans: recordings().plans,
    blobs: recordings().blobs,
    sessions: supervision().sessions,
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  const signedRequests = once(() => new FirestoreSignedRequestLedger(db()));
  const admin = once((): AdminDeps => ({
    people: new FirestorePeopleAdmin(directoryDb()),
    roles: new FirestoreRolesAdmin(directoryDb()),
    directory: directory(),
    stuck: supervisionSettings(),
    queueSessions: new FirestoreQueueSessions(db()),
    deflection: deflection().settings,
    ingest: ingest(),
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  return {
    ingest,
    signedRequests,
    people,
    admin,
    supervision,
    deflection,
    recordings,
    recordingTasks,
    recordingTaskCaller,
    downloads: recordingsConfigured(config) ? downloads : undefined,
  };
}
