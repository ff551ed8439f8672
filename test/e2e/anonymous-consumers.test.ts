import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import type { AnonymousConsumer } from '../../functions/src/domain/consumers/anonymous.js';
import { configureLogs } from '../../functions/src/log.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import {
  LOCAL_SALESFORCE,
  connectedAppKeys,
  createBucketAndQueue,
  freePort,
  recordingsEnvironment,
  type RecordingsStackOptions,
} from '../../scripts/stack/recordings.js';
import { createAccount, signIn } from '../support/people.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Anonymous consumers over HTTP (UNA-1 … UNA-5), as deployed: session events to platformEvents, whose
 * tickets go through the Cloud Tasks server (REST, OIDC) to recordingWorker, which makes them in the
 * Salesforce-compatible server through jsforce; logins to platformEvents; undoing a merge through the
 * api, with an admin's ID token. CRM API requests are counted at the Salesforce server.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'consumers-e2e';
const SECRET = 'consumers-platform-secret-0123456789abcdef';

const db = new Firestore({ projectId, databaseId });
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let stack: RecordingsStackOptions;
const urls: Record<string, string> = {};
const tokens: Record<string, string> = {};
let stopFunctions: () => Promise<void> = async () => {};

beforeAll(async () => {
  configureLogs({ sink: () => undefined });
  const keys = connectedAppKeys();
  storage = await startStorageServer({});
  tasks = await startTasksServer({ timeScale: 100 });
  salesforce = await startSalesforceServer({
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
  stack = {
    projectId,
    bucket: 'acme-consumers-recordings',
    storageUrl: storage.url,
    tasks,
    salesforce,
    privateKeyPem: keys.privateKeyPem,
    workerPort: await freePort(),
  };
  await createBucketAndQueue(stack);
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    ...recordingsEnvironment(stack),
  });
  for (const [uid, roleIds] of [
    ['u-admin', ['admin']],
    ['u-manager', ['manager']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: ['team-a'] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@consumers.example`);
    tokens[uid] = await signIn(`${uid}@consumers.example`);
  }
  const served = await serveFunctions({ recordingWorker: stack.workerPort, api: 0, platformEvents: 0 });
  for (const f of served.functions) urls[f.name] = f.url;
  stopFunctions = served.stop;
  // The support center is in New York: contacts' names carry its local time, not UTC. Its hours are
  // read once the support center, call and chat settings are all saved.
  const config = deflectionConfig();
  const saves: [string, unknown][] = [
    ...Object.entries(config.languages).map(([tag, body]): [string, unknown] => [
      `/v1/settings/languages/${tag}`,
      body,
    ]),
    ...Object.entries(config.queues).map(([id, body]): [string, unknown] => [
      `/v1/settings/queues/${id}`,
      body,
    ]),
    ['/v1/settings/support-center', config.supportCenter],
    ['/v1/settings/call', config.call],
    ['/v1/settings/chat', config.chat],
  ];
  for (const [path, body] of saves) {
    const saved = await fetch(`${urls.api}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens['u-admin']}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(saved.status, await saved.text()).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await stopFunctions();
  await tasks?.close();
  await salesforce?.close();
  await storage?.close();
  await db.terminate();
  for (const name of Object.keys(recordingsEnvironment(stack))) delete process.env[name];
  delete process.env.FIRESTORE_DATABASE_ID;
});

let sequence = 0;
async function anonymousSession(source: 'web_visitor' | 'mobile_sdk', id: string, occurredAt: string) {
  sequence++;
  const sessionId = `una-${sequence}`;
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `una-e-${sequence}`,
    sessionId,
    sequence: 1,
    occurredAt,
    type: 'session.created',
    kind: 'chat',
    channel: source === 'web_visitor' ? 'web' : 'mobile',
    queue: { id: 'q-support', menuPath: ['Support'] },
    language: 'en',
    consumer: { id: `anon-${id}`, anonymous: true, temporaryId: { source, id } },
  });
  const send = async () => {
    const res = await sendSigned(`${urls.platformEvents}/v1/events`, body, { secret: SECRET });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  await send();
  return { sessionId, send };
}

function login(consumerId: string, crmContactId: string, source: 'web_visitor' | 'mobile_sdk', id: string) {
  return sendSigned(
    `${urls.platformEvents}/v1/consumers/logins`,
    JSON.stringify({ consumerId, crmContactId, temporaryId: { source, id } }),
    { secret: SECRET },
  );
}

const undo = (mergeId: string, token: string) =>
  fetch(`${urls.api}/v1/consumers/merges/${mergeId}/undo`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });

const apiCalls = () => salesforce.requests().filter((r) => r.path.startsWith('/services/data/')).length;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const caseOf = (sessionId: string) =>
  until(`the case of ${sessionId}`, () =>
    salesforce.cases().find((c) => c.Switchboard_Session_Key__c === sessionId),
  );

/** Once our records say the ticket is made: the worker has nothing more to send for it. */
const ticketRecorded = (key: string, sessionId: string) =>
  until(`the ticket of ${sessionId} recorded`, async () => {
    const consumer = (await db.doc(`consumers/${key}`).get()).data() as AnonymousConsumer | undefined;
    return consumer?.tickets.find((t) => t.sessionId === sessionId && t.caseId !== null);
  });

const contact = (id: string | null) => salesforce.contacts().find((c) => c.Id === id)!;

/** Measured here, quoted in the README: CRM API requests per anonymous ticket and per merge. */
const figures: Record<string, number> = {};

describe('anonymous consumers over HTTP', () => {
  it('UNA-1, UNA-2: a web visitor gets a contact "Web User - MM/DD HH:mm" with the visitor id, and a case, in one CRM request; a redelivery makes nothing', async () => {
    // Warm the worker's CRM session, so that the count below is the ticket's alone.
    const warm = await anonymousSession('web_visitor', 'visitor-warm', '2026-10-05T09:00:00Z');
    await ticketRecorded('web_visitor:visitor-warm', warm.sessionId);

    const before = apiCalls();
    const { sessionId, send } = await anonymousSession('web_visitor', 'visitor-1', '2026-10-05T10:15:00Z');
    const made = await caseOf(sessionId);
    await ticketRecorded('web_visitor:visitor-1', sessionId);
    figures.perTicket = apiCalls() - before;
    expect(figures.perTicket).toBe(1);
    expect(contact(made.ContactId)).toMatchObject({
      FirstName: 'Web User - 10/05 06:15',
      Switchboard_Consumer_Key__c: 'web_visitor:visitor-1',
    });
    expect(made.Origin).toBe('Web');

    const after = apiCalls();
    await send();
    // The redelivered event's task (if the queue lets one through) finds the ticket made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(apiCalls()).toBe(after);
    expect(salesforce.cases().filter((c) => c.Switchboard_Session_Key__c === sessionId)).toHaveLength(1);
  });

  it('UNA-3, UNA-5: a mobile consumer is "Mobile User - MM/DD HH:mm" with the SDK id; after an Android reinstall, a new contact', async () => {
    const first = await anonymousSession('mobile_sdk', 'sdk-install-1', '2026-10-05T22:05:00Z');
    const second = await anonymousSession('mobile_sdk', 'sdk-install-2', '2026-10-06T08:30:00Z');
    const [a, b] = [await caseOf(first.sessionId), await caseOf(second.sessionId)];
    expect(a.ContactId).not.toBe(b.ContactId);
    expect(
      [contact(a.ContactId), contact(b.ContactId)].map((c) => [c.FirstName, c.Switchboard_Consumer_Key__c]),
    ).toEqual([
      ['Mobile User - 10/05 18:05', 'mobile_sdk:sdk-install-1'],
      ['Mobile User - 10/06 04:30', 'mobile_sdk:sdk-install-2'],
    ]);
    expect(a.Origin).toBe('Mobile');
  });

  it('UNA-1, UNA-4: a login moves the earlier tickets in one CRM request, a repeat changes nothing, another identity is refused, and an admin can undo it', async () => {
    const known = await anonymousSession('web_visitor', 'known-device', '2026-10-05T11:00:00Z');
    const knownContact = (await caseOf(known.sessionId)).ContactId!;
    const sessions = [
      await anonymousSession('web_visitor', 'visitor-2', '2026-10-05T12:00:00Z'),
      await anonymousSession('web_visitor', 'visitor-2', '2026-10-05T12:30:00Z'),
    ];
    const cases = await Promise.all(sessions.map((s) => caseOf(s.sessionId)));
    for (const s of sessions) await ticketRecorded('web_visitor:visitor-2', s.sessionId);
    const anonymousContact = cases[0]!.ContactId;
    const owners = () =>
      salesforce
        .cases()
        .filter((c) => cases.some((k) => k.Id === c.Id))
        .map((c) => c.ContactId);

    const before = apiCalls();
    const res = await login('customer-42', knownContact, 'web_visitor', 'visitor-2');
    expect(res.status, await res.clone().text()).toBe(200);
    const merged = (await res.json()) as { outcome: string; mergeId: string; ticketsMoved: number };
    expect(merged).toMatchObject({ outcome: 'merged', ticketsMoved: 2 });
    await until('the tickets moved', () => (owners().every((o) => o === knownContact) ? true : undefined));
    await until('the merge settled', async () =>
      (await db.doc(`consumerMerges/${merged.mergeId}`).get()).get('status') === 'applied' ? true : undefined,
    );
    figures.perMerge = apiCalls() - before;
    expect(figures.perMerge).toBe(1);

    const again = await login('customer-42', knownContact, 'web_visitor', 'visitor-2');
    expect(await again.json()).toEqual({
      outcome: 'already_merged',
      mergeId: merged.mergeId,
      ticketsMoved: 2,
    });
    const other = await login('customer-43', '003000000000777AAA', 'web_visitor', 'visitor-2');
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe(
      'already_merged_elsewhere',
    );

    const audit = await fetch(`${urls.api}/v1/audit?pageSize=50`, {
      headers: { authorization: `Bearer ${tokens['u-admin']}` },
    });
    const entries = ((await audit.json()) as { items: { action: string; subject?: { id: string } }[] }).items;
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: 'consumer.merged',
        subject: { type: 'consumer_merge', id: merged.mergeId },
      }),
    );

    const denied = await undo(merged.mergeId, tokens['u-manager']!);
    expect(denied.status).toBe(403);
    const allowed = await undo(merged.mergeId, tokens['u-admin']!);
    expect(allowed.status, await allowed.clone().text()).toBe(200);
    expect(await allowed.json()).toEqual({ outcome: 'undoing', mergeId: merged.mergeId, ticketsMoved: 2 });
    await until('the tickets moved back', () =>
      owners().every((o) => o === anonymousContact) ? true : undefined,
    );
    const relogin = await login('customer-43', knownContact, 'web_visitor', 'visitor-2');
    expect(relogin.status).toBe(200);
  });

  it('a login before any session of its temporary id is merged with nothing to move; a malformed one a 400; an unsigned one a 401', async () => {
    const early = await login('customer-44', '003000000000777AAA', 'web_visitor', 'not-seen-yet');
    expect(early.status).toBe(200);
    expect(await early.json()).toMatchObject({ outcome: 'merged', ticketsMoved: 0 });
    expect((await login('customer-44', 'not-an-id', 'web_visitor', 'visitor-1')).status).toBe(400);
    const unsigned = await fetch(`${urls.platformEvents}/v1/consumers/logins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        consumerId: 'x',
        crmContactId: '003000000000777AAA',
        temporaryId: { source: 'web_visitor', id: 'visitor-1' },
      }),
    });
    expect(unsigned.status).toBe(401);
  });

  it('closing figures', () => {
    // CRM API requests: per anonymous ticket (contact + case, Composite API) and per merge (sObject
    // Collections update of every moved case).
    expect(figures).toEqual({ perTicket: 1, perMerge: 1 });
  });
});
