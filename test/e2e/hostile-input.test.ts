import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { newPlan } from '../../functions/src/domain/recordings/plan.js';
import { agentListing } from '../../functions/src/domain/supervision/agent-listing.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { configureLogs } from '../../functions/src/log.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';
import { routeTables } from '../../scripts/export-schemas.js';
import { serveFunctions } from '../../scripts/stack/functions.js';
import {
  connectedAppKeys,
  createBucket,
  createBucketAndQueue,
  freePort,
  recordingsEnvironment,
  LOCAL_SALESFORCE,
  type RecordingsStackOptions,
} from '../../scripts/stack/recordings.js';
import { deflectionConfig } from '../support/deflection-config.js';
import {
  changedDocuments,
  restoreDocuments,
  snapshotDocuments,
  type DocumentSnapshot,
} from '../support/firestore-documents.js';
import { kindsOf, printReport, type Mishandled, type RouteTally } from '../support/hostile-input-report.js';
import { hostileRequests, type HostileRequest, type RouteKnowledge } from '../support/hostile-requests.js';
import { createAccount, signIn } from '../support/people.js';
import { AUTH_TEST_PROJECT } from '../support/projects.js';

/**
 * Every route of every HTTP function, served as the local stack serves them, driven with generated
 * hostile input by an admin (to reach deep), a manager, strangers, the platform (signed and not) and
 * the recordings queue (with and without its OIDC token). Whatever comes in: never a 5xx, a JSON error
 * of the shared shape on a 4xx, no stack trace, and no document changed by a refused request.
 *
 * Routes come from the route tables themselves, so a route added later is driven without editing
 * this file. The seed is fixed (HOSTILE_INPUT_SEED overrides it) so that any failure can be replayed.
 */
const projectId = AUTH_TEST_PROJECT;
const databaseId = 'hostile-input';
const SECRET = 'hostile-input-platform-secret-0123456789';
const CRM_KEY = 'hostile-input-crm-key-0123456789abcdef0123';
const SEED = Number(process.env.HOSTILE_INPUT_SEED ?? 20261203);
const REQUESTS_PER_ROUTE = Number(process.env.HOSTILE_INPUT_REQUESTS_PER_ROUTE ?? 100);
/** Replays only the routes whose "function METHOD path" contains this text. */
const ONLY = process.env.HOSTILE_INPUT_ONLY ?? '';
const BUCKET = 'hostile-input-recordings';
const TONES_BUCKET = 'hostile-input-tones';
const MEDIA_BUCKET = 'hostile-input-media';
/** Topics are per project, and other files of this project create their own: a name of our own. */
const COMMANDS_TOPIC = 'hostile-input-commands';
const TASKS_SERVICE_ACCOUNT = `recording-tasks@${projectId}.iam.gserviceaccount.com`;

type FunctionName = 'api' | 'platformEvents' | 'recordingWorker';

const config = deflectionConfig();
const SESSION_IDS = ['h-call-a', 'h-chat-a', 'h-call-b'];
const PLAN_IDS: string[] = [];

/** Valid bodies, which the generators corrupt; a route without one gets arbitrary bodies only. */
const EXAMPLES = new Map<string, unknown>([
  ['api PUT /v1/settings/support-center', config.supportCenter],
  ['api PUT /v1/settings/call', config.call],
  ['api PUT /v1/settings/chat', config.chat],
  ['api PUT /v1/settings/queues/:queueId', config.queues['q-refunds']],
  ['api PUT /v1/settings/languages/:tag', config.languages.en],
  [
    'api POST /v1/recordings/retries',
    { kind: 'permanent', reason: 'invalid_grant', failedSince: '2026-11-01T00:00:00Z', limit: 10 },
  ],
  [
    'api PUT /v1/settings/queues/:queueId/sip-redirection',
    {
      uri: 'sip:support@pbx.acme.example;transport=tls',
      data_parameters_enabled: true,
      data_parameters: [
        {
          field: 'verified_customer',
          type: 'dynamic',
          source: 'ujet_metadata',
          source_field: 'reserved_verified_customer',
        },
      ],
      data_records: { in_metadata: true, in_crm_record: true },
    },
  ],
  [
    'api PUT /v1/settings/queues/:queueId/virtual-agent',
    {
      data_parameters: [
        {
          type: 'dynamic',
          source: 'session_metadata',
          incoming_field: 'verified_customer',
          destination_field: 'Verified_Customer__c',
        },
      ],
    },
  ],
  [
    'api PUT /v1/settings/notifications/calls',
    {
      whisper: { enabled: true, speed: 1.25 },
      countdown: { enabled: true },
      incomingCallTone: { type: 'builtin', name: 'bell' },
      frequency: { mode: 'repeat', everySeconds: 15 },
      sms: { enabled: true },
    },
  ],
  [
    'api PUT /v1/settings/notifications/chats',
    {
      newChatTone: { type: 'builtin', name: 'chime' },
      frequency: { mode: 'once' },
      newMessageTone: { type: 'builtin', name: 'soft' },
    },
  ],
  [
    'api PUT /v1/settings/queues/:queueId/whisper',
    { enabled: true, announcement: { type: 'tts', text: 'Billing call' }, speed: 1.5, countdown: true },
  ],
  ['platformEvents POST /v1/sip-redirections', { sessionId: 'h-call-a' }],
  ['api POST /v1/sessions/:sessionId/end', { confirmationId: randomUUID() }],
  [
    'api POST /v1/deflection/preview',
    { kind: 'call', channel: 'ivr', queueId: 'q-refunds', language: 'en', at: '2026-11-24T01:00:00Z' },
  ],
  [
    'platformEvents POST /v1/events',
    {
      schemaVersion: 1,
      sessionId: 'h-new-session',
      eventId: 'h-new-session-0',
      sequence: 0,
      occurredAt: new Date().toISOString(),
      type: 'session.created',
      kind: 'chat',
      channel: 'web',
      queue: { id: 'q-billing', menuPath: ['Billing'] },
      language: 'en',
      consumer: {
        id: 'c-anon-1',
        anonymous: true,
        temporaryId: { source: 'web_visitor', id: 'h-visitor-1' },
      },
    },
  ],
  [
    'platformEvents POST /v1/consumers/logins',
    {
      consumerId: 'c-1',
      crmContactId: '003000000000001AAA',
      temporaryId: { source: 'web_visitor', id: 'h-visitor-1' },
    },
  ],
  [
    'platformEvents POST /v1/deflection/decisions',
    { kind: 'call', channel: 'ivr', queueId: 'q-refunds', language: 'en', consumerTimeZone: 'Europe/Paris' },
  ],
  ['platformEvents PUT /v1/agents/:agentId/presence', { state: 'available', at: new Date().toISOString() }],
  [
    'platformEvents PATCH /v1/sessions/:sessionId/reserved-data',
    {
      eventId: 'h-reserved-1',
      sequence: 1000,
      occurredAt: new Date().toISOString(),
      reserved_bad_actor: true,
    },
  ],
  [
    'platformEvents POST /v1/voicemails',
    {
      voicemailId: 'vm-1',
      channel: 'ivr',
      queueId: 'q-refunds',
      language: 'en',
      callerNumber: '+15550123',
      recording: { bucket: BUCKET, object: 'vm-1.wav', durationSeconds: 30 },
      leftAt: new Date().toISOString(),
    },
  ],
  ['platformEvents POST /v1/scheduled-calls/slots', { queueId: 'q-refunds', channel: 'ivr', language: 'en' }],
  [
    'platformEvents POST /v1/scheduled-calls',
    {
      queueId: 'q-refunds',
      channel: 'ivr',
      language: 'en',
      bookingId: 'b-1',
      slotStart: '2026-11-24T15:00:00Z',
      callerNumber: '+15550123',
    },
  ],
  [
    'recordingWorker POST /v1/tasks/plan',
    { bucket: BUCKET, object: 'missing.wav', sessionId: 'h-call-a', recordingId: 'rec-1' },
  ],
  ['recordingWorker POST /v1/tasks/upload-part', { planId: 'unknown-plan', round: 0, partIndex: 0 }],
  ['recordingWorker POST /v1/tasks/purge', { planId: 'unknown-plan' }],
  [
    'recordingWorker POST /v1/tasks/consumer-ticket',
    { consumerKey: 'web_visitor:h-visitor-1', sessionId: 'h-new-session' },
  ],
  ['recordingWorker POST /v1/tasks/consumer-merge', { mergeId: 'unknown-merge', version: 1 }],
  ['recordingWorker POST /v1/tasks/voicemail', { voicemailId: 'unknown-voicemail' }],
]);

const existingIds = () =>
  new Map<string, string[]>([
    ['sessionId', SESSION_IDS],
    ['queueId', Object.keys(config.queues)],
    ['tag', Object.keys(config.languages)],
    ['agentId', ['h-agent']],
    ['planId', PLAN_IDS],
  ]);

const db = new Firestore({ projectId, databaseId });
let storage: StorageServer;
let tasks: TasksServer;
let salesforce: SalesforceServer;
let certs: http.Server;
let stopFunctions: () => Promise<void> = async () => {};
const urls = new Map<FunctionName, string>();
const tokens = new Map<string, string>();
let workerToken = '';
let wrongAudienceToken = '';
const unexpectedErrors: string[] = [];
let seeded: DocumentSnapshot = new Map();
// A connection per request: an answer sent before a hostile body was read must not taint the next one.
const agent = new http.Agent({ keepAlive: false });

/** Google-style OIDC tokens for the worker, signed with a key whose certificate we serve. */
async function oidcIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'hostile-input-key';
  certs = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ [kid]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }));
  });
  await new Promise<void>((resolve) => certs.listen(0, '127.0.0.1', resolve));
  const certsUrl = `http://127.0.0.1:${(certs.address() as { port: number }).port}/certs`;
  const token = (audience: string, email = TASKS_SERVICE_ACCOUNT) => {
    const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const input = `${enc({ alg: 'RS256', kid, typ: 'JWT' })}.${enc({
      iss: 'https://accounts.google.com',
      aud: audience,
      email,
      email_verified: true,
      sub: '1',
      iat: now,
      exp: now + 3600,
    })}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  return { certsUrl, token };
}

async function admin(method: string, path: string, body: unknown) {
  const res = await fetch(`${urls.get('api')}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens.get('admin')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
}

async function platform(method: string, path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(`${urls.get('platformEvents')}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-switchboard-timestamp': String(timestamp),
      'x-switchboard-signature': signPlatformRequest(SECRET, timestamp, { method, path, body }),
    },
    body,
  });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
}

let sequence = 0;
const event = (sessionId: string, type: string, fields: Record<string, unknown>) =>
  platform('POST', '/v1/events', {
    schemaVersion: 1,
    sessionId,
    eventId: `${sessionId}-${sequence}`,
    sequence: sequence++,
    occurredAt: new Date().toISOString(),
    type,
    ...fields,
  });

/** Settings, people with roles, live sessions, presence and recording plans: enough to get past auth. */
async function seed() {
  config.queues['q-billing']!.teamIds = ['team-a'];
  config.queues['q-support']!.teamIds = ['team-b'];
  for (const [tag, language] of Object.entries(config.languages))
    await admin('PUT', `/v1/settings/languages/${tag}`, language);
  for (const [id, queue] of Object.entries(config.queues))
    await admin('PUT', `/v1/settings/queues/${id}`, queue);
  await admin('PUT', '/v1/settings/support-center', config.supportCenter);
  await admin('PUT', '/v1/settings/call', config.call);
  await admin('PUT', '/v1/settings/chat', config.chat);
  await db
    .doc('settings/supervision')
    .set({ stuckThresholds: { queuedMinutes: 300, connectedMinutes: 480 } });

  const created = (id: string, kind: 'call' | 'chat', queue: string, menuPath: string[]) =>
    event(id, 'session.created', {
      kind,
      channel: kind === 'call' ? 'ivr' : 'web',
      queue: { id: queue, menuPath },
      language: 'en',
      consumer: { id: `c-${id}`, name: 'Ada Lovelace' },
    });
  await created('h-call-a', 'call', 'q-billing', ['Billing']);
  await event('h-call-a', 'session.connected', { agent: { id: 'h-agent', name: 'Ari Agent' } });
  await created('h-chat-a', 'chat', 'q-billing', ['Billing']);
  await event('h-chat-a', 'session.connected', { agent: { id: 'h-agent' } });
  await event('h-chat-a', 'message.sent', {
    message: { id: 'm1', author: { type: 'consumer' }, text: 'My refund is late' },
  });
  await created('h-call-b', 'call', 'q-support', ['Support']);
  await platform('PUT', '/v1/agents/h-agent/presence', { state: 'available', at: new Date().toISOString() });

  const plans = new FirestoreRecordingPlans(db);
  for (const [name, status] of [
    ['failed.wav', 'failed'],
    ['uploaded.wav', 'uploaded'],
  ] as const) {
    const plan = newPlan(
      {
        object: { bucket: BUCKET, name, generation: '1', sizeBytes: 1_000, contentType: 'audio/wav' },
        objectCreatedAt: new Date(),
        sessionId: 'h-call-a',
        recordingId: `rec-${status}`,
        crm: null,
        partSizeBytes: 50_000_000,
      },
      new Date(),
    );
    const failure = {
      at: new Date().toISOString(),
      partIndex: 0,
      kind: 'rejected',
      reason: 'The CRM said no.',
      attempts: 1,
    };
    await plans.create({
      ...plan,
      status,
      ...(status === 'failed' ? { failure, lastFailure: failure } : {}),
    });
    PLAN_IDS.push(plan.id);
  }
}

beforeAll(async () => {
  configureLogs({
    sink: (line) => void (line.includes('"severity":"ERROR"') && unexpectedErrors.push(line)),
  });
  const keys = connectedAppKeys();
  storage = await startStorageServer({});
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
  await createBucket(storage.url, projectId, TONES_BUCKET);
  await createBucket(storage.url, projectId, MEDIA_BUCKET);
  const issuer = await oidcIssuer();
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_DATABASE_ID: databaseId,
    PLATFORM_SIGNING_SECRET: SECRET,
    DIRECTORY_CACHE_SECONDS: '0',
    CRM_DOWNLOAD_KEY: CRM_KEY,
    NOTIFICATION_TONES_BUCKET: TONES_BUCKET,
    NOTIFICATION_TONE_PREVIEW_KEY: 'hostile-input-tone-preview-key-0123456789',
    MEDIA_BUCKET,
    PLATFORM_COMMANDS_TOPIC: COMMANDS_TOPIC,
    ...recordingsEnvironment(stack),
    TASKS_OIDC_CERTS_URL: issuer.certsUrl,
    // Live chat's agent side on, so that its routes read what they are sent.
    CHAT_OFFERS_QUEUE: `projects/${projectId}/locations/europe-west1/queues/chat-offers`,
    CHAT_OFFER_TIMEOUT_URL: 'https://events.example/v1/tasks/chat-offer-timeout',
    CHAT_TASKS_SERVICE_ACCOUNT: `chat-tasks@${projectId}.iam.gserviceaccount.com`,
  });
  const pubsub = new PubSub({ projectId });
  await pubsub.createTopic(COMMANDS_TOPIC);
  await pubsub.close();
  workerToken = issuer.token(recordingsEnvironment(stack).RECORDING_WORKER_URL!);
  wrongAudienceToken = issuer.token('https://elsewhere.example');

  for (const [uid, roleIds, teamIds] of [
    ['h-admin', ['admin'], []],
    ['h-manager', ['manager'], ['team-a']],
    ['h-agent', ['agent'], ['team-a']],
  ] as const) {
    const person = { uid, name: uid, roleIds: [...roleIds], teamIds: [...teamIds] };
    await db.doc(`users/${uid}`).set({ ...person, ...agentListing(person) });
    await createAccount(projectId, uid, `${uid}@acme.example`);
  }
  tokens.set('admin', await signIn('h-admin@acme.example'));
  tokens.set('manager', await signIn('h-manager@acme.example'));

  const served = await serveFunctions({ api: 0, platformEvents: 0, recordingWorker: stack.workerPort });
  for (const f of served.functions) urls.set(f.name as FunctionName, f.url);
  stopFunctions = served.stop;
  await seed();
  seeded = await snapshotDocuments(projectId, databaseId);
}, 180_000);

afterAll(async () => {
  await stopFunctions();
  agent.destroy();
  await tasks?.close();
  await salesforce?.close();
  await storage?.close();
  await new Promise((resolve) => certs?.close(resolve));
  await db.terminate();
  for (const name of Object.keys(process.env))
    if (
      /^(RECORDING|TASKS_|CHAT_|STORAGE_EMULATOR|SALESFORCE_|CRM_DOWNLOAD|FIRESTORE_DATABASE_ID|NOTIFICATION_TONE)/.test(
        name,
      )
    )
      delete process.env[name];
});

// --- who sends --------------------------------------------------------------------------------------

/** The callers every route lets in: their requests must get past authentication, into validation. */
const DEEP_CREDENTIALS = new Set(['admin', 'signed', 'queue token']);

type Credentials = { label: string; headers: (req: HostileRequest) => Record<string, string> };

const bearer = (token: () => string) => () => ({ authorization: `Bearer ${token()}` });

const CREDENTIALS: Record<FunctionName, fc.Arbitrary<Credentials>> = {
  api: fc.oneof(
    { weight: 5, arbitrary: fc.constant({ label: 'admin', headers: bearer(() => tokens.get('admin')!) }) },
    {
      weight: 2,
      arbitrary: fc.constant({ label: 'manager', headers: bearer(() => tokens.get('manager')!) }),
    },
    { weight: 1, arbitrary: fc.constant({ label: 'no credentials', headers: () => ({}) }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { label: 'forged token', headers: () => ({ authorization: 'Bearer abc.def.ghi' }) },
        { label: 'basic auth', headers: () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' }) },
        { label: 'CRM key', headers: () => ({ 'x-crm-key': CRM_KEY }) },
        { label: 'wrong CRM key', headers: () => ({ 'x-crm-key': 'constructor' }) },
      ),
    },
  ),
  platformEvents: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constant({
        label: 'signed',
        headers: (req: HostileRequest) => {
          const timestamp = Math.floor(Date.now() / 1000);
          return {
            'x-switchboard-timestamp': String(timestamp),
            'x-switchboard-signature': signPlatformRequest(SECRET, timestamp, {
              method: req.method,
              path: req.target,
              body: req.plainBody ?? Buffer.alloc(0),
            }),
          };
        },
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { label: 'unsigned', headers: () => ({}) },
        {
          label: 'wrong signature',
          headers: () => ({
            'x-switchboard-timestamp': String(Math.floor(Date.now() / 1000)),
            'x-switchboard-signature': `v1=${'0'.repeat(64)}`,
          }),
        },
        {
          label: 'stale timestamp',
          headers: (req: HostileRequest) => ({
            'x-switchboard-timestamp': '1',
            'x-switchboard-signature': signPlatformRequest(SECRET, 1, {
              method: req.method,
              path: req.target,
              body: req.plainBody ?? Buffer.alloc(0),
            }),
          }),
        },
      ),
    },
  ),
  recordingWorker: fc.oneof(
    { weight: 6, arbitrary: fc.constant({ label: 'queue token', headers: bearer(() => workerToken) }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { label: 'no credentials', headers: () => ({}) },
        { label: 'token for elsewhere', headers: bearer(() => wrongAudienceToken) },
        { label: 'forged token', headers: () => ({ authorization: 'Bearer abc.def.ghi' }) },
      ),
    },
  ),
};

// --- sending and judging ---------------------------------------------------------------------------

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function send(base: string, req: HostileRequest, headers: Record<string, string>): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.target,
        // Node's client sends a GET's body without a length unless told: the server would read it
        // as the next request.
        headers: {
          ...req.headers,
          ...headers,
          ...(req.body ? { 'content-length': String(req.body.length) } : {}),
        },
        agent,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', reject);
    request.end(req.body);
  });
}

/** The framework's own error page names the error it caught: which front-door check is missing. */
const frameworkPage = (answer: Answer) => {
  const name = /<pre>(\w+):/.exec(answer.text)?.[1];
  return name ? `, the framework's HTML page for a ${name}` : '';
};

const STACK_TRACE = /\n\s+at\s|node_modules|\/work\/|\.[jt]s:\d+:\d+/;

/** What is wrong with an answer to hostile input, if anything. */
function problemWith(method: string, answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (STACK_TRACE.test(answer.text)) return 'a stack trace in the body';
  if (answer.status < 400 || method === 'HEAD') return undefined;
  if (!answer.contentType.includes('application/json'))
    return `a ${answer.contentType || 'typeless'} error body`;
  try {
    const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || !body.error.message)
      return 'an error body without error.code and error.message';
  } catch {
    return 'an error body that is not JSON';
  }
  return undefined;
}

/** A value far beyond any bound a field may have: a body carrying one at a known place must be refused. */
function oversized(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 10_000;
  if (Array.isArray(value)) return value.length > 1_000 || value.some(oversized);
  if (value !== null && typeof value === 'object') return Object.values(value).some(oversized);
  return false;
}

function readsAsJson(body: Buffer | undefined): unknown {
  try {
    return body ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

const seedOf = (key: string) => [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, SEED);

describe('hostile input on every route', () => {
  it('when every route gets thousands of hostile requests, then none gets a 5xx, an error is always JSON, oversized values are refused, and refused requests write nothing', async () => {
    const tallies: RouteTally[] = [];
    const mishandled: Mishandled[] = [];
    const tables = routeTables();
    for (const fn of Object.keys(tables) as FunctionName[]) {
      const base = urls.get(fn)!;
      for (const route of tables[fn]) {
        const key = `${fn} ${route.method} ${route.path}`;
        if (!key.includes(ONLY)) continue;
        const example = EXAMPLES.get(key);
        const knowledge: RouteKnowledge = {
          existingIds: existingIds(),
          ...(example !== undefined ? { example } : {}),
          mayUseExistingIdsAlone: route.method === 'GET',
        };
        const samples = fc.sample(fc.tuple(hostileRequests(route, knowledge), CREDENTIALS[fn]), {
          seed: seedOf(key),
          numRuns: REQUESTS_PER_ROUTE,
        });
        const tally: RouteTally = {
          fn,
          route: `${route.method} ${route.path}`,
          sent: 0,
          pastAuthentication: 0,
          accepted: 0,
          refused: 0,
          statuses: new Map(),
          seconds: 0,
        };
        tallies.push(tally);
        const started = performance.now();
        // Refused requests must leave every document as it was; accepted ones may write, and what they
        // wrote becomes the new baseline, then is undone once the route is done.
        let baseline = await snapshotDocuments(projectId, databaseId);
        for (const [index, [request, credentials]] of samples.entries()) {
          const fail = (problem: string, answer?: string) =>
            mishandled.push({
              route: key,
              index,
              credentials: credentials.label,
              request,
              problem,
              ...(answer !== undefined ? { answer: answer.slice(0, 300) } : {}),
            });
          let answer: Answer;
          try {
            answer = await send(base, request, credentials.headers(request));
          } catch (error) {
            fail(`no answer: ${(error as Error).message}`);
            continue;
          }
          tally.sent++;
          if (DEEP_CREDENTIALS.has(credentials.label) && answer.status !== 401) tally.pastAuthentication++;
          tally.statuses.set(answer.status, (tally.statuses.get(answer.status) ?? 0) + 1);
          if (answer.status < 400) tally.accepted++;
          else tally.refused++;
          const problem = problemWith(request.method, answer);
          if (problem) fail(`${problem} (${answer.status}${frameworkPage(answer)})`, answer.text);
          const corruptedInPlace = /^body: (one value wrong|huge array)/.test(request.label);
          if (
            answer.status < 400 &&
            example !== undefined &&
            request.method === route.method &&
            corruptedInPlace &&
            oversized(readsAsJson(request.plainBody))
          )
            fail(`an oversized value accepted (${answer.status})`, answer.text);
          // Reads are checked once, after the route's last request: they may never write at all.
          if (request.method === 'GET' || request.method === 'HEAD') continue;
          const now = await snapshotDocuments(projectId, databaseId);
          const changed = changedDocuments(baseline, now);
          if (changed.length > 0 && answer.status >= 400)
            fail(`refused with ${answer.status} but changed documents`, changed.slice(0, 5).join(', '));
          baseline = now;
        }
        const changed = changedDocuments(baseline, await snapshotDocuments(projectId, databaseId));
        if (changed.length > 0)
          mishandled.push({
            route: key,
            index: -1,
            credentials: '',
            request: { label: 'reads', method: 'GET', target: route.path, headers: {} },
            problem: 'reads changed documents',
            answer: changed.slice(0, 5).join(', '),
          });
        await restoreDocuments(projectId, databaseId, seeded);
        tally.seconds = (performance.now() - started) / 1000;
      }
    }

    printReport(SEED, tallies, mishandled);
    expect(tallies.filter((t) => t.sent === 0).map((t) => `${t.fn} ${t.route}`)).toEqual([]);
    // Were the platform's signature or the tokens to change shape, every request would stop at the door.
    expect(tallies.filter((t) => t.pastAuthentication === 0).map((t) => `${t.fn} ${t.route}`)).toEqual([]);
    expect([...kindsOf(mishandled)].map(([kind, { count }]) => `${count}× ${kind}`)).toEqual([]);
    expect(unexpectedErrors.slice(0, 5)).toEqual([]);
  }, 600_000);
});
