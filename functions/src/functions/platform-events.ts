import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composePlatformEvents } from '../composition/platform-events.js';
import { functionConfig } from '../config.js';
import { platformEventsRoutes } from '../http/platform-events.js';
import { httpFunction } from '../http/router.js';
import { configureLogs } from '../log.js';

const config = functionConfig('platformEvents');
configureLogs({ level: config.logLevel });

functions.http(
  'platformEvents',
  httpFunction(config.projectId, platformEventsRoutes(composePlatformEvents(config, clockFor(config)))),
);
