import type { CloudEvent } from '@google-cloud/functions-framework';
import { mediaFinalized, type MediaDeps } from '../app/smart-actions/media.js';
import { logs } from '../log.js';

const OBJECT_FINALIZED = 'google.cloud.storage.object.v1.finalized';

/** The fields of a Cloud Storage object event used here (google.events.cloud.storage.v1.StorageObjectData). */
export interface MediaObjectData {
  bucket?: string;
  name?: string;
  generation?: string | number;
  size?: string | number;
  timeCreated?: string;
}

/**
 * mediaReady: a consumer's upload finished in the media bucket (Eventarc, Storage finalize). Checks it
 * and shows it to the agent, or deletes it and says why; throwing asks Eventarc to deliver the event
 * again, and a repeat finds the verdict recorded.
 */
export function mediaReadyFromStorage(deps: { media: () => MediaDeps; bucket: string }) {
  return async (cloudEvent: CloudEvent<MediaObjectData>): Promise<void> => {
    const data = cloudEvent.data;
    const size = Number(data?.size);
    if (
      cloudEvent.type !== OBJECT_FINALIZED ||
      data?.bucket !== deps.bucket ||
      !data.name ||
      data.generation === undefined ||
      !Number.isSafeInteger(size) ||
      size < 0
    ) {
      logs.mediaObjectIgnored({ reason: 'not_an_object_finalized_event' });
      return;
    }
    await mediaFinalized(deps.media(), {
      name: data.name,
      generation: String(data.generation),
      sizeBytes: size,
      ...(data.timeCreated ? { timeCreated: data.timeCreated } : {}),
    });
  };
}
