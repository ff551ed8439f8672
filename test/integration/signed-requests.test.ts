import { Timestamp } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FirestoreSignedRequestLedger,
  SIGNED_REQUESTS,
} from '../../functions/src/adapters/firestore/signed-requests.js';
import { testFirestore, testProjectId } from '../support/projects.js';

const projectId = testProjectId('signed');
/** Two clients stand for two function instances receiving copies of one request. */
const instances = [testFirestore(projectId), testFirestore(projectId)];
const ledgers = instances.map((db) => new FirestoreSignedRequestLedger(db));

afterAll(() => Promise.all(instances.map((db) => db.terminate())));

describe('the signed-request ledger on the Firestore emulator', () => {
  it('when copies of one request are claimed at once on two instances, then exactly one claim wins', async () => {
    const expiresAt = new Date('2026-11-22T10:05:01Z');
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledgers[i % 2]!.claim('a'.repeat(64), expiresAt)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const stored = await instances[0]!.collection(SIGNED_REQUESTS).doc('a'.repeat(64)).get();
    expect(stored.get('expiresAt')).toEqual(Timestamp.fromDate(expiresAt));
  });

  it('when a claim is released, then the same request may be claimed again, once', async () => {
    const digest = 'b'.repeat(64);
    const expiresAt = new Date('2026-11-22T10:05:01Z');
    expect(await ledgers[0]!.claim(digest, expiresAt)).toBe(true);
    await ledgers[0]!.release(digest);
    expect(await ledgers[1]!.claim(digest, expiresAt)).toBe(true);
    expect(await ledgers[0]!.claim(digest, expiresAt)).toBe(false);
  });
});
