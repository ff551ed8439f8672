import { randomBytes } from 'node:crypto';
import { FirestoreMediaRecords } from '../adapters/firestore/smart-action-media.js';
import { FirestoreSmartActionRequests } from '../adapters/firestore/smart-actions.js';
import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { GcsMediaBlobs } from '../adapters/storage/media-blobs.js';
import type { MediaDeps } from '../app/smart-actions/media.js';
import { mediaOf, type FunctionConfig, type MediaSettings } from '../config.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { databases, once, type Databases } from './firestore.js';

/** Media records and requests in Firestore, files in the media bucket; undefined without MEDIA_BUCKET. */
export function mediaDeps(
  config: Pick<FunctionConfig, 'projectId' | 'media'>,
  dbs: Databases,
  clock: Clock,
): (() => MediaDeps) | undefined {
  const media = mediaOf(config);
  return media && once(() => composeMedia(config.projectId, media, dbs, clock));
}

function composeMedia(projectId: string, media: MediaSettings, dbs: Databases, clock: Clock): MediaDeps {
  return {
    sessions: new FirestoreSessionRepository(dbs.db()),
    records: new FirestoreMediaRecords(dbs.db()),
    blobs: new GcsMediaBlobs({
      projectId,
      bucket: media.bucket,
      ...(media.storageEmulatorHost ? { apiEndpoint: media.storageEmulatorHost } : {}),
    }),
    requests: new FirestoreSmartActionRequests(dbs.db()),
    clock,
    newMediaId: () => randomBytes(12).toString('hex'),
  };
}

/** mediaReady: the media checks, and nothing else. */
export function composeMediaReady(
  config: FunctionConfig & { media: MediaSettings },
  clock: Clock = systemClock,
) {
  const deps = mediaDeps(config, databases(config, clock), clock)!;
  return { media: deps, bucket: config.media.bucket };
}
