import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';

/** A project id of its own for one test file, so that files running at once never share data. */
export const testProjectId = (label: string) =>
  `demo-${label}-${randomBytes(4).toString('hex')}`.slice(0, 30);

/** The Auth emulator signs people in to this project only: the one test file that needs tokens uses it. */
export const AUTH_TEST_PROJECT = 'demo-switchboard-people';

export function emulatorHost(
  variable: 'FIRESTORE_EMULATOR_HOST' | 'PUBSUB_EMULATOR_HOST' | 'FIREBASE_AUTH_EMULATOR_HOST',
): string {
  const host = process.env[variable];
  if (!host)
    throw new Error(`${variable} is not set: run these tests through npm test, which starts the emulators.`);
  return host;
}

export function testFirestore(projectId: string): Firestore {
  emulatorHost('FIRESTORE_EMULATOR_HOST');
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}
