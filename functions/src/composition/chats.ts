import { randomUUID } from 'node:crypto';
import {
  FirestoreChatSettings,
  FirestoreChatStore,
  FirestoreSessionThread,
  FirestoreWrapUpReasons,
} from '../adapters/firestore/chats.js';
import { FirestorePrivacySettings } from '../adapters/firestore/privacy-settings.js';
import { FirestoreSessionRepository } from '../adapters/firestore/session-repository.js';
import { PubSubPlatformCommands } from '../adapters/pubsub/platform-commands.js';
import { CloudTasksOfferTimeouts } from '../adapters/tasks/offer-timeouts.js';
import type { ChatDeps } from '../app/chat/chats.js';
import type { ChatOffersSettings, FunctionConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { PrivacySettingsStore } from '../ports/privacy-settings.js';
import type { Databases } from './firestore.js';

/** Live chat's agent side, where its offers' timeouts are set up (api and the platform event functions). */
export function chatDeps(
  config: Pick<FunctionConfig, 'projectId' | 'platformCommandsTopic' | 'directoryCacheSeconds'>,
  offers: ChatOffersSettings,
  dbs: Databases,
  clock: Clock,
  // The api passes the store its admins save through, so that a change is seen at once on that instance.
  privacy: PrivacySettingsStore = new FirestorePrivacySettings(
    dbs.db(),
    config.directoryCacheSeconds * 1000,
    clock,
  ),
): ChatDeps {
  const cacheMs = config.directoryCacheSeconds * 1000;
  const emulatorHost = offers.tasksEmulatorHost;
  return {
    chats: new FirestoreChatStore(dbs.db(), clock),
    sessions: new FirestoreSessionRepository(dbs.db()),
    thread: new FirestoreSessionThread(dbs.db()),
    people: dbs.directory(),
    privacy,
    settings: new FirestoreChatSettings(dbs.db(), cacheMs, clock),
    wrapUpReasons: new FirestoreWrapUpReasons(dbs.db()),
    timeouts: new CloudTasksOfferTimeouts({
      queue: offers.queue,
      url: offers.timeoutUrl,
      serviceAccountEmail: offers.tasksServiceAccount,
      ...(emulatorHost ? { emulatorHost } : {}),
    }),
    commands: new PubSubPlatformCommands(config.projectId, config.platformCommandsTopic),
    clock,
    newId: randomUUID,
  };
}
