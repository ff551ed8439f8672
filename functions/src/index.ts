import * as functions from '@google-cloud/functions-framework';
import { compose } from './composition.js';
import { loadConfig } from './config.js';
import { apiRoutes } from './http/api.js';
import { platformEventsRoutes } from './http/platform-events.js';
import { httpFunction } from './http/router.js';
import { configureLogs } from './log.js';
import { systemClock } from './ports/clock.js';
import { platformEventsFromPubSub } from './triggers/platform-events-pubsub.js';
import { recordingReadyFromStorage, sweeperFromSchedule } from './triggers/recordings.js';
import { recordingWorkerRoutes } from './http/recording-worker.js';

/** The only file that registers functions. Each is deployed on its own (see infra/functions.tf). */
const config = loadConfig();
configureLogs({ level: config.logLevel });
const adapters = compose(config);

functions.http(
  'platformEvents',
  httpFunction(
    config.projectId,
    platformEventsRoutes({
      signing: config.platformSigning,
      signedRequests: adapters.signedRequests,
      ingest: adapters.ingest,
      deflection: adapters.deflection,
      clock: systemClock,
    }),
  ),
);

functions.cloudEvent('platformEventsPubSub', platformEventsFromPubSub({ ingest: adapters.ingest }));

functions.http(
  'api',
  httpFunction(
    config.projectId,
    apiRoutes({
      people: adapters.people,
      supervision: adapters.supervision,
      deflection: adapters.deflection,
      admin: adapters.admin,
      ...(adapters.downloads ? { downloads: adapters.downloads, recordings: adapters.recordings } : {}),
      crmDownloadKeys: config.crmDownloadKeys,
    }),
  ),
);

functions.cloudEvent('recordingReady', recordingReadyFromStorage({ recordings: adapters.recordings }));

functions.http(
  'recordingWorker',
  httpFunction(
    config.projectId,
    recordingWorkerRoutes({ recordings: adapters.recordings, caller: adapters.recordingTaskCaller }),
  ),
);

functions.cloudEvent('sweeper', sweeperFromSchedule({ recordings: adapters.recordings }));
