import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../functions/src/adapters/firestore/cache.js';
import { AuthEmulatorIdTokenVerifier } from '../../functions/src/adapters/identity/id-tokens.js';
import { toHttpError } from '../../functions/src/http/errors.js';
import type { Clock } from '../../functions/src/ports/clock.js';

/** A clock the test moves by hand: what expires, expires by the clock it is given. */
function handClock(iso: string) {
  let at = Date.parse(iso);
  const clock: Clock = { now: () => new Date(at) };
  return { clock, advance: (ms: number) => (at += ms) };
}

const PROJECT = 'demo-clock';

/** An unsigned ID token as the Auth emulator issues it. */
function emulatorToken(claims: Record<string, unknown>) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('ID tokens expire by the clock they are given', () => {
  it('when a token is used up to its expiry, then it is accepted; at its expiry, it is a 401 token_expired', async () => {
    const { clock, advance } = handClock('2026-11-24T10:00:00Z');
    const verifier = new AuthEmulatorIdTokenVerifier(PROJECT, clock);
    const token = emulatorToken({
      sub: 'u-1',
      aud: PROJECT,
      iss: `https://securetoken.google.com/${PROJECT}`,
      exp: Date.parse('2026-11-24T11:00:00Z') / 1000,
    });
    advance(3_599_000);
    expect(await verifier.verify(token)).toEqual({ uid: 'u-1', multiFactor: false });
    advance(1_000);
    const refused = await verifier.verify(token).catch(toHttpError);
    expect(refused).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated', details: { reason: 'token_expired' } } },
    });
  });
});

describe('the directory cache keeps a value for its time to live, by the clock it is given', () => {
  it('when asked again within the time to live, then the value is not loaded again; once it has passed, it is', async () => {
    const { clock, advance } = handClock('2026-11-24T10:00:00Z');
    const cache = new TtlCache<number>(60_000, clock);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('roles', load)).toBe(1);
    advance(59_999);
    expect(await cache.get('roles', load)).toBe(1);
    advance(1);
    expect(await cache.get('roles', load)).toBe(2);
  });

  it('when a load fails, then the failure is not kept: the next get loads again', async () => {
    const { clock } = handClock('2026-11-24T10:00:00Z');
    const cache = new TtlCache<string>(60_000, clock);
    await expect(cache.get('roles', () => Promise.reject(new Error('unavailable')))).rejects.toThrow();
    expect(await cache.get('roles', async () => 'loaded')).toBe('loaded');
  });
});
