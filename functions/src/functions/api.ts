import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composeApi } from '../composition/api.js';
import { functionConfig } from '../config.js';
import { apiRoutes } from '../http/api.js';
import { httpFunction } from '../http/router.js';
import { configureLogs } from '../log.js';

const config = functionConfig('api');
configureLogs({ level: config.logLevel });

functions.http('api', httpFunction(config.projectId, apiRoutes(composeApi(config, clockFor(config)))));
