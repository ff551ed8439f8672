import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { FirestoreBucketScanCursors } from '../../functions/src/adapters/firestore/recording-sweep.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import {
  SWEEP_LIMITS,
  sweep,
  type SweepDeps,
  type SweepLimits,
  type SweepSummary,
} from '../../functions/src/app/recordings/sweep.js';
import {
  PART_SIZE_BYTES,
  newPlan,
  planIdFor,
  withDeleted,
  withFailedAttempt,
  withPartUploaded,
  withPurged,
  type RecordingPlan,
} from '../../functions/src/domain/recordings/plan.js';
import { configureLogs } from '../../functions/src/log.js';
import type { ListFrom, RecordingBlobs, RecordingPlans } from '../../functions/src/ports/recordings.js';
import {
  startStorageServer,
  type StorageServer,
  type StoredObjectMetadata,
} from '../../local-servers/storage.js';

/**
 * The hourly sweep (REC-3's safety net) against the Firestore emulator and our Storage server behind
 * the real client: a step that fails does not stop it, it is bounded by time and work, and the next
 * sweep goes on where it stopped; with 50,000 objects in the bucket, the sweeps the schedule runs
 * purge and record everything overdue and delete nothing that is not due.
 */
const PROJECT = 'demo-switchboard-recording-sweep';
const NOW = new Date('2026-11-20T12:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const MD5 = 'AAAAAAAAAAAAAAAAAAAAAA==';

let storage: StorageServer;
let gcs: Storage;
const databases: Firestore[] = [];
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  configureLogs({ sink: (line) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  storage = await startStorageServer();
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.terminate()));
  await storage?.close();
});

/** Counts the plan documents read: one per document a get, an update or a batched read looks at. */
class CountingPlans implements RecordingPlans {
  documentsRead = 0;
  constructor(private readonly inner: RecordingPlans) {}
  create(plan: RecordingPlan) {
    return this.inner.create(plan);
  }
  get(planId: string) {
    this.documentsRead++;
    return this.inner.get(planId);
  }
  getMany(planIds: readonly string[]) {
    this.documentsRead += planIds.length;
    return this.inner.getMany(planIds);
  }
  update(planId: string, change: (plan: RecordingPlan) => RecordingPlan | undefined) {
    this.documentsRead++;
    return this.inner.update(planId, change);
  }
  withStatus(...args: Parameters<RecordingPlans['withStatus']>) {
    return this.inner.withStatus(...args);
  }
  async overdue(...args: Parameters<RecordingPlans['overdue']>) {
    const found = await this.inner.overdue(...args);
    this.documentsRead += Math.max(1, found.length);
    return found;
  }
}

interface World {
  bucket: string;
  db: Firestore;
  plans: CountingPlans;
  deps: SweepDeps;
  tasks: string[];
  listings: (ListFrom | undefined)[];
  seed(objects: { name: string; ageMs: number }[]): Promise<StoredObjectMetadata[]>;
  alive(): Promise<Set<string>>;
}

/** A bucket and a database of their own; `wrap` lets a test put faults between the sweep and them. */
async function world(
  name: string,
  options: {
    pageSize?: number;
    wrapBlobs?: (inner: RecordingBlobs) => RecordingBlobs;
    wrapPlans?: (inner: RecordingPlans) => RecordingPlans;
    monotonicMs?: () => number;
  } = {},
): Promise<World> {
  const bucket = `sweep-${name}`;
  await gcs.createBucket(bucket);
  const db = new Firestore({ projectId: PROJECT, databaseId: `sweep-${name}` });
  databases.push(db);
  const plans = new CountingPlans(new FirestoreRecordingPlans(db));
  const listings: (ListFrom | undefined)[] = [];
  const gcsBlobs = new GcsRecordingBlobs({
    projectId: PROJECT,
    apiEndpoint: storage.url,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const listed: RecordingBlobs = {
    stat: (...a) => gcsBlobs.stat(...a),
    read: (...a) => gcsBlobs.read(...a),
    delete: (...a) => gcsBlobs.delete(...a),
    list: (b, prefix, from) => {
      listings.push(from);
      return gcsBlobs.list(b, prefix, from);
    },
  };
  const tasks: string[] = [];
  const deps: SweepDeps = {
    plans: options.wrapPlans ? options.wrapPlans(plans) : plans,
    blobs: options.wrapBlobs ? options.wrapBlobs(listed) : listed,
    tasks: {
      enqueuePlanning: async () => undefined,
      enqueuePartUpload: async (planId, round, part) => void tasks.push(`part ${planId} ${round} ${part}`),
      schedulePurge: async (planId) => void tasks.push(`purge ${planId}`),
      schedulePartUpload: async (planId, round, part) => void tasks.push(`part ${planId} ${round} ${part}`),
      schedulePurgeAgain: async (planId) => void tasks.push(`purge ${planId}`),
    },
    sessions: { getSession: async () => undefined },
    clock: { now: () => NOW },
    bucket,
    partSizeBytes: PART_SIZE_BYTES,
    scanCursors: new FirestoreBucketScanCursors(db),
    monotonicMs: options.monotonicMs ?? (() => performance.now()),
  };
  return {
    bucket,
    db,
    plans,
    deps,
    tasks,
    listings,
    seed: (objects) =>
      storage.seedObjects(
        bucket,
        objects.map((o) => ({ name: o.name, data: 'x', timeCreated: new Date(NOW.getTime() - o.ageMs) })),
      ),
    async alive() {
      const [files] = await gcs.bucket(bucket).getFiles();
      return new Set(files.map((f) => f.name));
    },
  };
}

/** The plan the pipeline would have made for a seeded object, as it stands after `change`. */
function planOf(
  bucket: string,
  object: StoredObjectMetadata,
  change: (plan: RecordingPlan) => RecordingPlan = (p) => p,
): RecordingPlan {
  const created = new Date(object.timeCreated);
  const plan = newPlan(
    {
      object: { bucket, name: object.name, generation: object.generation, sizeBytes: 2 * PART_SIZE_BYTES },
      objectCreatedAt: created,
      sessionId: 's-1',
      recordingId: 'r-1',
      crm: { system: 'salesforce', recordId: '500000000000001AAA' },
      partSizeBytes: PART_SIZE_BYTES,
    },
    new Date(created.getTime() + MINUTE),
  );
  return change(plan);
}

const acknowledge = (plan: RecordingPlan, index: number) =>
  withPartUploaded(
    plan,
    index,
    { contentVersionId: `0680000000000${index}AAA`, outcome: 'uploaded', md5Base64: MD5 },
    new Date(Date.parse(plan.plannedAt) + MINUTE),
  )!;
const failed = (plan: RecordingPlan) =>
  withFailedAttempt(
    plan,
    { partIndex: 0, kind: 'record_deleted', reason: 'x' },
    'permanent',
    new Date(plan.plannedAt),
  )!;

async function storePlans(db: Firestore, plans: RecordingPlan[]) {
  const writer = db.bulkWriter();
  for (const plan of plans) void writer.create(db.collection('recordings').doc(plan.id), plan);
  await writer.close();
}

async function storedPlan(db: Firestore, id: string) {
  return (await db.collection('recordings').doc(id).get()).data() as RecordingPlan | undefined;
}

describe('a sweep that meets a failure', () => {
  it('when one overdue recording cannot be deleted and another plan cannot be written, then the sweep logs and counts both and purges the rest; the next sweep purges them', async () => {
    const faults = { deleteFails: 'recordings/s-2/undeletable.wav', updateFailsFor: '' };
    const w = await world('failures', {
      wrapBlobs: (inner) => ({
        ...inner,
        delete: async (bucket, name, generation) => {
          if (name === faults.deleteFails)
            throw Object.assign(new Error(`cannot delete ${name}`), { code: 503 });
          return inner.delete(bucket, name, generation);
        },
      }),
      wrapPlans: (inner) => ({
        create: (p) => inner.create(p),
        get: (id) => inner.get(id),
        getMany: (ids) => inner.getMany(ids),
        withStatus: (...a) => inner.withStatus(...a),
        overdue: (...a) => inner.overdue(...a),
        update: async (id, change) => {
          if (id === faults.updateFailsFor) throw new Error('plan write refused');
          return inner.update(id, change);
        },
      }),
    });
    const names = [
      'recordings/s-1/a.wav',
      faults.deleteFails,
      'recordings/s-3/unwritable.wav',
      'recordings/s-4/b.wav',
      'recordings/s-5/c.wav',
    ];
    const objects = await w.seed(names.map((name) => ({ name, ageMs: 6 * DAY + MINUTE })));
    const plans = objects.map((o) => planOf(w.bucket, o));
    faults.updateFailsFor = plans[2]!.id;
    await storePlans(w.db, plans);
    logLines.length = 0;

    const first = await sweep(w.deps);

    expect(first).toMatchObject({ overduePurged: 3, failures: 2, passFinished: 1 });
    expect([...(await w.alive())].sort()).toEqual([faults.deleteFails]);
    const statuses = await Promise.all(plans.map(async (p) => (await storedPlan(w.db, p.id))?.status));
    expect(statuses).toEqual(['purged', 'uploading', 'uploading', 'purged', 'purged']);
    const failures = logLines.filter((l) => l.event === 'recordings_sweep_step_failed');
    expect(failures.map((l) => [l.planId, l.step, l.error, l.severity]).sort()).toEqual([
      [plans[1]!.id, 'purge', 'Error (503)', 'ERROR'],
      [plans[2]!.id, 'purge', 'Error', 'ERROR'],
    ]);
    // Identifiers and kinds only: not the object's name, nor the error's message that carries it.
    expect(JSON.stringify(failures)).not.toContain('recordings/s-2');
    expect(JSON.stringify(failures)).not.toContain('cannot delete');

    faults.deleteFails = '';
    faults.updateFailsFor = '';
    const second = await sweep(w.deps);
    expect(second).toMatchObject({ overduePurged: 2, failures: 0 });
    expect(await w.alive()).toEqual(new Set());
    for (const p of plans)
      expect(await storedPlan(w.db, p.id)).toMatchObject({ status: 'purged', purge: { reason: 'deadline' } });
  });

  it('when an orphan is due but its record cannot be written, then it stays until a sweep records it, and is never deleted unrecorded', async () => {
    let refuse = true;
    const w = await world('orphan-record', {
      wrapPlans: (inner) => ({
        create: async (p) => {
          if (refuse) throw new Error('plan write refused');
          return inner.create(p);
        },
        get: (id) => inner.get(id),
        getMany: (ids) => inner.getMany(ids),
        withStatus: (...a) => inner.withStatus(...a),
        overdue: (...a) => inner.overdue(...a),
        update: (id, change) => inner.update(id, change),
      }),
    });
    const [orphan] = await w.seed([{ name: 'recordings/s-9/orphan.wav', ageMs: 8 * DAY }]);

    expect(await sweep(w.deps)).toMatchObject({ orphansPurged: 0, failures: 1 });
    expect(await w.alive()).toEqual(new Set([orphan!.name]));

    refuse = false;
    expect(await sweep(w.deps)).toMatchObject({ orphansPurged: 1, failures: 0 });
    expect(await w.alive()).toEqual(new Set());
    expect(await storedPlan(w.db, planIdFor({ ...orphan!, bucket: w.bucket }))).toMatchObject({
      status: 'purged',
      purge: { reason: 'orphaned_object' },
    });
  });
});

describe('a sweep bounded by work and time', () => {
  const names = Array.from({ length: 12 }, (_, i) => `recordings/s-${String(i).padStart(2, '0')}/r.wav`);

  it('when a sweep may list only so many objects, then each sweep goes on after the last object the previous one dealt with, and a finished pass starts over', async () => {
    const w = await world('work-bound', { pageSize: 5 });
    // Young orphans: each is planned the first time a sweep sees it.
    await w.seed(names.map((name) => ({ name, ageMs: DAY })));
    const limits: SweepLimits = { ...SWEEP_LIMITS, maxObjects: 5 };

    const runs: SweepSummary[] = [];
    for (let i = 0; i < 4; i++) runs.push(await sweep(w.deps, limits));

    // A page started after a name holds one object fewer: that name took a place in it.
    expect(runs.map((r) => [r.objectsSeen, r.orphansPlanned, r.passFinished, r.stoppedBy])).toEqual([
      [5, 5, 0, 'work_bound'],
      [7, 7, 1, 'pass_finished'],
      [5, 0, 0, 'work_bound'],
      [7, 0, 1, 'pass_finished'],
    ]);
    expect(w.listings).toEqual([
      undefined,
      { startAfter: names[4] },
      { startAfter: names[8] },
      undefined,
      { startAfter: names[4] },
      { startAfter: names[8] },
    ]);
    // Every object planned once.
    expect(w.tasks.filter((t) => t.startsWith('purge '))).toHaveLength(12);
  });

  it('when a sweep runs out of time, then it starts nothing more, and the next sweep goes on from there', async () => {
    let ms = 0;
    // Each look at the stopwatch finds a minute gone.
    const w = await world('time-bound', { pageSize: 4, monotonicMs: () => (ms += MINUTE) });
    await w.seed(names.map((name) => ({ name, ageMs: DAY })));
    const limits: SweepLimits = { ...SWEEP_LIMITS, timeBudgetMs: 3 * MINUTE };

    const first = await sweep(w.deps, limits);
    const second = await sweep(w.deps, limits);

    // Start, the overdue plans, one page, then out of time before the next page.
    expect([first.objectsSeen, first.stoppedBy]).toEqual([4, 'time_budget']);
    expect([second.objectsSeen, second.stoppedBy]).toEqual([3, 'time_budget']);
    expect(w.listings).toEqual([undefined, { startAfter: names[3] }]);
  });
});

describe('a sweep of 50,000 objects', () => {
  it('when the bucket holds 50,000 objects of every kind, then the sweeps the schedule runs purge and record every overdue one and delete nothing that is not due', async () => {
    const w = await world('fifty-thousand');
    const TOTAL = 50_000;
    // The mix, interleaved through the name order so that every page and every sweep meets each kind.
    const COUNT: Record<string, number> = {
      overdue: 1_000,
      old_orphan: 1_000,
      young_orphan: 500,
      leftover: 500,
      in_progress: 7_000,
    };
    const kinds = Object.entries(COUNT).flatMap(([kind, n]) => Array<string>(n).fill(kind));
    // The rest were just written: the grace period lets their announcements plan them.
    COUNT.fresh = TOTAL - kinds.length;
    kinds.push(...Array<string>(COUNT.fresh).fill('fresh'));
    const kindOf = (i: number) => kinds[(i * 7_919) % TOTAL]!;
    const AGE: Record<string, number> = {
      overdue: 6 * DAY + 30 * MINUTE,
      old_orphan: 8 * DAY,
      young_orphan: 2 * DAY,
      leftover: 3 * DAY,
      fresh: 5 * MINUTE,
      // Minutes short of the purge time: not due, and must stay.
      in_progress: 6 * DAY - 5 * MINUTE,
    };
    const seedStarted = performance.now();
    const objects = await w.seed(
      Array.from({ length: TOTAL }, (_, i) => ({
        name: `recordings/s-${String(i).padStart(5, '0')}/r.wav`,
        ageMs: AGE[kindOf(i)]!,
      })),
    );
    const byKind = new Map<string, StoredObjectMetadata[]>();
    objects.forEach((o, i) => byKind.set(kindOf(i), [...(byKind.get(kindOf(i)) ?? []), o]));
    const plan = (o: StoredObjectMetadata, change?: (p: RecordingPlan) => RecordingPlan) =>
      planOf(w.bucket, o, change);
    const overdueVariants = [
      (p: RecordingPlan) => p,
      (p: RecordingPlan) => acknowledge(p, 0),
      failed,
      (p: RecordingPlan) => acknowledge(acknowledge(p, 0), 1),
    ];
    const overduePlans = byKind.get('overdue')!.map((o, i) => plan(o, overdueVariants[i % 4]));
    const leftoverPlans = byKind
      .get('leftover')!
      .map((o, i) =>
        plan(o, (p) =>
          i % 2
            ? withDeleted(acknowledge(acknowledge(p, 0), 1), new Date(NOW.getTime() - DAY))!
            : withPurged(p, 'deadline', new Date(NOW.getTime() - DAY))!,
        ),
      );
    const inProgressPlans = byKind.get('in_progress')!.map((o, i) => plan(o, i % 3 ? undefined : failed));
    await storePlans(w.db, [...overduePlans, ...leftoverPlans, ...inProgressPlans]);
    const seedMs = performance.now() - seedStarted;

    const sweepsStarted = performance.now();
    const runs: SweepSummary[] = [];
    do runs.push(await sweep(w.deps));
    while (runs.at(-1)!.passFinished === 0 && runs.length < 10);
    const sweepsMs = performance.now() - sweepsStarted;

    // Each sweep ended by itself, within its bounds; together they covered the bucket once.
    expect(runs.map((r) => r.stoppedBy)).toEqual(['work_bound', 'work_bound', 'pass_finished']);
    expect(runs.every((r) => r.failures === 0)).toBe(true);
    const total = (key: keyof SweepSummary) => runs.reduce((n, r) => n + Number(r[key]), 0);
    // The overdue plans were purged before the scan began: it did not meet their objects.
    expect(total('objectsSeen')).toBe(TOTAL - COUNT.overdue!);
    expect(total('overduePurged') + total('overdueDeleted')).toBe(COUNT.overdue);
    expect(total('overdueDeleted')).toBe(COUNT.overdue! / 4);
    expect(total('orphansPurged')).toBe(COUNT.old_orphan);
    expect(total('orphansPlanned')).toBe(COUNT.young_orphan);
    expect(total('leftoversDeleted')).toBe(COUNT.leftover);

    // Nothing younger than due is gone, and nothing due is left.
    const alive = await w.alive();
    const expected = ['fresh', 'young_orphan', 'in_progress'].flatMap((k) =>
      byKind.get(k)!.map((o) => o.name),
    );
    expect(alive.size).toBe(expected.length);
    expect(expected.every((name) => alive.has(name))).toBe(true);

    // Every overdue plan is purged and says so (REC-3, REC-6); those with every part acknowledged
    // are deleted, as REC-1 asks.
    const snapshot = await w.db.collection('recordings').get();
    const stored = new Map(snapshot.docs.map((d) => [d.id, d.data() as RecordingPlan]));
    for (const [i, p] of overduePlans.entries()) {
      const after = stored.get(p.id)!;
      if (i % 4 === 3) expect(after.status).toBe('deleted');
      else
        expect(after).toMatchObject({
          status: 'purged',
          purge: { reason: 'deadline', partsAcknowledged: i % 4 === 1 ? 1 : 0, partCount: 2 },
        });
    }
    for (const o of byKind.get('old_orphan')!)
      expect(stored.get(planIdFor({ ...o, bucket: w.bucket }))).toMatchObject({
        status: 'purged',
        purge: { reason: 'orphaned_object' },
      });
    for (const o of byKind.get('young_orphan')!)
      expect(stored.get(planIdFor({ ...o, bucket: w.bucket }))?.status).toBe('uploading');
    for (const o of byKind.get('fresh')!)
      expect(stored.has(planIdFor({ ...o, bucket: w.bucket }))).toBe(false);
    for (const p of inProgressPlans) expect(stored.get(p.id)).toEqual(p);

    // Fresh objects are decided by their age: no plan of theirs is read.
    expect(total('plansRead')).toBe(TOTAL - COUNT.overdue! - COUNT.fresh);

    // eslint-disable-next-line no-console -- the figures this test is quoted for
    console.log(
      JSON.stringify({
        objects: TOTAL,
        sweeps: runs.length,
        perSweep: runs.map((r) => ({
          objectsSeen: r.objectsSeen,
          plansRead: r.plansRead,
          stoppedBy: r.stoppedBy,
        })),
        planDocumentsRead: w.plans.documentsRead,
        seedSeconds: Math.round(seedMs / 100) / 10,
        sweepsSeconds: Math.round(sweepsMs / 100) / 10,
      }),
    );
  }, 600_000);
});
