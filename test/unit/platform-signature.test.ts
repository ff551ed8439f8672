import { describe, expect, it } from 'vitest';
import { AppError } from '../../functions/src/domain/errors.js';
import {
  signPlatformRequest,
  signPlatformRequestV1,
  verifyPlatformSignature,
  type SignedRequest,
} from '../../functions/src/http/platform-signature.js';

const CURRENT = 'current-secret-0123456789abcdef0123456789';
const PREVIOUS = 'previous-secret-0123456789abcdef012345678';
const policy = { secrets: [CURRENT, PREVIOUS], maxSkewSeconds: 300, acceptV1: false };
const body = Buffer.from('{"state":"available","at":"2026-11-22T10:00:00Z"}');
const request: SignedRequest = { method: 'PUT', path: '/v1/agents/agent-7/presence', body };
const now = new Date('2026-11-22T10:00:00Z');
const ts = now.getTime() / 1000;

const reasonOf = (f: () => unknown) => {
  try {
    f();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return ((error as AppError).details as { reason: string }).reason;
  }
};

const verify = (
  signature: string | undefined,
  timestamp: string | undefined,
  signed: SignedRequest = request,
  options: { at?: Date; acceptV1?: boolean; allowV1?: boolean } = {},
) =>
  reasonOf(() =>
    verifyPlatformSignature(
      { ...policy, acceptV1: options.acceptV1 ?? false },
      { signature, timestamp },
      signed,
      options.at ?? now,
      { allowV1: options.allowV1 ?? true },
    ),
  );

describe('platform request signatures', () => {
  it('when signed with the current or the previous secret, then accepted', () => {
    expect(verify(signPlatformRequest(CURRENT, ts, request), String(ts))).toBe('accepted');
    expect(verify(signPlatformRequest(PREVIOUS, ts, request), String(ts))).toBe('accepted');
  });

  it('when the header carries several signatures and one matches, then accepted', () => {
    const header = `v2=${'0'.repeat(64)}, ${signPlatformRequest(PREVIOUS, ts, request)}`;
    expect(verify(header, String(ts))).toBe('accepted');
  });

  it('when the body, the timestamp or the secret differ, then signature_mismatch', () => {
    const good = signPlatformRequest(CURRENT, ts, request);
    const otherBody = { ...request, body: Buffer.from('{"state":"offline","at":"2026-11-22T10:00:00Z"}') };
    expect(verify(good, String(ts), otherBody)).toBe('signature_mismatch');
    expect(verify(good, String(ts + 1), request, { at: new Date(now.getTime() + 1000) })).toBe(
      'signature_mismatch',
    );
    expect(
      verify(signPlatformRequest('another-secret-0123456789abcdef012345678', ts, request), String(ts)),
    ).toBe('signature_mismatch');
  });

  it('when a signed request is replayed onto another path, query or method, then signature_mismatch', () => {
    const good = signPlatformRequest(CURRENT, ts, request);
    expect(verify(good, String(ts), { ...request, path: '/v1/agents/agent-8/presence' })).toBe(
      'signature_mismatch',
    );
    expect(verify(good, String(ts), { ...request, path: '/v1/agents/agent-7/presence?x=1' })).toBe(
      'signature_mismatch',
    );
    expect(verify(good, String(ts), { ...request, method: 'POST' })).toBe('signature_mismatch');
  });

  it('when the target holds a line feed, so that the path-body boundary could move, then refused', () => {
    const signed = { method: 'POST', path: '/v1/events', body: Buffer.from('a\n{"x":1}') };
    const good = signPlatformRequest(CURRENT, ts, signed);
    expect(
      verify(good, String(ts), { method: 'POST', path: '/v1/events\na', body: Buffer.from('{"x":1}') }),
    ).toBe('malformed_request_target');
  });

  it('when a v1 signature is sent, then it is accepted only while the policy and the route allow it', () => {
    const v1 = signPlatformRequestV1(CURRENT, ts, body);
    expect(verify(v1, String(ts), request, { acceptV1: false })).toBe('signature_version_not_accepted');
    expect(verify(v1, String(ts), request, { acceptV1: true, allowV1: false })).toBe(
      'signature_version_not_accepted',
    );
    expect(verify(v1, String(ts), request, { acceptV1: true, allowV1: true })).toBe('accepted');
    // Alongside a v2 signature, a v1 one that is not accepted changes nothing.
    expect(verify(`${v1}, ${signPlatformRequest(CURRENT, ts, request)}`, String(ts))).toBe('accepted');
  });

  it('when accepted, then the digest is the same for every copy and secret, and differs per request', () => {
    const digestOf = (signature: string, signed = request) =>
      verifyPlatformSignature(policy, { signature, timestamp: String(ts) }, signed, now, {
        allowV1: true,
      }).digest();
    const first = digestOf(signPlatformRequest(CURRENT, ts, request));
    expect(digestOf(signPlatformRequest(PREVIOUS, ts, request))).toBe(first);
    const other = { ...request, path: '/v1/agents/agent-8/presence' };
    expect(digestOf(signPlatformRequest(CURRENT, ts, other), other)).not.toBe(first);
  });

  it('when the timestamp is outside the allowed skew either way, then stale_timestamp; inside, accepted', () => {
    for (const offset of [-301, 301]) {
      const t = ts + offset;
      expect(verify(signPlatformRequest(CURRENT, t, request), String(t))).toBe('stale_timestamp');
    }
    for (const offset of [-300, 300]) {
      const t = ts + offset;
      expect(verify(signPlatformRequest(CURRENT, t, request), String(t))).toBe('accepted');
    }
  });

  it('when headers are missing or malformed, then the reason says which', () => {
    const good = signPlatformRequest(CURRENT, ts, request);
    expect(verify(undefined, String(ts))).toBe('missing_signature');
    expect(verify(good, undefined)).toBe('missing_signature');
    expect(verify(good, '12.5')).toBe('malformed_timestamp');
    expect(verify('sha256=abc', String(ts))).toBe('malformed_signature');
    expect(verify(`v2=${'g'.repeat(64)}`, String(ts))).toBe('malformed_signature');
    expect(verify(Array.from({ length: 9 }, () => good).join(','), String(ts))).toBe('malformed_signature');
  });
});
