import { describe, expect, it } from 'vitest';
import { AppError } from '../../functions/src/domain/errors.js';
import { signPlatformRequest, verifyPlatformSignature } from '../../functions/src/http/platform-signature.js';

const CURRENT = 'current-secret-0123456789abcdef0123456789';
const PREVIOUS = 'previous-secret-0123456789abcdef012345678';
const policy = { secrets: [CURRENT, PREVIOUS], maxSkewSeconds: 300 };
const body = Buffer.from('{"hello":"world"}');
const now = new Date('2026-11-22T10:00:00Z');
const ts = now.getTime() / 1000;

const reasonOf = (f: () => void) => {
  try {
    f();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return ((error as AppError).details as { reason: string }).reason;
  }
};

const verify = (signature: string | undefined, timestamp: string | undefined, raw = body, at = now) =>
  reasonOf(() => verifyPlatformSignature(policy, { signature, timestamp }, raw, at));

describe('platform request signatures', () => {
  it('when signed with the current or the previous secret, then accepted', () => {
    expect(verify(signPlatformRequest(CURRENT, ts, body), String(ts))).toBe('accepted');
    expect(verify(signPlatformRequest(PREVIOUS, ts, body), String(ts))).toBe('accepted');
  });

  it('when the header carries several signatures and one matches, then accepted', () => {
    const header = `v1=${'0'.repeat(64)}, ${signPlatformRequest(PREVIOUS, ts, body)}`;
    expect(verify(header, String(ts))).toBe('accepted');
  });

  it('when the body, the timestamp or the secret differ, then signature_mismatch', () => {
    const good = signPlatformRequest(CURRENT, ts, body);
    expect(verify(good, String(ts), Buffer.from('{"hello":"World"}'))).toBe('signature_mismatch');
    expect(verify(good, String(ts + 1), body, new Date(now.getTime() + 1000))).toBe('signature_mismatch');
    expect(
      verify(signPlatformRequest('another-secret-0123456789abcdef012345678', ts, body), String(ts)),
    ).toBe('signature_mismatch');
  });

  it('when the timestamp is outside the allowed skew either way, then stale_timestamp; inside, accepted', () => {
    for (const offset of [-301, 301]) {
      const t = ts + offset;
      expect(verify(signPlatformRequest(CURRENT, t, body), String(t))).toBe('stale_timestamp');
    }
    for (const offset of [-300, 300]) {
      const t = ts + offset;
      expect(verify(signPlatformRequest(CURRENT, t, body), String(t))).toBe('accepted');
    }
  });

  it('when headers are missing or malformed, then the reason says which', () => {
    expect(verify(undefined, String(ts))).toBe('missing_signature');
    expect(verify(signPlatformRequest(CURRENT, ts, body), undefined)).toBe('missing_signature');
    expect(verify(signPlatformRequest(CURRENT, ts, body), '12.5')).toBe('malformed_timestamp');
    expect(verify('sha256=abc', String(ts))).toBe('malformed_signature');
    expect(verify(`v1=${'g'.repeat(64)}`, String(ts))).toBe('malformed_signature');
  });
});
