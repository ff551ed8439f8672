import { ingestSessionEvent, type IngestDeps } from '../app/ingest-session-event.js';
import { AppError } from '../domain/errors.js';
import { SessionEvent } from '../domain/sessions/events.js';
import { logs } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { parseJsonBody, parseOrThrow } from './errors.js';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyPlatformSignature,
  type SigningPolicy,
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

/** A session event is a few hundred bytes; anything much larger is not one. */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface PlatformEventsDeps {
  signing: SigningPolicy;
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
  /** Every platform route but health is signed: the body is read raw, checked, then parsed. */
  const signedBody = (req: RouteContext['req']): unknown => {
    const raw = req.rawBody ?? Buffer.alloc(0);
    if (raw.length > MAX_EVENT_BYTES)
      throw new AppError('payload_too_large', 413, `A request may be at most ${MAX_EVENT_BYTES} bytes.`);
    verifyPlatformSignature(
      deps.signing,
      { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) },
      raw,
      deps.clock.now(),
    );
    return parseJsonBody(raw);
  };
  const scheduledCallDeps = () => {
    const { engine, scheduledCalls } = deps.deflection();
    return { engine, book: scheduledCalls, now: () => deps.clock.now() };
  };
  return [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'POST',
      path: '/v1/events',
      handle: async ({ req, log }) => {
        const event = parseOrThrow(SessionEvent, signedBody(req), 'The session event');
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
        const q = parseOrThrow(DeflectionQuestion, signedBody(req), 'The question');
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
        const report = parseOrThrow(PresenceReport, signedBody(req), 'The presence report');
        const { agentId } = parseOrThrow(z.object({ agentId: Identifier }), params, 'The path');
        return {
          status: 200,
          body: await deps.deflection().presence.report(agentId, report.state, new Date(report.at)),
        };
      },
    },
    {
      // A voicemail left after hours: to the agents serving the queue, or to the CRM (AHD-6).
      method: 'POST',
      path: '/v1/voicemails',
      handle: async ({ req }) => {
        const voicemail = parseOrThrow(VoicemailLeft, signedBody(req), 'The voicemail');
        const now = () => deps.clock.now();
        return {
          status: 200,
          body: await receiveVoicemail(
            { engine: deps.deflection().engine, voicemails: deps.deflection().voicemails, now },
            voicemail,
          ),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/scheduled-calls/slots',
      handle: async ({ req }) => {
        const q = parseOrThrow(SlotQuestion, signedBody(req), 'The question');
        return { status: 200, body: await offerSlots(scheduledCallDeps(), q) };
      },
    },
    {
      method: 'POST',
      path: '/v1/scheduled-calls',
      handle: async ({ req }) => {
        const b = parseOrThrow(BookingRequest, signedBody(req), 'The booking');
        return { status: 200, body: await bookSlot(scheduledCallDeps(), b) };
      },
    },
  ];
}
