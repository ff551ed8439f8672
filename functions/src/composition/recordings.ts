import { FirestoreRecordingPlans } from '../adapters/firestore/recording-plans.js';
import { FirestoreBucketScanCursors } from '../adapters/firestore/recording-sweep.js';
import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { FirestoreSmartActionRequests } from '../adapters/firestore/smart-actions.js';
import { FirestoreVoicemailOutbox } from '../adapters/firestore/voicemails.js';
import { GcsRecordingBlobs } from '../adapters/storage/recording-blobs.js';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import type { SweepDeps } from '../app/recordings/sweep.js';
import type { RecordingsFunctionConfig, RecordingsSettings } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { RecordingTasks } from '../ports/recordings.js';
import { databases, once, type Databases } from './firestore.js';
import { recordingTasks } from './tasks.js';

/** Plans in Firestore, recordings in Cloud Storage, tasks on Cloud Tasks. */
export function recordingPipeline(
  config: { projectId: string; recordings: RecordingsSettings },
  dbs: Databases,
  tasks: RecordingTasks,
  clock: Clock,
): RecordingPipelineDeps {
  const r = config.recordings;
  return {
    plans: new FirestoreRecordingPlans(dbs.db()),
    blobs: new GcsRecordingBlobs({
      projectId: config.projectId,
      ...(r.storageEmulatorHost ? { apiEndpoint: r.storageEmulatorHost } : {}),
    }),
    tasks,
    sessions: new FirestoreSessionRepository(dbs.db()),
    redactions: new FirestoreSmartActionRequests(dbs.db()),
    clock,
    bucket: r.bucket,
    partSizeBytes: r.partSizeBytes,
  };
}

/** recordingReady: the pipeline, and nothing else. */
export function composeRecordingEvents(config: RecordingsFunctionConfig, clock: Clock = systemClock) {
  const dbs = databases(config, clock);
  return {
    recordings: once(() => recordingPipeline(config, dbs, recordingTasks(config.recordings), clock)),
  };
}

/**
 * The sweeper: the pipeline, where its scan of the bucket stopped, and a stopwatch; and the
 * voicemails waiting for the CRM, whose lost tasks it asks for again.
 */
export function composeSweeper(config: RecordingsFunctionConfig, clock: Clock = systemClock) {
  const dbs = databases(config, clock);
  const tasks = once(() => recordingTasks(config.recordings));
  const sweep = once((): SweepDeps => ({
    ...recordingPipeline(config, dbs, tasks(), clock),
    scanCursors: new FirestoreBucketScanCursors(dbs.db()),
    monotonicMs: () => performance.now(),
  }));
  return {
    sweep,
    voicemails: once(() => ({
      outbox: new FirestoreVoicemailOutbox(dbs.db()),
      blobs: sweep().blobs,
      tasks: tasks(),
      clock,
    })),
  };
}
