import { createHash, generateKeyPairSync } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { FirestoreBucketScanCursors } from '../../functions/src/adapters/firestore/recording-sweep.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import type { RecordingsDeps, TaskAnswer } from '../../functions/src/app/recordings/deps.js';
import { planRecording } from '../../functions/src/app/recordings/plan-recording.js';
import { sweep } from '../../functions/src/app/recordings/sweep.js';
import {
  CONTINUE_FOR_MS,
  runPartTask,
  runPurgeTask,
} from '../../functions/src/app/recordings/upload-tasks.js';
import { RETENTION_MS, planIdFor, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { RecordingBlobs, RecordingPlans, RecordingTasks } from '../../functions/src/ports/recordings.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';
import {
  startSalesforceServer,
  type SalesforceFault,
  type SalesforceServer,
} from '../../local-servers/salesforce.js';

/**
 * REC-1 … REC-6 under failure: at least 200 random fault schedules, each one recording from its
 * announcement to its end, through the real Firestore emulator, our Cloud Storage server with the
 * real client, and jsforce against the Salesforce-compatible server. The queue is a chaotic one
 * of the test's: it delivers tasks at least once, in any order among those due, sometimes twice at
 * once, retries failures after a backoff on a clock the test moves, and can stop for good (a worker
 * that never runs again). Faults: every CRM failure the server can inject, a crash between the CRM's
 * answer and our write, duplicate announcements and deliveries, and clock jumps past the purge time
 * and the deadline. The hourly sweep runs whenever the clock passes an hour.
 *
 * Every recording must end uploaded exactly once, all parts in order, then deleted; or purged with
 * its reason recorded. Never a duplicate, never a delete before the CRM has every part unless the
 * purge time has come, never a recording still here 7 days after it was written.
 */

const SCHEDULES = Number(process.env.FAULT_SCHEDULES ?? 200);
const PART_BYTES = 1000;
const BUCKET = 'faults-recordings';
const PROJECT = 'demo-switchboard-recordings';
const CLIENT_ID = '3MVG9-switchboard-faults';
const USERNAME = 'faults@switchboard.example';
const HOUR = 3_600_000;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let storage: StorageServer;
let salesforce: SalesforceServer;
let db: Firestore;
let gcs: Storage;

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  storage = await startStorageServer();
  salesforce = await startSalesforceServer({
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    clientId: CLIENT_ID,
    username: USERNAME,
    apiLimit: 10_000_000,
  });
  db = new Firestore({ projectId: PROJECT, databaseId: 'recordings-faults' });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await db?.terminate();
  await salesforce?.close();
  await storage?.close();
});

// ------------------------------------------------------------------------------------------------
// The world of one schedule

class Clock {
  constructor(public ms: number) {}
  now = () => new Date(this.ms);
}

interface QueuedTask {
  name: string;
  run: () => Promise<TaskAnswer>;
  notBefore: number;
  attempts: number;
}

/** At-least-once delivery with names deduplicated, as Cloud Tasks does within its window. */
class ChaosQueue implements RecordingTasks {
  readonly tasks = new Map<string, QueuedTask>();
  private readonly seen = new Set<string>();
  stopped = false;
  deps!: RecordingsDeps;
  /** The clock when the attempt being run began. */
  private attemptStartedMs = 0;

  constructor(private readonly clock: Clock) {}

  private add(name: string, notBefore: number, run: () => Promise<TaskAnswer>) {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    this.tasks.set(name, { name, run, notBefore, attempts: 0 });
  }

  async enqueuePlanning(): Promise<void> {
    throw new Error('not used: announcements are made directly');
  }

  async enqueuePartUpload(planId: string, round: number, partIndex: number): Promise<void> {
    this.add(`part-${planId}-r${round}-p${partIndex}`, this.clock.ms, () =>
      runPartTask(this.deps, { planId, round, partIndex }),
    );
  }

  async schedulePartUpload(planId: string, round: number, partIndex: number, at: Date): Promise<void> {
    // A hand-over is a task due at once, under a name of its own.
    if (at.getTime() <= this.clock.ms && this.clock.ms - this.attemptStartedMs >= CONTINUE_FOR_MS)
      count('next part handed to a new task');
    else count('part task scheduled for later');
    this.add(`part-${planId}-r${round}-p${partIndex}-at${at.getTime()}`, at.getTime(), () =>
      runPartTask(this.deps, { planId, round, partIndex }),
    );
  }

  async schedulePurge(planId: string, at: Date): Promise<void> {
    this.add(`purge-${planId}`, at.getTime(), () => runPurgeTask(this.deps, planId));
  }

  async schedulePurgeAgain(planId: string, at: Date): Promise<void> {
    this.add(`purge-${planId}-at${at.getTime()}`, at.getTime(), () => runPurgeTask(this.deps, planId));
  }

  due() {
    return [...this.tasks.values()].filter((t) => t.notBefore <= this.clock.ms);
  }

  /** One attempt; a failure (a retry answer or a throw) is retried with backoff, like RetryConfig. */
  async attempt(task: QueuedTask): Promise<void> {
    task.attempts++;
    this.attemptStartedMs = this.clock.ms;
    let answer: TaskAnswer | 'threw';
    try {
      answer = await task.run();
    } catch {
      answer = 'threw';
    }
    if (answer !== 'threw' && answer.outcome === 'done') {
      this.tasks.delete(task.name);
      return;
    }
    // RetryConfig's doubling from 10 s; capped at 6 h (the real queue caps at 1 h) so that a
    // recording waiting 6 days for a link costs tens of attempts here, not hundreds.
    const backoff = Math.min(6 * HOUR, 10_000 * 2 ** Math.min(task.attempts - 1, 16));
    const asked =
      answer !== 'threw' && answer.retryAfterSeconds !== undefined ? answer.retryAfterSeconds * 1000 : 0;
    task.notBefore = this.clock.ms + Math.max(backoff, asked);
  }
}

/** Crashes the worker between the CRM's answer and the write that records it, when armed. */
class CrashingPlans implements RecordingPlans {
  crashes = 0;
  constructor(
    private readonly inner: RecordingPlans,
    private readonly crashNow: () => boolean,
  ) {}
  create(plan: RecordingPlan) {
    return this.inner.create(plan);
  }
  get(planId: string) {
    return this.inner.get(planId);
  }
  getMany(planIds: readonly string[]) {
    return this.inner.getMany(planIds);
  }
  overdue(...args: Parameters<RecordingPlans['overdue']>) {
    return this.inner.overdue(...args);
  }
  withStatus(status: RecordingPlan['status'], limit: number) {
    return this.inner.withStatus(status, limit);
  }
  update(planId: string, change: (plan: RecordingPlan) => RecordingPlan | undefined) {
    return this.inner.update(planId, (plan) => {
      const next = change(plan);
      const acknowledges =
        next !== undefined &&
        next.parts.filter((p) => p.uploaded).length > plan.parts.filter((p) => p.uploaded).length;
      if (acknowledges && this.crashNow()) {
        this.crashes++;
        throw new Error('worker crashed before recording the CRM answer');
      }
      return next;
    });
  }
}

/** Records every deletion with what the plan said at that moment. */
class WatchedBlobs implements RecordingBlobs {
  readonly deletions: { at: number; plan: RecordingPlan | undefined; result: string }[] = [];
  constructor(
    private readonly inner: RecordingBlobs,
    private readonly clock: Clock,
    private readonly plans: RecordingPlans,
    /** How long each part takes to send, on the test's clock (a slow CRM). */
    private readonly partMs: number,
  ) {}
  stat(bucket: string, name: string) {
    return this.inner.stat(bucket, name);
  }
  read(...args: Parameters<RecordingBlobs['read']>) {
    this.clock.ms += this.partMs;
    return this.inner.read(...args);
  }
  list(...args: Parameters<RecordingBlobs['list']>) {
    return this.inner.list(...args);
  }
  async delete(bucket: string, name: string, generation: string) {
    const plan = await this.plans.get(planIdFor({ bucket, name, generation }));
    const result = await this.inner.delete(bucket, name, generation);
    this.deletions.push({ at: this.clock.ms, plan, result });
    return result;
  }
}

// ------------------------------------------------------------------------------------------------
// Schedules

const CRM_FAULTS: [SalesforceFault, 'any' | 'query' | 'upload'][] = [
  [{ type: 'limit', retryAfterSeconds: 120 }, 'any'],
  [{ type: 'limit' }, 'upload'],
  [{ type: 'expired' }, 'any'],
  [{ type: 'html503' }, 'any'],
  [{ type: 'hang' }, 'upload'],
  [{ type: 'dropAfterStore' }, 'upload'],
  [{ type: 'tooLarge' }, 'upload'],
  [{ type: 'emptyQuery' }, 'query'],
];

interface Schedule {
  sizeBytes: number;
  /** The call is linked to its CRM record before the recording, after it, or never. */
  link: 'before' | 'later' | 'never';
  /** The record is deleted in Salesforce: a permanent failure. */
  recordDeleted: boolean;
  /** Each step: deliver a due task, perhaps twice at once, perhaps after a fault. */
  steps: {
    pick: number;
    twice: boolean;
    crmFault: number | null;
    crash: boolean;
    announceAgain: boolean;
    /** How far the clock moves after the step. */
    advanceMs: number;
  }[];
  /** From this step on, no task is ever delivered again (the queue gave up, the worker is gone). */
  workerGoneAt: number | null;
  /** How long each part takes to send: long enough, and a task hands the next part to a new one. */
  partMs: number;
}

const step = fc.record({
  pick: fc.nat({ max: 1000 }),
  twice: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  crmFault: fc.option(fc.nat({ max: CRM_FAULTS.length - 1 }), { freq: 3 }),
  crash: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  announceAgain: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  advanceMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 60_000 }) },
    { weight: 2, arbitrary: fc.integer({ min: HOUR, max: 2 * HOUR }) },
    // A jump to anywhere up to past the deadline.
    { weight: 1, arbitrary: fc.integer({ min: 5 * 24 * HOUR, max: 8 * 24 * HOUR }) },
  ),
});

const schedule: fc.Arbitrary<Schedule> = fc.record({
  sizeBytes: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 4 * PART_BYTES }),
    fc.constant(3 * PART_BYTES),
  ),
  link: fc.constantFrom('before', 'before', 'before', 'later', 'never'),
  recordDeleted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  steps: fc.array(step, { minLength: 1, maxLength: 25 }),
  workerGoneAt: fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.nat({ max: 20 }) },
  ),
  partMs: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: CONTINUE_FOR_MS / 2, max: CONTINUE_FOR_MS }) },
  ),
});

let scheduleSeq = 0;
/** What the schedules went through, printed at the end: a suite that injected nothing proves nothing. */
const tally: Record<string, number> = {};
const count = (what: string) => (tally[what] = (tally[what] ?? 0) + 1);

async function runSchedule(s: Schedule): Promise<void> {
  scheduleSeq++;
  const sessionId = `faults-s${scheduleSeq}`;
  const caseId = `500${String(scheduleSeq).padStart(15, '0')}`;
  const name = `recordings/${sessionId}/r${scheduleSeq}.wav`;
  const bytes = Buffer.alloc(s.sizeBytes);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + scheduleSeq) & 0xff;
  const [file] = await gcs
    .bucket(BUCKET)
    .file(name)
    .save(bytes, { resumable: false })
    .then(() => [gcs.bucket(BUCKET).file(name)]);
  const [metadata] = await file!.getMetadata();
  const generation = String(metadata.generation);
  const createdAt = Date.parse(String(metadata.timeCreated));
  const planId = planIdFor({ bucket: BUCKET, name, generation });

  const clock = new Clock(createdAt + 1000);
  const sessions = new Map<string, Session>();
  const link = () =>
    sessions.set(sessionId, { crm: { system: 'salesforce', recordId: caseId } } as unknown as Session);
  if (s.link === 'before') link();
  if (s.recordDeleted) salesforce.deleteRecord(caseId);

  let crashArmed = false;
  const queue = new ChaosQueue(clock);
  const plans = new CrashingPlans(new FirestoreRecordingPlans(db), () => {
    const now = crashArmed;
    crashArmed = false;
    return now;
  });
  const blobs = new WatchedBlobs(
    new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
    clock,
    plans,
    s.partMs,
  );
  const crm = new SalesforceCrm(
    {
      loginUrl: salesforce.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
      requestTimeoutMs: 250,
    },
    // Salesforce keeps real time: the schedule's clock jumps days ahead, a JWT must not.
    systemClock,
  );
  const deps: RecordingsDeps = {
    plans,
    blobs,
    tasks: queue,
    crm: () => crm,
    sessions: { getSession: async (id) => sessions.get(id) },
    clock,
    bucket: BUCKET,
    partSizeBytes: PART_BYTES,
  };
  queue.deps = deps;
  const scanCursors = new FirestoreBucketScanCursors(db);

  const announce = (source: 'bucket' | 'platform') =>
    planRecording(deps, {
      bucket: BUCKET,
      name,
      ...(source === 'bucket' ? { generation } : { sessionId, recordingId: `r${scheduleSeq}` }),
      source,
    });
  const stillHere = async () => (await file!.exists())[0];
  /** REC-3, checked whenever the clock moves: nothing is here 7 days after it was written. */
  const checkRetention = async () => {
    if (clock.ms >= createdAt + RETENTION_MS) expect(await stillHere(), 'kept past 7 days').toBe(false);
  };
  let lastSweepHour = Math.floor(clock.ms / HOUR);
  const advance = async (ms: number) => {
    clock.ms += ms;
    const hour = Math.floor(clock.ms / HOUR);
    if (hour > lastSweepHour) {
      lastSweepHour = hour;
      await sweep({ ...deps, scanCursors, monotonicMs: () => performance.now() });
    }
    await checkRetention();
  };

  await announce('bucket');
  for (const [i, st] of s.steps.entries()) {
    if (s.link === 'later' && i === 2) link();
    if (st.announceAgain) await announce(i % 2 ? 'platform' : 'bucket');
    const gone = s.workerGoneAt !== null && i >= s.workerGoneAt;
    const due = queue.due();
    if (!gone && due.length > 0) {
      const task = due[st.pick % due.length]!;
      if (st.crmFault !== null) {
        const [fault, on] = CRM_FAULTS[st.crmFault]!;
        salesforce.failNext(1, fault, on);
        count(`crm fault ${fault.type}`);
      }
      if (st.twice) count('task delivered twice at once');
      crashArmed = st.crash;
      if (st.twice) await Promise.all([queue.attempt(task), queue.attempt({ ...task })]);
      else await queue.attempt(task);
      crashArmed = false;
      salesforce.clearFaults();
    }
    if (st.announceAgain) count('announced again');
    if (clock.ms + st.advanceMs >= createdAt + RETENTION_MS && clock.ms < createdAt + RETENTION_MS)
      count('clock jumped past the deadline');
    await advance(st.advanceMs);
  }
  if (s.workerGoneAt !== null) count('worker gone for good');
  count(`crm record linked ${s.link}`);
  if (s.recordDeleted) count('crm record deleted');
  // Then the world settles: the link arrives if it ever will, tasks run when due (unless the
  // worker is gone), and the clock runs on, hour by hour, to past the deadline.
  if (s.link === 'later') link();
  const end = createdAt + RETENTION_MS + 2 * HOUR;
  for (let guard = 0; guard < 2_000 && clock.ms < end; guard++) {
    const working = s.workerGoneAt === null;
    const due = working ? queue.due() : [];
    if (due.length > 0) {
      await queue.attempt(due[0]!);
      continue;
    }
    const next = working ? Math.min(...[...queue.tasks.values()].map((t) => t.notBefore)) : Infinity;
    // Straight to the next task, with a sweep at least every 12 hours of the clock.
    await advance(Math.max(1000, Math.min(next, end, clock.ms + 12 * HOUR) - clock.ms));
  }

  // --- what must be true of every schedule -------------------------------------------------------
  const plan = (await db.doc(`recordings/${planId}`).get()).data() as RecordingPlan;
  expect(await stillHere()).toBe(false);
  const files = salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));
  const keys = files.map((f) => f.Recording_Part_Key__c);
  expect(new Set(keys).size, 'a part twice in the CRM').toBe(keys.length);
  // In order: part i+1 is created only after part i.
  expect(keys).toEqual(files.map((_, i) => `${planId}:${i}`));
  for (const f of files) {
    const index = Number(f.Recording_Part_Key__c!.split(':').pop());
    const part = bytes.subarray(index * PART_BYTES, (index + 1) * PART_BYTES);
    expect(f.Checksum).toBe(createHash('md5').update(part).digest('hex'));
    expect(f.FirstPublishLocationId).toBe(caseId);
  }
  // Each acknowledged part's MD5 on the plan is that of its bytes, as the CRM holds them.
  for (const p of plan.parts)
    expect(p.md5Base64, `part ${p.index}'s MD5 on the plan`).toBe(
      p.uploaded
        ? createHash('md5')
            .update(bytes.subarray(p.start, p.end + 1))
            .digest('base64')
        : null,
    );
  count(`ended ${plan.status}${plan.purge ? ` (${plan.purge.reason})` : ''}`);
  if (plans.crashes > 0) count('worker crashed after the CRM answered');
  if (plan.parts.some((p) => p.uploaded?.outcome === 'already_there')) count('part found already in the CRM');
  if (s.sizeBytes === 0) {
    // Nothing to send: recorded as empty, never as uploaded, and the object went when it was planned.
    expect(plan.status).toBe('empty');
    expect(files).toHaveLength(0);
  } else if (plan.status === 'deleted') {
    expect(files).toHaveLength(plan.parts.length);
  } else {
    expect(plan.status).toBe('purged');
    expect(plan.purge?.reason).toBe('deadline');
    expect(plan.purge?.partsAcknowledged).toBeLessThan(plan.parts.length);
  }
  // No early delete: each deletion came with every part acknowledged, or at or after the purge time.
  for (const d of blobs.deletions.filter((x) => x.result === 'deleted')) {
    const p = d.plan!;
    const allAcknowledged = p.parts.every((x) => x.uploaded);
    expect(allAcknowledged || d.at >= Date.parse(p.purgeAt), 'deleted early').toBe(true);
  }
}

describe('recordings under random faults', () => {
  it(`when ${SCHEDULES} random fault schedules run, then each recording is uploaded once in order and deleted, or purged by its deadline`, async () => {
    await fc.assert(fc.asyncProperty(schedule, runSchedule), { numRuns: SCHEDULES, endOnFailure: true });
    // eslint-disable-next-line no-console -- the tally is this suite's report of what it injected
    console.log(JSON.stringify({ faultSchedules: SCHEDULES, tally }, null, 1));
    // The schedules did reach every outcome and every kind of fault.
    expect(tally['ended deleted']).toBeGreaterThan(0);
    expect(tally['ended purged (deadline)']).toBeGreaterThan(0);
    expect(tally['worker crashed after the CRM answered']).toBeGreaterThan(0);
    expect(tally['part found already in the CRM']).toBeGreaterThan(0);
    expect(tally['next part handed to a new task']).toBeGreaterThan(0);
  }, 600_000);
});
