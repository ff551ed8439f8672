import type { Firestore } from '@google-cloud/firestore';
import type { BucketScanCursor } from '../../domain/recordings/sweep.js';
import type { BucketScanCursors } from '../../ports/recordings.js';

/**
 * `recordingSweeps/{bucket}`: where the sweep's scan of a bucket stopped. One sweep runs at a time
 * (the sweeper has one instance), so a plain write is enough.
 */
export const RECORDING_SWEEPS = 'recordingSweeps';

export class FirestoreBucketScanCursors implements BucketScanCursors {
  constructor(private readonly db: Firestore) {}

  async get(bucket: string): Promise<BucketScanCursor | undefined> {
    const data = (await this.db.collection(RECORDING_SWEEPS).doc(bucket).get()).data();
    if (!data) return undefined;
    return { after: data.after ?? null, passStartedAt: data.passStartedAt, savedAt: data.savedAt };
  }

  async save(bucket: string, cursor: BucketScanCursor): Promise<void> {
    await this.db
      .collection(RECORDING_SWEEPS)
      .doc(bucket)
      .set({ ...cursor, bucket });
  }
}
