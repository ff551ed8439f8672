import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

/** The OAuth 2.0 JWT bearer grant (RFC 7523), as Salesforce's token endpoint takes it. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Salesforce refuses an assertion whose `exp` is more than three minutes ahead. */
const ASSERTION_LIFETIME_SECONDS = 180;

export interface AssertionClaims {
  /** The connected app's consumer key. */
  clientId: string;
  /** The integration user's username. */
  username: string;
  /** The login URL the assertion is presented to (https://login.salesforce.com, a My Domain…). */
  audience: string;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Parses the PEM once; throws a message that names the problem, never the key. */
export function privateKeyFrom(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
    return key;
  } catch {
    throw new Error('The Salesforce private key is not a valid RSA private key in PEM format.');
  }
}

/** A fresh RS256-signed assertion: iss = client id, sub = username, aud = login URL, exp = now + 3 min. */
export function signAssertion(key: KeyObject, claims: AssertionClaims, now: Date): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      iss: claims.clientId,
      sub: claims.username,
      aud: claims.audience,
      exp: Math.floor(now.getTime() / 1000) + ASSERTION_LIFETIME_SECONDS,
    }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}
