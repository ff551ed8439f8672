import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEALING_ATTEMPTS,
  MEGABYTE,
  PART_SIZE_BYTES,
  newPlan,
  nextPartIndex,
  planIdFor,
  purgedOrphan,
  retried,
  splitIntoParts,
  stepForPartTask,
  stepForPurgeTask,
  withCrmRecord,
  withDeleted,
  withFailedAttempt,
  withPartUploaded,
  withPurged,
  withSession,
  crmRecordCheckAt,
  isFinished,
  CLAIM_MS,
  mayBeInCrm,
  withClaim,
  withoutClaim,
  type RecordingPlan,
} from '../../functions/src/domain/recordings/plan.js';

const CREATED = new Date('2026-11-01T10:00:00Z');
const DAY = 86_400_000;
const MD5 = 'AAAAAAAAAAAAAAAAAAAAAA==';
const object = { bucket: 'acme-recordings', name: 'recordings/s-1/r-1.wav', generation: '1700000000000001' };

function plan(sizeBytes: number, overrides: Partial<Parameters<typeof newPlan>[0]> = {}): RecordingPlan {
  return newPlan(
    {
      object: { ...object, sizeBytes },
      objectCreatedAt: CREATED,
      sessionId: 's-1',
      recordingId: 'r-1',
      crm: { system: 'salesforce', recordId: '500000000000001AAA' },
      partSizeBytes: PART_SIZE_BYTES,
      ...overrides,
    },
    new Date(CREATED.getTime() + 60_000),
  );
}

const at = (ms: number) => new Date(CREATED.getTime() + ms);
/** The delivery of an upload task that the steps below are decided for. */
const ME = { task: 'r0-p0', attempt: 'attempt-me' };
const OTHER = { task: 'r0-p0', attempt: 'attempt-other' };
const uploaded = { contentVersionId: '068000000000001AAA', outcome: 'uploaded' as const, md5Base64: MD5 };

describe('parts of 50 MB (10^6 bytes)', () => {
  it('when a recording is 70 MB, then it is two parts of 50 and 20 MB, in order', () => {
    expect(splitIntoParts(70 * MEGABYTE)).toEqual([
      { index: 0, start: 0, end: 50_000_000 - 1, sizeBytes: 50_000_000 },
      { index: 1, start: 50_000_000, end: 70_000_000 - 1, sizeBytes: 20_000_000 },
    ]);
  });

  it('when a recording is 50 MB or less, then it is one part; exactly 100 MB is two full parts', () => {
    expect(splitIntoParts(50 * MEGABYTE)).toHaveLength(1);
    expect(splitIntoParts(1).map((p) => p.sizeBytes)).toEqual([1]);
    expect(splitIntoParts(100 * MEGABYTE).map((p) => p.sizeBytes)).toEqual([50 * MEGABYTE, 50 * MEGABYTE]);
    expect(splitIntoParts(0)).toEqual([]);
  });

  it('when sizes are arbitrary, then parts cover every byte once, in order, none over the part size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 10 }),
        fc.integer({ min: 1, max: 10 ** 8 }),
        (size, smallestPart) => {
          // At most a few thousand parts per run, whatever the size.
          const partSize = Math.max(smallestPart, Math.ceil(size / 1_000));
          const parts = splitIntoParts(size, partSize);
          // Plain checks per part, one assertion per run: thousands of expect() calls a run are slow.
          const wrong: string[] = [];
          let next = 0;
          for (const p of parts) {
            if (p.start !== next) wrong.push(`part ${p.index} starts at ${p.start}, not ${next}`);
            if (p.sizeBytes !== p.end - p.start + 1) wrong.push(`part ${p.index} size is not its range`);
            if (p.sizeBytes <= 0 || p.sizeBytes > partSize)
              wrong.push(`part ${p.index} is ${p.sizeBytes} bytes`);
            next = p.end + 1;
          }
          expect(wrong).toEqual([]);
          expect(next).toBe(size);
        },
      ),
    );
  });

  it('when the size or part size is not a byte count, then planning refuses it', () => {
    expect(() => splitIntoParts(-1)).toThrow(RangeError);
    expect(() => splitIntoParts(1.5)).toThrow(RangeError);
    expect(() => splitIntoParts(10, 0)).toThrow(RangeError);
  });
});

describe('a new plan', () => {
  it('when planned, then it is due for purge after 6 days and gone by 7 days after the object was written', () => {
    const p = plan(70 * MEGABYTE);
    expect(p.deadline).toBe(at(7 * DAY).toISOString());
    expect(p.purgeAt).toBe(at(6 * DAY).toISOString());
    expect(p.parts.map((x) => [x.start, x.sizeBytes, x.md5Base64, x.uploaded])).toEqual([
      [0, 50 * MEGABYTE, null, null],
      [50 * MEGABYTE, 20 * MEGABYTE, null, null],
    ]);
    expect(p.status).toBe('uploading');
    expect(p.fileName).toBe('r-1.wav');
  });

  it('when a part is acknowledged, then its MD5 is on the plan, and only its', () => {
    const after = withPartUploaded(plan(70 * MEGABYTE), 0, uploaded, at(DAY))!;
    expect(after.parts.map((x) => x.md5Base64)).toEqual([MD5, null]);
    expect(after.parts[0]!.uploaded).toEqual({
      contentVersionId: uploaded.contentVersionId,
      outcome: 'uploaded',
      at: at(DAY).toISOString(),
    });
  });

  it('when a recording is empty, then it is recorded as empty, not uploaded: nothing to send, and no task has anything to do', () => {
    const p = plan(0);
    expect(p.status).toBe('empty');
    expect(p.parts).toEqual([]);
    expect(p.deletedAt).toBe(p.plannedAt);
    expect(isFinished(p)).toBe(true);
    expect(stepForPartTask(p, 0, 0, at(DAY), ME)).toEqual({ do: 'nothing', why: 'finished' });
    expect(stepForPurgeTask(p, at(7 * DAY))).toEqual({ do: 'nothing', why: 'finished' });
    expect(withPurged(p, 'deadline', at(7 * DAY))).toBeUndefined();
    expect(withDeleted(p, at(DAY))).toBeUndefined();
  });
});

describe('plan ids', () => {
  it('when the same object is announced twice, then both announcements name the same plan', () => {
    expect(planIdFor(object)).toBe(planIdFor({ ...object }));
    expect(planIdFor(object)).toMatch(/^r-1-[0-9a-f]{16}-1700000000000001$/);
  });

  it('when the bucket, name or generation differ, then the plans differ, and every id is a safe task and document id', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.bigInt({ min: 1n, max: 2n ** 63n }),
        (a, b, gen) => {
          const g = String(gen);
          const idA = planIdFor({ bucket: 'bkt', name: a, generation: g });
          expect(idA).toMatch(/^[A-Za-z0-9-]{1,100}$/);
          if (a !== b) expect(idA).not.toBe(planIdFor({ bucket: 'bkt', name: b, generation: g }));
          expect(idA).not.toBe(planIdFor({ bucket: 'other', name: a, generation: g }));
          expect(idA).not.toBe(planIdFor({ bucket: 'bkt', name: a, generation: `${g}0` }));
        },
      ),
    );
  });
});

describe('what an upload task does', () => {
  const p = plan(120 * MEGABYTE);
  const day = at(DAY);

  it('when it is the next part, then it uploads that part', () => {
    expect(stepForPartTask(p, 0, 0, day, ME)).toEqual({ do: 'upload', part: p.parts[0] });
  });

  it('when its part is already acknowledged (a repeat), then it only asks for the next part', () => {
    const after = withPartUploaded(p, 0, uploaded, day)!;
    expect(stepForPartTask(after, 0, 0, day, ME)).toEqual({ do: 'ask_next', partIndex: 1 });
    expect(stepForPartTask(after, 0, 1, day, ME)).toEqual({ do: 'upload', part: after.parts[1] });
  });

  it('when it is ahead of the next part, then it does nothing: parts go in order', () => {
    expect(stepForPartTask(p, 0, 2, day, ME)).toEqual({ do: 'nothing', why: 'out_of_order' });
  });

  it('when the CRM record is not known yet, then it looks for it before uploading', () => {
    const unlinked = plan(10, { crm: null });
    expect(stepForPartTask(unlinked, 0, 0, day, ME)).toEqual({
      do: 'find_crm_record',
      part: unlinked.parts[0],
    });
    const linked = withCrmRecord(unlinked, { system: 'salesforce', recordId: '500000000000002AAA' }, day)!;
    expect(stepForPartTask(linked, 0, 0, day, ME).do).toBe('upload');
    expect(withCrmRecord(linked, { system: 'salesforce', recordId: 'x' }, day)).toBeUndefined();
  });

  it('when the purge time has come, then it purges instead of uploading', () => {
    expect(stepForPartTask(p, 0, 0, at(6 * DAY), ME)).toEqual({ do: 'purge', reason: 'deadline' });
    expect(stepForPartTask(p, 0, 0, at(6 * DAY - 1), ME).do).toBe('upload');
  });

  it('when every part is acknowledged, then it deletes, even past the purge time', () => {
    let done = p;
    for (const part of p.parts) done = withPartUploaded(done, part.index, uploaded, day)!;
    expect(done.status).toBe('uploaded');
    expect(stepForPartTask(done, 0, 2, day, ME)).toEqual({ do: 'delete' });
    expect(stepForPartTask(done, 0, 0, at(8 * DAY), ME)).toEqual({ do: 'delete' });
    expect(stepForPurgeTask(done, at(6 * DAY))).toEqual({ do: 'delete' });
    expect(withPurged(done, 'deadline', at(6 * DAY))?.status).toBe('deleted');
  });

  it('when the upload failed for good, then tasks do nothing until an admin retries, with a new round', () => {
    const failedPlan = withFailedAttempt(
      p,
      { partIndex: 0, kind: 'permanent', reason: 'entity_is_deleted' },
      'permanent',
      day,
    )!;
    expect(failedPlan.status).toBe('failed');
    expect(failedPlan.failure?.reason).toBe('entity_is_deleted');
    expect(stepForPartTask(failedPlan, 0, 0, day, ME)).toEqual({ do: 'nothing', why: 'failed' });
    const again = retried(failedPlan, day)!;
    expect(again.round).toBe(1);
    expect(stepForPartTask(again, 0, 0, day, ME)).toEqual({ do: 'nothing', why: 'stale_round' });
    expect(stepForPartTask(again, 1, 0, day, ME).do).toBe('upload');
    expect(retried(p, day)).toBeUndefined();
    expect(retried(failedPlan, at(6 * DAY))).toBeUndefined();
  });

  it('when a retryable failure is recorded, then the plan keeps uploading and remembers it', () => {
    const after = withFailedAttempt(
      p,
      { partIndex: 0, kind: 'limit_reached', reason: 'request_limit_exceeded' },
      'retry',
      day,
    )!;
    expect(after.status).toBe('uploading');
    expect(after.lastFailure?.kind).toBe('limit_reached');
    expect(after.failure).toBeNull();
  });

  it('when a failed attempt was refused, then the part is sent next time without a look-up; when its outcome is unknown, then it is looked up', () => {
    const inFlight = withClaim(p, ME, day)!;
    expect(mayBeInCrm(inFlight.parts[0]!, OTHER)).toBe(true);
    const limit = { partIndex: 0, kind: 'limit_reached', reason: 'request_limit_exceeded' };
    const refused = withFailedAttempt(inFlight, limit, 'retry', day, { outcomeKnown: true })!;
    expect(mayBeInCrm(refused.parts[0]!, OTHER)).toBe(false);
    const timeout = { partIndex: 0, kind: 'not_acknowledged', reason: 'timeout' };
    const lost = withFailedAttempt(inFlight, timeout, 'retry', day, { outcomeKnown: false })!;
    expect(mayBeInCrm(lost.parts[0]!, OTHER)).toBe(true);
  });

  it("when a failed attempt made CRM calls, then they are added to the recording's calls", () => {
    const counted = { ...p, crmCalls: { logins: 1, lookups: 0, inserts: 1 } };
    const limit = { partIndex: 0, kind: 'limit_reached', reason: 'request_limit_exceeded' };
    const calls = { logins: 1, lookups: 1, inserts: 1 };
    expect(withFailedAttempt(counted, limit, 'retry', day, { calls })!.crmCalls).toEqual({
      logins: 2,
      lookups: 1,
      inserts: 2,
    });
  });

  it('when a failure may heal, then it is retried until it has failed HEALING_ATTEMPTS times in a row at that part, then it is permanent', () => {
    const blip = { partIndex: 0, kind: 'not_acknowledged', reason: 'invalid_grant' };
    let current = p;
    for (let attempt = 1; attempt < HEALING_ATTEMPTS; attempt++) {
      current = withFailedAttempt(current, blip, 'may_heal', day)!;
      expect(current.status).toBe('uploading');
      expect(current.lastFailure).toMatchObject({ reason: 'invalid_grant', attempts: attempt });
    }
    const gaveUp = withFailedAttempt(current, blip, 'may_heal', day)!;
    expect(gaveUp.status).toBe('failed');
    expect(gaveUp.failure).toMatchObject({
      kind: 'permanent',
      reason: 'invalid_grant',
      attempts: HEALING_ATTEMPTS,
    });
    // An admin's retry starts a fresh budget.
    const again = retried(gaveUp, day)!;
    expect(withFailedAttempt(again, blip, 'may_heal', day)!.lastFailure?.attempts).toBe(1);
  });

  it('when a failure that may heal is interrupted by another reason or another part, then its count starts again', () => {
    const blip = { partIndex: 0, kind: 'not_acknowledged', reason: 'invalid_grant' };
    let current = p;
    for (let attempt = 1; attempt < HEALING_ATTEMPTS; attempt++)
      current = withFailedAttempt(current, blip, 'may_heal', day)!;
    const other = withFailedAttempt(
      current,
      { partIndex: 0, kind: 'not_acknowledged', reason: 'timeout' },
      'retry',
      day,
    )!;
    expect(other.lastFailure?.attempts).toBe(1);
    expect(withFailedAttempt(other, blip, 'may_heal', day)!.status).toBe('uploading');
    const onNextPart = withPartUploaded(current, 0, uploaded, day)!;
    const next = withFailedAttempt(onNextPart, { ...blip, partIndex: 1 }, 'may_heal', day)!;
    expect([next.status, next.lastFailure?.attempts]).toEqual(['uploading', 1]);
  });

  it('when REC-2 failures repeat, then they never use up a budget: only the purge time ends them', () => {
    let current = p;
    for (let attempt = 1; attempt <= 3 * HEALING_ATTEMPTS; attempt++)
      current = withFailedAttempt(
        current,
        { partIndex: 0, kind: 'limit_reached', reason: 'request_limit_exceeded' },
        'retry',
        day,
      )!;
    expect(current.status).toBe('uploading');
    expect(current.lastFailure?.attempts).toBe(3 * HEALING_ATTEMPTS);
  });

  it('when a plan is finished, then no task changes it', () => {
    const purged = withPurged(p, 'deadline', at(6 * DAY))!;
    expect(purged.purge).toEqual({
      at: at(6 * DAY).toISOString(),
      reason: 'deadline',
      partsAcknowledged: 0,
      partCount: 3,
    });
    expect(stepForPartTask(purged, 0, 0, at(6 * DAY), ME)).toEqual({ do: 'nothing', why: 'finished' });
    expect(stepForPurgeTask(purged, at(7 * DAY))).toEqual({ do: 'nothing', why: 'finished' });
    expect(withPartUploaded(purged, 0, uploaded, day)).toBeUndefined();
    expect(withPurged(purged, 'deadline', day)).toBeUndefined();
    expect(withDeleted(purged, day)).toBeUndefined();
  });
});

describe('waiting for the call’s CRM record', () => {
  const MINUTE = 60_000;
  const waiting = plan(10, { crm: null });
  const planned = Date.parse(waiting.plannedAt);

  it('when the record is not linked, then the task looks again on a 5-minute grid for an hour, 30 minutes until 6 hours, then hourly', () => {
    const grid = (ms: number, interval: number) => Math.round(ms / interval) * interval + interval;
    for (const [after, interval] of [
      [0, 5 * MINUTE],
      [59 * MINUTE, 5 * MINUTE],
      [2 * 60 * MINUTE, 30 * MINUTE],
      [7 * 60 * MINUTE, 60 * MINUTE],
    ] as const) {
      const now = planned + after;
      const next = crmRecordCheckAt(waiting, new Date(now)).getTime();
      expect(next).toBe(grid(now, interval));
      expect(next - now).toBeGreaterThanOrEqual(interval / 2);
    }
  });

  it('when tasks wait for the same part at slightly different times (a repeat, clocks that differ), then they ask for the same time', () => {
    const gridLine = Math.ceil((planned + 10 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
    const times = [gridLine - 2000, gridLine, gridLine + 90_000].map((ms) =>
      crmRecordCheckAt(waiting, new Date(ms)).getTime(),
    );
    expect(new Set(times)).toEqual(new Set([gridLine + 5 * MINUTE]));
  });

  it('when the purge time is near, then it looks again at the purge time at the latest', () => {
    const purgeAt = Date.parse(waiting.purgeAt);
    expect(crmRecordCheckAt(waiting, new Date(purgeAt - MINUTE)).getTime()).toBe(purgeAt);
  });
});

describe('one worker per recording', () => {
  const p = plan(120 * MEGABYTE);
  const day = at(DAY);
  const other = { task: 'r0-p1', attempt: 'attempt-other' };
  const retryOfMine = { task: 'r0-p0', attempt: 'attempt-retry' };
  const calls = { logins: 1, lookups: 0, inserts: 1 };

  it('when a worker claims the plan, then another task stops and a second delivery of the same task waits for the claim to lapse', () => {
    const claimed = withClaim(p, ME, day)!;
    expect(claimed.worker).toEqual({ ...ME, until: at(DAY + CLAIM_MS).toISOString() });
    expect(stepForPartTask(claimed, 0, 1, day, other)).toEqual({ do: 'nothing', why: 'another_worker' });
    // Checked before the part index: a retry of the holder's own task must not hand the plan on.
    expect(stepForPartTask(claimed, 0, 0, at(DAY + 1000), retryOfMine)).toEqual({
      do: 'wait_for_claim',
      at: at(DAY + CLAIM_MS),
    });
    expect(withClaim(claimed, other, at(DAY + CLAIM_MS - 1))).toBeUndefined();
    expect(stepForPartTask(claimed, 0, 0, day, ME)).toEqual({ do: 'upload', part: claimed.parts[0] });
  });

  it('when the claim lapses (its worker died), then the next delivery takes the plan over', () => {
    const claimed = withClaim(p, ME, day)!;
    const lapsed = at(DAY + CLAIM_MS);
    expect(stepForPartTask(claimed, 0, 0, lapsed, retryOfMine).do).toBe('upload');
    expect(withClaim(claimed, retryOfMine, lapsed)?.worker?.attempt).toBe('attempt-retry');
  });

  it('when a worker claims the plan, then its next part is marked in flight, and only another attempt looks it up', () => {
    const claimed = withClaim(p, ME, day)!;
    expect(claimed.parts.map((x) => x.inFlight?.attempt ?? null)).toEqual(['attempt-me', null, null]);
    expect(mayBeInCrm(claimed.parts[0]!, ME)).toBe(false);
    expect(mayBeInCrm(claimed.parts[0]!, retryOfMine)).toBe(true);
    expect(mayBeInCrm(p.parts[0]!, retryOfMine)).toBe(false);
    // A new claim keeps the earlier attempt's mark: the part may be in the CRM whoever sends it.
    const takenOver = withClaim(claimed, retryOfMine, at(DAY + CLAIM_MS))!;
    expect(mayBeInCrm(takenOver.parts[0]!, retryOfMine)).toBe(true);
  });

  it('when a part is acknowledged, then the claim is renewed, the next part marked in flight and the CRM calls added, in one change', () => {
    const claimed = withClaim(p, ME, day)!;
    const later = at(DAY + 60_000);
    const after = withPartUploaded(claimed, 0, { ...uploaded, calls }, later, { me: ME, sendingNext: 1 })!;
    expect(after.worker?.until).toBe(at(DAY + 60_000 + CLAIM_MS).toISOString());
    expect(after.parts.map((x) => [!!x.uploaded, x.inFlight?.attempt ?? null])).toEqual([
      [true, null],
      [false, 'attempt-me'],
      [false, null],
    ]);
    expect(after.crmCalls).toEqual(calls);
    const second = withPartUploaded(after, 1, { ...uploaded, calls: { ...calls, logins: 0 } }, later, {
      me: ME,
      release: true,
    })!;
    expect(second.crmCalls).toEqual({ logins: 1, lookups: 0, inserts: 2 });
    // Handing the rest to a new task: the claim goes with the acknowledgement.
    expect(second.worker).toBeNull();
    expect(second.parts[2]!.inFlight).toBeNull();
  });

  it('when a part took longer than the claim and nobody took the plan meanwhile, then its worker keeps it', () => {
    const claimed = withClaim(p, ME, day)!;
    const late = at(DAY + 2 * CLAIM_MS);
    const after = withPartUploaded(claimed, 0, { ...uploaded, calls }, late, { me: ME, sendingNext: 1 })!;
    expect(after.worker).toEqual({ ...ME, until: at(DAY + 3 * CLAIM_MS).toISOString() });
    expect(after.parts[1]!.inFlight?.attempt).toBe('attempt-me');
  });

  it('when the last part is acknowledged, then the claim goes with it', () => {
    let done = withClaim(plan(10), ME, day)!;
    done = withPartUploaded(done, 0, { ...uploaded, calls }, day, { me: ME })!;
    expect([done.status, done.worker]).toEqual(['uploaded', null]);
  });

  it('when a worker that lost its claim reports a part, then the part is recorded and the new holder keeps the plan', () => {
    const claimed = withClaim(p, ME, day)!;
    const takenOver = withClaim(claimed, other, at(DAY + CLAIM_MS))!;
    const late = withPartUploaded(takenOver, 0, { ...uploaded, calls }, at(DAY + CLAIM_MS), {
      me: ME,
      sendingNext: 1,
    })!;
    expect(late.parts[0]!.uploaded).not.toBeNull();
    expect(late.worker?.attempt).toBe('attempt-other');
    expect(late.parts[1]!.inFlight).toBeNull();
    // A repeat of the acknowledgement by someone without the claim changes nothing, calls included.
    expect(withPartUploaded(late, 0, { ...uploaded, calls }, day, { me: ME })).toBeUndefined();
  });

  it('when a worker lets go, then only its own claim goes; an admin retry clears any', () => {
    const claimed = withClaim(p, ME, day)!;
    expect(withoutClaim(claimed, other, day)).toBeUndefined();
    expect(withoutClaim(claimed, ME, day)?.worker).toBeNull();
    const failedPlan = withFailedAttempt(
      claimed,
      { partIndex: 0, kind: 'permanent', reason: 'x' },
      'permanent',
      day,
    )!;
    expect(retried(failedPlan, day)?.worker).toBeNull();
  });
});

describe('the purge task', () => {
  it('when delivered early, then it comes back at the purge time, at least a minute on, at a whole second; when due, it purges', () => {
    const p = plan(10);
    expect(stepForPurgeTask(p, at(2 * DAY))).toEqual({ do: 'wait', at: at(6 * DAY) });
    expect(stepForPurgeTask(p, at(6 * DAY - 1500))).toEqual({ do: 'wait', at: at(6 * DAY + 59_000) });
    expect(stepForPurgeTask(p, at(6 * DAY))).toEqual({ do: 'purge' });
  });

  it('when an orphaned object is purged, then the record says why', () => {
    const record = purgedOrphan({ ...object, sizeBytes: 1234 }, CREATED, at(6 * DAY));
    expect(record).toMatchObject({ id: planIdFor(object), status: 'purged', object: { sizeBytes: 1234 } });
    expect(record.purge?.reason).toBe('orphaned_object');
  });
});

describe('the platform event after the bucket event', () => {
  it('when the session was unknown, then the event fills it in; a repeat changes nothing', () => {
    const p = plan(10, { sessionId: null, recordingId: null });
    const known = withSession(p, { sessionId: 's-9', recordingId: 'r-9' }, at(DAY))!;
    expect([known.sessionId, known.recordingId]).toEqual(['s-9', 'r-9']);
    expect(withSession(known, { sessionId: 's-9', recordingId: 'r-9' }, at(DAY))).toBeUndefined();
  });
});

describe('any delivery order of upload tasks', () => {
  it('when tasks arrive late, repeated and out of order, then parts are acknowledged once each, in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 60 }),
        (partCount, deliveries) => {
          let p = plan(partCount * 10, { partSizeBytes: 10 });
          const sent: number[] = [];
          const asked = new Set<number>([0]);
          // Deliver any asked-for task, or a random stale one; then drain the asked ones in order.
          for (const d of [...deliveries, ...Array.from({ length: partCount + 1 }, (_, i) => i)]) {
            const index = asked.has(d) ? d : Math.min(d, partCount);
            const step = stepForPartTask(p, 0, index, at(DAY), ME);
            if (step.do === 'upload') {
              sent.push(step.part.index);
              p = withPartUploaded(p, step.part.index, uploaded, at(DAY))!;
              asked.add(nextPartIndex(p));
            } else if (step.do === 'ask_next') asked.add(step.partIndex);
            else if (step.do === 'delete') p = withDeleted(p, at(DAY))!;
          }
          expect(sent).toEqual(Array.from({ length: partCount }, (_, i) => i));
          expect(p.status).toBe('deleted');
        },
      ),
    );
  });
});
