import { z } from 'zod';
import { Metadata, ProfileSource, RESERVED_PROPERTIES } from './profile.js';

/**
 * Session events, schema version 1: what the platform (telephony, chat service, SDKs) tells us about a
 * call or a chat. This file is the contract; `npm run schema` exports it as JSON Schema to
 * `schemas/session-event.v1.json`.
 *
 * Ordering: `sequence` is assigned by the platform per session and increases with every event of that
 * session. Delivery may duplicate or reorder events; the session state is defined as the events folded
 * in (sequence, eventId) order, so every delivery order converges to the same state.
 */
export const SCHEMA_VERSION = 1 as const;

/** Identifiers become Firestore document ids: no slashes, no `__x__`, bounded length. */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'must be 1-128 letters, digits or . _ : @ - (no slash)');

/**
 * Text as it is stored and shown: bounded, and never a lone surrogate half (not text: it would be
 * stored as a replacement character, so what is read back would differ from what was checked).
 * Names, paths and ids of the platform's also hold no control characters.
 */
const Text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^\P{Cs}*$/u, 'must be text (no lone surrogate)');
const Label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must be text without control characters');

/** Where a recording lies in Cloud Storage, as the platform names it. */
export const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a Cloud Storage bucket name');
// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const ObjectName = z.lazy(() => Label(1024));
export const Generation = z.string().regex(/^\d{1,20}$/, 'must be a Cloud Storage generation');

/**
 * Sequences are safe integers, one short of the largest, so that the event after the last one (the
 * end a supervisor asks) is still exact and ordered.
 */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER - 1;

/**
 * Times from 2000 to 2099 (any offset): stored as UTC text that sorts as time, which a year before
 * 1000 or after 9999 would not, and far enough that no real event falls outside.
 */
export const EventTime = z.lazy(() =>
  z.iso
    .datetime({ offset: true })
    .regex(/^20\d\d-/, 'must be a time in the years 2000 to 2099')
    .transform((value) => new Date(value).toISOString()),
);

export const Kind = z.enum(['call', 'chat']);
export type Kind = z.infer<typeof Kind>;

export const Channel = z.enum(['ivr', 'mobile', 'web', 'sms']);
export type Channel = z.infer<typeof Channel>;

export const QueueRef = z.lazy(() =>
  z.object({
    id: Identifier,
    /** The menu path the consumer took, root first: ["Billing", "Refunds"]. */
    menuPath: z.array(Label(100)).min(1).max(10),
  }),
);
export type QueueRef = z.infer<typeof QueueRef>;

export const AgentRef = z.lazy(() =>
  z.object({
    id: Identifier,
    name: Label(200).optional(),
  }),
);
export type AgentRef = z.infer<typeof AgentRef>;

/**
 * The temporary id of a consumer who has not logged in (UNA-1): the web SDK's visitor id or the mobile
 * SDK's id. A reinstalled Android app has a new SDK id, hence a new contact (UNA-5).
 */
export const TemporaryConsumerId = z.object({
  source: z.enum(['web_visitor', 'mobile_sdk']),
  id: Identifier,
});
export type TemporaryConsumerId = z.infer<typeof TemporaryConsumerId>;

export const Consumer = z.lazy(() =>
  z.object({
    id: Identifier,
    name: Label(200).optional(),
    anonymous: z.boolean().default(false),
    /**
     * Read only for an anonymous consumer; events without it stay valid (no CRM ticket is made for
     * them). A known consumer's is ignored rather than refused: refusing would lose the session.
     */
    temporaryId: TemporaryConsumerId.optional(),
  }),
);

export const CrmLink = z.lazy(() =>
  z.object({
    system: z.enum(['salesforce', 'zendesk', 'other']),
    recordId: Label(100),
    /** Shown to supervisors as a link: web addresses only. */
    url: z
      .url({ protocol: /^https?$/, hostname: z.regexes.domain })
      .max(2048)
      .optional(),
  }),
);
export type CrmLink = z.infer<typeof CrmLink>;

export const ParticipantRole = z.enum(['agent', 'consumer', 'virtual_agent', 'external']);

export const EndReason = z.enum([
  'completed',
  'consumer_left',
  'agent_ended',
  'abandoned',
  'deflected',
  'ended_by_supervisor',
  'timed_out',
  'failed',
]);
export type EndReason = z.infer<typeof EndReason>;

/** The platform's place for an event in its session's order. */
export const Sequence = z.number().int().nonnegative().max(MAX_SEQUENCE);

const envelope = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  eventId: Identifier,
  sessionId: Identifier,
  sequence: Sequence,
  /** Any offset is accepted; it is stored as UTC so that stored times sort as text. */
  occurredAt: EventTime,
};

/**
 * Built on its first parse rather than when the module loads: it is some forty schemas, and a
 * function that never receives an event (or not before its first answer) should not pay for them.
 */
export const SessionEvent = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({
      ...envelope,
      type: z.literal('session.created'),
      kind: Kind,
      channel: Channel,
      queue: QueueRef,
      language: z
        .string()
        .max(35)
        .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as en or fr-CA'),
      consumer: Consumer,
      crm: CrmLink.optional(),
      /** The SDK's metadata at the start: reserved properties (RDP-1) and the app's own keys. */
      metadata: Metadata.optional(),
    }),
    z.object({ ...envelope, type: z.literal('session.assigned'), agent: AgentRef }),
    z.object({
      ...envelope,
      type: z.literal('session.connected'),
      /** Needed only when the session was not assigned first. */
      agent: AgentRef.optional(),
    }),
    z.object({
      ...envelope,
      type: z.literal('session.transferred'),
      to: z.discriminatedUnion('type', [
        z.object({ type: z.literal('queue'), queue: QueueRef }),
        z.object({ type: z.literal('agent'), agent: AgentRef }),
      ]),
    }),
    z.object({ ...envelope, type: z.literal('session.held') }),
    z.object({ ...envelope, type: z.literal('session.resumed') }),
    z.object({
      ...envelope,
      type: z.literal('participant.joined'),
      participant: z.object({
        id: Identifier,
        role: ParticipantRole,
        name: Label(200).optional(),
      }),
    }),
    z.object({ ...envelope, type: z.literal('participant.left'), participantId: Identifier }),
    z.object({
      ...envelope,
      type: z.literal('recording.available'),
      recording: z.object({
        id: Identifier,
        bucket: BucketName,
        object: ObjectName,
        generation: Generation.optional(),
        sizeBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
        contentType: Label(100).optional(),
      }),
    }),
    z.object({ ...envelope, type: z.literal('crm.linked'), crm: CrmLink }),
    z.object({
      ...envelope,
      type: z.literal('message.sent'),
      message: z.object({
        id: Identifier,
        author: z.object({
          type: z.enum(['consumer', 'agent', 'virtual_agent', 'system']),
          id: Identifier.optional(),
        }),
        text: Text(4000),
      }),
    }),
    z
      .object({
        ...envelope,
        type: z.literal('metadata.updated'),
        /** Who sent it: the SDK, the Apps API, SIP headers, or a virtual agent that verified the user. */
        source: ProfileSource,
        /** Who, where the platform knows: a virtual agent's or an app's id. */
        by: Identifier.optional(),
        metadata: Metadata,
      })
      .superRefine((event, ctx) => {
        const keys = Object.keys(event.metadata);
        if (keys.length === 0)
          ctx.addIssue({ code: 'custom', path: ['metadata'], message: 'must hold at least one key' });
        // Only the SDK sends an app's own metadata; the other sources set reserved properties. The keys
        // are counted, never named: a caller's key may be personal data.
        const appKeys = keys.filter((k) => !RESERVED_PROPERTIES.has(k)).length;
        if (event.source !== 'sdk' && appKeys > 0)
          ctx.addIssue({
            code: 'custom',
            path: ['metadata'],
            message: `only the reserved properties come from ${event.source} (${appKeys === 1 ? 'one other key' : `${appKeys} other keys`})`,
          });
      }),
    z.object({ ...envelope, type: z.literal('session.ended'), reason: EndReason }),
  ]),
);

export type SessionEvent = z.infer<typeof SessionEvent>;

/**
 * What folding reads back of a stored event: every field of every event type but a message's text,
 * which only the chat thread shows (derived from the schema, so a new field is never left out).
 */
export function foldedFields(): readonly string[] {
  return (foldedFieldsOnce ??= [
    ...new Set(SessionEvent.unwrap().options.flatMap((variant) => Object.keys(variant.shape))),
  ].flatMap((field) => (field === 'message' ? ['message.id', 'message.author'] : [field])));
}
let foldedFieldsOnce: readonly string[] | undefined;
export type SessionEventType = SessionEvent['type'];
export type SessionEventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;

/** The total order in which events are folded: by sequence, then by id to break platform ties. */
export const compareEvents = (a: SessionEvent, b: SessionEvent): number =>
  a.sequence - b.sequence || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
