import type { OAuth2Client } from 'google-auth-library';
import { unauthenticated } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { IdTokenVerifier, VerifiedIdentity } from '../../ports/people.js';

/**
 * Firebase Auth / Identity Platform ID tokens: RS256, signed with Google's securetoken keys, issued for
 * this project. The Auth emulator issues unsigned tokens; they are accepted only when the emulator is
 * configured, which config.ts allows only in a plainly local process (loopback emulator, demo-*
 * project, no cloud runtime), after the same claim checks.
 */
const CERTS_URL = 'https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com';

interface Claims {
  sub?: string;
  aud?: string;
  iss?: string;
  exp?: number;
  auth_time?: number;
  firebase?: { sign_in_second_factor?: string };
}

function identityOf(claims: Claims, projectId: string, nowSeconds: number): VerifiedIdentity {
  if (claims.aud !== projectId) throw unauthenticated('token_for_another_project');
  if (claims.iss !== `https://securetoken.google.com/${projectId}`)
    throw unauthenticated('token_from_another_issuer');
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) throw unauthenticated('token_expired');
  if (typeof claims.sub !== 'string' || claims.sub === '' || claims.sub.length > 128)
    throw unauthenticated('token_without_subject');
  return { uid: claims.sub, multiFactor: Boolean(claims.firebase?.sign_in_second_factor) };
}

export class FirebaseIdTokenVerifier implements IdTokenVerifier {
  // google-auth-library is loaded with the first token, not at every function's cold start.
  private client: Promise<OAuth2Client> | undefined;
  private certs: { value: Record<string, string>; expires: number } | undefined;

  constructor(
    private readonly projectId: string,
    private readonly clock: Clock,
  ) {}

  private async publicKeys(): Promise<Record<string, string>> {
    if (this.certs && this.certs.expires > this.clock.now().getTime()) return this.certs.value;
    const res = await fetch(CERTS_URL);
    if (!res.ok) throw new Error(`Could not fetch the token signing keys: HTTP ${res.status}`);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 3600);
    this.certs = {
      value: (await res.json()) as Record<string, string>,
      expires: this.clock.now().getTime() + maxAge * 1000,
    };
    return this.certs.value;
  }

  async verify(idToken: string): Promise<VerifiedIdentity> {
    this.client ??= import('google-auth-library').then(({ OAuth2Client }) => new OAuth2Client());
    // Outside the try: keys that cannot be fetched are our outage (a 500 to retry), not a bad token.
    const [client, keys] = await Promise.all([this.client, this.publicKeys()]);
    let claims: Claims;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(idToken, keys, this.projectId, [
        `https://securetoken.google.com/${this.projectId}`,
      ]);
      claims = (ticket.getPayload() ?? {}) as Claims;
    } catch {
      throw unauthenticated('invalid_token');
    }
    return identityOf(claims, this.projectId, Math.floor(this.clock.now().getTime() / 1000));
  }
}

export class AuthEmulatorIdTokenVerifier implements IdTokenVerifier {
  constructor(
    private readonly projectId: string,
    private readonly clock: Clock,
  ) {}

  async verify(idToken: string): Promise<VerifiedIdentity> {
    const [header, payload] = idToken.split('.');
    let claims: Claims;
    try {
      const alg = (JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as { alg?: string })
        .alg;
      if (alg !== 'none' && alg !== 'RS256') throw new Error('unexpected alg');
      claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Claims;
    } catch {
      throw unauthenticated('invalid_token');
    }
    return identityOf(claims, this.projectId, Math.floor(this.clock.now().getTime() / 1000));
  }
}
