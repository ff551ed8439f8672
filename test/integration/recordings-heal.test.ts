import { generateKeyPairSync } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { CloudTasksClient } from '@google-cloud/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import {
  CloudTasksRecordingTasks,
  clientOptions,
} from '../../functions/src/adapters/tasks/recording-tasks.js';
import type { RecordingsDeps, TaskAnswer } from '../../functions/src/app/recordings/deps.js';
import { planRecording } from '../../functions/src/app/recordings/plan-recording.js';
import { runPartTask, runPurgeTask } from '../../functions/src/app/recordings/upload-tasks.js';
import {
  HEALING_ATTEMPTS,
  crmRecordCheckAt,
  planIdFor,
  type RecordingPlan,
} from '../../functions/src/domain/recordings/plan.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import {
  describePausedSpans,
  newRequest,
  pausedSpans,
  settleRequest,
} from '../../functions/src/domain/smart-actions/actions.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { RecordingBlobs, RecordingTasks } from '../../functions/src/ports/recordings.js';
import {
  startSalesforceServer,
  type SalesforceFault,
  type SalesforceServer,
} from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import { startTasksServer, type TasksServer } from '../../local-servers/tasks.js';

/**
 * Failures that heal, heal; waits are not errors. On the Firestore emulator, our Storage server
 * behind the real client, jsforce against the Salesforce-compatible server, and (for the waits) our
 * Cloud Tasks server through the real client.
 */

const PROJECT = 'demo-switchboard-recordings-heal';
const BUCKET = 'heal-recordings';
const CLIENT_ID = '3MVG9-switchboard-heal';
const USERNAME = 'heal@switchboard.example';
const CASE_ID = '500000000000077AAA';
const PART_BYTES = 4000;
const QUEUE = 'projects/demo-switchboard/locations/local/queues/recordings-heal';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let storage: StorageServer;
let salesforce: SalesforceServer;
let tasksServer: TasksServer;
let db: Firestore;
let gcs: Storage;

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  [storage, salesforce, tasksServer] = await Promise.all([
    startStorageServer(),
    startSalesforceServer({
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      clientId: CLIENT_ID,
      username: USERNAME,
    }),
    // Real time: the tasks these tests schedule are minutes or days ahead, and stay queued.
    startTasksServer(),
  ]);
  db = new Firestore({ projectId: PROJECT, databaseId: 'recordings-heal' });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await db?.terminate();
  await Promise.all([salesforce?.close(), storage?.close(), tasksServer?.close()]);
});

// --- a queue of the test's: each task runs until it is done, retries after the queue's backoff ------

class Clock {
  constructor(public ms: number) {}
  now = () => new Date(this.ms);
}

interface Queued {
  name: string;
  at: number;
  run: () => Promise<TaskAnswer>;
}

/** Runs tasks in time order; a retry answer comes back after RetryConfig's backoff (10 s doubling). */
class RetryingQueue implements RecordingTasks {
  readonly answers = new Map<string, TaskAnswer['outcome'][]>();
  private readonly queued: Queued[] = [];
  private readonly names = new Set<string>();
  deps!: RecordingsDeps;

  constructor(private readonly clock: Clock) {}

  private add(name: string, at: number, run: () => Promise<TaskAnswer>) {
    if (this.names.has(name)) return;
    this.names.add(name);
    this.queued.push({ name, at, run });
  }

  async enqueuePlanning(): Promise<void> {
    throw new Error('not used: recordings are announced directly');
  }
  async enqueuePartUpload(planId: string, round: number, partIndex: number) {
    this.add(`part-${planId}-r${round}-p${partIndex}`, this.clock.ms, () =>
      runPartTask(this.deps, { planId, round, partIndex }),
    );
  }
  async schedulePartUpload(planId: string, round: number, partIndex: number, at: Date) {
    this.add(`part-${planId}-r${round}-p${partIndex}-at${at.getTime()}`, at.getTime(), () =>
      runPartTask(this.deps, { planId, round, partIndex }),
    );
  }
  // The purge is days ahead: not these tests' business.
  async schedulePurge() {}
  async schedulePurgeAgain() {}

  /** Runs what is queued, in time order, until nothing is left. */
  async drain(): Promise<void> {
    for (let guard = 0; guard < 200; guard++) {
      this.queued.sort((a, b) => a.at - b.at);
      const task = this.queued.shift();
      if (!task) return;
      this.clock.ms = Math.max(this.clock.ms, task.at);
      const answer = await task.run();
      const seen = this.answers.get(task.name) ?? [];
      seen.push(answer.outcome);
      this.answers.set(task.name, seen);
      if (answer.outcome === 'retry') {
        const backoff = 10_000 * 2 ** Math.min(seen.length - 1, 8);
        this.queued.push({
          ...task,
          at: this.clock.ms + Math.max(backoff, (answer.retryAfterSeconds ?? 0) * 1000),
        });
      }
    }
    throw new Error('the queue never ran dry');
  }
}

/**
 * Reads of the first part whose stream ends halfway through it, cleanly, for the next `shortReads`
 * of them (the read of the part after it, begun ahead, is whole).
 */
class ShortReadingBlobs implements RecordingBlobs {
  shortReads = 0;
  constructor(private readonly inner: RecordingBlobs) {}
  stat(bucket: string, name: string) {
    return this.inner.stat(bucket, name);
  }
  list(...args: Parameters<RecordingBlobs['list']>) {
    return this.inner.list(...args);
  }
  delete(bucket: string, name: string, generation: string) {
    return this.inner.delete(bucket, name, generation);
  }
  read(...args: Parameters<RecordingBlobs['read']>): AsyncIterable<Uint8Array> {
    const source = this.inner.read(...args);
    const [, , , range] = args;
    if (this.shortReads <= 0 || range?.start !== 0) return source;
    this.shortReads--;
    const keep = Math.floor(((range?.end ?? 0) - (range?.start ?? 0) + 1) / 2);
    return (async function* () {
      let kept = 0;
      for await (const chunk of source) {
        if (kept >= keep) break;
        const piece = chunk.subarray(0, keep - kept);
        kept += piece.length;
        yield piece;
      }
    })();
  }
}

let sequence = 0;

/** A recording of two parts, its call linked to CASE_ID, announced and planned. */
async function world(options: { blobs?: (inner: RecordingBlobs) => RecordingBlobs } = {}) {
  sequence++;
  const sessionId = `heal-s${sequence}`;
  const name = `recordings/${sessionId}/r${sequence}.wav`;
  const bytes = Buffer.alloc(2 * PART_BYTES - 500, sequence);
  await gcs.bucket(BUCKET).file(name).save(bytes, { resumable: false });
  const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
  const generation = String(metadata.generation);
  const clock = new Clock(Date.parse(String(metadata.timeCreated)) + 1000);
  const queue = new RetryingQueue(clock);
  const inner = new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url });
  const crm = new SalesforceCrm(
    {
      loginUrl: salesforce.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
    },
    // Salesforce keeps real time: the queue's clock moves ahead, a JWT must not.
    systemClock,
  );
  const linked = { crm: { system: 'salesforce', recordId: CASE_ID } } as unknown as Session;
  const deps: RecordingsDeps = {
    plans: new FirestoreRecordingPlans(db),
    blobs: options.blobs ? options.blobs(inner) : inner,
    tasks: queue,
    crm: () => crm,
    sessions: { getSession: async (id) => (id === sessionId ? linked : undefined) },
    clock,
    bucket: BUCKET,
    partSizeBytes: PART_BYTES,
  };
  queue.deps = deps;
  const planId = planIdFor({ bucket: BUCKET, name, generation });
  await planRecording(deps, { bucket: BUCKET, name, generation, source: 'bucket' });
  return {
    queue,
    planId,
    plan: async () => (await db.doc(`recordings/${planId}`).get()).data() as RecordingPlan,
    files: () => salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`)),
    objectExists: async () => (await gcs.bucket(BUCKET).file(name).exists())[0],
  };
}

/** Each way a failure that may heal is injected: `times` in a row, on the first part. */
const blips: {
  what: string;
  reason: string;
  inject: (times: number) => { blobs?: (inner: RecordingBlobs) => RecordingBlobs };
}[] = [
  {
    what: 'a 401 just after a token refresh (the session expired again)',
    reason: 'invalid_session_id',
    inject: (times) => {
      const fault: SalesforceFault = { type: 'expired' };
      // Each attempt meets two: the first 401, then the 401 after its refresh.
      salesforce.failNext(2 * times, fault, 'upload');
      return {};
    },
  },
  {
    what: 'an OAuth invalid_grant from the token endpoint',
    reason: 'invalid_grant',
    inject: (times) => {
      salesforce.failNext(times, { type: 'invalidGrant' });
      return {};
    },
  },
  {
    what: 'a short read from Storage',
    reason: 'source_ended_early',
    inject: (times) => ({
      blobs: (inner) => Object.assign(new ShortReadingBlobs(inner), { shortReads: times }),
    }),
  },
];

describe('failures that can heal, heal', () => {
  for (const blip of blips) {
    it(`when ${blip.what} happens once, then the upload is retried on the queue's schedule and each part reaches the CRM exactly once`, async () => {
      const w = await world(blip.inject(1));
      await w.queue.drain();
      salesforce.clearFaults();

      const plan = await w.plan();
      expect(plan.status).toBe('deleted');
      expect(plan.failure).toBeNull();
      expect(plan.lastFailure).toMatchObject({ partIndex: 0, reason: blip.reason, attempts: 1 });
      expect(w.files().map((f) => f.Recording_Part_Key__c)).toEqual([`${w.planId}:0`, `${w.planId}:1`]);
      expect(w.queue.answers.get(`part-${w.planId}-r0-p0`)).toEqual(['retry', 'done']);
      expect(await w.objectExists()).toBe(false);
      // The CRM refused the attempt, so it held nothing: the retry sent the part without a look-up.
      expect(plan.crmCalls?.lookups).toBe(0);
    }, 60_000);

    it(`when ${blip.what} goes on, then after ${HEALING_ATTEMPTS} attempts the upload fails for good, with the reason and the attempts, and nothing reaches the CRM`, async () => {
      const w = await world(blip.inject(HEALING_ATTEMPTS + 2));
      await w.queue.drain();
      salesforce.clearFaults();

      const plan = await w.plan();
      expect(plan.status).toBe('failed');
      expect(plan.failure).toMatchObject({
        kind: 'permanent',
        reason: blip.reason,
        partIndex: 0,
        attempts: HEALING_ATTEMPTS,
      });
      expect(w.queue.answers.get(`part-${w.planId}-r0-p0`)).toEqual([
        ...Array.from({ length: HEALING_ATTEMPTS - 1 }, () => 'retry'),
        'done',
      ]);
      expect(w.files()).toEqual([]);
      // Kept for an admin's retry, or the purge.
      expect(await w.objectExists()).toBe(true);
    }, 60_000);
  }
});

describe("a refused attempt's CRM calls", () => {
  it('when the API limit refuses a part once, then the retry sends it without a look-up and the recording counts both inserts', async () => {
    salesforce.failNext(1, { type: 'limit', retryAfterSeconds: 30 }, 'upload');
    const w = await world();
    await w.queue.drain();
    salesforce.clearFaults();

    const plan = await w.plan();
    expect(plan.status).toBe('deleted');
    expect(plan.lastFailure).toMatchObject({ partIndex: 0, kind: 'limit_reached', attempts: 1 });
    expect(w.files().map((f) => f.Recording_Part_Key__c)).toEqual([`${w.planId}:0`, `${w.planId}:1`]);
    // Part 1: the refused insert and the accepted one; part 2: one insert. One login in all.
    expect(plan.crmCalls).toEqual({ logins: 1, lookups: 0, inserts: 3 });
  }, 60_000);
});

// --- waits that are not errors, on the Cloud Tasks server ------------------------------------------

describe('waits that are not errors are tasks scheduled at the right time', () => {
  let tasks: CloudTasksRecordingTasks;
  let client: CloudTasksClient;

  beforeAll(() => {
    tasks = new CloudTasksRecordingTasks({
      queue: QUEUE,
      // Nothing is delivered: every task here is minutes or days ahead.
      workerUrl: 'http://127.0.0.1:9/worker',
      serviceAccountEmail: 'recordings-tasks@demo-switchboard.iam.gserviceaccount.com',
      emulatorHost: tasksServer.url,
    });
    client = new CloudTasksClient(clientOptions(tasksServer.url));
  });

  afterAll(async () => {
    await tasks?.close();
    await client?.close();
  });

  /** The queue's tasks for a plan: id and when each is due, in epoch ms. */
  async function tasksOf(planId: string) {
    const [all] = await client.listTasks({ parent: QUEUE });
    return all
      .map((t) => ({
        id: String(t.name).split('/').pop()!,
        dueMs: Number(t.scheduleTime?.seconds ?? 0) * 1000 + Math.round((t.scheduleTime?.nanos ?? 0) / 1e6),
      }))
      .filter((t) => t.id.includes(planId))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async function unlinkedPlan(sessions: Map<string, Session>) {
    sequence++;
    const name = `recordings/wait-s${sequence}/r${sequence}.wav`;
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(1500, 3), { resumable: false });
    const deps: RecordingsDeps = {
      plans: new FirestoreRecordingPlans(db),
      blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
      tasks,
      crm: () => {
        throw new Error('no upload while the CRM record is unknown');
      },
      sessions: { getSession: async (id) => sessions.get(id) },
      clock: systemClock,
      bucket: BUCKET,
      partSizeBytes: PART_BYTES,
    };
    const planned = await planRecording(deps, { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in planned)) throw new Error('not planned');
    return { deps, plan: planned.plan };
  }

  it('when the CRM record is not linked yet, then the task answers done and a task for that part exists at the next check time; a repeat adds none', async () => {
    const { deps, plan } = await unlinkedPlan(new Map());
    const task = { planId: plan.id, round: 0, partIndex: 0 };
    const before = new Date();

    expect(await runPartTask(deps, task)).toEqual({ outcome: 'done' });
    expect(await runPartTask(deps, task)).toEqual({ outcome: 'done' });

    const expected = crmRecordCheckAt(plan, before).getTime();
    const scheduled = (await tasksOf(plan.id)).filter((t) => t.id.includes('-at'));
    expect(scheduled).toEqual([{ id: `part-${plan.id}-r0-p0-at${expected / 1000}`, dueMs: expected }]);
    expect(expected - before.getTime()).toBeGreaterThanOrEqual(150_000);
    expect((await db.doc(`recordings/${plan.id}`).get()).data()).toMatchObject({
      status: 'uploading',
      lastFailure: null,
      failure: null,
    });
  });

  it('when a purge task comes before its time, then it answers done and a purge task exists at the purge time', async () => {
    const { deps, plan } = await unlinkedPlan(new Map());

    expect(await runPurgeTask(deps, plan.id)).toEqual({ outcome: 'done' });
    expect(await runPurgeTask(deps, plan.id)).toEqual({ outcome: 'done' });

    const purgeAt = Date.parse(plan.purgeAt);
    const due = Math.ceil(purgeAt / 1000) * 1000;
    expect((await tasksOf(plan.id)).filter((t) => t.id.startsWith('purge-'))).toEqual([
      { id: `purge-${plan.id}`, dueMs: purgeAt },
      { id: `purge-${plan.id}-at${due / 1000}`, dueMs: due },
    ]);
    expect((await db.doc(`recordings/${plan.id}`).get()).data()?.status).toBe('uploading');
  });
});

describe('an empty recording', () => {
  it('when a 0-byte recording is announced, then it is recorded as empty, never uploaded, and the object is deleted at once', async () => {
    sequence++;
    const name = `recordings/empty-s${sequence}/r${sequence}.wav`;
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(0), { resumable: false });
    const w = { asked: [] as string[] };
    const deps: RecordingsDeps = {
      plans: new FirestoreRecordingPlans(db),
      blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
      tasks: {
        enqueuePlanning: async () => undefined,
        enqueuePartUpload: async (id) => void w.asked.push(`part ${id}`),
        schedulePartUpload: async (id) => void w.asked.push(`part later ${id}`),
        schedulePurge: async (id) => void w.asked.push(`purge ${id}`),
        schedulePurgeAgain: async (id) => void w.asked.push(`purge again ${id}`),
      },
      crm: () => {
        throw new Error('nothing to send');
      },
      sessions: { getSession: async () => undefined },
      clock: systemClock,
      bucket: BUCKET,
      partSizeBytes: PART_BYTES,
    };

    const first = await planRecording(deps, { bucket: BUCKET, name, source: 'bucket' });
    const again = await planRecording(deps, { bucket: BUCKET, name, source: 'sweep' });

    if (!('plan' in first)) throw new Error('not planned');
    expect([first.outcome, again.outcome]).toEqual(['created', 'gone']);
    expect((await db.doc(`recordings/${first.plan.id}`).get()).data()).toMatchObject({
      status: 'empty',
      parts: [],
      deletedAt: expect.any(String),
    });
    expect((await gcs.bucket(BUCKET).file(name).exists())[0]).toBe(false);
    expect(w.asked).toEqual([]);
    const listed = await new FirestoreRecordingPlans(db).withStatus('empty', 100);
    expect(listed.map((p) => p.id)).toContain(first.plan.id);
  });
});

describe('a redacted call whose recording comes before the call is known', () => {
  it('when the recording is planned before its session is named, then the CRM copy still says which spans were paused', async () => {
    sequence++;
    const sessionId = `heal-redacted-s${sequence}`;
    // A name that says nothing of the call: the platform names it later.
    const name = `unsorted/r${sequence}.wav`;
    await gcs
      .bucket(BUCKET)
      .file(name)
      .save(Buffer.alloc(PART_BYTES - 100, 5), { resumable: false });
    const [metadata] = await gcs.bucket(BUCKET).file(name).getMetadata();
    const generation = String(metadata.generation);
    const clock = new Clock(Date.parse(String(metadata.timeCreated)) + 1000);
    const queue = new RetryingQueue(clock);
    const start = new Date(clock.ms - 10 * 60_000);
    const redactions = [
      settleRequest(
        newRequest({
          id: `redact-a-${sequence}`,
          sessionId,
          kind: 'call',
          action: 'redact',
          agentId: 'ava',
          clientRequestId: 'r-a',
          now: start,
        }),
        { state: 'answered', result: { type: 'redaction', resumedBy: 'ava' } },
        new Date(start.getTime() + 60_000),
      ).request,
      newRequest({
        id: `redact-b-${sequence}`,
        sessionId,
        kind: 'call',
        action: 'redact',
        agentId: 'ava',
        clientRequestId: 'r-b',
        now: new Date(start.getTime() + 120_000),
      }),
    ];
    const endedAt = new Date(start.getTime() + 180_000).toISOString();
    const call = { crm: { system: 'salesforce', recordId: CASE_ID }, endedAt } as unknown as Session;
    const deps: RecordingsDeps = {
      plans: new FirestoreRecordingPlans(db),
      blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
      tasks: queue,
      crm: () =>
        new SalesforceCrm(
          {
            loginUrl: salesforce.url,
            clientId: CLIENT_ID,
            username: USERNAME,
            privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            apiVersion: '62.0',
          },
          systemClock,
        ),
      sessions: { getSession: async (id) => (id === sessionId ? call : undefined) },
      redactions: { list: async (id) => (id === sessionId ? redactions : []) },
      clock,
      bucket: BUCKET,
      partSizeBytes: PART_BYTES,
    };
    queue.deps = deps;
    const planId = planIdFor({ bucket: BUCKET, name, generation });

    await planRecording(deps, { bucket: BUCKET, name, generation, source: 'bucket' });
    expect((await db.doc(`recordings/${planId}`).get()).data()).toMatchObject({ sessionId: null, crm: null });
    await planRecording(deps, { bucket: BUCKET, name, generation, sessionId, source: 'platform' });
    await queue.drain();

    const files = salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));
    const expected = describePausedSpans(pausedSpans(redactions, endedAt));
    expect(expected).toMatch(/^Recording paused for redaction \(2 spans, UTC\)/);
    expect(files.map((f) => f.Description)).toEqual([expected]);
    expect((await db.doc(`recordings/${planId}`).get()).data()).toMatchObject({
      status: 'deleted',
      crmDescription: expected,
    });
  }, 60_000);
});
