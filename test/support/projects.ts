import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';

/** A project id of its own for one test file, so that files running at once never share data. */
export const testProjectId = (label: string) =>
  `demo-${label}-${randomBytes(4).toString('hex')}`.slice(0, 30);

export function emulatorHost(variable: 'FIRESTORE_EMULATOR_HOST' | 'PUBSUB_EMULATOR_HOST'): string {
  const host = process.env[variable];
  if (!host)
    throw new Error(`${variable} is not set: run these tests through npm test, which starts the emulators.`);
  return host;
}

export function testFirestore(projectId: string): Firestore {
  emulatorHost('FIRESTORE_EMULATOR_HOST');
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}
