import { OidcCallerVerifier } from '../adapters/identity/oidc-callers.js';
import { SalesforceCrm } from '../adapters/salesforce/salesforce-crm.js';
import type { RecordingWorkerConfig } from '../config.js';
import type { RecordingWorkerDeps } from '../http/recording-worker.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { databases, once } from './firestore.js';
import { recordingPipeline } from './recordings.js';
import { recordingTasks } from './tasks.js';

/** The pipeline with the CRM it uploads to, and the check that a task comes from our queue. */
export function composeRecordingWorker(
  config: RecordingWorkerConfig,
  clock: Clock = systemClock,
): RecordingWorkerDeps {
  const dbs = databases(config, clock);
  const r = config.recordings;
  return {
    recordings: once(() => ({
      ...recordingPipeline(config, dbs, recordingTasks(r), clock),
      crm: once(() => new SalesforceCrm(config.salesforce, clock)),
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
