import { describe, expect, it } from 'vitest';
import { sweeperFromSchedule } from '../../functions/src/triggers/recordings.js';
import type { RecordingBlobs } from '../../functions/src/ports/recordings.js';
import {
  PART_SIZE_BYTES,
  newPlan,
  withDeleted,
  withFailedAttempt,
  withPartUploaded,
  withPurged,
  type RecordingPlan,
} from '../../functions/src/domain/recordings/plan.js';
import {
  ORPHAN_GRACE_MS,
  needsPlanToDecide,
  stepForSweptObject,
} from '../../functions/src/domain/recordings/sweep.js';

const CREATED = new Date('2026-11-01T10:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Uploads stop and the purge is due 6 days after the object was written. */
const PURGE_TIME = new Date(CREATED.getTime() + 6 * DAY);
const at = (ms: number) => new Date(CREATED.getTime() + ms);
const object = { bucket: 'acme-recordings', name: 'recordings/s-1/r-1.wav', generation: '17' };
const MD5 = 'AAAAAAAAAAAAAAAAAAAAAA==';

function plan(sizeBytes = 2 * PART_SIZE_BYTES): RecordingPlan {
  return newPlan(
    {
      object: { ...object, sizeBytes },
      objectCreatedAt: CREATED,
      sessionId: 's-1',
      recordingId: 'r-1',
      crm: { system: 'salesforce', recordId: '500000000000001AAA' },
      partSizeBytes: PART_SIZE_BYTES,
    },
    at(MINUTE),
  );
}
const acknowledged = (p: RecordingPlan, index: number) =>
  withPartUploaded(
    p,
    index,
    { contentVersionId: `068${index}`, outcome: 'uploaded', md5Base64: MD5 },
    at(MINUTE),
  )!;
const uploaded = () => acknowledged(acknowledged(plan(), 0), 1);

describe('what the sweep does with an object it lists', () => {
  it('when an object is younger than the grace period, then its age decides, with no plan read, and it is left alone', () => {
    expect(needsPlanToDecide(CREATED, at(ORPHAN_GRACE_MS - 1))).toBe(false);
    expect(stepForSweptObject(CREATED, undefined, at(ORPHAN_GRACE_MS - 1))).toEqual({ do: 'leave' });
    expect(stepForSweptObject(CREATED, uploaded(), at(0))).toEqual({ do: 'leave' });
    expect(needsPlanToDecide(CREATED, at(ORPHAN_GRACE_MS))).toBe(true);
  });

  it('when an object has no plan, then it is planned from the grace period until its purge time, and purged as an orphan from then on', () => {
    expect(stepForSweptObject(CREATED, undefined, at(ORPHAN_GRACE_MS))).toEqual({ do: 'plan' });
    expect(stepForSweptObject(CREATED, undefined, new Date(PURGE_TIME.getTime() - 1))).toEqual({
      do: 'plan',
    });
    expect(stepForSweptObject(CREATED, undefined, PURGE_TIME)).toEqual({ do: 'purge_orphan' });
    expect(stepForSweptObject(CREATED, undefined, at(30 * DAY))).toEqual({ do: 'purge_orphan' });
  });

  it('when an object has an unfinished plan, then it is left to its tasks until the purge time, and purged (or deleted, all parts acknowledged) from then on', () => {
    const failed = withFailedAttempt(
      plan(),
      { partIndex: 0, kind: 'x', reason: 'x' },
      'permanent',
      at(MINUTE),
    )!;
    for (const p of [plan(), acknowledged(plan(), 0), failed]) {
      expect(stepForSweptObject(CREATED, p, new Date(PURGE_TIME.getTime() - 1))).toEqual({ do: 'leave' });
      expect(stepForSweptObject(CREATED, p, PURGE_TIME)).toEqual({ do: 'purge' });
    }
    expect(stepForSweptObject(CREATED, uploaded(), new Date(PURGE_TIME.getTime() - 1))).toEqual({
      do: 'leave',
    });
    expect(stepForSweptObject(CREATED, uploaded(), PURGE_TIME)).toEqual({ do: 'delete_uploaded' });
  });

  it('when an object is still here though its plan is finished, then it is deleted again, whatever the time', () => {
    const deleted = withDeleted(uploaded(), at(2 * MINUTE))!;
    const purged = withPurged(plan(), 'deadline', PURGE_TIME)!;
    expect(stepForSweptObject(CREATED, deleted, at(ORPHAN_GRACE_MS))).toEqual({ do: 'delete_leftover' });
    expect(stepForSweptObject(CREATED, purged, at(7 * DAY))).toEqual({ do: 'delete_leftover' });
  });
});

describe('the hourly sweeper', () => {
  it('when the recordings sweep fails, then the voicemails waiting for the CRM are still swept, and the failure is still raised', async () => {
    const looked: Date[] = [];
    const tick = sweeperFromSchedule({
      sweep: () => {
        throw new Error('Firestore unavailable');
      },
      voicemails: () => ({
        outbox: {
          get: async () => undefined,
          update: async () => undefined,
          settle: async () => undefined,
          receivedBy: async (cutoff) => {
            looked.push(cutoff);
            return [];
          },
        },
        blobs: {} as RecordingBlobs,
        tasks: {
          enqueueVoicemailDelivery: async () => undefined,
          scheduleVoicemailPurge: async () => undefined,
        },
        clock: { now: () => at(DAY) },
      }),
    });
    await expect(tick()).rejects.toThrow('Firestore unavailable');
    expect(looked).toHaveLength(1);
  });
});
