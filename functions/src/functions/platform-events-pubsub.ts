import * as functions from '@google-cloud/functions-framework';
import { clockFor } from '../composition/clock.js';
import { composePlatformEventsPubSub } from '../composition/platform-events.js';
import { functionConfig } from '../config.js';
import { configureLogs } from '../log.js';
import { platformEventsFromPubSub } from '../triggers/platform-events-pubsub.js';

const config = functionConfig('platformEventsPubSub');
configureLogs({ level: config.logLevel });

functions.cloudEvent(
  'platformEventsPubSub',
  platformEventsFromPubSub(composePlatformEventsPubSub(config, clockFor(config))),
);
