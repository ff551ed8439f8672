import * as functions from '@google-cloud/functions-framework';
import { firestoreClient } from './adapters/firestore/client.js';
import { FirestoreSessionRepository } from './adapters/firestore/session-repository.js';
import { loadConfig } from './config.js';
import { platformEventsRoutes } from './http/platform-events.js';
import { httpFunction } from './http/router.js';
import { configureLogs } from './log.js';
import { systemClock } from './ports/clock.js';
import { platformEventsFromPubSub } from './triggers/platform-events-pubsub.js';

/** The only file that registers functions. Each is deployed on its own (see infra/functions.tf). */
const config = loadConfig();
configureLogs({ level: config.logLevel });

let sessionRepository: FirestoreSessionRepository | undefined;
const sessions = () =>
  (sessionRepository ??= new FirestoreSessionRepository(
    firestoreClient(config.projectId, config.firestoreDatabaseId),
  ));

functions.http(
  'platformEvents',
  httpFunction(
    config.projectId,
    platformEventsRoutes({ signing: config.platformSigning, sessions, clock: systemClock }),
  ),
);

functions.cloudEvent('platformEventsPubSub', platformEventsFromPubSub({ sessions, clock: systemClock }));
