import { createHmac, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../domain/errors.js';

/**
 * The platform signs each request: `X-Switchboard-Signature: v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>`
 * with `X-Switchboard-Timestamp: <unix seconds>`. Two secrets are accepted at once (the current one and
 * the previous one) so that a secret can be rotated without dropping events; the header may carry
 * several `v1=` signatures for the same reason on the platform's side.
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';

export interface SigningPolicy {
  secrets: readonly string[];
  maxSkewSeconds: number;
}

export function signPlatformRequest(
  secret: string,
  timestampSeconds: number,
  rawBody: string | Buffer,
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `v1=${mac}`;
}

/** Throws `unauthenticated` with a reason code unless one signature matches one secret within the skew. */
export function verifyPlatformSignature(
  policy: SigningPolicy,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  now: Date,
): void {
  if (!headers.signature || !headers.timestamp) throw unauthenticated('missing_signature');
  if (!/^\d{1,12}$/.test(headers.timestamp)) throw unauthenticated('malformed_timestamp');
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > policy.maxSkewSeconds)
    throw unauthenticated('stale_timestamp');

  const offered = headers.signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1=') && /^[0-9a-f]{64}$/.test(part.slice(3)))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  if (offered.length === 0) throw unauthenticated('malformed_signature');

  // Every comparison runs, so timing reveals neither which secret nor which signature matched.
  let matched = false;
  for (const secret of policy.secrets) {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
    for (const candidate of offered) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) throw unauthenticated('signature_mismatch');
}
