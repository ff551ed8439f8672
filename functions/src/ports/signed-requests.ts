/**
 * Signed requests already acted on, shared by every instance: a copy of a signed request that changes
 * state is refused while its signature would still pass the skew check.
 */
export interface SignedRequestLedger {
  /** Records the first use of a signed request; false when it was used before (a replay). */
  claim(digest: string, expiresAt: Date): Promise<boolean>;
  /** Forgets a use whose handling failed, so that the same signed request may be sent again. */
  release(digest: string): Promise<void>;
}
