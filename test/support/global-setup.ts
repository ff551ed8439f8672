import { resolve } from 'node:path';
import { startFirestoreEmulator, startPubSubEmulator } from '../../scripts/stack/emulators.js';

/**
 * Starts the emulators the integration and end-to-end tests use, and stops them after the run. When
 * the variables are already set (a stack started by `npm start`), that stack is used instead: every
 * test file works in a project id of its own, so runs never see each other's data.
 */
export default async function setup() {
  process.env.METADATA_SERVER_DETECTION = 'none';
  if (process.env.FIRESTORE_EMULATOR_HOST && process.env.PUBSUB_EMULATOR_HOST) return undefined;
  const [firestore, pubsub] = await Promise.all([
    startFirestoreEmulator({ rulesFile: resolve('firestore.rules') }),
    startPubSubEmulator(),
  ]);
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  return async () => {
    await Promise.all([firestore.stop(), pubsub.stop()]);
  };
}
