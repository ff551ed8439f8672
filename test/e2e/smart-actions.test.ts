import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planIdFor, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import {
  describePausedSpans,
  pausedSpans,
  REQUEST_TTL_MS,
  type SmartActionRequest,
} from '../../functions/src/domain/smart-actions/actions.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
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
import { createAccount, signIn } from '../support/people.js';
import { sendSigned } from '../support/platform.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Smart actions from the agent's desktop to the platform and back, over HTTP (SMA-1, SMA-2): api and
 * platformEvents served by the functions framework, people signed in on the Auth emulator, commands
 * read from the Pub/Sub emulator, results signed as the platform signs them; a redacted call's
 * recording goes through the bucket, the task queue and the worker to the local Salesforce server.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'smart-actions-e2e';
const TOPIC = 'smart-actions-commands';
const SECRET = 'smart-actions-platform-secret-0123456789ab';
const BUCKET = 'acme-smart-action-recordings';
const CASE = '500000000000042AAA';

const db = new Firestore({ projectId, databaseId });
const pubsub = new PubSub({ projectId });
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let commands: Subscription;
let stopFunctions: () => Promise<void> = async () => {};
const urls: Record<string, string> = {};
const tokens: Record<string, string> = {};
const received: { type: string; commandId: string; sessionId: string; [k: string]: unknown }[] = [];
const logLines: string[] = [];
const notifier = finalizeNotifier();
const scratch = mkdtempSync(join(tmpdir(), 'smart-actions-'));
const offsetFile = join(scratch, 'clock-offset-ms');
let offsetMs = 0;

const people = {
  agent: { roleIds: ['agent'], teamIds: ['team-a'] },
  other: { roleIds: ['agent'], teamIds: ['team-a'] },
  manager: { roleIds: ['manager'], teamIds: ['team-a'] },
  admin: { roleIds: ['admin'], teamIds: [] },
};
type Who = keyof typeof people;
const uidOf = (who: Who) => `sma-${who}`;

beforeAll(async () => {
  configureLogs({ sink: (line) => void logLines.push(line) });
  const keys = connectedAppKeys();
  storage = await startStorageServer({ onFinalize: notifier.onFinalize });
  tasks = await startTasksServer({ timeScale: 100 });
  salesforce = await startSalesforceServer({
    publicKeyPem: keys.publicKeyPem,
    clientId: LOCAL_SALESFORCE.clientId,
    username: LOCAL_SALESFORCE.username,
  });
  const stack: RecordingsStackOptions = {
    projectId,
    bucket: BUCKET,
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
    PLATFORM_COMMANDS_TOPIC: TOPIC,
    LOCAL_CLOCK_OFFSET_FILE: offsetFile,
    ...recordingsEnvironment(stack),
  });
  const [topic] = await pubsub.createTopic(TOPIC);
  [commands] = await topic.createSubscription('smart-actions-commands-seen-by-test');
  commands.on('message', (m: { data: Buffer; ack(): void }) => {
    received.push(JSON.parse(m.data.toString()) as never);
    m.ack();
  });
  const batch = db.batch();
  batch.set(db.doc('queues/q-mobile'), { name: 'Mobile help', teamIds: ['team-a'] });
  for (const [who, person] of Object.entries(people)) {
    const uid = uidOf(who as Who);
    const record = { uid, name: uid, ...person };
    batch.set(db.doc(`users/${uid}`), { ...record, ...agentListing(record) });
  }
  await batch.commit();
  for (const who of Object.keys(people) as Who[]) {
    await createAccount(projectId, uidOf(who), `${uidOf(who)}@acme.example`);
    tokens[who] = await signIn(`${uidOf(who)}@acme.example`);
  }
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
  await commands?.close();
  await pubsub.close();
  await tasks?.close();
  await salesforce?.close();
  await storage?.close();
  await db.terminate();
  rmSync(scratch, { recursive: true, force: true });
  for (const name of ['PLATFORM_COMMANDS_TOPIC', 'LOCAL_CLOCK_OFFSET_FILE', 'FIRESTORE_DATABASE_ID'])
    delete process.env[name];
});

// --- helpers -------------------------------------------------------------------------------------

/** The functions' time: this machine's, moved forward by the tests that need a request to expire. */
const now = () => new Date(Date.now() + offsetMs);

const sequences = new Map<string, number>();
async function platform(sessionId: string, type: string, fields: Record<string, unknown> = {}) {
  const sequence = sequences.get(sessionId) ?? 0;
  sequences.set(sessionId, sequence + 1);
  const body = JSON.stringify({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence,
    occurredAt: now().toISOString(),
    type,
    ...fields,
  });
  const res = await sendSigned(`${urls.platformEvents}/v1/events`, body, {
    secret: SECRET,
    timestamp: Math.floor(now().getTime() / 1000),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function connected(sessionId: string, kind: 'call' | 'chat', channel: 'mobile' | 'web' | 'ivr') {
  await platform(sessionId, 'session.created', {
    kind,
    channel,
    queue: { id: 'q-mobile', menuPath: ['Mobile help'] },
    language: 'en',
    consumer: { id: `c-${sessionId}` },
    crm: { system: 'salesforce', recordId: CASE },
  });
  await platform(sessionId, 'session.connected', { agent: { id: uidOf('agent') } });
}

async function call(who: Who, method: string, path: string, body?: unknown) {
  const res = await fetch(`${urls.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[who]}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

const ask = (who: Who, sessionId: string, action: string, clientRequestId = `ask-${action}`) =>
  call(who, 'POST', `/v1/sessions/${sessionId}/smart-actions`, { action, clientRequestId });

async function result(sessionId: string, requestId: string, answer: Record<string, unknown>) {
  const res = await sendSigned(
    `${urls.platformEvents}/v1/sessions/${sessionId}/smart-actions/${requestId}/result`,
    JSON.stringify(answer),
    { secret: SECRET, timestamp: Math.floor(now().getTime() / 1000) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const commandsFor = (commandId: string) => received.filter((c) => c.commandId === commandId);

// --- the flows -------------------------------------------------------------------------------------

describe('smart actions over HTTP', () => {
  it("when the call's agent asks for photos, then 201 and the platform gets the prompt once under the request's id; the same ask again is 200 and sends nothing new", async () => {
    await connected('sma-photos', 'call', 'mobile');
    const first = await ask('agent', 'sma-photos', 'photos');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      action: 'photos',
      state: 'requested',
      maxFiles: 4,
      sentToPlatform: true,
    });
    const again = await ask('agent', 'sma-photos', 'photos');
    expect(again).toEqual({ status: 200, body: first.body });
    const [command] = await until('the prompt', () => {
      const seen = commandsFor(first.body.id);
      return seen.length > 0 ? seen : undefined;
    });
    expect(command).toEqual({
      type: 'smart_action.request',
      commandId: first.body.id,
      sessionId: 'sma-photos',
      requestId: first.body.id,
      action: 'photos',
      maxFiles: 4,
      expiresAt: first.body.expiresAt,
    });
    const listed = await call('agent', 'GET', '/v1/sessions/sma-photos/smart-actions');
    expect(listed).toEqual({ status: 200, body: { items: [first.body] } });
  });

  it('when a supervisor, an admin or another agent asks or lists, then 403 not_session_agent and nothing is written', async () => {
    await connected('sma-others', 'call', 'mobile');
    for (const who of ['manager', 'admin', 'other'] as const) {
      const refused = await ask(who, 'sma-others', 'verify_identity');
      expect(refused.status).toBe(403);
      expect(refused.body.error.details).toMatchObject({ reason: 'not_session_agent' });
      expect((await call(who, 'GET', '/v1/sessions/sma-others/smart-actions')).status).toBe(403);
    }
    expect((await db.collection('sessions/sma-others/smartActions').get()).size).toBe(0);
    // The same ask from the session's agent is taken: the refusals were about who asked.
    expect((await ask('agent', 'sma-others', 'verify_identity')).status).toBe(201);
  });

  it('when the session does not allow the action, then a 409 names the reason and nothing is written', async () => {
    await connected('sma-web', 'chat', 'web');
    await connected('sma-ivr', 'call', 'ivr');
    await connected('sma-mchat', 'chat', 'mobile');
    const reasons = [
      [await ask('agent', 'sma-web', 'photos'), 'web_chat_attachments'],
      [await ask('agent', 'sma-ivr', 'photos'), 'not_mobile'],
      [await ask('agent', 'sma-mchat', 'text_input'), 'not_for_chats'],
      [await ask('agent', 'sma-mchat', 'redact'), 'not_for_chats'],
    ] as const;
    for (const [answer, reason] of reasons) {
      expect(answer.status).toBe(409);
      expect(answer.body.error.details).toMatchObject({ reason });
    }
    for (const id of ['sma-web', 'sma-ivr', 'sma-mchat'])
      expect((await db.collection(`sessions/${id}/smartActions`).get()).size).toBe(0);
    const video = await ask('agent', 'sma-mchat', 'video');
    expect(video.status).toBe(201);
    // A chat's request is on the agent's desk, which their desktop reads.
    const copy = await db
      .doc(`agentDesks/${uidOf('agent')}/chats/sma-mchat/smartActions/${video.body.id}`)
      .get();
    expect(copy.data()).toMatchObject({ action: 'video', state: 'requested', maxFiles: 1 });
  });

  it('when the consumer verifies their identity and types a text, then the flag is set from the smart action and the text is shown to the agent; a late second result changes nothing', async () => {
    await connected('sma-results', 'call', 'mobile');
    const verify = (await ask('agent', 'sma-results', 'verify_identity')).body;
    const text = (await ask('agent', 'sma-results', 'text_input')).body;
    const verified = await result('sma-results', verify.id, {
      answer: 'identity',
      identity: 'verified',
      sequence: 10,
    });
    expect(verified).toMatchObject({
      status: 200,
      body: { outcome: 'settled', request: { state: 'answered' } },
    });
    const session = (await db.doc('sessions/sma-results').get()).data()!;
    expect(session.profile.verifiedCustomer).toMatchObject({
      value: true,
      source: 'smart_action',
      sequence: 10,
    });

    const typed = '1Z999AA10123456784, melissa@gmail.com';
    expect((await result('sma-results', text.id, { answer: 'text', text: typed })).body.outcome).toBe(
      'settled',
    );
    const listed = await call('agent', 'GET', '/v1/sessions/sma-results/smart-actions');
    expect(listed.body.items.find((r: { id: string }) => r.id === text.id)).toMatchObject({
      state: 'answered',
      result: { type: 'text', text: typed },
    });
    // The call's agent's desktop reads it where it is stored (firestore.rules).
    const stored = (
      await db.doc(`sessions/sma-results/smartActions/${text.id}`).get()
    ).data() as SmartActionRequest;
    expect(stored.result).toEqual({ type: 'text', text: typed });

    const before = (await db.doc(`sessions/sma-results/smartActions/${text.id}`).get()).updateTime!;
    const late = await result('sma-results', text.id, { answer: 'declined' });
    expect(late).toMatchObject({
      status: 200,
      body: { outcome: 'already_settled', request: { state: 'answered' } },
    });
    expect(
      (await db.doc(`sessions/sma-results/smartActions/${text.id}`).get()).updateTime!.isEqual(before),
    ).toBe(true);
    expect(logLines.join('\n')).not.toContain('melissa');
  });

  it("when the agent redacts twice, resuming once, then the platform is told to pause, resume and pause, and the CRM copy of the recording names both spans, the open one to the call's end", async () => {
    await connected('sma-redact', 'call', 'mobile');
    const first = await ask('agent', 'sma-redact', 'redact', 'redact-1');
    expect(first).toMatchObject({ status: 201, body: { state: 'requested', expiresAt: null } });
    expect((await ask('agent', 'sma-redact', 'redact', 'redact-2')).body.error.details).toMatchObject({
      reason: 'already_redacting',
    });
    expect((await call('manager', 'POST', '/v1/sessions/sma-redact/redaction/resume')).status).toBe(403);
    const resumed = await call('agent', 'POST', '/v1/sessions/sma-redact/redaction/resume');
    expect(resumed).toMatchObject({ status: 200, body: { id: first.body.id, state: 'answered' } });
    expect(
      (await call('agent', 'POST', '/v1/sessions/sma-redact/redaction/resume')).body.error.details,
    ).toMatchObject({
      reason: 'not_redacting',
    });
    const second = await ask('agent', 'sma-redact', 'redact', 'redact-3');
    expect(second.status).toBe(201);
    await platform('sma-redact', 'session.ended', { reason: 'completed' });
    await until('the three commands', () => {
      const seen = received.filter((c) => c.sessionId === 'sma-redact');
      return seen.length >= 3 ? seen : undefined;
    });
    expect(received.filter((c) => c.sessionId === 'sma-redact').map((c) => [c.type, c.commandId])).toEqual([
      ['recording.pause', first.body.id],
      ['recording.resume', `${first.body.id}.resume`],
      ['recording.pause', second.body.id],
    ]);

    const name = 'recordings/sma-redact/rec-1.wav';
    const gcs = new Storage({ apiEndpoint: storage.url, projectId });
    await gcs
      .bucket(BUCKET)
      .file(name)
      .save(Buffer.alloc(64_000, 7), { resumable: false, contentType: 'audio/wav' });
    const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
    const planId = planIdFor({ bucket: BUCKET, name, generation: String(metadata.generation) });
    await until('the upload', async () => {
      const plan = (await db.doc(`recordings/${planId}`).get()).data() as RecordingPlan | undefined;
      return plan?.status === 'deleted' ? plan : undefined;
    });
    const requests = (await db.collection('sessions/sma-redact/smartActions').get()).docs.map(
      (d) => d.data() as SmartActionRequest,
    );
    const endedAt = (await db.doc('sessions/sma-redact').get()).get('endedAt') as string;
    const spans = pausedSpans(requests, endedAt);
    expect(spans.map((s) => s.to)).toEqual([resumed.body.settledAt, endedAt]);
    const [file] = salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));
    expect(file).toMatchObject({ Title: 'rec-1.wav (part 1 of 1)', FirstPublishLocationId: CASE });
    expect(file!.Description).toBe(describePausedSpans(spans));
    expect(file!.Description).toMatch(
      /^Recording paused for redaction \(2 spans, UTC\): .+ to .+; .+ to .+\.$/,
    );
  }, 120_000);

  it('when a recording was never paused, then its CRM copy has no description', async () => {
    await connected('sma-plain', 'call', 'mobile');
    await platform('sma-plain', 'session.ended', { reason: 'completed' });
    const name = 'recordings/sma-plain/rec-1.wav';
    const gcs = new Storage({ apiEndpoint: storage.url, projectId });
    await gcs
      .bucket(BUCKET)
      .file(name)
      .save(Buffer.alloc(32_000, 3), { resumable: false, contentType: 'audio/wav' });
    const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
    const planId = planIdFor({ bucket: BUCKET, name, generation: String(metadata.generation) });
    const file = await until('the upload', () =>
      salesforce.files().find((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`)),
    );
    expect(file.Description).toBeNull();
  }, 120_000);

  it('when the consumer does not answer in time, then the request reads expired and a late answer changes nothing', async () => {
    await connected('sma-expiry', 'call', 'mobile');
    const text = (await ask('agent', 'sma-expiry', 'text_input')).body;
    offsetMs = REQUEST_TTL_MS;
    writeFileSync(offsetFile, String(offsetMs));
    const listed = await call('agent', 'GET', '/v1/sessions/sma-expiry/smart-actions');
    expect(listed.body.items).toMatchObject([{ id: text.id, state: 'expired' }]);
    const late = await result('sma-expiry', text.id, { answer: 'text', text: 'too late' });
    expect(late).toMatchObject({
      status: 200,
      body: { outcome: 'expired', request: { state: 'expired', result: null } },
    });
    expect((await db.doc(`sessions/sma-expiry/smartActions/${text.id}`).get()).get('state')).toBe(
      'requested',
    );
  });
});
