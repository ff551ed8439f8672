import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { planIdFor, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import { configureLogs } from '../../functions/src/log.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { startControlServer, type ControlServer } from '../../scripts/stack/control.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import { LocalTime } from '../../scripts/stack/local-time.js';
import {
  LOCAL_SALESFORCE,
  connectedAppKeys,
  createBucketAndQueue,
  finalizeNotifier,
  freePort,
  recordingsEnvironment,
  tickSweeper,
  type RecordingsStackOptions,
} from '../../scripts/stack/recordings.js';
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Faults and time driven over HTTP, as someone running `npm start` drives them: the local CRM's
 * failure injection (`/__control/faults` on the CRM server) and the stack's time
 * (`/__control/time` on the control server), which moves the functions' clock (LOCAL_CLOCK_OFFSET_FILE),
 * the Cloud Tasks, CRM and Storage servers together. The queue runs in real time (no time scale):
 * what happens sooner than it would happens because time was moved.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'local-faults-and-time';
const BUCKET = 'acme-local-control-recordings';
const SECRET = 'local-control-platform-secret-0123456789';
const CASE_ID = '500000000000030AAA';
const MB = 1_000_000;
const DAY = 86_400_000;

const db = new Firestore({ projectId, databaseId });
const scratch = mkdtempSync(join(tmpdir(), 'switchboard-local-time-'));
const notifier = finalizeNotifier();
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let control: ControlServer;
let time: LocalTime;
let gcs: Storage;
let stack: RecordingsStackOptions;
let stopFunctions: () => Promise<void> = async () => {};
let adminToken = '';

beforeAll(async () => {
  configureLogs({ sink: () => undefined });
  const keys = connectedAppKeys();
  storage = await startStorageServer({ onFinalize: notifier.onFinalize });
  tasks = await startTasksServer();
  salesforce = await startSalesforceServer({
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
  const offsetFile = join(scratch, 'clock-offset-ms');
  time = new LocalTime(offsetFile, [tasks, salesforce, storage]);
  stack = {
    projectId,
    bucket: BUCKET,
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
    DIRECTORY_CACHE_SECONDS: '0',
    LOCAL_CLOCK_OFFSET_FILE: offsetFile,
    ...recordingsEnvironment(stack),
  });
  await db.doc('queues/q-local').set({ name: 'Local calls', teamIds: ['team-a'] });
  const admin = { uid: 'lc-admin', name: 'lc-admin', roleIds: ['admin'], teamIds: ['team-a'] };
  await db.doc(`users/${admin.uid}`).set({ ...admin, ...agentListing(admin) });
  await createAccount(projectId, admin.uid, 'lc-admin@acme.example');
  adminToken = await signIn('lc-admin@acme.example');

  const served = await serveFunctions({
    recordingReady: 0,
    recordingWorker: stack.workerPort,
    api: 0,
    platformEvents: 0,
    sweeper: 0,
  });
  const url = (name: string) => served.functions.find((f) => f.name === name)!.url;
  urls.api = url('api');
  urls.platformEvents = url('platformEvents');
  notifier.deliverTo(url('recordingReady'));
  stopFunctions = served.stop;
  control = await startControlServer({
    port: 0,
    time,
    sweep: async () => (await tickSweeper(url('sweeper'))).status,
  });
}, 120_000);

afterAll(async () => {
  await control?.close();
  await stopFunctions();
  await tasks?.close();
  await salesforce?.close();
  await storage?.close();
  await db.terminate();
  time?.forget();
  rmSync(scratch, { recursive: true, force: true });
  for (const name of Object.keys(recordingsEnvironment(stack))) delete process.env[name];
  delete process.env.FIRESTORE_DATABASE_ID;
  delete process.env.LOCAL_CLOCK_OFFSET_FILE;
});

// --- helpers -------------------------------------------------------------------------------------

const urls: Record<string, string> = {};

const post = (url: string, body: unknown, method = 'POST') =>
  fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The platform lives in the same moved time as the stack: it signs with the stack's clock. */
let sequence = 0;
async function callStarted(sessionId: string, crmRecordId?: string) {
  sequence++;
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `lc-${sequence}`,
    sequence,
    occurredAt: time.now().toISOString(),
    sessionId,
    type: 'session.created',
    kind: 'call',
    channel: 'ivr',
    queue: { id: 'q-local', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: `c-${sessionId}` },
    ...(crmRecordId ? { crm: { system: 'salesforce', recordId: crmRecordId } } : {}),
  });
  const res = await sendSigned(`${urls.platformEvents}/v1/events`, body, {
    secret: SECRET,
    timestamp: Math.floor(time.now().getTime() / 1000),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function writeRecording(name: string, sizeBytes: number) {
  await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(sizeBytes, 7), { resumable: false });
  const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
  return planIdFor({ bucket: BUCKET, name, generation: String(metadata.generation) });
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

const planOf = async (planId: string) =>
  (await db.doc(`recordings/${planId}`).get()).data() as RecordingPlan | undefined;
const planWithStatus = (planId: string, status: RecordingPlan['status']) =>
  until(`plan ${planId} ${status}`, async () => {
    const plan = await planOf(planId);
    return plan?.status === status ? plan : undefined;
  });

interface TimeAnswer {
  now: string;
  offsetSeconds: number;
  sweep?: { status: number };
}

// --- faults ----------------------------------------------------------------------------------------

describe('a CRM fault injected over HTTP', () => {
  it('when the CRM’s API limit is reached for an hour, then the upload waits on the queue for that hour, and moving time forward an hour brings the retry that succeeds', async () => {
    const faults = `${salesforce.url}/__control/faults`;
    const injected = await post(faults, {
      count: 1,
      fault: { type: 'limit', retryAfterSeconds: 3600 },
      on: 'upload',
    });
    expect(injected.status).toBe(201);

    await callStarted('lc-call-1', CASE_ID);
    const planId = await writeRecording('recordings/lc-call-1/lc-1.wav', 1 * MB);
    const task = `part-${planId}-r0-p0`;
    const [first] = await until('the first attempt', async () => {
      const seen = tasks.attempts(task);
      return seen.length > 0 ? seen : undefined;
    });
    // The worker passed the CRM's Retry-After on to the queue, which waits an hour.
    expect([first?.status, first?.outcome, first?.nextDelayMs]).toEqual([429, 'will-retry', 3_600_000]);
    const state = (await (await fetch(faults)).json()) as { pending: unknown[]; apiUsage: { used: number } };
    expect(state.pending).toEqual([]);
    expect(state.apiUsage.used).toBeGreaterThan(0);
    expect((await planOf(planId))?.status).toBe('uploading');

    const moved = await post(`${control.url}/__control/time`, { advance: '1h' });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as TimeAnswer).offsetSeconds).toBe(3600);

    const plan = await planWithStatus(planId, 'deleted');
    expect(plan.parts[0]?.uploaded?.contentVersionId).toMatch(/^068/);
    expect(tasks.attempts(task).map((a) => [a.status, a.outcome])).toEqual([
      [429, 'will-retry'],
      [200, 'succeeded'],
    ]);
    expect(salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`))).toHaveLength(
      1,
    );
  }, 90_000);
});

// --- time ------------------------------------------------------------------------------------------

describe('the local stack moved forward in time', () => {
  it('when a recording waits for its CRM record and the stack moves 7 days on, then it is purged at its deadline, gone from the bucket, and the admin sees it purged', async () => {
    await callStarted('lc-call-2');
    const name = 'recordings/lc-call-2/lc-2.wav';
    const planId = await writeRecording(name, 1 * MB);
    const waiting = await until('the plan', () => planOf(planId));
    expect([waiting.status, waiting.crm]).toEqual(['uploading', null]);
    const before = (await (await fetch(`${control.url}/__control/time`)).json()) as TimeAnswer;

    const moved = await post(`${control.url}/__control/time`, { advance: '7d' });
    const answer = (await moved.json()) as TimeAnswer;
    expect(moved.status).toBe(200);
    expect(answer.offsetSeconds - before.offsetSeconds).toBe(7 * 86_400);
    expect(Date.parse(answer.now) - Date.now()).toBeGreaterThan(7 * DAY - 60_000);
    expect(answer.sweep?.status).toBeLessThan(300);

    const purged = await planWithStatus(planId, 'purged');
    expect(purged.purge).toMatchObject({ partsAcknowledged: 0, partCount: 1 });
    expect((await gcs.bucket(BUCKET).file(name).exists())[0]).toBe(false);
    // The admin's token, issued at the machine's time, still works in the moved stack.
    const listed = await fetch(`${urls.api}/v1/recordings?status=purged`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(listed.status).toBe(200);
    const ids = ((await listed.json()) as { recordings: { id: string }[] }).recordings.map((r) => r.id);
    expect(ids).toContain(planId);

    // A sweep on demand finds nothing left to do.
    const swept = await post(`${control.url}/__control/sweep`, {});
    expect([swept.status, ((await swept.json()) as TimeAnswer).sweep?.status]).toEqual([200, 204]);
  }, 90_000);

  it('when a recording is written after the stack moved 7 days on, then its 7 days count from the moved time: it is uploaded to the CRM, not purged', async () => {
    const at = (await (await fetch(`${control.url}/__control/time`)).json()) as TimeAnswer;
    expect(at.offsetSeconds).toBeGreaterThanOrEqual(7 * 86_400);

    await callStarted('lc-call-3', CASE_ID);
    const name = 'recordings/lc-call-3/lc-3.wav';
    const planId = await writeRecording(name, 1 * MB);
    const uploaded = await planWithStatus(planId, 'deleted');
    expect(uploaded.purge).toBeNull();
    expect(uploaded.parts[0]?.uploaded?.contentVersionId).toMatch(/^068/);
    // Written and planned in the same moved time, so its deadline is a week after both.
    expect(Math.abs(Date.parse(uploaded.objectCreatedAt) - Date.parse(uploaded.plannedAt))).toBeLessThan(
      60_000,
    );
    expect(Date.parse(uploaded.deadline) - Date.parse(uploaded.plannedAt)).toBeGreaterThan(7 * DAY - 60_000);
    expect((await gcs.bucket(BUCKET).file(name).exists())[0]).toBe(false);
    expect(salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`))).toHaveLength(
      1,
    );
  }, 90_000);

  it('when a move is malformed, backwards or too long, then 400 says how to ask and time stays where it was', async () => {
    const timeUrl = `${control.url}/__control/time`;
    const before = (await (await fetch(timeUrl)).json()) as TimeAnswer;
    for (const body of [
      { advance: '31d' },
      { advance: '-1d' },
      { advance: '0s' },
      { advance: 'soon' },
      { advance: 3600 },
      { advance: '1h', back: true },
      [],
      '{oops',
    ]) {
      const res = await post(timeUrl, body);
      expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([
        400,
        expect.stringMatching(/advance|JSON/),
      ]);
    }
    expect((await post(timeUrl, 'x'.repeat(5000))).status).toBe(413);
    expect((await post(timeUrl, {}, 'PUT')).status).toBe(405);
    expect((await fetch(`${control.url}/__control/elsewhere`)).status).toBe(404);
    const after = (await (await fetch(timeUrl)).json()) as TimeAnswer;
    expect(after.offsetSeconds).toBe(before.offsetSeconds);
  });
});
