import { emulatorHost } from './projects.js';

/**
 * Every document of one emulator database, read in one query over its REST API (as the database's
 * owner, past the security rules): what a test compares before and after requests that must write
 * nothing, and writes back to undo what accepted requests changed.
 */
export type DocumentSnapshot = Map<string, { fields: unknown; json: string }>;

interface RestDocument {
  name: string;
  fields?: unknown;
}

const OWNER = { authorization: 'Bearer owner', 'content-type': 'application/json' };

function documentsUrl(projectId: string, databaseId: string) {
  const host = emulatorHost('FIRESTORE_EMULATOR_HOST');
  return `http://${host}/v1/projects/${projectId}/databases/${databaseId}/documents`;
}

export async function snapshotDocuments(projectId: string, databaseId: string): Promise<DocumentSnapshot> {
  // A query without a collection id, over all descendants of the root: every document, nested ones too.
  const res = await fetch(`${documentsUrl(projectId, databaseId)}:runQuery`, {
    method: 'POST',
    headers: OWNER,
    body: JSON.stringify({ structuredQuery: { from: [{ allDescendants: true }] } }),
  });
  if (!res.ok) throw new Error(`could not list the documents: ${res.status} ${await res.text()}`);
  const rows = (await res.json()) as { document?: RestDocument }[];
  const snapshot: DocumentSnapshot = new Map();
  for (const { document } of rows) {
    if (!document) continue;
    const fields = document.fields ?? {};
    snapshot.set(document.name, { fields, json: JSON.stringify(fields) });
  }
  return snapshot;
}

/** The documents created, deleted or changed between two snapshots, by name. */
export function changedDocuments(before: DocumentSnapshot, after: DocumentSnapshot): string[] {
  const changed: string[] = [];
  for (const [name, doc] of after) if (before.get(name)?.json !== doc.json) changed.push(name);
  for (const name of before.keys()) if (!after.has(name)) changed.push(name);
  return changed.sort();
}

/** Puts the database back as it was in `wanted`: changed documents rewritten, new ones deleted. */
export async function restoreDocuments(projectId: string, databaseId: string, wanted: DocumentSnapshot) {
  const now = await snapshotDocuments(projectId, databaseId);
  const writes = changedDocuments(wanted, now).map((name) => {
    const doc = wanted.get(name);
    return doc ? { update: { name, fields: doc.fields } } : { delete: name };
  });
  if (writes.length === 0) return;
  const res = await fetch(`${documentsUrl(projectId, databaseId)}:commit`, {
    method: 'POST',
    headers: OWNER,
    body: JSON.stringify({ writes }),
  });
  if (!res.ok) throw new Error(`could not restore the documents: ${res.status} ${await res.text()}`);
}
