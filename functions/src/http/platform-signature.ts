import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../domain/errors.js';

/**
 * The platform signs each request with `X-Switchboard-Timestamp: <unix seconds>` and
 * `X-Switchboard-Signature: v2=<hex HMAC-SHA256(secret, "<ts>\n<METHOD>\n<path>\n<raw body>")>`, the path
 * as sent, query included. A request target never holds a line feed (refused here too), so the signed
 * text reads back into exactly one (timestamp, method, path, body): a signature is good for one request.
 *
 * The older `v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>` binds the body alone, so a report signed for
 * one path could be replayed onto another. It is accepted only while the deployment says so (the
 * platform's migration), and never on a route whose path names what it acts on.
 *
 * Two secrets are accepted at once (the current one and the previous one) so that a secret can be
 * rotated without dropping events; the header may carry several signatures for the same reason.
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';

export interface SigningPolicy {
  secrets: readonly string[];
  maxSkewSeconds: number;
  /** Whether body-only `v1=` signatures are still accepted (where a route allows them). */
  acceptV1: boolean;
}

export interface SignedRequest {
  method: string;
  /** The request target as sent: path and query. */
  path: string;
  body: string | Buffer;
}

export type SignatureScheme = 'v1' | 'v2';

export interface VerifiedRequest {
  scheme: SignatureScheme;
  timestamp: number;
  /**
   * SHA-256 of what was signed: the same for every copy of one signed request, whatever the secret.
   * Computed when asked: only routes that keep copies out need it.
   */
  digest(): string;
}

/** At most this many signatures in one header: a rotation needs two per scheme. */
const MAX_OFFERED_SIGNATURES = 8;

const signedText = (scheme: SignatureScheme, timestamp: number, request: SignedRequest): string[] =>
  scheme === 'v2' ? [`${timestamp}\n${request.method.toUpperCase()}\n${request.path}\n`] : [`${timestamp}.`];

function mac(secret: string, scheme: SignatureScheme, timestamp: number, request: SignedRequest): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of signedText(scheme, timestamp, request)) hmac.update(part);
  return hmac.update(request.body).digest();
}

/** The signature header value the platform sends: `v2=…`. */
export function signPlatformRequest(
  secret: string,
  timestampSeconds: number,
  request: SignedRequest,
): string {
  return `v2=${mac(secret, 'v2', timestampSeconds, request).toString('hex')}`;
}

/** The body-only signature of platforms not yet migrated: `v1=…`. */
export function signPlatformRequestV1(
  secret: string,
  timestampSeconds: number,
  rawBody: string | Buffer,
): string {
  return `v1=${mac(secret, 'v1', timestampSeconds, { method: '', path: '', body: rawBody }).toString('hex')}`;
}

/**
 * Throws `unauthenticated` with a reason code unless one signature of an accepted scheme matches one
 * secret within the skew. `allowV1` is the route's say: false where the path names what it acts on.
 */
export function verifyPlatformSignature(
  policy: SigningPolicy,
  headers: { signature: string | undefined; timestamp: string | undefined },
  request: SignedRequest,
  now: Date,
  route: { allowV1: boolean },
): VerifiedRequest {
  if (!headers.signature || !headers.timestamp) throw unauthenticated('missing_signature');
  if (!/^\d{1,12}$/.test(headers.timestamp)) throw unauthenticated('malformed_timestamp');
  // Guaranteed by HTTP, checked anyway: a line feed in the target would make the signed text ambiguous.
  if (/[\s\p{Cc}]/u.test(request.path) || !/^[A-Z]{1,16}$/.test(request.method.toUpperCase()))
    throw unauthenticated('malformed_request_target');
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now.getTime() / 1000 - timestamp) > policy.maxSkewSeconds)
    throw unauthenticated('stale_timestamp');

  const wellFormed = headers.signature
    .split(',', MAX_OFFERED_SIGNATURES + 1)
    .map((part) => part.trim())
    .filter((part) => /^v[12]=[0-9a-f]{64}$/.test(part));
  if (wellFormed.length === 0 || wellFormed.length > MAX_OFFERED_SIGNATURES)
    throw unauthenticated('malformed_signature');
  const v1Accepted = policy.acceptV1 && route.allowV1;
  const offered = wellFormed
    .map((part) => ({
      scheme: part.slice(0, 2) as SignatureScheme,
      value: Buffer.from(part.slice(3), 'hex'),
    }))
    .filter((candidate) => candidate.scheme === 'v2' || v1Accepted);
  if (offered.length === 0) throw unauthenticated('signature_version_not_accepted');

  // Every comparison runs, so timing reveals neither which secret nor which signature matched.
  let matched: SignatureScheme | undefined;
  for (const scheme of ['v1', 'v2'] as const) {
    const candidates = offered.filter((c) => c.scheme === scheme);
    if (candidates.length === 0) continue;
    for (const secret of policy.secrets) {
      const expected = mac(secret, scheme, timestamp, request);
      for (const candidate of candidates)
        if (timingSafeEqual(expected, candidate.value) && matched !== 'v2') matched = scheme;
    }
  }
  if (!matched) throw unauthenticated('signature_mismatch');

  const scheme = matched;
  return {
    scheme,
    timestamp,
    digest: () => {
      const hash = createHash('sha256').update(`${scheme}\n`);
      for (const part of signedText(scheme, timestamp, request)) hash.update(part);
      return hash.update(request.body).digest('hex');
    },
  };
}
