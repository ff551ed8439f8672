import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composeMediaReady } from '../composition/media.js';
import { mediaFunctionConfig } from '../config.js';
import { configureLogs } from '../log.js';
import { mediaReadyFromStorage } from '../triggers/media.js';

const config = mediaFunctionConfig();
configureLogs({ level: config.logLevel });

functions.cloudEvent('mediaReady', mediaReadyFromStorage(composeMediaReady(config, clockFor(config))));
