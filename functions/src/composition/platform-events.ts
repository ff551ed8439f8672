import { randomUUID } from 'node:crypto';
import { FirestoreConsumerStore } from '../adapters/firestore/consumers.js';
import { FirestoreAuditLog } from '../adapters/firestore/supervision.js';
import { FirestoreSignedRequestLedger } from '../adapters/firestore/signed-requests.js';
import type { IngestDeps } from '../app/ingest-session-event.js';
import type { FunctionConfig } from '../config.js';
import type { PlatformEventsDeps } from '../http/platform-events.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { deflection } from './deflection.js';
import { databases, once } from './firestore.js';
import { sessionIngest } from './ingest.js';
import { recordingTasks } from './tasks.js';
import { chatDeps } from './chats.js';
import { OidcCallerVerifier } from '../adapters/identity/oidc-callers.js';
import { notificationPlans } from './notification-plans.js';
import { mediaDeps } from './media.js';
import { smartActions } from './smart-actions.js';

/** Ingestion, and where recordings are set up, the queue that a recording.available event asks to plan. */
function ingestFor(config: FunctionConfig, clock: Clock) {
  const dbs = databases(config, clock);
  const offers = config.chatOffers;
  const chat = offers && once(() => chatDeps(config, offers, dbs, clock));
  const r = config.recordings;
  const tasks = r && once(() => recordingTasks(r));
  const ingest = once(() => ({
    ...sessionIngest(dbs, clock, tasks?.()),
    ...(chat ? { chat: chat() } : {}),
  }));
  return { dbs, ingest, chat, tasks };
}

/** platformEvents: signed session events, the deflection questions the platform asks, and chat offers' timeouts. */
export function composePlatformEvents(
  config: FunctionConfig,
  clock: Clock = systemClock,
): PlatformEventsDeps {
  const { dbs, ingest, chat, tasks } = ingestFor(config, clock);
  const r = config.recordings;
  const offers = config.chatOffers;
  const deflectionDeps = once(() => deflection(dbs, clock));
  return {
    ...(tasks
      ? {
          consumers: once(() => ({
            consumers: new FirestoreConsumerStore(dbs.db()),
            tasks: tasks(),
            audit: new FirestoreAuditLog(dbs.db()),
            clock,
            newId: randomUUID,
          })),
          voicemailTasks: tasks,
          ...(r?.voicemailBucket ? { voicemailBucket: r.voicemailBucket } : {}),
        }
      : {}),
    ...(chat && offers
      ? {
          chat,
          chatTasksCaller: once(
            () =>
              new OidcCallerVerifier(
                {
                  audience: offers.timeoutUrl,
                  serviceAccountEmail: offers.tasksServiceAccount,
                  ...(offers.tasksOidcCertsUrl ? { certsUrl: offers.tasksOidcCertsUrl } : {}),
                },
                clock,
              ),
          ),
        }
      : {}),
    signing: config.platformSigning,
    signedRequests: once(() => new FirestoreSignedRequestLedger(dbs.db())),
    ingest,
    deflection: deflectionDeps,
    // The same cached deflection configuration as the deflection questions: which queues take calls.
    notifications: once(() => notificationPlans(config, dbs, ingest(), deflectionDeps().engine, clock)),
    ...optional('media', mediaDeps(config, dbs, clock)),
    smartActions: once(() => smartActions(config, dbs, ingest().sessions, clock, ingest())),
    clock,
  };
}

const optional = <K extends string, T>(key: K, value: T | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, T>>;

/** platformEventsPubSub: the same session events, from the topic. */
export function composePlatformEventsPubSub(
  config: FunctionConfig,
  clock: Clock = systemClock,
): { ingest: () => IngestDeps } {
  return { ingest: ingestFor(config, clock).ingest };
}
