import { createHash } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTasksRecordingTasks } from '../../functions/src/adapters/tasks/recording-tasks.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { newPlan, planIdFor, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import { configureLogs } from '../../functions/src/log.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import {
  LOCAL_SALESFORCE,
  connectedAppKeys,
  createBucketAndQueue,
  finalizeNotifier,
  freePort,
  recordingsEnvironment,
  type RecordingsStackOptions,
} from '../../scripts/stack/recordings.js';
import { createAccount, signIn, signInWithSecondFactor } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * The recordings pipeline as deployed, on this machine: objects written to the bucket (our Storage
 * server, through the real client) announce themselves to recordingReady as Eventarc would; the plan
 * goes to Firestore; tasks go through our Cloud Tasks server (REST, OIDC tokens) to recordingWorker,
 * which streams each part to the Salesforce-compatible server through jsforce and deletes the object.
 * The platform's events and the download route go through platformEvents and api.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'recordings-e2e';
const BUCKET = 'acme-call-recordings';
const SECRET = 'recordings-platform-secret-0123456789abcd';
const CRM_KEY = 'crm-download-key-0123456789abcdef-0123456789';
const CASE_A = '500000000000010AAA';
const MB = 1_000_000;

const db = new Firestore({ projectId, databaseId });
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let gcs: Storage;
let stack: RecordingsStackOptions;
const notifier = finalizeNotifier();
const urls: Record<string, string> = {};
let stopFunctions: () => Promise<void> = async () => {};
const tokens: Record<string, string> = {};
const logLines: string[] = [];
let privateKeyPem = '';

beforeAll(async () => {
  configureLogs({ sink: (line) => void logLines.push(line) });
  const keys = connectedAppKeys();
  privateKeyPem = keys.privateKeyPem;
  storage = await startStorageServer({ onFinalize: notifier.onFinalize });
  // Waits are divided by 100: a 300 s Retry-After comes back in 3 s.
  tasks = await startTasksServer({ timeScale: 100 });
  salesforce = await startSalesforceServer({
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
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
    CRM_DOWNLOAD_KEY: CRM_KEY,
    ...recordingsEnvironment(stack),
  });
  await db.doc('queues/q-rec').set({ name: 'Recorded calls', teamIds: ['team-a'] });
  for (const [uid, roleIds, team] of [
    ['r-admin', ['admin'], 'team-a'],
    ['r-manager', ['manager'], 'team-a'],
    ['r-mfa-manager', ['manager'], 'team-a'],
    ['r-mfa-agent', ['agent'], 'team-a'],
    ['r-mfa-manager-b', ['manager'], 'team-b'],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: [team] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
  }
  tokens.admin = await signIn('r-admin@acme.example');
  tokens.manager = await signIn('r-manager@acme.example');
  tokens.mfaManager = await signInWithSecondFactor(projectId, 'r-mfa-manager', 'r-mfa-manager@acme.example');
  tokens.mfaAgent = await signInWithSecondFactor(projectId, 'r-mfa-agent', 'r-mfa-agent@acme.example');
  tokens.mfaManagerB = await signInWithSecondFactor(
    projectId,
    'r-mfa-manager-b',
    'r-mfa-manager-b@acme.example',
  );

  const served = await serveFunctions({
    recordingReady: 0,
    recordingWorker: stack.workerPort,
    api: 0,
    platformEvents: 0,
  });
  for (const f of served.functions) urls[f.name] = f.url;
  notifier.deliverTo(urls.recordingReady!);
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
  delete process.env.CRM_DOWNLOAD_KEY;
});

// --- helpers -------------------------------------------------------------------------------------

let sequence = 0;
async function platformEvent(event: Record<string, unknown>) {
  sequence++;
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `e-${sequence}`,
    sequence,
    occurredAt: new Date().toISOString(),
    ...event,
  });
  const res = await sendSigned(`${urls.platformEvents}/v1/events`, body, { secret: SECRET });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function callStarted(sessionId: string, crmRecordId?: string) {
  await platformEvent({
    sessionId,
    type: 'session.created',
    kind: 'call',
    channel: 'ivr',
    queue: { id: 'q-rec', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: `c-${sessionId}` },
    ...(crmRecordId ? { crm: { system: 'salesforce', recordId: crmRecordId } } : {}),
  });
}

/** Deterministic bytes, written in 1 MB slices (never all at once); returns each part's MD5. */
async function writeRecording(name: string, sizeBytes: number, seed: number) {
  const slice = (i: number) => {
    const length = Math.min(MB, sizeBytes - i * MB);
    const bytes = Buffer.alloc(length);
    for (let j = 0; j < length; j += 4096) bytes.writeUInt32LE((seed * 7919 + i * 131 + j) >>> 0, j);
    return bytes;
  };
  const parts: ReturnType<typeof createHash>[] = [];
  const stream = gcs
    .bucket(BUCKET)
    .file(name)
    .createWriteStream({ resumable: false, contentType: 'audio/wav' });
  const done = new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject));
  for (let i = 0; i * MB < sizeBytes; i++) {
    const bytes = slice(i);
    const part = Math.floor((i * MB) / (50 * MB));
    (parts[part] ??= createHash('md5')).update(bytes);
    if (!stream.write(bytes)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end();
  await done;
  const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
  return {
    generation: String(metadata.generation),
    partMd5Hex: parts.map((h) => h.digest('hex')),
    planId: planIdFor({ bucket: BUCKET, name, generation: String(metadata.generation) }),
  };
}

async function planOf(planId: string): Promise<RecordingPlan | undefined> {
  return (await db.doc(`recordings/${planId}`).get()).data() as RecordingPlan | undefined;
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

const planWithStatus = (planId: string, status: RecordingPlan['status']) =>
  until(`plan ${planId} ${status}`, async () => {
    const plan = await planOf(planId);
    return plan?.status === status ? plan : undefined;
  });

const filesOf = (planId: string) =>
  salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));

const objectExists = async (name: string) => (await gcs.bucket(BUCKET).file(name).exists())[0];

function download(planId: string, headers: Record<string, string>) {
  return fetch(`${urls.api}/v1/recordings/${planId}/content`, { headers });
}

// --- the pipeline ----------------------------------------------------------------------------------

describe('recordings to the CRM', () => {
  const hexOf = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

  it('when a 70 MB recording lands in the bucket, then the CRM gets 50 MB and 20 MB files in order, with matching checksums, and the object is gone', async () => {
    await callStarted('rec-call-1', CASE_A);
    const name = 'recordings/rec-call-1/rec-1.wav';
    const written = await writeRecording(name, 70 * MB, 1);

    const plan = await planWithStatus(written.planId, 'deleted');
    const files = filesOf(written.planId);
    expect(files.map((f) => [f.Title, f.ContentSize, f.Checksum, f.FirstPublishLocationId])).toEqual([
      ['rec-1.wav (part 1 of 2)', 50 * MB, written.partMd5Hex[0], CASE_A],
      ['rec-1.wav (part 2 of 2)', 20 * MB, written.partMd5Hex[1], CASE_A],
    ]);
    expect(Date.parse(files[0]!.CreatedDate)).toBeLessThanOrEqual(Date.parse(files[1]!.CreatedDate));
    expect(await objectExists(name)).toBe(false);
    expect(
      plan.parts.map((p) => [p.sizeBytes, p.uploaded?.contentVersionId, hexOf(p.md5Base64 ?? '')]),
    ).toEqual([
      [50 * MB, files[0]!.Id, written.partMd5Hex[0]],
      [20 * MB, files[1]!.Id, written.partMd5Hex[1]],
    ]);
    expect(plan.sessionId).toBe('rec-call-1');
    expect(plan.deletedAt).not.toBeNull();
    // The second part followed the first in the same task, once the first's acknowledgement was written.
    expect(tasks.attempts(`part-${written.planId}-r0-p0`).map((a) => a.status)).toEqual([200]);
    expect(tasks.attempts(`part-${written.planId}-r0-p1`)).toEqual([]);

    // The logs tell the story with identifiers and the org's API usage, never a secret.
    const events = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.planId === written.planId);
    expect(events.map((e) => e.event)).toEqual([
      'recording_planned',
      'recording_part_uploaded',
      'recording_part_uploaded',
      'recording_deleted',
    ]);
    expect(events[1]).toMatchObject({ crmApiUsed: expect.any(Number), crmApiMax: 15000 });
    const everything = logLines.join('\n');
    for (const secret of [privateKeyPem.split('\n')[1]!, CRM_KEY, SECRET])
      expect(everything).not.toContain(secret);
  }, 120_000);

  it('when a 200 MB recording is announced again while its parts are being sent, then one worker sends it: 4 inserts, no look-up, each byte read from the bucket once', async () => {
    await callStarted('rec-call-5', CASE_A);
    const name = 'recordings/rec-call-5/rec-5.wav';
    const requestsBefore = salesforce.requests().length;
    const tokensBefore = salesforce.tokensIssued();
    // The CRM answers the first two inserts when the test says: the second announcement arrives
    // with the first part acknowledged and the second one on its way.
    const answers: (() => void)[] = [];
    salesforce.failNext(2, {
      type: 'late',
      until: () => new Promise<void>((resolve) => answers.push(resolve)),
    });
    const written = await writeRecording(name, 200 * MB, 5);
    await until('the first insert', async () => (answers.length === 1 ? true : undefined));
    answers[0]!();
    const acknowledged = await until('the first part acknowledged', async () => {
      const p = await planOf(written.planId);
      return p?.parts[0]!.uploaded ? p : undefined;
    });
    expect(acknowledged.status).toBe('uploading');

    const recording = { id: 'rec-5', bucket: BUCKET, object: name, generation: written.generation };
    await platformEvent({ sessionId: 'rec-call-5', type: 'recording.available', recording });
    // Its task came and went without sending anything: another worker has the recording.
    const secondTask = await until('the second task answered', async () => {
      const found = tasks.attempts(`part-${written.planId}-r0-p1`);
      return found.length > 0 ? found : undefined;
    });
    expect(secondTask.map((a) => a.status)).toEqual([200]);
    await until('the second insert', async () => (answers.length === 2 ? true : undefined));
    answers[1]!();

    const plan = await planWithStatus(written.planId, 'deleted');
    expect(filesOf(written.planId).map((f) => f.Checksum)).toEqual(written.partMd5Hex);
    const requests = salesforce.requests().slice(requestsBefore);
    const inserts = requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/sobjects/ContentVersion'),
    );
    expect(inserts).toHaveLength(4);
    expect(requests.filter((r) => r.path.endsWith('/query'))).toEqual([]);
    expect(storage.bytesServed(BUCKET, name)).toBe(200 * MB);
    // The worker logged in for an earlier recording, or for this one, once.
    const logins = salesforce.tokensIssued() - tokensBefore;
    expect(logins).toBeLessThanOrEqual(1);
    expect(plan.crmCalls).toEqual({ logins, lookups: 0, inserts: 4 });
    expect(plan.worker).toBeNull();
    const ignored = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.planId === written.planId && e.event === 'recording_task_ignored');
    expect(ignored.map((e) => e.why)).toEqual(['another_worker']);

    // The CRM admin sees what the upload cost of the org's API allowance.
    const summary = await fetch(`${urls.api}/v1/recordings/${written.planId}`, {
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(((await summary.json()) as any).crmCalls).toEqual({ logins, lookups: 0, inserts: 4 });
  }, 180_000);

  it('when the platform announces a recording twice and the bucket announces it too, then it is planned once and uploaded once', async () => {
    await callStarted('rec-call-2', CASE_A);
    const name = 'platform-named/call-2-recording.wav';
    notifier.deliverTo('http://127.0.0.1:9/nowhere');
    const written = await writeRecording(name, 3 * MB, 2);
    notifier.deliverTo(urls.recordingReady!);

    const recording = { id: 'rec-2', bucket: BUCKET, object: name, generation: written.generation };
    await platformEvent({ sessionId: 'rec-call-2', type: 'recording.available', recording });
    await platformEvent({ sessionId: 'rec-call-2', type: 'recording.available', recording });
    // The bucket's event, late: a repeat of the same finalize.
    const finalized = await fetch(urls.recordingReady!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-source': `//storage.googleapis.com/projects/_/buckets/${BUCKET}`,
        'ce-id': 'late-finalize',
      },
      body: JSON.stringify({ bucket: BUCKET, name, generation: written.generation }),
    });
    expect(finalized.ok).toBe(true);

    const plan = await planWithStatus(written.planId, 'deleted');
    expect(filesOf(written.planId).map((f) => f.Checksum)).toEqual(written.partMd5Hex);
    // The name does not follow recordings/<session>/…: the platform's event said which call it is.
    expect([plan.sessionId, plan.recordingId]).toEqual(['rec-call-2', 'rec-2']);
  }, 60_000);

  it('when the CRM record was deleted, then the failure is recorded as permanent and the task is not retried', async () => {
    const caseId = '500000000000020AAA';
    salesforce.deleteRecord(caseId);
    await callStarted('rec-call-3', caseId);
    const written = await writeRecording('recordings/rec-call-3/rec-3.wav', 2 * MB, 3);

    const plan = await planWithStatus(written.planId, 'failed');
    expect(plan.failure).toMatchObject({ kind: 'permanent', reason: 'entity_is_deleted', partIndex: 0 });
    // The plan is written before the worker answers the queue: wait for the queue to record the answer.
    const attempts = await until('the first attempt recorded', async () => {
      const found = tasks.attempts(`part-${written.planId}-r0-p0`);
      return found.length > 0 ? found : undefined;
    });
    expect(attempts.map((a) => [a.status, a.outcome])).toEqual([[200, 'succeeded']]);
    expect(filesOf(written.planId)).toEqual([]);
    // Kept (for an admin to retry, or the purge at the deadline), not deleted early.
    expect(await objectExists('recordings/rec-call-3/rec-3.wav')).toBe(true);

    // The CRM admin finds it among the failed uploads; a manager may not look.
    const asAdmin = { authorization: `Bearer ${tokens.admin}` };
    const failed = await fetch(`${urls.api}/v1/recordings?status=failed`, { headers: asAdmin });
    const listed = ((await failed.json()) as any).recordings as { id: string; failure: { reason: string } }[];
    expect(listed.find((r) => r.id === written.planId)?.failure.reason).toBe('entity_is_deleted');
    const asManager = { authorization: `Bearer ${tokens.manager}` };
    expect((await fetch(`${urls.api}/v1/recordings/${written.planId}`, { headers: asManager })).status).toBe(
      403,
    );

    // A retry is a new round of tasks; the record is still deleted, so it fails again, recorded again.
    const retry = (headers: Record<string, string>, id = written.planId) =>
      fetch(`${urls.api}/v1/recordings/${id}/retry`, { method: 'POST', headers });
    expect((await retry(asManager)).status).toBe(403);
    expect((await retry(asAdmin)).status).toBe(200);
    const again = await until('the second failure', async () => {
      const p = await planOf(written.planId);
      return p?.status === 'failed' && p.round === 1 ? p : undefined;
    });
    const secondAttempts = await until('the second attempt recorded', async () => {
      const found = tasks.attempts(`part-${written.planId}-r1-p0`);
      return found.length > 0 ? found : undefined;
    });
    expect(secondAttempts.map((a) => a.status)).toEqual([200]);
    expect(again.failure?.reason).toBe('entity_is_deleted');
    const done = planIdFor({ bucket: BUCKET, name: 'recordings/rec-call-1/rec-1.wav', generation: '0' });
    expect((await retry(asAdmin, done)).status).toBe(404);
  }, 60_000);

  it('when someone other than the tasks’ service account calls the worker, then it is refused', async () => {
    const body = JSON.stringify({ planId: 'x-1', round: 0, partIndex: 0 });
    const post = (headers: Record<string, string>) =>
      fetch(`${urls.recordingWorker}/v1/tasks/upload-part`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer not.a.token' })).status).toBe(401);

    // A genuine Google-style token, for another service account: signed right, still not allowed.
    const impostor = new CloudTasksRecordingTasks({
      queue: process.env.RECORDINGS_QUEUE!,
      workerUrl: process.env.RECORDING_WORKER_URL!,
      serviceAccountEmail: `someone-else@${projectId}.iam.gserviceaccount.com`,
      emulatorHost: tasks.url,
    });
    await impostor.schedulePurge('impostor-plan', new Date());
    const attempts = await until('an attempt', async () => {
      const seen = tasks.attempts('purge-impostor-plan');
      return seen.length > 0 ? seen : undefined;
    });
    expect(attempts[0]!.status).toBe(403);
  }, 60_000);
});

describe('retrying failed uploads in bulk', () => {
  it('when an admin retries every upload that failed for good with invalid_grant, then those in time are uploaded, the others are listed with the reason; a manager may not', async () => {
    // In a bucket of their own, which the pipeline does not watch: only the retry uploads them.
    const bucket = `${BUCKET}-bulk`;
    await gcs.createBucket(bucket);
    const failedPlan = async (name: string, reason: string, daysAgo: number) => {
      await gcs.bucket(bucket).file(name).save(Buffer.alloc(MB, 5), { resumable: false });
      const [metadata] = await gcs.bucket(bucket).file(name).getMetadata();
      const generation = String(metadata.generation);
      const plan = newPlan(
        {
          object: { bucket, name, generation, sizeBytes: MB },
          objectCreatedAt: new Date(Date.now() - daysAgo * 86_400_000),
          sessionId: null,
          recordingId: null,
          crm: { system: 'salesforce', recordId: CASE_A },
          partSizeBytes: 50 * MB,
        },
        new Date(),
      );
      const failure = { at: new Date().toISOString(), partIndex: 0, kind: 'permanent', reason, attempts: 8 };
      await db.doc(`recordings/${plan.id}`).set({ ...plan, status: 'failed', failure, lastFailure: failure });
      return plan.id;
    };
    const inTime = await failedPlan('bulk/in-time.wav', 'invalid_grant', 0);
    const otherReason = await failedPlan('bulk/other-reason.wav', 'entity_is_deleted', 0);
    const pastPurge = await failedPlan('bulk/past-purge.wav', 'invalid_grant', 6.5);

    const retries = (token: string, body: unknown) =>
      fetch(`${urls.api}/v1/recordings/retries`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const filter = { kind: 'permanent', reason: 'invalid_grant', crmRecordId: CASE_A };

    const denied = await retries(tokens.manager!, filter);
    expect([denied.status, ((await denied.json()) as any).error.details.reason]).toEqual([
      403,
      'missing_permission',
    ]);
    expect((await planOf(inTime))?.status).toBe('failed');
    const refused = await retries(tokens.admin!, { ...filter, limit: 1000 });
    expect(refused.status).toBe(400);

    const answer = await retries(tokens.admin!, filter);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      matched: 2,
      retriedCount: 1,
      retried: [inTime],
      skipped: [{ id: pastPurge, reason: 'past_purge_time' }],
      more: false,
    });
    const uploaded = await planWithStatus(inTime, 'deleted');
    expect(uploaded.round).toBe(1);
    expect(filesOf(inTime)).toHaveLength(1);
    expect((await gcs.bucket(bucket).file('bulk/in-time.wav').exists())[0]).toBe(false);
    expect((await planOf(otherReason))?.status).toBe('failed');
    expect((await planOf(pastPurge))?.status).toBe('failed');

    // Nothing left that matches: a repeat retries nothing.
    expect(await (await retries(tokens.admin!, filter)).json()).toMatchObject({
      matched: 1,
      retriedCount: 0,
    });
  }, 60_000);
});

describe('a recording waiting for the CRM (REC-4)', () => {
  it('when the call has no CRM record yet, then only the CRM key and multi-factor supervisors may read it, each access audited; once linked it is uploaded and gone', async () => {
    await callStarted('rec-call-4');
    const written = await writeRecording('recordings/rec-call-4/rec-4.wav', 3 * MB, 4);
    const waiting = await until('the plan', () => planOf(written.planId));
    expect(waiting.crm).toBeNull();

    const crm = await download(written.planId, { 'x-crm-key': CRM_KEY });
    expect(crm.status).toBe(200);
    expect(crm.headers.get('cache-control')).toBe('no-store');
    const bytes = Buffer.from(await crm.arrayBuffer());
    expect(createHash('md5').update(bytes).digest('hex')).toBe(written.partMd5Hex[0]);

    const supervisor = await download(written.planId, { authorization: `Bearer ${tokens.mfaManager}` });
    expect(supervisor.status).toBe(200);
    expect((await supervisor.arrayBuffer()).byteLength).toBe(3 * MB);

    const refusals = await Promise.all([
      download(written.planId, { 'x-crm-key': 'wrong-key-0123456789abcdef0123456789' }),
      download(written.planId, {}),
      download(written.planId, { authorization: `Bearer ${tokens.manager}` }),
      download(written.planId, { authorization: `Bearer ${tokens.mfaAgent}` }),
    ]);
    const reasons = await Promise.all(
      refusals.map(async (r) => [r.status, ((await r.json()) as any).error.details.reason]),
    );
    expect(reasons).toEqual([
      [403, 'invalid_crm_key'],
      [403, 'credentials_required'],
      [403, 'multi_factor_required'],
      [403, 'missing_permission'],
    ]);

    // Another team's manager cannot tell this recording from one that does not exist; someone without
    // the permission at all is refused alike for both.
    const missing = planIdFor({ bucket: BUCKET, name: 'recordings/none/none.wav', generation: '1' });
    const asManagerB = { authorization: `Bearer ${tokens.mfaManagerB}` };
    const [otherTeam, nowhere] = await Promise.all([
      download(written.planId, asManagerB),
      download(missing, asManagerB),
    ]);
    expect([otherTeam.status, nowhere.status]).toEqual([404, 404]);
    expect(await otherTeam.json()).toEqual(await nowhere.json());
    const agentOnMissing = await download(missing, { authorization: `Bearer ${tokens.mfaAgent}` });
    expect([agentOnMissing.status, ((await agentOnMissing.json()) as any).error.details.reason]).toEqual([
      403,
      'missing_permission',
    ]);

    const audit = await db.collection('audit').where('action', '==', 'recording.downloaded').get();
    const entries = audit.docs.map((d) => d.data()).filter((e) => e.recordingPlanId === written.planId);
    expect(entries.map((e) => e.actorUid).sort()).toEqual(['crm-key:current', 'r-mfa-manager']);
    expect(entries.every((e) => e.sessionId === 'rec-call-4' && e.teamIds.includes('team-a'))).toBe(true);

    // The platform links the call; the task scheduled for the next look (minutes ahead, scaled) uploads.
    await platformEvent({
      sessionId: 'rec-call-4',
      type: 'crm.linked',
      crm: { system: 'salesforce', recordId: CASE_A },
    });
    const done = await planWithStatus(written.planId, 'deleted');
    expect(done.crm).toEqual({ system: 'salesforce', recordId: CASE_A });
    // Waiting was never an error for the queue: the first task answered 200.
    expect(tasks.attempts(`part-${written.planId}-r0-p0`).map((a) => a.status)).toEqual([200]);
    expect(filesOf(written.planId)).toHaveLength(1);
    expect((await download(written.planId, { 'x-crm-key': CRM_KEY })).status).toBe(410);
  }, 90_000);
});
