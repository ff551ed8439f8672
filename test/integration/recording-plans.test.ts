import { DocumentReference, Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FirestoreRecordingPlans } from '../../functions/src/adapters/firestore/recording-plans.js';
import { GcsRecordingBlobs } from '../../functions/src/adapters/storage/recording-blobs.js';
import type { RecordingsDeps } from '../../functions/src/app/recordings/deps.js';
import { planRecording } from '../../functions/src/app/recordings/plan-recording.js';
import {
  withClaim,
  withFailedAttempt,
  withPartUploaded,
  type RecordingPlan,
} from '../../functions/src/domain/recordings/plan.js';
import type { Session } from '../../functions/src/domain/sessions/session.js';
import { configureLogs } from '../../functions/src/log.js';
import { startStorageServer, type StorageServer } from '../../local-servers/storage.js';

/** Plan once (REC-1), on the Firestore emulator with our Storage server behind the real client. */
const PROJECT = 'demo-switchboard-recording-plans';
const BUCKET = 'plans-recordings';
let storage: StorageServer;
let db: Firestore;
let gcs: Storage;
const asked: string[] = [];

function deps(): RecordingsDeps {
  return {
    plans: new FirestoreRecordingPlans(db),
    blobs: new GcsRecordingBlobs({ projectId: PROJECT, apiEndpoint: storage.url }),
    tasks: {
      enqueuePlanning: async () => undefined,
      enqueuePartUpload: async (planId, round, part) => void asked.push(`part ${planId} ${round} ${part}`),
      schedulePartUpload: async (planId, round, part, at) =>
        void asked.push(`part ${planId} ${round} ${part} at ${at.toISOString()}`),
      schedulePurgeAgain: async (planId, at) => void asked.push(`purge again ${planId} ${at.toISOString()}`),
      schedulePurge: async (planId, at) => void asked.push(`purge ${planId} ${at.toISOString()}`),
    },
    crm: () => {
      throw new Error('no CRM in planning');
    },
    sessions: {
      getSession: async (id) =>
        id === 's-linked'
          ? ({ crm: { system: 'salesforce', recordId: '500000000000001AAA' } } as unknown as Session)
          : undefined,
    },
    clock: { now: () => new Date() },
    bucket: BUCKET,
    partSizeBytes: 1000,
  };
}

beforeAll(async () => {
  configureLogs({ sink: () => {} });
  storage = await startStorageServer();
  db = new Firestore({ projectId: PROJECT });
  gcs = new Storage({ apiEndpoint: storage.url, projectId: PROJECT });
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await db.terminate();
  await storage.close();
});

describe('planning a recording', () => {
  it('when the bucket and the platform announce a recording six times at once, then one plan is made, and its tasks asked for', async () => {
    const name = 'recordings/s-linked/r-1.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(2500, 7), { resumable: false });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        planRecording(
          deps(),
          i % 2
            ? { bucket: BUCKET, name, source: 'bucket', generation: undefined }
            : { bucket: BUCKET, name, sessionId: 's-linked', recordingId: 'r-1', source: 'platform' },
        ),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'existing')).toHaveLength(5);
    const plan = outcomes.find((o) => o.outcome === 'created')!;
    if (!('plan' in plan)) throw new Error('no plan');
    const stored = (await db.doc(`recordings/${plan.plan.id}`).get()).data()!;
    expect(stored.parts.map((p: { sizeBytes: number }) => p.sizeBytes)).toEqual([1000, 1000, 500]);
    expect([stored.sessionId, stored.recordingId, stored.crm?.recordId]).toEqual([
      's-linked',
      'r-1',
      '500000000000001AAA',
    ]);
    expect(new Set(asked.filter((a) => a.startsWith(`part ${plan.plan.id}`)))).toEqual(
      new Set([`part ${plan.plan.id} 0 0`]),
    );
  });

  it('when the object is not in the recordings bucket, or its generation is gone, then nothing is planned', async () => {
    expect(
      (await planRecording(deps(), { bucket: 'elsewhere', name: 'x.wav', source: 'bucket' })).outcome,
    ).toBe('not_a_recording');
    const name = 'recordings/s-2/r-2.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(10), { resumable: false });
    const [first] = await gcs.bucket(BUCKET).file(name).getMetadata();
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(20), { resumable: false });
    const stale = await planRecording(deps(), {
      bucket: BUCKET,
      name,
      generation: String(first.generation),
      source: 'bucket',
    });
    expect(stale.outcome).toBe('gone');
  });

  it('when two writers change one plan at once, then both changes are kept', async () => {
    const name = 'recordings/s-3/r-3.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(3000, 1), { resumable: false });
    const made = await planRecording(deps(), { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in made)) throw new Error('no plan');
    const plans = new FirestoreRecordingPlans(db);
    const now = new Date();
    await Promise.all([
      plans.update(made.plan.id, (p) =>
        withPartUploaded(
          p,
          0,
          { contentVersionId: '068A', outcome: 'uploaded', md5Base64: 'AAAAAAAAAAAAAAAAAAAAAA==' },
          now,
        ),
      ),
      plans.update(made.plan.id, (p) =>
        withFailedAttempt(p, { partIndex: 1, kind: 'not_acknowledged', reason: 'timeout' }, 'retry', now),
      ),
    ]);
    const after = (await plans.get(made.plan.id))!;
    expect(after.parts[0]!.uploaded?.contentVersionId).toBe('068A');
    expect(after.lastFailure?.reason).toBe('timeout');
  });

  it('when the instance that last read or wrote a plan changes it again, then it writes without reading it first, and a change by another writer in between is kept', async () => {
    const name = 'recordings/s-4/r-4.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(3000, 2), { resumable: false });
    const made = await planRecording(deps(), { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in made)) throw new Error('no plan');
    const worker = new FirestoreRecordingPlans(db);
    const other = new FirestoreRecordingPlans(db);
    const me = { task: 'r0-p0', attempt: 'a-1' };
    const acknowledge = (index: number) => (p: RecordingPlan) =>
      withPartUploaded(
        p,
        index,
        { contentVersionId: `068${index}`, outcome: 'uploaded', md5Base64: 'AAAAAAAAAAAAAAAAAAAAAA==' },
        new Date(),
        { me, sendingNext: index + 1 },
      );
    const reads = vi.spyOn(DocumentReference.prototype, 'get');
    try {
      await worker.get(made.plan.id);
      expect((await worker.update(made.plan.id, (p) => withClaim(p, me, new Date())))?.written).toBe(true);
      expect((await worker.update(made.plan.id, acknowledge(0)))?.written).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);

      await other.update(made.plan.id, (p) =>
        withFailedAttempt(
          p,
          { partIndex: 2, kind: 'not_acknowledged', reason: 'timeout' },
          'retry',
          new Date(),
        ),
      );
      const reread = reads.mock.calls.length;
      const after = await worker.update(made.plan.id, acknowledge(1));
      expect(after?.written).toBe(true);
      expect(reads.mock.calls.length).toBe(reread + 1);
    } finally {
      reads.mockRestore();
    }
    const stored = (await db.doc(`recordings/${made.plan.id}`).get()).data() as RecordingPlan;
    expect(stored.parts.map((p) => p.uploaded?.contentVersionId ?? null)).toEqual(['0680', '0681', null]);
    expect(stored.parts[2]!.inFlight?.attempt).toBe('a-1');
    expect(stored.lastFailure?.reason).toBe('timeout');
    expect(stored.worker?.attempt).toBe('a-1');
  });

  it('when a change does not apply to the version an instance kept, then it is decided again on what is stored', async () => {
    const name = 'recordings/s-5/r-5.wav';
    await gcs.bucket(BUCKET).file(name).save(Buffer.alloc(3000, 3), { resumable: false });
    const made = await planRecording(deps(), { bucket: BUCKET, name, source: 'bucket' });
    if (!('plan' in made)) throw new Error('no plan');
    const worker = new FirestoreRecordingPlans(db);
    await worker.get(made.plan.id);
    await new FirestoreRecordingPlans(db).update(made.plan.id, (p) =>
      withFailedAttempt(
        p,
        { partIndex: 0, kind: 'not_acknowledged', reason: 'timeout' },
        'retry',
        new Date(),
      ),
    );
    // Applies only once a failure is recorded, which the kept version does not show.
    const cleared = await worker.update(made.plan.id, (p) =>
      p.lastFailure ? { ...p, lastFailure: null } : undefined,
    );
    expect(cleared?.written).toBe(true);
    expect((await db.doc(`recordings/${made.plan.id}`).get()).data()?.lastFailure).toBeNull();
  });
});
