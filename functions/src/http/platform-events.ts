import { ingestSessionEvent, type IngestDeps } from '../app/ingest-session-event.js';
import { conflict } from '../domain/errors.js';
import { SessionEvent } from '../domain/sessions/events.js';
import { logs } from '../log.js';
import type { Clock } from '../ports/clock.js';
import { SALESFORCE_ID } from '../ports/crm.js';
import type { SignedRequestLedger } from '../ports/signed-requests.js';
import { parseJsonBody } from './errors.js';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyPlatformSignature,
  type SigningPolicy,
  type VerifiedRequest,
} from './platform-signature.js';
import { contractRoute } from './contract-route.js';
import { onFirstUse, route, type Route, type RouteContext } from './router.js';
import { z } from 'zod';
import { Channel, Identifier } from '../domain/sessions/events.js';
import { Language, PhoneNumber, QuestionTime } from '../domain/deflection/settings.js';
import { VoicemailLeft } from '../domain/deflection/voicemail.js';
import { receiveVoicemail } from '../app/deflection/voicemails.js';
import type { VoicemailTasks } from '../ports/voicemails.js';
import { bookSlot, offerSlots } from '../app/deflection/scheduled-calls.js';
import { AgentState } from '../ports/presence.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import { contactQuestion, DeflectionQuestion } from './deflection-question.js';
import { instantWithin, PRESENCE_WINDOW } from './instants.js';
import { DecisionAnswer } from './deflection-answers.js';
import { timeOutOffer, type ChatDeps } from '../app/chat/chats.js';
import { offerQueueTransfer } from '../app/chat/collaboration.js';
import type { ServiceCallerVerifier } from '../ports/callers.js';
import { notFound } from '../domain/errors.js';
import { answerSipRedirection } from '../app/deflection/sip-redirection.js';
import { recordLogin, type ConsumerDeps } from '../app/consumers/anonymous-consumers.js';
import { readReservedData, setReservedData } from '../app/reserved-data.js';
import { EventTime, Sequence, TemporaryConsumerId } from '../domain/sessions/events.js';
import { MAX_PROFILE_CHANGES_KEPT, RESERVED_PROPERTIES } from '../domain/sessions/profile.js';
import { Profile, ProfileHistory } from './api/answers.js';
import { planNotification, type PlanDeps } from '../app/notifications/plans.js';
import { PlanAnswer, PlanRequest } from './notification-plans.js';
import { issueUploads, type MediaDeps } from '../app/smart-actions/media.js';
import { MediaUploadsAnswer, MediaUploadsAsk, MediaUploadsParams } from './media-uploads.js';
import type { SmartActionDeps } from '../app/smart-actions/requests.js';
import { recordSmartActionResult } from '../app/smart-actions/results.js';
import { MAX_TEXT_INPUT_LENGTH } from '../domain/smart-actions/actions.js';
import { SmartActionAnswer } from './api/smart-actions.js';

export interface PlatformEventsDeps {
  signing: SigningPolicy;
  signedRequests: () => SignedRequestLedger;
  ingest: () => IngestDeps;
  deflection: () => Pick<DeflectionDeps, 'engine' | 'presence' | 'voicemails' | 'scheduledCalls'>;
  clock: Clock;
  /** Live chat offers' timeouts (LCH-2), where they are set up; their tasks carry an OIDC token. */
  chat?: () => ChatDeps;
  chatTasksCaller?: () => ServiceCallerVerifier;
  /** Anonymous consumers' merges (UNA-4), where the CRM worker's queue is configured. */
  consumers?: () => ConsumerDeps;
  /** Voicemails for the CRM (AHD-6), on the same queue; without it they wait in the outbox. */
  voicemailTasks?: () => VoicemailTasks;
  /** The bucket voicemails' audio must be in; without it, voicemails for the CRM wait undelivered. */
  voicemailBucket?: string;
  /** Agents' notification plans (NOT-5); every function that serves this table composes them. */
  notifications?: () => PlanDeps;
  /** Smart-action media uploads (SMA-2, SMA-3), where the media bucket is set. */
  media?: () => MediaDeps;
  /** Smart actions' results (SMA-1, SMA-2), which may set the verified-customer flag. */
  smartActions?: () => SmartActionDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const ConsumerLogin = z.lazy(() =>
  z.strictObject({
    consumerId: Identifier.describe('The logged-in consumer, as the platform knows them.'),
    crmContactId: z
      .string()
      .regex(SALESFORCE_ID, 'must be a Salesforce id')
      .describe("The logged-in consumer's contact in the CRM: where the anonymous tickets go."),
    temporaryId: TemporaryConsumerId.describe('The id the consumer had on this device before logging in.'),
  }),
);
const ConsumerMerged = onFirstUse(() =>
  z.object({
    outcome: z
      .enum(['merged', 'already_merged'])
      .describe('already_merged: this identity had already claimed the temporary id; nothing changed.'),
    mergeId: z
      .string()
      .describe('Names the merge in the audit trail (consumer.merged), for an admin to undo.'),
    ticketsMoved: z.number().int(),
  }),
);

/** The task an offer's timeout runs: named by the offer (adapters/tasks/offer-timeouts.ts). */
export const OfferTimeoutTask = z.lazy(() => z.strictObject({ sessionId: Identifier, offerId: Identifier }));
const OfferTimeoutAnswer = z.lazy(() =>
  z.object({
    outcome: z
      .enum(['timed_out', 'already_settled'])
      .describe('already_settled: the offer was accepted, declined or withdrawn first; nothing changed.'),
  }),
);

const ChatTransferParams = z.lazy(() => z.object({ sessionId: Identifier }));
const ChatTransferPick = z.lazy(() =>
  z.strictObject({
    offerId: Identifier.describe(
      'The transfer request this pick answers: the `offerId` of its `chat.transfer` `requested` command. The agent picked is offered the chat under this id followed by `.picked`.',
    ),
    agentId: Identifier.nullable().describe('Null when no agent of the queue can take the chat.'),
  }),
);
const ChatTransferPicked = z.lazy(() =>
  z.object({
    outcome: z
      .enum(['offered', 'rejected'])
      .describe(
        'rejected: nobody, or an agent who cannot take it, was picked. A pick for another request, or one already received, is a 409 (stale_transfer).',
      ),
  }),
);

const SlotQuestion = z.lazy(() => z.object({ queueId: Identifier, channel: Channel, language: Language }));
const BookingRequest = z.lazy(() =>
  SlotQuestion.unwrap().extend({
    bookingId: Identifier,
    slotStart: QuestionTime,
    callerNumber: PhoneNumber,
    sessionId: Identifier.optional(),
  }),
);

const SipRedirectionQuestion = z.lazy(() =>
  z.strictObject({
    sessionId: Identifier.describe('The session whose call is being redirected over SIP.'),
  }),
);
const SipValue = z.lazy(() => z.union([z.string(), z.number(), z.boolean()]));
const SipRedirectionAnswer = onFirstUse(() =>
  z.object({
    queueId: z.string().describe("The session's queue, whose SIP redirection settings apply."),
    uri: z
      .string()
      .nullable()
      .describe('The SIP URI to redirect the call to; null when the queue has only virtual agent settings.'),
    headers: z
      .array(z.object({ name: z.string(), value: z.string() }))
      .describe(
        'The headers to send, in the order of the data parameters: X-{field}, the value percent-encoded (UTF-8) but for booleans and numbers.',
      ),
    notSent: z
      .array(
        z.object({
          field: z.string(),
          sourceField: z.string(),
          reason: z.enum(['not_in_session', 'too_long']),
        }),
      )
      .describe(
        'Data parameters left out: the session does not carry the source field, or its value is too long.',
      ),
    records: z.object({
      metadata: z
        .record(z.string(), SipValue)
        .nullable()
        .describe("Fields to write into the session's metadata; null when the settings say not to."),
      crmRecord: z
        .record(z.string(), SipValue)
        .nullable()
        .describe('Fields to write onto the CRM record; null when the settings say not to.'),
    }),
    virtualAgent: z
      .object({
        verifiedCustomerField: z.string(),
        parameters: z
          .record(z.string(), z.boolean())
          .describe(
            "The data parameters the virtual agent receives: the session's verified customer flag, when it has one.",
          ),
      })
      .nullable()
      .describe(
        "The destination field in which the queue's virtual agent passes *verified customer*, and its value.",
      ),
  }),
);
const SessionParams = z.lazy(() => z.object({ sessionId: Identifier }));
const ReservedDataWrite = z.lazy(() =>
  z
    .strictObject({
      eventId: Identifier.describe("This call's id among the session's events: a copy changes nothing."),
      sequence: Sequence.describe("This call's place in the session's event order: the last writer wins."),
      occurredAt: EventTime,
      by: Identifier.optional().describe('The app that called, where the platform knows it.'),
      reserved_verified_customer: z.boolean().optional(),
      reserved_bad_actor: z.boolean().optional(),
      reserved_repeat_customer: z.boolean().optional(),
    })
    .refine((write) => [...RESERVED_PROPERTIES.keys()].some((key) => Object.hasOwn(write, key)), {
      message: `must set at least one of ${[...RESERVED_PROPERTIES.keys()].join(', ')}`,
    }),
);

const SmartActionParams = z.lazy(() => z.object({ sessionId: Identifier, requestId: Identifier }));
/** Built on its first parse: most platform requests are events, not results. */
const SmartActionResult = z.lazy(() =>
  z.discriminatedUnion('answer', [
    z.strictObject({ answer: z.literal('declined').describe('The consumer declined the request.') }),
    z.strictObject({
      answer: z.literal('identity'),
      identity: z
        .enum(['verified', 'failed'])
        .describe("verified sets the session's verified-customer flag (source smart_action)."),
      sequence: Sequence.describe(
        "The verification's place in the session's event order: the flag's last writer wins.",
      ),
    }),
    z.strictObject({
      answer: z.literal('text'),
      text: z
        .string()
        .min(1)
        .max(MAX_TEXT_INPUT_LENGTH)
        .regex(/^\P{Cs}*$/u, 'must be text (no lone surrogate)')
        .describe('What the consumer typed: kept for the agent, never logged.'),
    }),
  ]),
);
const SmartActionSettled = onFirstUse(() =>
  z.object({
    outcome: z
      .enum(['settled', 'already_settled', 'expired'])
      .describe('already_settled or expired: the request was not changed by this result.'),
    request: SmartActionAnswer(),
  }),
);

const PresenceReport = z.lazy(() =>
  z.object({ state: z.enum(AgentState), at: z.iso.datetime({ offset: true }) }),
);
const AgentParams = z.lazy(() => z.object({ agentId: Identifier }));

const Ingested = onFirstUse(() =>
  z.object({
    outcome: z.enum(['applied', 'replayed', 'duplicate']),
    sessionId: z.string(),
    status: z.enum(['pending', 'queued', 'assigned', 'connected', 'on_hold', 'ended']),
    lastSequence: z.number().int(),
    anomaly: z
      .string()
      .optional()
      .describe('Why the event did not fit the session where it falls in the order.'),
  }),
);
const ReservedData = onFirstUse(() =>
  z.object({
    sessionId: z.string(),
    reserved_verified_customer: z.boolean().nullable().describe('Null when never sent.'),
    reserved_bad_actor: z.boolean().nullable(),
    reserved_repeat_customer: z.boolean().nullable(),
    profile: Profile().describe('Each property as a profile flag: its value, where it came from, and when.'),
    history: ProfileHistory().describe(
      `The newest ${MAX_PROFILE_CHANGES_KEPT} changes, oldest first, whoever made them (SDK, Apps API, SIP, virtual agent); the session's events keep all.`,
    ),
    lastSequence: z.number().int(),
  }),
);
const ReservedDataSet = onFirstUse(() =>
  ReservedData().extend({
    outcome: z.enum(['applied', 'replayed', 'duplicate']),
    anomaly: z
      .string()
      .optional()
      .describe('Why the call did not fit the session where it falls in the order (not created yet).'),
  }),
);
const PresenceApplied = onFirstUse(() =>
  z.object({
    applied: z.boolean().describe('False when a later report is already known: this one changed nothing.'),
  }),
);
const VoicemailReceived = onFirstUse(() =>
  z.object({
    voicemailId: z.string(),
    route: z.discriminatedUnion('type', [
      z.object({ type: z.literal('agents'), agentIds: z.array(z.string()) }),
      z.object({ type: z.literal('crm') }),
    ]),
    duplicate: z.boolean(),
  }),
);
const Instant = onFirstUse(() => z.string().describe('An ISO 8601 date-time.'));
const FreeSlots = onFirstUse(() =>
  z.object({
    timeZone: z.string(),
    slotMinutes: z.number().int(),
    slots: z.array(z.object({ start: Instant(), end: Instant() })),
  }),
);
const Booked = onFirstUse(() =>
  z.object({
    bookingId: z.string(),
    start: Instant(),
    end: Instant(),
    outcome: z.enum(['booked', 'already_booked']),
  }),
);

/** Every platform route but health: signed, and refused whole when larger than an event may be. */
const signed = { security: ['platformSignature'], errors: [413] } as const;
/** State-changing routes: a copy of a signed request is refused with a 409. */
const signedOnce = { security: ['platformSignature'], errors: [409, 413] } as const;

export const PLATFORM_EVENTS_DESCRIPTION = {
  title: 'Switchboard platformEvents',
  description:
    "What the contact-center platform sends and asks, every request signed with the platform's secret: session events, deflection decisions, agents' presence, voicemails and call-backs; and the live chat offers' timeouts, which Cloud Tasks calls with an OIDC token.",
};

export function platformEventsRoutes(deps: PlatformEventsDeps): Route[] {
  /**
   * Every platform route but health is signed: the body is read raw, checked, then parsed. `allowV1`
   * is false where the path names what the request acts on, since a v1 signature does not cover it.
   */
  const verifiedRequest = (req: RouteContext['req'], route: { allowV1: boolean }) =>
    verifyPlatformSignature(
      deps.signing,
      { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) },
      { method: req.method, path: req.originalUrl, body: req.rawBody ?? Buffer.alloc(0) },
      deps.clock.now(),
      route,
    );
  const signedBody = (req: RouteContext['req'], route: { allowV1: boolean }) => {
    const verified = verifiedRequest(req, route);
    return { verified, body: parseJsonBody(req.rawBody ?? Buffer.alloc(0)) };
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
  const routes: Route[] = [
    route(
      'GET',
      '/healthz',
      {
        operationId: 'platformEventsHealth',
        summary: 'Whether the function answers.',
        security: [],
        answers: { 200: () => z.object({ status: z.literal('ok') }) },
      },
      () => ({ status: 200, body: { status: 'ok' as const } }),
    ),
    route(
      'POST',
      '/v1/events',
      {
        ...signed,
        operationId: 'ingestSessionEvent',
        summary: 'One session event (see schemas/session-event.v1.json); a copy changes nothing.',
        body: SessionEvent,
        bodyName: 'The session event',
        answers: { 200: Ingested },
      },
      async (req) => {
        // Not guarded against copies: an event is stored once by its id, and a copy changes nothing.
        const event = req.body(signedBody(req.req, { allowV1: true }).body);
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
          req.log,
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
    ),
    route(
      'PATCH',
      '/v1/sessions/:sessionId/reserved-data',
      {
        ...signedOnce,
        operationId: 'setReservedData',
        summary:
          "Apps API: set reserved data properties during a session (RDP-1); only those given change, and the last in the session's event order wins.",
        params: SessionParams,
        body: ReservedDataWrite,
        bodyName: 'The reserved data',
        answers: { 200: ReservedDataSet },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: false });
        const { sessionId } = req.path();
        const { eventId, sequence, occurredAt, by, ...properties } = req.body(body);
        const { answer, ingested, event } = await onlyOnce(verified, () =>
          setReservedData(deps.ingest(), {
            sessionId,
            eventId,
            sequence,
            occurredAt,
            ...(by === undefined ? {} : { by }),
            properties,
          }),
        );
        // Logged like an event from /v1/events or Pub/Sub: identifiers and outcome, never the values.
        logs.sessionEventIngested(
          {
            sessionId: event.sessionId,
            eventId: event.eventId,
            eventType: event.type,
            outcome: ingested.outcome,
            status: ingested.session.status,
            ...(ingested.anomaly ? { anomaly: ingested.anomaly } : {}),
          },
          req.log,
        );
        return { status: 200, body: answer };
      },
    ),
    route(
      'GET',
      '/v1/sessions/:sessionId/reserved-data',
      {
        ...signed,
        errors: [404, 413],
        operationId: 'getReservedData',
        summary: `Apps API: a session's reserved data properties, where each came from, and the newest ${MAX_PROFILE_CHANGES_KEPT} changes (RDP-1).`,
        params: SessionParams,
        answers: { 200: ReservedData },
      },
      async (req) => {
        // A question without a body: the signature covers the path that names the session.
        verifiedRequest(req.req, { allowV1: false });
        const { sessionId } = req.path();
        return { status: 200, body: await readReservedData(deps.ingest().sessions, sessionId) };
      },
    ),
    route(
      'POST',
      '/v1/sessions/:sessionId/smart-actions/:requestId/result',
      {
        ...signedOnce,
        errors: [404, 409, 413, 503],
        operationId: 'recordSmartActionResult',
        summary:
          'The consumer answered or declined a smart action (SMA-1, SMA-2): an identity verified sets the verified-customer flag, a text input is kept for the agent. A result for a request already settled or expired changes nothing; media are answered by upload.',
        params: SmartActionParams,
        body: SmartActionResult,
        bodyName: 'The result',
        answers: { 200: SmartActionSettled },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: false });
        const result = req.body(body);
        if (!deps.smartActions) throw notFound('Smart actions');
        const smartActions = deps.smartActions();
        const { sessionId, requestId } = req.path();
        return {
          status: 200,
          body: await onlyOnce(verified, () =>
            recordSmartActionResult(smartActions, sessionId, requestId, result, req.log),
          ),
        };
      },
    ),
    route(
      'POST',
      '/v1/consumers/logins',
      {
        security: ['platformSignature'],
        errors: [404, 409, 413],
        operationId: 'consumerLoggedIn',
        summary:
          "A consumer who was anonymous on a device logged in (UNA-4): that device's earlier tickets move to the logged-in identity. A repeat changes nothing; a temporary id another identity claimed is a 409.",
        body: ConsumerLogin,
        bodyName: 'The login',
        answers: { 200: ConsumerMerged },
      },
      async (req) => {
        // Not guarded against copies: a copy of a login changes nothing.
        const login = req.body(signedBody(req.req, { allowV1: true }).body);
        if (!deps.consumers) throw notFound('Anonymous consumers');
        return {
          status: 200,
          body: await recordLogin(deps.consumers(), {
            consumerId: login.consumerId,
            contactId: login.crmContactId,
            temporaryId: login.temporaryId,
          }),
        };
      },
    ),
    route(
      'POST',
      '/v1/deflection/decisions',
      {
        ...signed,
        operationId: 'decideDeflection',
        summary:
          'The decision for one contact, now (or at `at`): open, or deflected and what to offer (AHD-2…9).',
        body: DeflectionQuestion,
        bodyName: 'The question',
        answers: { 200: DecisionAnswer },
      },
      async (req) => {
        const q = req.body(signedBody(req.req, { allowV1: true }).body);
        return {
          status: 200,
          body: await deps.deflection().engine.decide(contactQuestion(q, deps.clock.now())),
        };
      },
    ),
    route(
      'POST',
      '/v1/sip-redirections',
      {
        ...signed,
        errors: [404, 409, 413],
        operationId: 'answerSipRedirection',
        summary:
          "The headers to send and the records to write when a session's call is redirected over SIP, from its queue's settings and the session's profile flags and metadata (RDP-3, RDP-4).",
        body: SipRedirectionQuestion,
        bodyName: 'The question',
        answers: { 200: SipRedirectionAnswer },
      },
      async (req) => {
        // Not guarded against copies: it only reads.
        const { sessionId } = req.body(signedBody(req.req, { allowV1: true }).body);
        return {
          status: 200,
          body: await answerSipRedirection(
            { engine: deps.deflection().engine, sessions: deps.ingest().sessions },
            sessionId,
          ),
        };
      },
    ),
    route(
      'PUT',
      '/v1/agents/:agentId/presence',
      {
        ...signedOnce,
        operationId: 'reportPresence',
        summary:
          "An agent's state as the platform sees it: who is logged in to take a transfer (AHD-4, AHD-7).",
        params: AgentParams,
        body: PresenceReport,
        bodyName: 'The presence report',
        answers: { 200: PresenceApplied },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: false });
        const report = req.body(body);
        const { agentId } = req.path();
        const at = instantWithin(report.at, deps.clock.now(), PRESENCE_WINDOW, 'The presence report', 'at');
        return {
          status: 200,
          body: await onlyOnce(verified, () => deps.deflection().presence.report(agentId, report.state, at)),
        };
      },
    ),
    route(
      'POST',
      '/v1/voicemails',
      {
        security: ['platformSignature'],
        errors: [400, 404, 409, 413],
        operationId: 'receiveVoicemail',
        summary: 'A voicemail left after hours: to the agents serving the queue, or to the CRM (AHD-6).',
        body: VoicemailLeft,
        bodyName: 'The voicemail',
        answers: { 200: VoicemailReceived },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: true });
        const voicemail = req.body(body);
        return {
          status: 200,
          body: await onlyOnce(verified, () =>
            receiveVoicemail(
              {
                engine: deps.deflection().engine,
                voicemails: deps.deflection().voicemails,
                clock: deps.clock,
                ...(deps.voicemailBucket
                  ? {
                      bucket: deps.voicemailBucket,
                      ...(deps.voicemailTasks ? { tasks: deps.voicemailTasks() } : {}),
                    }
                  : {}),
              },
              voicemail,
            ),
          ),
        };
      },
    ),
    route(
      'POST',
      '/v1/scheduled-calls/slots',
      {
        security: ['platformSignature'],
        errors: [404, 409, 413],
        operationId: 'offerCallBackSlots',
        summary: "A queue's free call-back slots over its horizon, in its hours' zone (AHD-5, AHD-9).",
        body: SlotQuestion,
        bodyName: 'The question',
        answers: { 200: FreeSlots },
      },
      async (req) => {
        const q = req.body(signedBody(req.req, { allowV1: true }).body);
        return { status: 200, body: await offerSlots(scheduledCallDeps(), q) };
      },
    ),
    route(
      'POST',
      '/v1/scheduled-calls',
      {
        security: ['platformSignature'],
        errors: [404, 409, 413],
        operationId: 'bookCallBack',
        summary: 'Book an offered slot; two consumers never get the same one.',
        body: BookingRequest,
        bodyName: 'The booking',
        answers: { 200: Booked },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: true });
        const b = req.body(body);
        return { status: 200, body: await onlyOnce(verified, () => bookSlot(scheduledCallDeps(), b)) };
      },
    ),
    route(
      'POST',
      '/v1/tasks/chat-offer-timeout',
      {
        security: ['tasksOidc'],
        errors: [403, 404],
        operationId: 'timeOutChatOffer',
        summary:
          "An offer's timeout, from its Cloud Task: withdrawn, the agent to RONA, the platform told to re-route; nothing if it was taken first.",
        body: OfferTimeoutTask,
        bodyName: 'The offer timeout task',
        answers: { 200: OfferTimeoutAnswer },
      },
      async (req) => {
        if (!deps.chat || !deps.chatTasksCaller) throw notFound('Live chat offers');
        await deps.chatTasksCaller().verify(req.req.header('authorization'));
        const task = req.body();
        return {
          status: 200,
          body: { outcome: await timeOutOffer(deps.chat(), task.sessionId, task.offerId) },
        };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/transfer-pick',
      {
        ...signedOnce,
        errors: [404, 409, 413],
        operationId: 'pickForChatTransfer',
        summary:
          'The agent the platform picked in the queue a chat is being transferred to (offered the chat), or null for none (the transfer is rejected) (LCH-8).',
        params: ChatTransferParams,
        body: ChatTransferPick,
        bodyName: 'The pick',
        answers: { 200: ChatTransferPicked },
      },
      async (req) => {
        const { verified, body } = signedBody(req.req, { allowV1: false });
        const pick = req.body(body);
        if (!deps.chat) throw notFound('Live chat');
        const chat = deps.chat();
        const { sessionId } = req.path();
        return {
          status: 200,
          body: {
            outcome: await onlyOnce(verified, () => offerQueueTransfer({ chat }, sessionId, pick)),
          },
        };
      },
    ),
    route(
      'POST',
      '/v1/notifications/plans',
      {
        ...signed,
        errors: [404, 409, 413, 503],
        operationId: 'planNotification',
        summary:
          'What the agent hears and sees for an assignment, in order: the tone, the whisper in their language, the countdown; the repeat schedule, whether an SMS goes to them, and the wait it adds (NOT-5). The same assignment asked again gets the same plan, adds no wait and sends no second SMS; a 503 means the SMS could not be handed over yet: ask again.',
        body: PlanRequest,
        bodyName: 'The plan request',
        answers: { 200: PlanAnswer },
      },
      async (req) => {
        // Not guarded against copies: a copy of an ask gets the same plan and changes nothing.
        const ask = req.body(signedBody(req.req, { allowV1: true }).body);
        if (!deps.notifications) throw notFound('Notification plans');
        const { plan, sms } = await planNotification(deps.notifications(), ask, req.log);
        return {
          status: 200,
          body: {
            sessionId: ask.sessionId,
            notification: plan.notification,
            steps: plan.steps,
            repeat: plan.repeat,
            sms,
            addsToWaitMs: plan.addsToWaitMs,
          },
        };
      },
    ),
  ];
  routes.push(
    route(
      'POST',
      '/v1/sessions/:sessionId/media-uploads',
      {
        ...signed,
        errors: [404, 409, 413],
        operationId: 'issueMediaUploads',
        summary:
          "Upload URLs for the consumer's SDK: the files of a photos, screenshot or video request, or a web chat attachment (.png, .jpg, .mp4). Each file goes straight to Cloud Storage, is checked by its content once uploaded, and is shown to the agent at once; never more files than the request allows (409 too_many_files).",
        params: MediaUploadsParams,
        body: MediaUploadsAsk,
        bodyName: 'The upload ask',
        answers: { 200: MediaUploadsAnswer },
      },
      async (req) => {
        // Not guarded against copies: the same askId gets the same URLs and counts no more files.
        const ask = req.body(signedBody(req.req, { allowV1: false }).body);
        if (!deps.media) throw notFound('Smart-action media');
        const { sessionId } = req.path();
        const uploads = await issueUploads(deps.media(), {
          sessionId,
          askId: ask.askId,
          files: ask.files,
          ...(ask.requestId ? { requestId: ask.requestId } : {}),
        });
        return { status: 200, body: { sessionId, uploads } };
      },
    ),
  );
  routes.push(contractRoute(PLATFORM_EVENTS_DESCRIPTION, () => routes));
  return routes;
}
