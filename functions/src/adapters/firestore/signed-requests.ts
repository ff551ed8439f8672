import type { Firestore } from '@google-cloud/firestore';
import type { SignedRequestLedger } from '../../ports/signed-requests.js';
import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';

/**
 * `signedRequests/{sha-256 of the signed text}` with `expiresAt`, which Firestore's TTL policy (see
 * infra/firestore.tf) deletes once the signature could no longer pass the skew check. `create()` fails
 * on an existing document, so of two copies racing on two instances exactly one is accepted.
 */
export const SIGNED_REQUESTS = 'signedRequests';

export class FirestoreSignedRequestLedger implements SignedRequestLedger {
  constructor(private readonly db: Firestore) {}

  async claim(digest: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.db.collection(SIGNED_REQUESTS).doc(digest).create({ expiresAt });
      return true;
    } catch (error) {
      if (grpcCodeOf(error) === GrpcCode.ALREADY_EXISTS) return false;
      throw error;
    }
  }

  async release(digest: string): Promise<void> {
    await this.db.collection(SIGNED_REQUESTS).doc(digest).delete();
  }
}
