import { createHash } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreDeflectionSettings } from '../../functions/src/adapters/firestore/deflection-settings.js';
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
import { deflectionConfig } from '../support/deflection-config.js';
import { sendSigned } from '../support/platform.js';
import { testProjectId } from '../support/projects.js';

/**
 * Voicemails for the CRM as deployed, on this machine: the platform reports a voicemail left on a
 * root queue nobody serves to platformEvents; its task goes through our Cloud Tasks server (REST,
 * OIDC tokens) to recordingWorker, which streams the audio from our Storage server to the
 * Salesforce-compatible server through jsforce, deletes it and empties the outbox.
 */
const projectId = testProjectId('voicemails-e2e');
const databaseId = 'voicemails-e2e';
const RECORDINGS = 'acme-call-recordings';
const VOICEMAILS = 'acme-voicemails';
const SECRET = 'voicemails-platform-secret-0123456789abcd';
const CASE = '500000000000020AAA';

const db = new Firestore({ projectId, databaseId });
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let gcs: Storage;
let stack: RecordingsStackOptions;
const urls: Record<string, string> = {};
let stopFunctions: () => Promise<void> = async () => {};

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  const keys = connectedAppKeys();
  storage = await startStorageServer();
  // Waits are divided by 100: the queue's 10 s first backoff comes back in 0.1 s.
  tasks = await startTasksServer({ timeScale: 100 });
  salesforce = await startSalesforceServer({
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
  stack = {
    projectId,
    bucket: RECORDINGS,
    voicemailBucket: VOICEMAILS,
    storageUrl: storage.url,
    tasks,
    salesforce,
    privateKeyPem: keys.privateKeyPem,
    workerPort: await freePort(),
  };
  await createBucketAndQueue(stack);
  gcs = new Storage({ apiEndpoint: storage.url, projectId });
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    ...recordingsEnvironment(stack),
  });
  const config = deflectionConfig();
  const settings = new FirestoreDeflectionSettings(db, { now: () => new Date() });
  const keep = () => {};
  for (const [tag, value] of Object.entries(config.languages))
    await settings.save({ section: 'language', tag, value }, keep);
  for (const [id, value] of Object.entries(config.queues))
    await settings.save({ section: 'queue', id, value }, keep);
  await settings.save({ section: 'supportCenter', value: config.supportCenter }, keep);
  await settings.save({ section: 'call', value: config.call }, keep);
  await settings.save({ section: 'chat', value: config.chat }, keep);

  const served = await serveFunctions({ recordingWorker: stack.workerPort, platformEvents: 0 });
  for (const f of served.functions) urls[f.name] = f.url;
  stopFunctions = served.stop;
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

async function signed(path: string, payload: Record<string, unknown>) {
  const res = await sendSigned(`${urls.platformEvents}${path}`, JSON.stringify(payload), { secret: SECRET });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let seq = 0;
/** A call linked to the case, then a voicemail left on the root queue nobody serves. */
async function leaveVoicemail() {
  seq++;
  const sessionId = `vm-call-${seq}`;
  const voicemailId = `vm-${seq}`;
  await signed('/v1/events', {
    schemaVersion: 1,
    eventId: `e-${seq}`,
    sequence: 1,
    occurredAt: new Date().toISOString(),
    sessionId,
    type: 'session.created',
    kind: 'call',
    channel: 'ivr',
    queue: { id: 'q-support', menuPath: ['Support'] },
    language: 'en',
    consumer: { id: `c-${sessionId}` },
    crm: { system: 'salesforce', recordId: CASE },
  });
  const object = `left/${voicemailId}.wav`;
  const bytes = Buffer.alloc(200_000, seq);
  await gcs.bucket(VOICEMAILS).file(object).save(bytes, { resumable: false });
  const answer = await signed('/v1/voicemails', {
    voicemailId,
    sessionId,
    channel: 'ivr',
    queueId: 'q-support',
    language: 'en',
    callerNumber: '+15550123',
    recording: { bucket: VOICEMAILS, object, durationSeconds: 12 },
    leftAt: new Date().toISOString(),
  });
  expect(answer).toMatchObject({ route: { type: 'crm' }, duplicate: false });
  return { voicemailId, object, md5Hex: createHash('md5').update(bytes).digest('hex') };
}

const filesOf = (voicemailId: string) =>
  salesforce.files().filter((f) => f.Recording_Part_Key__c === `voicemail:${voicemailId}`);

describe('voicemails for the CRM, through the queue and the worker (AHD-6)', () => {
  it('when a voicemail is left on a root queue nobody serves, then the case gets it once, and its audio and outbox entry are gone', async () => {
    const vm = await leaveVoicemail();

    const crm = await until('the delivery', async () => {
      const outcome = (await db.doc(`voicemails/${vm.voicemailId}`).get()).get('crm');
      const gone = !(await db.doc(`crmOutbox/voicemail__${vm.voicemailId}`).get()).exists;
      return outcome && gone ? outcome : undefined;
    });
    expect(crm).toMatchObject({ status: 'delivered', crmRecordId: CASE, outcome: 'uploaded' });
    expect(filesOf(vm.voicemailId)).toMatchObject([{ FirstPublishLocationId: CASE, Checksum: vm.md5Hex }]);
    expect((await gcs.bucket(VOICEMAILS).file(vm.object).exists())[0]).toBe(false);
  });

  it('when the CRM stores the file but the answer is lost, then the queue retries and the case still gets it once', async () => {
    salesforce.failNext(1, { type: 'dropAfterStore' });
    const vm = await leaveVoicemail();

    const crm = await until('the delivery', async () => {
      const gone = !(await db.doc(`crmOutbox/voicemail__${vm.voicemailId}`).get()).exists;
      return gone ? (await db.doc(`voicemails/${vm.voicemailId}`).get()).get('crm') : undefined;
    });
    expect(crm).toMatchObject({ status: 'delivered', outcome: 'already_there' });
    expect(filesOf(vm.voicemailId)).toHaveLength(1);
    expect((await gcs.bucket(VOICEMAILS).file(vm.object).exists())[0]).toBe(false);
  });
});
