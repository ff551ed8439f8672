import type { OAuth2Client } from 'google-auth-library';
import { forbidden, unauthenticated } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { ServiceCallerVerifier } from '../../ports/callers.js';

/** Google's keys for the OIDC ID tokens it mints for service accounts (Cloud Tasks' `oidcToken`). */
export const GOOGLE_OIDC_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
const ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export interface OidcCallerOptions {
  /** The URL the tokens are minted for: the worker's URL, as the tasks name it. */
  audience: string;
  /** The one service account whose tokens are accepted. */
  serviceAccountEmail: string;
  /** Where the signing keys are (`{kid: pem}`); Google's by default, the local Tasks server's locally. */
  certsUrl?: string;
}

/**
 * Checks the Google-signed OIDC token Cloud Tasks attaches to each task: RS256 signature, issuer,
 * audience, expiry, and that it names the expected service account with a verified e-mail. In
 * production Cloud Run's IAM has already checked the invoker; this makes the function safe on its own.
 */
export class OidcCallerVerifier implements ServiceCallerVerifier {
  private client: Promise<OAuth2Client> | undefined;
  private certs: { value: Record<string, string>; expires: number } | undefined;

  constructor(
    private readonly options: OidcCallerOptions,
    private readonly clock: Clock,
  ) {}

  private async publicKeys(): Promise<Record<string, string>> {
    if (this.certs && this.certs.expires > this.clock.now().getTime()) return this.certs.value;
    const res = await fetch(this.options.certsUrl ?? GOOGLE_OIDC_CERTS_URL);
    if (!res.ok) throw new Error(`Could not fetch the OIDC signing keys: HTTP ${res.status}`);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 3600);
    this.certs = {
      value: (await res.json()) as Record<string, string>,
      expires: this.clock.now().getTime() + maxAge * 1000,
    };
    return this.certs.value;
  }

  async verify(authorization: string | undefined): Promise<void> {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw unauthenticated('missing_bearer_token');
    this.client ??= import('google-auth-library').then(({ OAuth2Client }) => new OAuth2Client());
    const [client, keys] = await Promise.all([this.client, this.publicKeys()]);
    let claims: { email?: unknown; email_verified?: unknown };
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(token, keys, this.options.audience, ISSUERS);
      claims = ticket.getPayload() ?? {};
    } catch {
      throw unauthenticated('invalid_token');
    }
    if (claims.email !== this.options.serviceAccountEmail || claims.email_verified !== true)
      throw forbidden('caller_not_allowed');
  }
}
