import { Firestore } from '@google-cloud/firestore';

/** One client per instance, created on first use (it finds the emulator through FIRESTORE_EMULATOR_HOST). */
const clients = new Map<string, Firestore>();

export function firestoreClient(projectId: string, databaseId = '(default)'): Firestore {
  const key = `${projectId}/${databaseId}`;
  let client = clients.get(key);
  if (!client) {
    client = new Firestore({ projectId, databaseId, ignoreUndefinedProperties: true });
    clients.set(key, client);
  }
  return client;
}
