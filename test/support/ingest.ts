import { composePlatformEventsPubSub } from '../../functions/src/composition/platform-events.js';
import { functionConfig } from '../../functions/src/config.js';
import type { Clock } from '../../functions/src/ports/clock.js';

/**
 * Session event ingestion as the platform event functions compose it, on the emulator's project:
 * the directory is read afresh for every event unless a cache time is given.
 */
export function composedIngest(
  projectId: string,
  options: { databaseId?: string; directoryCacheSeconds?: number; clock?: Clock } = {},
) {
  const config = functionConfig('platformEventsPubSub', {
    GOOGLE_CLOUD_PROJECT: projectId,
    ...(options.databaseId ? { FIRESTORE_DATABASE_ID: options.databaseId } : {}),
    DIRECTORY_CACHE_SECONDS: String(options.directoryCacheSeconds ?? 0),
  });
  return composePlatformEventsPubSub(config, ...(options.clock ? [options.clock] : [])).ingest();
}
