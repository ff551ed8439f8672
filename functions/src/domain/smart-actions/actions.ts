import type { Channel, Kind } from '../sessions/events.js';
import type { SessionStatus } from '../sessions/session.js';

/**
 * Smart actions (SMA-1, SMA-2): what the agent who owns a session may ask the consumer's mobile SDK
 * for, and how each request lives: requested, then answered or declined by the consumer, or expired
 * when neither came in time. `redact` asks no consumer: it pauses the call's recording until the
 * agent resumes it or the call ends.
 */
export const SMART_ACTIONS = [
  'verify_identity',
  'photos',
  'screenshot',
  'video',
  'text_input',
  'redact',
] as const;
export type SmartAction = (typeof SMART_ACTIONS)[number];

/** As the seed lists them: mobile SDK calls have all six, mobile SDK chats the first four. */
const MOBILE_CALL_ACTIONS: readonly SmartAction[] = SMART_ACTIONS;
const MOBILE_CHAT_ACTIONS: readonly SmartAction[] = ['verify_identity', 'photos', 'screenshot', 'video'];

/** How many files a media request takes: up to four photos, one screenshot, one video; none otherwise. */
const FILES_PER_ACTION: ReadonlyMap<SmartAction, number> = new Map([
  ['photos', 4],
  ['screenshot', 1],
  ['video', 1],
]);
export const maxFilesFor = (action: SmartAction): number => FILES_PER_ACTION.get(action) ?? 0;
export const isMediaAction = (action: SmartAction): boolean => FILES_PER_ACTION.has(action);

/**
 * A consumer prompt left unanswered this long expires: long enough to find and record a video, short
 * enough that an answer long after the agent moved on is not taken. A redaction never expires.
 */
export const REQUEST_TTL_MS = 10 * 60_000;

/** A session keeps at most this many requests: far more than a call or chat asks for. */
export const MAX_REQUESTS_PER_SESSION = 100;

/** The most text a consumer's text input holds (a tracking number, an address, a name). */
export const MAX_TEXT_INPUT_LENGTH = 1000;

/** What is stored; `expired` is never stored, it is read from the time (see `stateAt`). */
export type StoredRequestState = 'requested' | 'answered' | 'declined';
export type SmartActionState = StoredRequestState | 'expired';

/** A file the consumer sent for a media request, once its content was checked. */
export interface SmartActionFile {
  object: string;
  contentType: string;
  sizeBytes: number;
  acceptedAt: string;
}

/** What an answered request brought back, by action. */
export type SmartActionResult =
  /**
   * `sequence`: the verification's place in the session's events, as the platform numbers it, so that
   * the verified-customer flag it sets is ordered with the other writers' (RDP-1).
   */
  | { type: 'identity'; outcome: 'verified' | 'failed'; sequence: number }
  /** The consumer's text: personal data (an address, a name), never logged. */
  | { type: 'text'; text: string }
  | { type: 'media'; files: SmartActionFile[] }
  /** The agent resumed the recording (`resumedBy`), or the call ended first (null). */
  | { type: 'redaction'; resumedBy: string | null };

const RESULT_TYPE: Readonly<Record<SmartAction, SmartActionResult['type']>> = {
  verify_identity: 'identity',
  photos: 'media',
  screenshot: 'media',
  video: 'media',
  text_input: 'text',
  redact: 'redaction',
};
export const resultTypeFor = (action: SmartAction) => RESULT_TYPE[action];

/**
 * What a change left to do outside its transaction, kept on the request until done so that a retry
 * finishes it: the command to the platform (the prompt, or the recording's pause), the recording's
 * resume, the verified-customer flag on the session.
 */
export type OwedEffect = 'platform_request' | 'recording_resume' | 'verified_flag';

export interface SmartActionRequest {
  id: string;
  sessionId: string;
  action: SmartAction;
  /** The session's kind: a chat's requests are copied to its agent's desk, a call's are read in place. */
  kind: Kind;
  /** As stored: a `requested` one past `expiresAt` is expired (`stateAt`). */
  state: StoredRequestState;
  /** The agent who asked. */
  agentId: string;
  /** The desktop's id for the ask: asked again with it, the same request is answered. */
  clientRequestId: string;
  requestedAt: string;
  /** Null for a redaction, which lasts until resumed or until the call ends. */
  expiresAt: string | null;
  /** Files a media request takes (0 for the others). */
  maxFiles: number;
  settledAt: string | null;
  result: SmartActionResult | null;
  owed: OwedEffect[];
}

/** The state at `now`: a request still open past its expiry is expired. */
export function stateAt(request: SmartActionRequest, now: Date): SmartActionState {
  if (request.state !== 'requested') return request.state;
  return request.expiresAt !== null && now.getTime() >= Date.parse(request.expiresAt)
    ? 'expired'
    : 'requested';
}

export const isOpen = (request: SmartActionRequest, now: Date) => stateAt(request, now) === 'requested';

/** Why a session does not take a request now; each is named in the refusal the agent gets. */
export type RequestRefusal =
  /** Only the agent the session is assigned to asks; supervisors never do. */
  | 'not_session_agent'
  | 'session_ended'
  /** Not yet connected to the agent (queued, or assigned and not answered). */
  | 'not_connected'
  /** Smart actions are for mobile SDK sessions (not phone, SMS or other channels). */
  | 'not_mobile'
  /** Web SDK chats have no prompted flow: the consumer attaches files (SMA-3). */
  | 'web_chat_attachments'
  /** Text input and redaction are for mobile SDK calls only. */
  | 'not_for_chats'
  /** The recording is already paused by an open redaction. */
  | 'already_redacting'
  | 'too_many_requests';

/** What of a session decides what its agent may ask. */
export interface SessionForActions {
  kind: Kind | null;
  channel: Channel | null;
  status: SessionStatus;
  agentId: string | null;
}

/** The actions a session's kind and channel allow, in the seed's order (none for web chats and the rest). */
export function actionsAllowed(session: Pick<SessionForActions, 'kind' | 'channel'>): readonly SmartAction[] {
  if (session.channel !== 'mobile') return [];
  if (session.kind === 'call') return MOBILE_CALL_ACTIONS;
  if (session.kind === 'chat') return MOBILE_CHAT_ACTIONS;
  return [];
}

/** The redaction currently pausing the recording, if any. */
export const openRedaction = (requests: readonly SmartActionRequest[]) =>
  requests.find((r) => r.action === 'redact' && r.state === 'requested');

/**
 * Why `agentId` may not ask `action` of the session now, given its requests so far; undefined when
 * they may. Who asks comes first, so a supervisor learns nothing of the session's state.
 */
export function requestRefusal(
  session: SessionForActions,
  agentId: string,
  action: SmartAction,
  existing: readonly SmartActionRequest[],
): RequestRefusal | undefined {
  if (session.agentId === null || session.agentId !== agentId) return 'not_session_agent';
  if (session.status === 'ended') return 'session_ended';
  if (session.status !== 'connected' && session.status !== 'on_hold') return 'not_connected';
  if (session.channel !== 'mobile')
    return session.kind === 'chat' && session.channel === 'web' ? 'web_chat_attachments' : 'not_mobile';
  if (!actionsAllowed(session).includes(action)) return 'not_for_chats';
  if (action === 'redact' && openRedaction(existing)) return 'already_redacting';
  if (existing.length >= MAX_REQUESTS_PER_SESSION) return 'too_many_requests';
  return undefined;
}

/** A new request, as asked at `now`: it owes the platform its command. */
export function newRequest(input: {
  id: string;
  sessionId: string;
  kind: Kind;
  action: SmartAction;
  agentId: string;
  clientRequestId: string;
  now: Date;
}): SmartActionRequest {
  const { now, ...rest } = input;
  return {
    ...rest,
    state: 'requested',
    requestedAt: now.toISOString(),
    expiresAt: input.action === 'redact' ? null : new Date(now.getTime() + REQUEST_TTL_MS).toISOString(),
    maxFiles: maxFilesFor(input.action),
    settledAt: null,
    result: null,
    owed: ['platform_request'],
  };
}

/** How a request ends: answered with its result, or declined by the consumer. */
export type SmartActionOutcome = { state: 'answered'; result: SmartActionResult } | { state: 'declined' };

export type SettleRefusal =
  | 'already_settled'
  | 'expired'
  /** The result is not the kind the action brings back (a text for a photo request). */
  | 'result_mismatch';

export type Settled =
  | { changed: true; request: SmartActionRequest }
  | { changed: false; request: SmartActionRequest; reason: SettleRefusal };

/**
 * Settles an open request at `at`, owing `effects` afterwards. A settled or expired request is left as
 * it is, and says why: a late or repeated result changes nothing.
 */
export function settleRequest(
  request: SmartActionRequest,
  outcome: SmartActionOutcome,
  at: Date,
  effects: readonly OwedEffect[] = [],
): Settled {
  const state = stateAt(request, at);
  if (state === 'expired') return { changed: false, request, reason: 'expired' };
  if (state !== 'requested') return { changed: false, request, reason: 'already_settled' };
  const fits =
    outcome.state === 'answered'
      ? outcome.result.type === resultTypeFor(request.action)
      : request.action !== 'redact';
  if (!fits) return { changed: false, request, reason: 'result_mismatch' };
  return {
    changed: true,
    request: {
      ...request,
      state: outcome.state,
      settledAt: at.toISOString(),
      result: outcome.state === 'answered' ? outcome.result : null,
      owed: [...new Set([...request.owed, ...effects])],
    },
  };
}

/** The request once `effects` are done. */
export const withEffectsDone = (request: SmartActionRequest, effects: readonly OwedEffect[]) => ({
  ...request,
  owed: request.owed.filter((e) => !effects.includes(e)),
});

/** A span of the call during which its recording was paused; `to` is null while it still is. */
export interface PausedSpan {
  requestId: string;
  from: string;
  to: string | null;
}

/**
 * The recording's paused spans, in order: each redaction from its request to its resume, or to the
 * call's end when it was never resumed (null while the call goes on).
 */
export function pausedSpans(
  requests: readonly SmartActionRequest[],
  callEndedAt: string | null,
): PausedSpan[] {
  return requests
    .filter((r) => r.action === 'redact')
    .map((r) => ({
      requestId: r.id,
      from: r.requestedAt,
      to: r.state === 'requested' ? callEndedAt : r.settledAt,
    }))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** A CRM file's description holds at most this many characters (Salesforce ContentVersion.Description). */
export const MAX_DESCRIPTION_LENGTH = 1000;

const clockTime = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/**
 * What the CRM's copy of the recording says of its paused spans, in UTC, within the description's
 * length (the spans that do not fit are counted). Null when the recording was never paused.
 */
export function describePausedSpans(spans: readonly PausedSpan[]): string | null {
  if (spans.length === 0) return null;
  const head = `Recording paused for redaction (${spans.length === 1 ? '1 span' : `${spans.length} spans`}, UTC): `;
  const parts = spans.map(
    (s) => `${clockTime(s.from)} to ${s.to === null ? 'the end of the call' : clockTime(s.to)}`,
  );
  let text = head;
  for (const [index, part] of parts.entries()) {
    const rest = parts.length - index - 1;
    const more = rest > 0 ? `; and ${rest + 1} more` : '';
    const candidate = `${text}${index === 0 ? '' : '; '}${part}`;
    if (candidate.length + (rest > 0 ? `; and ${rest} more`.length : 0) > MAX_DESCRIPTION_LENGTH)
      return `${text}${more}.`;
    text = candidate;
  }
  return `${text}.`;
}
