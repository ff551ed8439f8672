import { ingestSessionEvent, type IngestDeps } from '../app/ingest-session-event.js';
import { AppError, invalidRequest } from '../domain/errors.js';
import { SessionEvent } from '../domain/sessions/events.js';
import { logs } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { parseOrThrow } from './errors.js';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyPlatformSignature,
  type SigningPolicy,
} from './platform-signature.js';
import type { Route } from './router.js';

/** A session event is a few hundred bytes; anything much larger is not one. */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface PlatformEventsDeps {
  signing: SigningPolicy;
  ingest: () => IngestDeps;
  clock: Clock;
}

export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('The body is not valid JSON.');
  }
}

export function platformEventsRoutes(deps: PlatformEventsDeps): Route[] {
  return [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'POST',
      path: '/v1/events',
      handle: async ({ req, log }) => {
        const raw = req.rawBody ?? Buffer.alloc(0);
        if (raw.length > MAX_EVENT_BYTES)
          throw new AppError('payload_too_large', 413, `An event may be at most ${MAX_EVENT_BYTES} bytes.`);
        verifyPlatformSignature(
          deps.signing,
          { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) },
          raw,
          deps.clock.now(),
        );
        const event = parseOrThrow(SessionEvent, parseJsonBody(raw), 'The session event');
        const result = await ingestSessionEvent(deps.ingest(), event);
        logs.sessionEventIngested(
          {
            sessionId: event.sessionId,
            eventId: event.eventId,
            eventType: event.type,
            outcome: result.outcome,
            status: result.session.status,
            ...(result.anomaly ? { anomaly: result.anomaly } : {}),
          },
          log,
        );
        return {
          status: 200,
          body: {
            outcome: result.outcome,
            sessionId: event.sessionId,
            status: result.session.status,
            lastSequence: result.session.lastSequence,
            ...(result.anomaly ? { anomaly: result.anomaly } : {}),
          },
        };
      },
    },
  ];
}
