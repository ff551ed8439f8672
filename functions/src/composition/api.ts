import { randomUUID } from 'node:crypto';
import {
  FirestorePeopleAdmin,
  FirestoreQueueSessions,
  FirestoreRolesAdmin,
} from '../adapters/firestore/directory.js';
import {
  FirestoreAgentQueries,
  FirestoreAuditLog,
  FirestoreEndConfirmations,
  FirestoreSessionQueries,
  FirestoreSupervisionSettings,
} from '../adapters/firestore/supervision.js';
import { FirestoreChatAgents, FirestoreOriginalMessages } from '../adapters/firestore/message-originals.js';
import { FirestorePrivacySettings } from '../adapters/firestore/privacy-settings.js';
import { FirestoreConsumerStore } from '../adapters/firestore/consumers.js';
import { AuthEmulatorIdTokenVerifier, FirebaseIdTokenVerifier } from '../adapters/identity/id-tokens.js';
import { PubSubPlatformCommands } from '../adapters/pubsub/platform-commands.js';
import type { AdminDeps } from '../app/admin/directory.js';
import type { ChatDeps } from '../app/chat/chats.js';
import type { CollaborationDeps } from '../app/chat/collaboration.js';
import { FirestoreAvailableDesks } from '../adapters/firestore/available-desks.js';
import type { PeopleDeps } from '../app/authenticate.js';
import type { DownloadDeps } from '../app/recordings/download.js';
import type { SupervisionDeps } from '../app/supervision/deps.js';
import { notificationTonesOf, type FunctionConfig } from '../config.js';
import type { ApiDeps } from '../http/api.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { deflection } from './deflection.js';
import { databases, once } from './firestore.js';
import { notifications } from './notifications.js';
import { sessionIngest } from './ingest.js';
import { recordingPipeline } from './recordings.js';
import { recordingTasks } from './tasks.js';
import { chatDeps } from './chats.js';
import { notificationTones } from './notification-tones.js';
import { smartActions } from './smart-actions.js';
import { mediaDeps } from './media.js';

/**
 * The api: people, supervision, deflection settings, the directory's administration and, where
 * recordings are set up, the recordings the CRM downloads and admins look after.
 */
export function composeApi(config: FunctionConfig, clock: Clock = systemClock): ApiDeps {
  const dbs = databases(config, clock);
  const settings = config.recordings;
  const tasks = settings && once(() => recordingTasks(settings));
  const ingest = once(() => sessionIngest(dbs, clock, tasks?.()));
  // A token's lifetime is judged on its issuer's clock, the system's: a local stack moved forward in
  // time would otherwise find every token the Auth emulator issues expired.
  const people = once((): PeopleDeps => ({
    idTokens: config.authEmulatorHost
      ? new AuthEmulatorIdTokenVerifier(config.projectId, systemClock)
      : new FirebaseIdTokenVerifier(config.projectId, systemClock),
    people: dbs.directory(),
  }));
  const supervisionSettings = once(
    () => new FirestoreSupervisionSettings(dbs.db(), config.directoryCacheSeconds * 1000, clock),
  );
  // One store for the admin who changes the setting and the views that follow it: a change made on
  // this instance is seen here at once, elsewhere within the cache's lifetime.
  const privacy = once(
    () => new FirestorePrivacySettings(dbs.db(), config.directoryCacheSeconds * 1000, clock),
  );
  const supervision = once((): SupervisionDeps => ({
    sessions: new FirestoreSessionQueries(dbs.db()),
    agents: new FirestoreAgentQueries(dbs.directoryDb()),
    monitors: ingest().monitors,
    audit: new FirestoreAuditLog(dbs.db()),
    confirmations: new FirestoreEndConfirmations(dbs.db()),
    settings: supervisionSettings(),
    privacy: privacy(),
    people: dbs.directory(),
    commands: new PubSubPlatformCommands(config.projectId, config.platformCommandsTopic),
    ingest: ingest(),
    clock,
    newId: randomUUID,
  }));
  const deflectionDeps = once(() => deflection(dbs, clock));
  const notificationDeps = once(() =>
    notifications(dbs, clock, deflectionDeps().settings, supervision().audit),
  );
  const admin = once((): AdminDeps => ({
    people: new FirestorePeopleAdmin(dbs.directoryDb()),
    roles: new FirestoreRolesAdmin(dbs.directoryDb()),
    directory: dbs.directory(),
    stuck: supervisionSettings(),
    queueSessions: new FirestoreQueueSessions(dbs.db()),
    deflection: deflectionDeps().settings,
    privacy: privacy(),
    ingest: ingest(),
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  const reveal = once(() => ({
    sessions: supervision().sessions,
    chatAgents: new FirestoreChatAgents(dbs.db()),
    originals: new FirestoreOriginalMessages(dbs.db()),
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  const offers = config.chatOffers;
  const chat = offers && once(() => chatDeps(config, offers, dbs, clock, privacy()));
  const collaboration = (chat: () => ChatDeps) =>
    once((): CollaborationDeps => ({
      chat: chat(),
      engine: deflectionDeps().engine,
      presence: deflectionDeps().presence,
      desks: new FirestoreAvailableDesks(dbs.db()),
    }));
  const deps: ApiDeps = {
    ...(chat ? { chat, collaboration: collaboration(chat) } : {}),
    people,
    supervision,
    deflection: deflectionDeps,
    notifications: notificationDeps,
    admin,
    reveal,
    crmDownloadKeys: config.crmDownloadKeys,
    smartActions: once(() => smartActions(config, dbs, ingest().sessions, clock)),
  };
  const media = mediaDeps(config, dbs, clock);
  if (media) deps.media = media;
  const tones = notificationTonesOf(config);
  if (tones)
    deps.notificationTones = once(() =>
      notificationTones(config, tones, notificationDeps().settings, supervision().audit, clock),
    );
  if (!settings || !tasks) return deps;
  const consumers = once(() => ({
    consumers: new FirestoreConsumerStore(dbs.db()),
    tasks: tasks(),
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  const recordings = once(() =>
    recordingPipeline({ projectId: config.projectId, recordings: settings }, dbs, tasks(), clock),
  );
  const downloads = once((): DownloadDeps => ({
    plans: recordings().plans,
    blobs: recordings().blobs,
    sessions: supervision().sessions,
    audit: supervision().audit,
    clock,
    newId: randomUUID,
  }));
  return { ...deps, recordings, downloads, consumers };
}
