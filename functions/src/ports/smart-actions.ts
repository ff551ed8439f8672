import type {
  OwedEffect,
  Settled,
  SmartActionOutcome,
  SmartActionRequest,
} from '../domain/smart-actions/actions.js';

export type { SmartActionRequest } from '../domain/smart-actions/actions.js';

/** What asking decided, given the session's requests so far: the one asked before (a retry), or a new one. */
export type CreateDecision = { existing: SmartActionRequest } | { create: SmartActionRequest };

/**
 * A session's smart-action requests (SMA-1, SMA-2), kept beside the session (never in its document,
 * which folding its events rewrites). Every change is atomic per request; a chat's requests are also
 * copied, as they change, to the agent's desk, which their desktop reads.
 */
export interface SmartActionRequests {
  get(sessionId: string, requestId: string): Promise<SmartActionRequest | undefined>;
  /** The session's requests, oldest first (at most MAX_REQUESTS_PER_SESSION). */
  list(sessionId: string): Promise<SmartActionRequest[]>;
  /**
   * Reads the session's requests and stores what `decide` makes of them, atomically: two asks racing
   * are decided one after the other. `decide` throws to refuse; then nothing is written.
   */
  create(
    sessionId: string,
    decide: (existing: readonly SmartActionRequest[]) => CreateDecision,
  ): Promise<{ request: SmartActionRequest; created: boolean }>;
  /**
   * Settles an open request at `at` (see settleRequest), owing `effects`. Idempotent: a request already
   * settled or expired is not changed, and the answer says so. Undefined when there is no such request.
   */
  settle(
    sessionId: string,
    requestId: string,
    outcome: SmartActionOutcome,
    at: Date,
    effects?: readonly OwedEffect[],
  ): Promise<Settled | undefined>;
  /** `effects` are done: they are no longer owed. */
  effectsDone(sessionId: string, requestId: string, effects: readonly OwedEffect[]): Promise<void>;
}
