import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { SalesforceCrm } from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import type { RecordingsDeps } from '../../functions/src/app/recordings/deps.js';
import { planRecording } from '../../functions/src/app/recordings/plan-recording.js';
import { purge, runPartTask } from '../../functions/src/app/recordings/upload-tasks.js';
import { CLAIM_MS, type RecordingPlan } from '../../functions/src/domain/recordings/plan.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { CrmError, type CrmClient } from '../../functions/src/ports/crm.js';
import type { RecordingBlobs, RecordingPlans } from '../../functions/src/ports/recordings.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';

/**
 * One worker per recording, through the Firestore emulator, our Storage server and jsforce against
 * the Salesforce-compatible server: a worker that dies holding a recording keeps every other task
 * off it until its claim lapses, and then its task's retry takes it over and finishes it, sending
 * nothing twice.
 */
const PROJECT = 'demo-switchboard-worker-claims';
const BUCKET = 'claims-recordings';
const CLIENT_ID = '3MVG9-switchboard-claims';
const USERNAME = 'claims@switchboard.example';
const CASE_ID = '500000000000031AAA';
const PART_BYTES = 1000;
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
  });
  db = new Firestore({ projectId: PROJECT, databaseId: 'worker-claims' });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await db?.terminate();
  await salesforce?.close();
  await storage?.close();
});

/** A worker process that dies as the CRM acknowledges part `at`: its write never happens, nor anything after. */
class DyingPlans implements RecordingPlans {
  dead = false;
  constructor(
    private readonly inner: RecordingPlans,
    private readonly at: number,
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
  withStatus(status: RecordingPlan['status'], limit: number) {
    return this.inner.withStatus(status, limit);
  }
  overdue(...args: Parameters<RecordingPlans['overdue']>) {
    return this.inner.overdue(...args);
  }
  async update(planId: string, change: (plan: RecordingPlan) => RecordingPlan | undefined) {
    const plan = await this.inner.get(planId);
    const next = plan && change(plan);
    if (this.dead || (next && next.parts[this.at]!.uploaded && !plan.parts[this.at]!.uploaded)) {
      this.dead = true;
      return new Promise<never>(() => {});
    }
    return this.inner.update(planId, change);
  }
}

/**
 * A recording of three parts, planned, on a queue that, like Cloud Tasks, refuses a task name it has
 * seen before (for about an hour after its task ran).
 */
async function world(name: string) {
  const bytes = Buffer.alloc(3 * PART_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  await gcs.bucket(BUCKET).file(name).save(bytes, { resumable: false });

  const clock = { ms: Date.now() };
  const crm = new SalesforceCrm(
    {
      loginUrl: salesforce.url,
      clientId: CLIENT_ID,
      username: USERNAME,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      apiVersion: '62.0',
    },
    systemClock,
  );
  const plans = new FirestoreRecordingPlans(db);
  const taskNames = new Set<string>();
  const queue = { enqueued: [] as string[], scheduled: [] as string[], refused: [] as string[] };
  const ask = (task: string, into: string[]) => {
    if (taskNames.has(task)) queue.refused.push(task);
    else {
      taskNames.add(task);
      into.push(task);
    }
  };
  const deps = (planStore: RecordingPlans): RecordingsDeps => ({
    plans: planStore,
    blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
    tasks: {
      enqueuePlanning: async () => undefined,
      enqueuePartUpload: async (_, round, part) => ask(`r${round}-p${part}`, queue.enqueued),
      schedulePurge: async () => undefined,
      schedulePartUpload: async (_, round, part, at) =>
        ask(`r${round}-p${part}-at${Math.ceil(at.getTime() / 1000)}`, queue.scheduled),
      schedulePurgeAgain: async () => undefined,
    },
    crm: () => crm,
    sessions: {
      getSession: async () => ({ crm: { system: 'salesforce', recordId: CASE_ID } }) as unknown as Session,
    },
    clock: { now: () => new Date(clock.ms) },
    bucket: BUCKET,
    partSizeBytes: PART_BYTES,
  });
  const announce = async () => {
    const planned = await planRecording(deps(plans), { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in planned)) throw new Error('not planned');
    return planned.plan.id;
  };
  const planId = await announce();
  queue.enqueued.length = 0;
  const files = () => salesforce.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${planId}:`));
  const expectUploadedOnce = async () => {
    const plan = (await plans.get(planId))!;
    expect(plan.status).toBe('deleted');
    expect(plan.worker).toBeNull();
    expect(files().map((f) => f.Recording_Part_Key__c)).toEqual([0, 1, 2].map((i) => `${planId}:${i}`));
    for (const [i, f] of files().entries())
      expect(f.Checksum).toBe(
        createHash('md5')
          .update(bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES))
          .digest('hex'),
      );
    return plan;
  };
  /** The first delivery of the recording's task, in a process that dies as the CRM acknowledges part `at`. */
  const dieAt = async (at: number) => {
    const dying = new DyingPlans(plans, at);
    void runPartTask(deps(dying), { planId, round: 0, partIndex: 0 });
    // The part after streams while this one's acknowledgement is written: it lands too, unrecorded;
    // the one after that (if any) is read ahead meanwhile.
    const landed = () =>
      dying.dead &&
      files().length === at + 2 &&
      storage.bytesServed(BUCKET, name) === Math.min(at + 3, 3) * PART_BYTES;
    for (let i = 0; i < 400 && !landed(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(landed()).toBe(true);
  };
  return { clock, plans, deps, queue, announce, planId, files, expectUploadedOnce, dieAt };
}

/** The recording is purged (its deadline came) just as the CRM acknowledges its first part. */
class PurgedMeanwhilePlans implements RecordingPlans {
  purged = false;
  constructor(
    private readonly inner: RecordingPlans,
    private readonly purgeNow: (planId: string) => Promise<unknown>,
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
  withStatus(status: RecordingPlan['status'], limit: number) {
    return this.inner.withStatus(status, limit);
  }
  overdue(...args: Parameters<RecordingPlans['overdue']>) {
    return this.inner.overdue(...args);
  }
  async update(planId: string, change: (plan: RecordingPlan) => RecordingPlan | undefined) {
    const plan = await this.inner.get(planId);
    const next = plan && change(plan);
    if (!this.purged && next && next.parts[0]!.uploaded && !plan.parts[0]!.uploaded) {
      this.purged = true;
      await this.purgeNow(planId);
    }
    return this.inner.update(planId, change);
  }
}

describe('a recording purged while its worker sends it', () => {
  it('when the purge comes as a part is acknowledged, then the worker stops there: no later part is sent and no failure is reported', async () => {
    const w = await world('recordings/s-claims/r-3.wav');
    const { planId, plans } = w;
    const lines: string[] = [];
    const purging = new PurgedMeanwhilePlans(plans, async (id) =>
      purge(w.deps(plans), (await plans.get(id))!, 'deadline'),
    );
    configureLogs({ sink: (line) => lines.push(line) });
    try {
      expect(await runPartTask(w.deps(purging), { planId, round: 0, partIndex: 0 })).toEqual({
        outcome: 'done',
      });
    } finally {
      configureLogs({ sink: () => {} });
    }
    expect(purging.purged).toBe(true);
    const plan = (await plans.get(planId))!;
    expect(plan.status).toBe('purged');
    expect(w.files().map((f) => f.Recording_Part_Key__c)).not.toContain(`${planId}:2`);
    expect(lines.filter((l) => l.includes('recording_upload_failed'))).toEqual([]);
    expect(lines.filter((l) => l.includes('recording_purged'))).toHaveLength(1);
  });
});

describe('a worker that dies holding a recording', () => {
  it('when it dies after the CRM stored a part, then other tasks stop, its retry waits for the claim to lapse, then takes over and sends the rest once', async () => {
    const name = 'recordings/s-claims/r-1.wav';
    const w = await world(name);
    const { planId, plans } = w;
    const served = () => storage.bytesServed(BUCKET, name);

    // The first delivery stores part 1 in the CRM and dies before it writes so.
    await w.dieAt(0);
    const servedByTheDead = served();
    const claimUntil = Date.parse((await plans.get(planId))!.worker!.until);

    // Another task (a late announcement's) finds the claim and stops; the task's own retry is
    // done for now, and comes back, as a task of its own, when the claim lapses.
    w.clock.ms += 60_000;
    expect(await runPartTask(w.deps(plans), { planId, round: 0, partIndex: 1 })).toEqual({ outcome: 'done' });
    const retry = await runPartTask(w.deps(plans), { planId, round: 0, partIndex: 0 });
    expect(retry).toEqual({ outcome: 'done' });
    expect(w.queue.scheduled).toEqual([`r0-p0-at${Math.ceil(claimUntil / 1000)}`]);
    expect(claimUntil - (w.clock.ms - 60_000)).toBe(CLAIM_MS);
    expect(served()).toBe(servedByTheDead);
    expect(w.queue.enqueued).toEqual([]);

    // Once the claim has lapsed, the scheduled task takes over: part 1 was in flight, so it is looked up.
    w.clock.ms = claimUntil + 1000;
    const requestsBefore = salesforce.requests().length;
    expect(await runPartTask(w.deps(plans), { planId, round: 0, partIndex: 0 })).toEqual({ outcome: 'done' });
    const plan = await w.expectUploadedOnce();
    expect(plan.parts.map((p) => p.uploaded?.outcome)).toEqual([
      'already_there',
      'already_there',
      'uploaded',
    ]);
    const lookups = salesforce
      .requests()
      .slice(requestsBefore)
      .filter((r) => r.path.endsWith('/query'));
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(plan.crmCalls?.lookups).toBe(lookups.length);
  });

  it("when it dies at a later part and a repeat announcement spent that part's task name meanwhile, then its retry carries on and finishes the upload", async () => {
    const w = await world('recordings/s-claims/r-2.wav');
    const { planId, plans } = w;

    // Part 1 is acknowledged; the worker dies as the CRM acknowledges part 2.
    await w.dieAt(1);
    expect((await plans.get(planId))!.parts.map((p) => !!p.uploaded)).toEqual([true, false, false]);

    // The recording is announced again: a task for part 2, which finds the claim and stops.
    w.clock.ms += 60_000;
    await w.announce();
    expect(w.queue.enqueued).toEqual(['r0-p1']);
    expect(await runPartTask(w.deps(plans), { planId, round: 0, partIndex: 1 })).toEqual({ outcome: 'done' });

    // The dead worker's task is delivered again once its claim has lapsed: part 2's task name is spent.
    w.clock.ms += CLAIM_MS;
    expect(await runPartTask(w.deps(plans), { planId, round: 0, partIndex: 0 })).toEqual({ outcome: 'done' });
    expect(w.queue.refused).toEqual([]);
    await w.expectUploadedOnce();
  });
});

/**
 * What a worker does, in order: reads made (`read <first byte>`, `ahead` when begun at once),
 * reads ended early (`ended <first byte>`), and the CRM's sends and answers of each part.
 */
function watched(deps: RecordingsDeps, answer?: (partIndex: number) => CrmError | undefined) {
  const log: string[] = [];
  const blobs: RecordingBlobs = {
    stat: (...args) => deps.blobs.stat(...args),
    delete: (...args) => deps.blobs.delete(...args),
    list: (...args) => deps.blobs.list(...args),
    read: (bucket, name, generation, range, options) => {
      log.push(`read ${range?.start}${options?.startNow ? ' ahead' : ''}`);
      const stream = deps.blobs.read(bucket, name, generation, range, options) as Readable;
      stream.once('close', () => {
        if (!stream.readableEnded) log.push(`ended ${range?.start}`);
      });
      return stream;
    },
  };
  const crm = (): CrmClient => {
    const inner = deps.crm();
    return {
      uploadPart: async (part) => {
        log.push(`send ${part.partIndex}`);
        const failure = answer?.(part.partIndex);
        if (failure) throw failure;
        const outcome = await inner.uploadPart(part);
        log.push(`answered ${part.partIndex}`);
        return outcome;
      },
    };
  };
  return { log, deps: { ...deps, blobs, crm } };
}

describe('a recording planned', () => {
  it('when its plan is stored, then its upload is asked for without waiting for its purge to be scheduled', async () => {
    const w = await world('recordings/s-asked/r-0.wav');
    const name = 'recordings/s-asked/r-1.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(PART_BYTES), { resumable: false });
    const deps = w.deps(w.plans);
    const asked: string[] = [];
    let uploadAsked: () => void = () => undefined;
    const uploadAskedFor = new Promise<void>((resolve) => (uploadAsked = resolve));
    const tasks = {
      ...deps.tasks,
      // Cloud Tasks may be slow to answer one of the two: the other is not held up by it.
      schedulePurge: async () => {
        await uploadAskedFor;
        asked.push('purge');
      },
      enqueuePartUpload: async (_: string, round: number, part: number) => {
        asked.push(`r${round}-p${part}`);
        uploadAsked();
      },
    };

    const planned = await planRecording({ ...deps, tasks }, { bucket: BUCKET, name, source: 'bucket' });

    expect(planned.outcome).toBe('created');
    expect(asked).toEqual(['r0-p0', 'purge']);
  }, 10_000);
});

describe('a worker reads each part while the one before it is sent', () => {
  it("when parts go one after another, then the next part's read begins as the part before it is sent, and each byte is read once", async () => {
    const name = 'recordings/s-ahead/r-1.wav';
    const w = await world(name);
    const { log, deps } = watched(w.deps(w.plans));

    expect(await runPartTask(deps, { planId: w.planId, round: 0, partIndex: 0 })).toEqual({
      outcome: 'done',
    });

    expect(log).toEqual([
      'read 0',
      'read 1000 ahead',
      'send 0',
      'answered 0',
      'read 2000 ahead',
      'send 1',
      'answered 1',
      'send 2',
      'answered 2',
    ]);
    await w.expectUploadedOnce();
    expect(storage.bytesServed(BUCKET, name)).toBe(3 * PART_BYTES);
  });

  it('when a part fails for good, then the read begun for the next one is ended, and that part is not sent', async () => {
    const w = await world('recordings/s-ahead/r-2.wav');
    const { log, deps } = watched(w.deps(w.plans), (partIndex) =>
      partIndex === 0 ? new CrmError({ kind: 'permanent', reason: 'entity_is_deleted' }) : undefined,
    );

    expect(await runPartTask(deps, { planId: w.planId, round: 0, partIndex: 0 })).toEqual({
      outcome: 'done',
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(log).toContain('ended 1000');
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 0']);
    expect((await w.plans.get(w.planId))?.status).toBe('failed');
  });
});
