import { OidcCallerVerifier } from '../adapters/identity/oidc-callers.js';
import { SalesforceCrm } from '../adapters/salesforce/salesforce-crm.js';
import { SalesforceConsumerCrm } from '../adapters/salesforce/salesforce-consumers.js';
import { SalesforceVoicemailCrm } from '../adapters/salesforce/salesforce-voicemails.js';
import { FirestoreVoicemailOutbox } from '../adapters/firestore/voicemails.js';
import { FirestoreConsumerStore } from '../adapters/firestore/consumers.js';
import { FirestoreDeflectionSettings } from '../adapters/firestore/deflection-settings.js';
import type { RecordingWorkerConfig } from '../config.js';
import type { RecordingWorkerDeps } from '../http/recording-worker.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { databases, once } from './firestore.js';
import { recordingPipeline } from './recordings.js';
import { recordingTasks } from './tasks.js';

/** The pipeline with the CRM it uploads to (recordings, consumers' tickets, voicemails), and the check that a task comes from our queue. */
export function composeRecordingWorker(
  config: RecordingWorkerConfig,
  clock: Clock = systemClock,
): RecordingWorkerDeps {
  const dbs = databases(config, clock);
  const r = config.recordings;
  const tasks = once(() => recordingTasks(r));
  // One Salesforce session for recordings and consumers alike.
  const salesforce = once(() => new SalesforceCrm(config.salesforce, clock));
  const settings = once(() => new FirestoreDeflectionSettings(dbs.db(), clock));
  const recordings = once(() => ({
    ...recordingPipeline(config, dbs, tasks(), clock),
    crm: salesforce,
  }));
  return {
    recordings,
    voicemails: once(() => {
      const pipeline = recordings();
      return {
        outbox: new FirestoreVoicemailOutbox(dbs.db()),
        blobs: pipeline.blobs,
        sessions: pipeline.sessions,
        crm: once(() => new SalesforceVoicemailCrm(salesforce())),
        tasks: tasks(),
        clock,
      };
    }),
    consumers: once(() => ({
      consumers: new FirestoreConsumerStore(dbs.db()),
      tasks: tasks(),
      crm: once(() => new SalesforceConsumerCrm(salesforce(), config.salesforce.apiVersion)),
      // The support center's clock is its business hours' zone; UTC until the settings are saved.
      supportCenterZone: async () => (await settings().load()).config?.supportCenter.hours.timeZone ?? 'UTC',
    })),
    caller: once(
      () =>
        new OidcCallerVerifier(
          {
            audience: r.workerUrl,
            serviceAccountEmail: r.tasksServiceAccount,
            ...(r.tasksOidcCertsUrl ? { certsUrl: r.tasksOidcCertsUrl } : {}),
          },
          clock,
        ),
    ),
  };
}
