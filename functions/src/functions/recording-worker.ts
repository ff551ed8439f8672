import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composeRecordingWorker } from '../composition/recording-worker.js';
import { recordingWorkerConfig } from '../config.js';
import { recordingWorkerRoutes } from '../http/recording-worker.js';
import { httpFunction } from '../http/router.js';
import { configureLogs } from '../log.js';

const config = recordingWorkerConfig();
configureLogs({ level: config.logLevel });

functions.http(
  'recordingWorker',
  httpFunction(config.projectId, recordingWorkerRoutes(composeRecordingWorker(config, clockFor(config)))),
);
