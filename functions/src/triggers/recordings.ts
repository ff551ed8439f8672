import type { CloudEvent } from '@google-cloud/functions-framework';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import { planRecording } from '../app/recordings/plan-recording.js';
import { sweep, type SweepDeps } from '../app/recordings/sweep.js';
import { errorKind, sweepVoicemails } from '../app/deflection/voicemail-delivery.js';
import { logs } from '../log.js';

/** The fields of a Cloud Storage object event (google.events.cloud.storage.v1.StorageObjectData) used here. */
export interface StorageObjectData {
  bucket?: string;
  name?: string;
  generation?: string | number;
}

export const OBJECT_FINALIZED = 'google.cloud.storage.object.v1.finalized';

/**
 * recordingReady: a recording object was written to the bucket (Eventarc, Storage finalize). Plans
 * its upload; throwing asks Eventarc to deliver the event again (the trigger retries), and a repeat
 * finds the plan made.
 */
export function recordingReadyFromStorage(deps: { recordings: () => RecordingPipelineDeps }) {
  return async (cloudEvent: CloudEvent<StorageObjectData>): Promise<void> => {
    const data = cloudEvent.data;
    if (
      cloudEvent.type !== OBJECT_FINALIZED ||
      !data?.bucket ||
      !data.name ||
      data.generation === undefined
    ) {
      logs.recordingObjectIgnored({ source: 'bucket', reason: 'not_an_object_finalized_event' });
      return;
    }
    await planRecording(deps.recordings(), {
      bucket: data.bucket,
      name: data.name,
      generation: String(data.generation),
      source: 'bucket',
    });
  };
}

/**
 * sweeper: the hourly tick (Cloud Scheduler → Pub/Sub). Recordings first, then the voicemails
 * waiting for the CRM, whichever of the two fails. When both fail, the recordings' error is the one
 * thrown and the voicemails' is logged.
 */
export function sweeperFromSchedule(deps: {
  sweep: () => SweepDeps;
  voicemails: () => Parameters<typeof sweepVoicemails>[0];
}) {
  return async (): Promise<void> => {
    let recordingsError: { error: unknown } | undefined;
    try {
      await sweep(deps.sweep());
    } catch (error) {
      recordingsError = { error };
    }
    try {
      await sweepVoicemails(deps.voicemails());
    } catch (error) {
      if (!recordingsError) throw error;
      logs.voicemailSweepFailed({ error: errorKind(error) });
    }
    if (recordingsError) throw recordingsError.error;
  };
}
