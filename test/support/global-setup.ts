import { resolve } from 'node:path';
import { AUTH_TEST_PROJECT } from './projects.js';
import {
  startAuthEmulator,
  startFirestoreEmulator,
  startPubSubEmulator,
} from '../../scripts/stack/emulators.js';

/**
 * Starts the emulators (Firestore, Pub/Sub, Auth) the integration and end-to-end tests use, on free
 * ports, and stops them after the run. Every test file works in a project id of its own, so files
 * running at once never see each other's data; the Auth emulator signs people in to one project only.
 */
export default async function setup() {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const [firestore, pubsub, auth] = await Promise.all([
    startFirestoreEmulator({ rulesFile: resolve('firestore.rules') }),
    startPubSubEmulator(),
    startAuthEmulator({ projectId: AUTH_TEST_PROJECT }),
  ]);
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = auth.host;
  return async () => {
    await Promise.all([firestore.stop(), pubsub.stop(), auth.stop()]);
  };
}
