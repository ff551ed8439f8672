import { GrpcCode, grpcCodeOf } from '../grpc-codes.js';

/**
 * Optimistic concurrency on Firestore, written once: an attempt reads without locks and writes with
 * preconditions (the update time it read, a create of what it found missing). Losing the race to
 * another writer fails the write with one of these codes; the attempt then runs again, on what that
 * writer left.
 */
const LOST_RACE = new Set<unknown>([GrpcCode.ALREADY_EXISTS, GrpcCode.FAILED_PRECONDITION, GrpcCode.ABORTED]);

export const lostRace = (error: unknown): boolean => LOST_RACE.has(grpcCodeOf(error));

export interface RetryPolicy {
  maxAttempts: number;
  /** The wait before the next attempt doubles from 10 ms up to this, half of it random. */
  maxBackoffMs: number;
  /** What to throw when every attempt lost; the last attempt's error by default. */
  whenExhausted?: (lastError: unknown) => unknown;
}

const FIRST_BACKOFF_MS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it does not lose a race, at most `maxAttempts` times. Any other failure is
 * thrown at once. The jitter keeps writers that collided from colliding again on the next round.
 */
export async function retryLostRaces<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!lostRace(error)) throw error;
      if (n >= policy.maxAttempts) throw policy.whenExhausted ? policy.whenExhausted(error) : error;
      const ceiling = Math.min(policy.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** n);
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
}
