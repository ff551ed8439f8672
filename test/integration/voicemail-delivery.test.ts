import { createHash, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FirestoreVoicemailOutbox,
  FirestoreVoicemailStore,
} from '../../functions/src/adapters/firestore/voicemails.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { SalesforceVoicemailCrm } from '../../functions/src/adapters/salesforce/salesforce-voicemails.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import { CloudTasksCrmTasks } from '../../functions/src/adapters/tasks/voicemail-tasks.js';
import {
  VOICEMAIL_TASK_GRACE_MS,
  runVoicemailTask,
  sweepVoicemails,
  type VoicemailWorkerDeps,
} from '../../functions/src/app/deflection/voicemail-delivery.js';
import {
  newDelivery,
  type VoicemailDelivery,
} from '../../functions/src/domain/deflection/voicemail-delivery.js';
import { crmRecordCheckAt } from '../../functions/src/domain/recordings/plan.js';
import { VoicemailLeft } from '../../functions/src/domain/deflection/voicemail.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';

/**
 * Voicemails for the CRM (AHD-6) with the recordings' guarantees, below HTTP: the real Firestore
 * emulator, our Cloud Storage server through the real client, and jsforce against the local
 * Salesforce server with its faults. Each test runs the voicemail's task as the queue would, again
 * whenever it asks to be retried.
 */
const PROJECT = 'demo-switchboard-voicemails';
const BUCKET = 'acme-voicemails';
const CLIENT_ID = '3MVG9-switchboard-voicemails';
const USERNAME = 'voicemails@switchboard.example';
const DAY = 86_400_000;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let db: Firestore;
let storage: StorageServer;
let salesforce: SalesforceServer;
let gcs: Storage;
let store: FirestoreVoicemailStore;
let outbox: FirestoreVoicemailOutbox;
let crm: SalesforceCrm;
let tasksServer: TasksServer;
let tasks: CloudTasksCrmTasks;
let taskReceiver: http.Server;
/** The voicemail tasks the queue delivered, by task name: what the worker would have run. */
const tasksDelivered: { name: string; body: string }[] = [];
/** The Tasks server runs this much faster than real time: a 5-minute wait takes 0.3 s. */
const TIME_SCALE = 1000;
let now = Date.now();
const clock = { now: () => new Date(now) };
const sessions = new Map<string, Session>();
const logLines: string[] = [];

beforeAll(async () => {
  configureLogs({ sink: (line) => void logLines.push(line) });
  db = new Firestore({ projectId: PROJECT, databaseId: 'voicemail-delivery' });
  storage = await startStorageServer();
  salesforce = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
  });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  taskReceiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const name = String(req.headers['x-cloudtasks-taskname'] ?? '');
      tasksDelivered.push({ name, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => taskReceiver.listen(0, '127.0.0.1', resolve));
  const epoch = Date.now();
  const started = performance.now();
  tasksServer = await startTasksServer({
    timeScale: TIME_SCALE,
    now: () => epoch + (performance.now() - started) * TIME_SCALE,
  });
  const receiverUrl = `http://127.0.0.1:${(taskReceiver.address() as AddressInfo).port}`;
  tasks = new CloudTasksCrmTasks({
    queue: 'projects/demo-switchboard/locations/local/queues/recordings',
    workerUrl: receiverUrl,
    serviceAccountEmail: 'recordings-tasks@demo-switchboard.iam.gserviceaccount.com',
    emulatorHost: `127.0.0.1:${tasksServer.port}`,
  });
  await gcs.createBucket(BUCKET);
  store = new FirestoreVoicemailStore(db);
  outbox = new FirestoreVoicemailOutbox(db);
  crm = new SalesforceCrm(
    {
      loginUrl: salesforce.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
      requestTimeoutMs: 2_000,
    },
    // Salesforce keeps real time: the test's clock may jump days ahead, a JWT must not.
    systemClock,
  );
});

afterAll(async () => {
  await tasks?.close();
  await tasksServer?.close();
  taskReceiver?.closeAllConnections();
  await new Promise<void>((resolve) => (taskReceiver ? taskReceiver.close(() => resolve()) : resolve()));
  await db?.terminate();
  await salesforce?.close();
  await storage?.close();
});

beforeEach(() => {
  now = Date.now();
  salesforce.clearFaults();
});

const worker = (): VoicemailWorkerDeps => ({
  outbox,
  blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
  sessions: { getSession: async (id) => sessions.get(id) },
  crm: () => new SalesforceVoicemailCrm(crm),
  tasks,
  clock,
});

let seq = 0;

/** A voicemail left on a call linked (or not) to a case, its audio in the bucket, stored for the CRM. */
async function leave(options: { sizeBytes?: number; linked?: boolean; sessionId?: string | null } = {}) {
  seq++;
  const voicemailId = `vm-${seq}-${now}`;
  const sessionId = options.sessionId === undefined ? `call-${seq}-${now}` : options.sessionId;
  const caseId = `500${String(seq).padStart(12, '0')}AAA`;
  if (sessionId && options.linked !== false)
    sessions.set(sessionId, { crm: { system: 'salesforce', recordId: caseId } } as unknown as Session);
  const bytes = Buffer.alloc(options.sizeBytes ?? 300_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + seq) & 0xff;
  const object = `voicemails/${voicemailId}.wav`;
  await gcs.bucket(BUCKET).file(object).save(bytes, { resumable: false });
  const voicemail = VoicemailLeft.parse({
    voicemailId,
    ...(sessionId ? { sessionId } : {}),
    channel: 'ivr',
    queueId: 'q-support',
    language: 'en',
    callerNumber: '+15550123',
    recording: { bucket: BUCKET, object, durationSeconds: 12 },
    leftAt: new Date(now).toISOString(),
  });
  const receivedAt = new Date(now);
  expect(
    await store.record(
      { ...voicemail, route: { type: 'crm' }, receivedAt: receivedAt.toISOString() },
      newDelivery(voicemail, receivedAt),
    ),
  ).toBe(true);
  return {
    voicemailId,
    sessionId,
    caseId,
    object,
    md5Hex: createHash('md5').update(bytes).digest('hex'),
    task: () => runVoicemailTask(worker(), { voicemailId }),
    entry: async () =>
      (await db.doc(`crmOutbox/voicemail__${voicemailId}`).get()).data() as VoicemailDelivery | undefined,
    crmOutcome: async () => (await db.doc(`voicemails/${voicemailId}`).get()).get('crm'),
    audioExists: async () => (await gcs.bucket(BUCKET).file(object).exists())[0],
    files: () => salesforce.files().filter((f) => f.Recording_Part_Key__c === `voicemail:${voicemailId}`),
  };
}

const apiCalls = () => salesforce.requests().filter((r) => r.path.startsWith('/services/data/'));
const since = (before: number) =>
  apiCalls()
    .slice(before)
    .map((r) => `${r.method} ${r.path.replace(/\/services\/data\/v[\d.]+/, '')}`);

describe('voicemails to the CRM (AHD-6, with REC-1 … REC-3 and REC-6)', () => {
  it('when a voicemail waits in the outbox, then one insert attaches it to the call’s case, the audio is deleted and the entry leaves the outbox', async () => {
    const vm = await leave();
    const before = apiCalls().length;

    expect(await vm.task()).toEqual({ outcome: 'done' });

    const files = vm.files();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({
      FirstPublishLocationId: vm.caseId,
      Checksum: vm.md5Hex,
      PathOnClient: `${vm.voicemailId}.wav`,
      ContentSize: 300_000,
    });
    expect(files[0]!.Title).toContain('Voicemail from +15550123');
    // One CRM call on the happy path: the insert, no look-up.
    expect(since(before)).toEqual(['POST /sobjects/ContentVersion']);
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.audioExists()).toBe(false);
    expect(await vm.crmOutcome()).toMatchObject({
      status: 'delivered',
      crmRecordId: vm.caseId,
      contentVersionId: files[0]!.Id,
      outcome: 'uploaded',
    });

    // A redelivered task finds nothing to do, and costs no CRM call.
    const after = apiCalls().length;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(apiCalls().length).toBe(after);
    expect(vm.files()).toHaveLength(1);
  });

  it('when the CRM stores the file but its answer is lost, then the retry finds it by its key and does not send it again', async () => {
    const vm = await leave();
    salesforce.failNext(1, { type: 'dropAfterStore' });

    const first = await vm.task();
    expect(first).toMatchObject({ outcome: 'retry', reason: expect.any(String) });
    expect(vm.files()).toHaveLength(1);
    const waiting = await vm.entry();
    expect(waiting?.status).toBe('pending');
    expect(waiting?.inFlightSince).not.toBeNull();
    expect(await vm.audioExists()).toBe(true);

    const before = apiCalls().length;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(since(before)).toEqual(['GET /query']);
    expect(vm.files()).toHaveLength(1);
    expect(await vm.crmOutcome()).toMatchObject({
      status: 'delivered',
      contentVersionId: vm.files()[0]!.Id,
      outcome: 'already_there',
    });
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.audioExists()).toBe(false);
  });

  it('when the CRM answers 503, then the task asks to be retried and the next attempt delivers it once', async () => {
    const vm = await leave();
    salesforce.failNext(1, { type: 'html503' });

    const first = await vm.task();
    expect(first).toMatchObject({ outcome: 'retry', slowDown: false });
    expect(vm.files()).toHaveLength(0);
    expect((await vm.entry())?.lastFailure).toMatchObject({ kind: 'not_acknowledged' });

    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(vm.files()).toHaveLength(1);
    expect(await vm.entry()).toBeUndefined();
  });

  it('when the API limit is reached, then the task asks the queue to slow down, for as long as the CRM said', async () => {
    const vm = await leave();
    salesforce.failNext(1, { type: 'limit', retryAfterSeconds: 120 });

    expect(await vm.task()).toMatchObject({ outcome: 'retry', slowDown: true, retryAfterSeconds: 120 });
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(vm.files()).toHaveLength(1);
  });

  it('when the case was deleted, then the failure is permanent, recorded on the voicemail, never retried, and the audio is purged at its time', async () => {
    const vm = await leave();
    salesforce.deleteRecord(vm.caseId);

    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(vm.files()).toHaveLength(0);
    const failed = await vm.entry();
    expect(failed?.status).toBe('failed');
    expect(failed?.failure).toMatchObject({ kind: 'permanent', reason: 'entity_is_deleted' });
    expect(await vm.crmOutcome()).toMatchObject({
      status: 'failed',
      failure: { kind: 'permanent', reason: 'entity_is_deleted' },
    });
    expect(
      logLines.some((l) => l.includes('"voicemail_delivery_failed"') && l.includes(vm.voicemailId)),
    ).toBe(true);

    // Not retried: a later delivery of the task costs no CRM call.
    const before = apiCalls().length;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(apiCalls().length).toBe(before);
    expect(await vm.audioExists()).toBe(true);

    // Its purge task, 6 days on: the audio goes, and the voicemail says why the CRM never got it.
    now += 6 * DAY;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(await vm.audioExists()).toBe(false);
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.crmOutcome()).toMatchObject({
      status: 'purged',
      failure: { reason: 'entity_is_deleted' },
    });
  });

  it('when the call is not linked to a CRM record yet, then it waits without calling the CRM, the task that looks again is scheduled on the recordings’ grid of check times, and it goes once it is linked', async () => {
    const vm = await leave({ linked: false });
    const before = apiCalls().length;

    // A wait, not an error: the task is done, and the next look is a task of its own, once.
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(apiCalls().length).toBe(before);
    expect((await vm.entry())?.crmRecordId).toBeNull();
    const checkAt = crmRecordCheckAt(
      { plannedAt: new Date(now).toISOString(), purgeAt: (await vm.entry())!.purgeAt },
      new Date(now),
    );
    const digest = createHash('sha256').update(vm.voicemailId).digest('hex').slice(0, 40);
    const name = `voicemail-${digest}-at${Math.ceil(checkAt.getTime() / 1000)}`;
    await tasksServer.idle();
    expect(tasksDelivered.filter((t) => t.name === name)).toEqual([
      { name, body: JSON.stringify({ voicemailId: vm.voicemailId }) },
    ]);

    sessions.set(vm.sessionId!, { crm: { system: 'salesforce', recordId: vm.caseId } } as unknown as Session);
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(vm.files()).toMatchObject([{ FirstPublishLocationId: vm.caseId }]);
  });

  it('when the call is never linked, then the audio is purged at its time, never kept 7 days', async () => {
    const vm = await leave({ linked: false });
    expect(await vm.task()).toEqual({ outcome: 'done' });

    now += 6 * DAY;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(await vm.audioExists()).toBe(false);
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.crmOutcome()).toMatchObject({ status: 'purged', failure: null });
    expect(vm.files()).toHaveLength(0);
  });

  it('when the voicemail has no call, then nothing can receive it: recorded as a permanent failure', async () => {
    const vm = await leave({ sessionId: null });
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(await vm.crmOutcome()).toMatchObject({ status: 'failed', failure: { reason: 'no_session' } });
  });

  it('when the voicemail is silent (0 bytes), then it is recorded as empty and deleted, with no CRM call', async () => {
    const vm = await leave({ sizeBytes: 0 });
    const before = apiCalls().length;
    expect(await vm.task()).toEqual({ outcome: 'done' });
    expect(apiCalls().length).toBe(before);
    expect(await vm.crmOutcome()).toMatchObject({ status: 'empty' });
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.audioExists()).toBe(false);
  });

  it('when two deliveries of the task run at once, then the CRM gets the voicemail once', async () => {
    const vm = await leave();
    const answers = await Promise.all([vm.task(), vm.task()]);
    // One delivers; the other is refused by the unique key and confirms the same file, or finds it settled.
    expect(answers.every((a) => a.outcome === 'done')).toBe(true);
    expect(vm.files()).toHaveLength(1);
    expect(await vm.entry()).toBeUndefined();
    expect(await vm.crmOutcome()).toMatchObject({ status: 'delivered' });
  });

  it('when an outbox entry was written before delivery existed, then it is rebuilt from its voicemail: delivered by its task, swept without blocking newer ones, and a redelivered report finds it', async () => {
    const old = await leave();
    const receivedAt = new Date(now).toISOString();
    // The shape such entries were written with: no status, no recording, no purge time.
    const oldShape = {
      kind: 'voicemail',
      voicemailId: old.voicemailId,
      queueId: 'q-support',
      createdAt: receivedAt,
      deliveredAt: null,
    };
    await db.doc(`crmOutbox/voicemail__${old.voicemailId}`).set(oldShape);
    const redelivered = await store.outboxEntry(old.voicemailId);
    expect(redelivered).toMatchObject({
      status: 'pending',
      createdAt: receivedAt,
      recording: { bucket: BUCKET, object: old.object },
    });
    expect(Date.parse(redelivered!.purgeAt)).toBe(Date.parse(receivedAt) + 6 * DAY);
    expect(await old.entry()).toEqual(redelivered);

    await db.doc(`crmOutbox/voicemail__${old.voicemailId}`).set(oldShape);
    const newer = await leave();
    now += VOICEMAIL_TASK_GRACE_MS;
    const asked: string[] = [];
    await sweepVoicemails({
      ...worker(),
      tasks: {
        enqueueVoicemailDelivery: async (id) => void asked.push(`deliver ${id}`),
        scheduleVoicemailPurge: async (id) => void asked.push(`purge ${id}`),
      },
    });
    expect(asked).toEqual(
      expect.arrayContaining([`deliver ${old.voicemailId}`, `deliver ${newer.voicemailId}`]),
    );

    await db.doc(`crmOutbox/voicemail__${old.voicemailId}`).set(oldShape);
    expect(await old.task()).toEqual({ outcome: 'done' });
    expect(old.files()).toMatchObject([{ FirstPublishLocationId: old.caseId }]);
    expect(await old.entry()).toBeUndefined();
    expect(await old.audioExists()).toBe(false);
    expect(await old.crmOutcome()).toMatchObject({ status: 'delivered' });
  });

  it('when a voicemail’s tasks were lost, then the hourly sweep asks for them again after a grace period, and purges one past its purge time', async () => {
    const lost = await leave();
    const overdue = await leave({ linked: false });
    const asked: string[] = [];
    const sweepNow = () =>
      sweepVoicemails({
        ...worker(),
        tasks: {
          enqueueVoicemailDelivery: async (id) => void asked.push(`deliver ${id}`),
          scheduleVoicemailPurge: async (id) => void asked.push(`purge ${id}`),
        },
      });

    // Within the grace period its tasks may still be on their way: nothing is asked for.
    await sweepNow();
    expect(asked.filter((a) => a.endsWith(lost.voicemailId))).toEqual([]);

    now += VOICEMAIL_TASK_GRACE_MS;
    await sweepNow();
    expect(asked.filter((a) => a.endsWith(lost.voicemailId))).toEqual([
      `purge ${lost.voicemailId}`,
      `deliver ${lost.voicemailId}`,
    ]);
    // The task it asked for delivers it, once.
    expect(await lost.task()).toEqual({ outcome: 'done' });
    expect(lost.files()).toHaveLength(1);

    now += 6 * DAY;
    await sweepNow();
    expect(await overdue.audioExists()).toBe(false);
    expect(await overdue.entry()).toBeUndefined();
    expect(await overdue.crmOutcome()).toMatchObject({ status: 'purged' });
  });
});
