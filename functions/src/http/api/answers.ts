import { z } from 'zod';
import { Channel, CrmLink, EndReason, Kind } from '../../domain/sessions/events.js';
import {
  MAX_PROFILE_CHANGES_KEPT,
  PROFILE_FLAG_NAMES,
  PROFILE_SOURCES,
  SHOWN_FLAGS,
} from '../../domain/sessions/profile.js';
import { onFirstUse } from '../router.js';

/**
 * Answer schemas the api's resources share: what a supervisor sees of a session. Only the API document
 * reads them, so each is built on first use.
 */
const Instant = onFirstUse(() => z.string().describe('An ISO 8601 date-time.'));

/** RDP-2: the profile flags shown, each with where it came from. */
export const ProfileFlags = onFirstUse(() =>
  z
    .array(
      z.object({
        flag: z.enum(SHOWN_FLAGS),
        label: z.string(),
        source: z.enum(PROFILE_SOURCES),
        sourceLabel: z.string(),
        since: Instant(),
      }),
    )
    .describe(
      'Verified or unverified when the platform said either; bad actor and repeat customer when true.',
    ),
);

const ProfileFlag = onFirstUse(() =>
  z.object({
    value: z.boolean(),
    source: z.enum(PROFILE_SOURCES),
    sequence: z.number().int().describe("The platform's sequence of the event that set it."),
    at: Instant(),
  }),
);

/** The reserved data properties as flags (RDP-1): absent where never sent. */
export const Profile = onFirstUse(() =>
  z.object({
    verifiedCustomer: ProfileFlag().optional(),
    badActor: ProfileFlag().optional(),
    repeatCustomer: ProfileFlag().optional(),
  }),
);

/** The changes of the profile flags a session keeps, oldest first. */
export const ProfileHistory = onFirstUse(() =>
  z
    .array(
      z.object({
        flag: z.enum(PROFILE_FLAG_NAMES),
        from: z.boolean().nullable().describe('Null when the flag had not been set before.'),
        to: z.boolean(),
        source: z.enum(PROFILE_SOURCES),
        by: z.string().nullable(),
        sequence: z.number().int(),
        eventId: z.string(),
        at: Instant(),
      }),
    )
    .describe(
      `The newest ${MAX_PROFILE_CHANGES_KEPT} changes of the profile flags, oldest first; the session's events keep all.`,
    ),
);

export const SessionSummary = onFirstUse(() =>
  z.object({
    id: z.string(),
    kind: Kind.nullable(),
    channel: Channel.nullable(),
    status: z.enum(['pending', 'queued', 'assigned', 'connected', 'on_hold', 'ended']),
    listState: z.enum(['queued', 'connected', 'ended', 'pending']),
    queue: z.object({ id: z.string(), issue: z.string() }).nullable(),
    endUser: z.string().nullable(),
    profileFlags: ProfileFlags(),
    agent: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    stateSince: Instant().nullable(),
    inStateMs: z.number(),
    stuck: z.boolean(),
    lastSequence: z.number().int(),
  }),
);

const Participant = onFirstUse(() =>
  z.object({
    id: z.string(),
    role: z.enum(['agent', 'consumer', 'virtual_agent', 'external']),
    name: z.string().optional(),
    joinedAt: Instant(),
    leftAt: Instant().optional(),
  }),
);

const Transfer = onFirstUse(() =>
  z.object({
    at: Instant(),
    from: z.object({ queueId: z.string().nullable(), agentId: z.string().nullable() }),
    to: z.union([
      z.object({ type: z.literal('queue'), queueId: z.string() }),
      z.object({ type: z.literal('agent'), agentId: z.string() }),
    ]),
  }),
);

export const SessionDetails = onFirstUse(() =>
  z.object({
    ...SessionSummary().shape,
    language: z.string().nullable(),
    endUser: z
      .object({
        id: z.string(),
        name: z.string().nullable(),
        display: z.string().nullable(),
        anonymous: z.boolean(),
      })
      .nullable(),
    agent: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    issue: z.string().nullable(),
    crm: z
      .object({ system: CrmLink.unwrap().shape.system, recordId: z.string(), url: z.string().optional() })
      .nullable(),
    profile: Profile(),
    profileHistory: ProfileHistory(),
    metrics: z.object({
      queueWaitMs: z.number(),
      talkMs: z.number(),
      holdMs: z.number(),
      holdCount: z.number().int(),
      transferCount: z.number().int(),
    }),
    transfers: z.array(Transfer()),
    participants: z.array(Participant()),
    timeline: z.object({
      createdAt: Instant().nullable(),
      assignedAt: Instant().nullable(),
      connectedAt: Instant().nullable(),
      endedAt: Instant().nullable(),
    }),
    endReason: EndReason.nullable(),
    messageCount: z.number().int(),
    yourMonitor: z.object({ mode: z.enum(['listen', 'barge']), startedAt: Instant() }).nullable(),
    actions: z.object({ monitor: z.boolean(), barge: z.boolean(), end: z.boolean() }),
  }),
);

export const Monitor = onFirstUse(() =>
  z.object({
    sessionId: z.string(),
    uid: z.string(),
    mode: z.enum(['listen', 'barge']),
    startedAt: Instant(),
    stoppedAt: Instant().nullable(),
    stopReason: z.enum(['stopped', 'session_ended']).nullable(),
  }),
);

export const ChatThread = onFirstUse(() =>
  z.object({
    messages: z.array(
      z.object({
        id: z.string(),
        sequence: z.number().int(),
        sentAt: Instant(),
        author: z.object({
          type: z.enum(['consumer', 'agent', 'virtual_agent', 'system']),
          id: z.string().optional(),
        }),
        text: z.string(),
      }),
    ),
  }),
);

export const NextCursor = onFirstUse(() =>
  z.string().nullable().describe("The next page's cursor; null on the last page."),
);

export { Instant };
