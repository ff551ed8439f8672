import { ingestSessionEvent, type IngestDeps } from '../app/ingest-session-event.js';
import { AppError, conflict } from '../domain/errors.js';
import { SessionEvent } from '../domain/sessions/events.js';
import { logs } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { SignedRequestLedger } from '../ports/signed-requests.js';
import { parseJsonBody, parseOrThrow } from './errors.js';
import { MAX_EVENT_BYTES } from './front-door.js';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyPlatformSignature,
  type SigningPolicy,
  type VerifiedRequest,
} from './platform-signature.js';
import type { Route, RouteContext } from './router.js';
import { z } from 'zod';
import { Channel, Identifier } from '../domain/sessions/events.js';
import { Language, PhoneNumber, QuestionTime } from '../domain/deflection/settings.js';
import { VoicemailLeft } from '../domain/deflection/voicemail.js';
import { receiveVoicemail } from '../app/deflection/voicemails.js';
import { bookSlot, offerSlots } from '../app/deflection/scheduled-calls.js';
import { AgentState } from '../ports/presence.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import { contactQuestion, DeflectionQuestion } from './deflection-question.js';
import { instantWithin, PRESENCE_WINDOW } from './instants.js';

export interface PlatformEventsDeps {
  signing: SigningPolicy;
  signedRequests: () => SignedRequestLedger;
  ingest: () => IngestDeps;
  deflection: () => Pick<DeflectionDeps, 'engine' | 'presence' | 'voicemails' | 'scheduledCalls'>;
  clock: Clock;
}

const SlotQuestion = z.object({ queueId: Identifier, channel: Channel, language: Language });
const BookingRequest = SlotQuestion.extend({
  bookingId: Identifier,
  slotStart: QuestionTime,
  callerNumber: PhoneNumber,
  sessionId: Identifier.optional(),
});

const PresenceReport = z.object({ state: z.enum(AgentState), at: z.iso.datetime({ offset: true }) });

export function platformEventsRoutes(deps: PlatformEventsDeps): Route[] {
  /**
   * Every platform route but health is signed: the body is read raw, checked, then parsed. `allowV1`
   * is false where the path names what the request acts on, since a v1 signature does not cover it.
   */
  const signedBody = (req: RouteContext['req'], route: { allowV1: boolean }) => {
    const raw = req.rawBody ?? Buffer.alloc(0);
    if (raw.length > MAX_EVENT_BYTES)
      throw new AppError('payload_too_large', 413, `A request may be at most ${MAX_EVENT_BYTES} bytes.`);
    const verified = verifyPlatformSignature(
      deps.signing,
      { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) },
      { method: req.method, path: req.originalUrl, body: raw },
      deps.clock.now(),
      route,
    );
    return { verified, body: parseJsonBody(raw) };
  };
  /**
   * For requests that change state: a second copy of the same signed request is refused while its
   * signature is still within the skew. A failed attempt is forgotten, so it may be sent again as is.
   */
  const onlyOnce = async <T>(verified: VerifiedRequest, work: () => Promise<T>): Promise<T> => {
    const ledger = deps.signedRequests();
    const digest = verified.digest();
    const expiresAt = new Date((verified.timestamp + deps.signing.maxSkewSeconds + 1) * 1000);
    if (!(await ledger.claim(digest, expiresAt)))
      throw conflict(
        'replayed_request',
        'This signed request was already received; every attempt must be signed afresh.',
      );
    try {
      return await work();
    } catch (error) {
      await ledger.release(digest).catch(() => undefined);
      throw error;
    }
  };
  const scheduledCallDeps = () => {
    const { engine, scheduledCalls } = deps.deflection();
    return { engine, book: scheduledCalls, clock: deps.clock };
  };
  return [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'POST',
      path: '/v1/events',
      handle: async ({ req, log }) => {
        // Not guarded against copies: an event is stored once by its id, and a copy changes nothing.
        const event = parseOrThrow(
          SessionEvent,
          signedBody(req, { allowV1: true }).body,
          'The session event',
        );
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
    {
      // The decision for one contact, now (or at `at`): open, or deflected and what to offer (AHD-2…9).
      method: 'POST',
      path: '/v1/deflection/decisions',
      handle: async ({ req }) => {
        const q = parseOrThrow(DeflectionQuestion, signedBody(req, { allowV1: true }).body, 'The question');
        return {
          status: 200,
          body: await deps.deflection().engine.decide(contactQuestion(q, deps.clock.now())),
        };
      },
    },
    {
      // Agents' states as the platform sees them: who is logged in to take a transfer (AHD-4, AHD-7).
      method: 'PUT',
      path: '/v1/agents/:agentId/presence',
      handle: async ({ req, params }) => {
        const { verified, body } = signedBody(req, { allowV1: false });
        const report = parseOrThrow(PresenceReport, body, 'The presence report');
        const { agentId } = parseOrThrow(z.object({ agentId: Identifier }), params, 'The path');
        const at = instantWithin(report.at, deps.clock.now(), PRESENCE_WINDOW, 'The presence report', 'at');
        return {
          status: 200,
          body: await onlyOnce(verified, () => deps.deflection().presence.report(agentId, report.state, at)),
        };
      },
    },
    {
      // A voicemail left after hours: to the agents serving the queue, or to the CRM (AHD-6).
      method: 'POST',
      path: '/v1/voicemails',
      handle: async ({ req }) => {
        const { verified, body } = signedBody(req, { allowV1: true });
        const voicemail = parseOrThrow(VoicemailLeft, body, 'The voicemail');
        return {
          status: 200,
          body: await onlyOnce(verified, () =>
            receiveVoicemail(
              {
                engine: deps.deflection().engine,
                voicemails: deps.deflection().voicemails,
                clock: deps.clock,
              },
              voicemail,
            ),
          ),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/scheduled-calls/slots',
      handle: async ({ req }) => {
        const q = parseOrThrow(SlotQuestion, signedBody(req, { allowV1: true }).body, 'The question');
        return { status: 200, body: await offerSlots(scheduledCallDeps(), q) };
      },
    },
    {
      method: 'POST',
      path: '/v1/scheduled-calls',
      handle: async ({ req }) => {
        const { verified, body } = signedBody(req, { allowV1: true });
        const b = parseOrThrow(BookingRequest, body, 'The booking');
        return { status: 200, body: await onlyOnce(verified, () => bookSlot(scheduledCallDeps(), b)) };
      },
    },
  ];
}
