import { GrpcStatus } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { retryLostRaces } from '../../functions/src/adapters/firestore/optimistic-retry.js';
import { GrpcCode } from '../../functions/src/adapters/grpc-codes.js';

const failure = (code: unknown) => Object.assign(new Error(`code ${String(code)}`), { code });

/** An attempt that fails with these errors, in turn, then answers `done`. */
function attemptFailing(...errors: Error[]) {
  const calls = { count: 0 };
  const attempt = async () => {
    const error = errors[calls.count++];
    if (error) throw error;
    return 'done';
  };
  return { attempt, calls };
}

describe('the optimistic-update retry', () => {
  it('when the gRPC codes are named, then they are the ones the client libraries report', () => {
    expect(GrpcCode.ALREADY_EXISTS).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(GrpcCode.FAILED_PRECONDITION).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(GrpcCode.ABORTED).toBe(GrpcStatus.ABORTED);
  });

  it('when an attempt loses a race (already exists, precondition failed, aborted), then it runs again until it wins', async () => {
    const { attempt, calls } = attemptFailing(
      failure(GrpcStatus.ALREADY_EXISTS),
      failure(GrpcStatus.FAILED_PRECONDITION),
      failure(GrpcStatus.ABORTED),
    );
    await expect(retryLostRaces(attempt, { maxAttempts: 5, maxBackoffMs: 1 })).resolves.toBe('done');
    expect(calls.count).toBe(4);
  });

  it('when an attempt fails for another reason, then that error is thrown at once', async () => {
    const unavailable = failure(GrpcStatus.UNAVAILABLE);
    const { attempt, calls } = attemptFailing(unavailable);
    await expect(retryLostRaces(attempt, { maxAttempts: 5, maxBackoffMs: 1 })).rejects.toBe(unavailable);
    expect(calls.count).toBe(1);
  });

  it('when every attempt loses, then the last error is thrown, or what the caller says instead', async () => {
    const lost = failure(GrpcStatus.ABORTED);
    const losing = () => attemptFailing(lost, lost, lost, lost);
    const first = losing();
    await expect(retryLostRaces(first.attempt, { maxAttempts: 3, maxBackoffMs: 1 })).rejects.toBe(lost);
    expect(first.calls.count).toBe(3);

    const busy = new Error('busy');
    const second = losing();
    await expect(
      retryLostRaces(second.attempt, { maxAttempts: 2, maxBackoffMs: 1, whenExhausted: () => busy }),
    ).rejects.toBe(busy);
    expect(second.calls.count).toBe(2);
  });
});
