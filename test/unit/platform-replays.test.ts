import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../functions/src/http/errors.js';
import { platformEventsRoutes } from '../../functions/src/http/platform-events.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import type { RouteContext } from '../../functions/src/http/router.js';
import type { AgentPresence } from '../../functions/src/ports/presence.js';
import type { SignedRequestLedger } from '../../functions/src/ports/signed-requests.js';

/** The replay guard of state-changing platform routes, with storage that fails when told to. */
const SECRET = 'replay-secret-0123456789abcdef0123456789ab';
const NOW = new Date('2026-11-22T10:00:00Z');
const TS = NOW.getTime() / 1000;

function memoryLedger(): SignedRequestLedger & { entries: Map<string, Date> } {
  const entries = new Map<string, Date>();
  return {
    entries,
    claim: async (digest, expiresAt) => {
      if (entries.has(digest)) return false;
      entries.set(digest, expiresAt);
      return true;
    },
    release: async (digest) => {
      entries.delete(digest);
    },
  };
}

function setup() {
  const ledger = memoryLedger();
  const reports: string[] = [];
  let failuresLeft = 0;
  const presence: AgentPresence = {
    report: async (agentId, state) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('storage unavailable');
      }
      reports.push(`${agentId}:${state}`);
      return { applied: true };
    },
    loggedIn: async () => new Set(),
  };
  const route = platformEventsRoutes({
    signing: { secrets: [SECRET], maxSkewSeconds: 300, acceptV1: false },
    signedRequests: () => ledger,
    ingest: () => {
      throw new Error('not used');
    },
    deflection: () => ({ presence }) as never,
    clock: { now: () => NOW },
  }).find((r) => r.path === '/v1/agents/:agentId/presence')!;

  const send = async (agentId: string, body: string, signature?: string) => {
    const path = `/v1/agents/${agentId}/presence`;
    const headers: Record<string, string> = {
      'x-switchboard-timestamp': String(TS),
      'x-switchboard-signature': signature ?? signPlatformRequest(SECRET, TS, { method: 'PUT', path, body }),
    };
    const ctx = {
      req: {
        method: 'PUT',
        originalUrl: path,
        rawBody: Buffer.from(body),
        header: (name: string) => headers[name.toLowerCase()],
      },
      params: { agentId },
      log: {},
      json: () => JSON.parse(body),
    } as unknown as RouteContext;
    try {
      return (await route.handle(ctx)).status;
    } catch (error) {
      const { status, body: answer } = toHttpError(error);
      return `${status} ${(answer.error.details as { reason?: string } | undefined)?.reason ?? answer.error.code}`;
    }
  };
  return { ledger, reports, send, failNext: (n: number) => (failuresLeft = n) };
}

const report = JSON.stringify({ state: 'available', at: '2026-11-22T09:59:00Z' });

describe('state-changing platform requests are acted on once', () => {
  it('when the same signed report comes twice, then the copy is refused and stored nothing', async () => {
    const { send, reports, ledger } = setup();
    expect(await send('agent-1', report)).toBe(200);
    expect(await send('agent-1', report)).toBe('409 replayed_request');
    expect(reports).toEqual(['agent-1:available']);
    // Kept until the signature could no longer pass the skew check.
    expect([...ledger.entries.values()]).toEqual([new Date((TS + 301) * 1000)]);
  });

  it('when storing fails, then the same signed request sent again is accepted and stored once', async () => {
    const { send, reports, failNext, ledger } = setup();
    failNext(1);
    expect(await send('agent-1', report)).toBe('500 internal');
    expect(ledger.entries.size).toBe(0);
    expect(await send('agent-1', report)).toBe(200);
    expect(reports).toEqual(['agent-1:available']);
  });

  it('when the report is malformed, then 400 and its signature is not used up', async () => {
    const { send, ledger } = setup();
    expect(await send('agent-1', JSON.stringify({ state: 'asleep', at: 'x' }))).toBe('400 invalid_request');
    expect(ledger.entries.size).toBe(0);
  });
});
