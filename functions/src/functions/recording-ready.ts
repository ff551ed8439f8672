import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composeRecordingEvents } from '../composition/recordings.js';
import { recordingsFunctionConfig } from '../config.js';
import { configureLogs } from '../log.js';
import { recordingReadyFromStorage } from '../triggers/recordings.js';

const config = recordingsFunctionConfig('recordingReady');
configureLogs({ level: config.logLevel });

functions.cloudEvent(
  'recordingReady',
  recordingReadyFromStorage(composeRecordingEvents(config, clockFor(config))),
);
