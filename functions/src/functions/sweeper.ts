import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composeSweeper } from '../composition/recordings.js';
import { recordingsFunctionConfig } from '../config.js';
import { configureLogs } from '../log.js';
import { sweeperFromSchedule } from '../triggers/recordings.js';

const config = recordingsFunctionConfig('sweeper');
configureLogs({ level: config.logLevel });

functions.cloudEvent('sweeper', sweeperFromSchedule(composeSweeper(config, clockFor(config))));
