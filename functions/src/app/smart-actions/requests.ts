import { AppError, conflict, forbidden, notFound, unavailable } from '../../domain/errors.js';
import {
  newRequest,
  openRedaction,
  requestRefusal,
  stateAt,
  type OwedEffect,
  type RequestRefusal,
  type SmartAction,
  type SmartActionRequest,
  type SmartActionState,
} from '../../domain/smart-actions/actions.js';
import { SCHEMA_VERSION } from '../../domain/sessions/events.js';
import type { Session } from '../../domain/sessions/session.js';
import { logs, type LogContext } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { PlatformCommand, PlatformCommands } from '../../ports/platform-commands.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { SmartActionRequests } from '../../ports/smart-actions.js';
import { ingestSessionEvent, type IngestDeps } from '../ingest-session-event.js';

export interface SmartActionDeps {
  sessions: Pick<SessionRepository, 'getSession'>;
  requests: SmartActionRequests;
  commands: PlatformCommands;
  clock: Clock;
  newId: () => string;
  /** Where results set the verified-customer flag: the platform's side only. */
  ingest?: IngestDeps;
}

/** A request as the agent sees it: its state at the time asked, and whether the platform has it. */
export type SmartActionView = Omit<SmartActionRequest, 'state' | 'owed'> & {
  state: SmartActionState;
  sentToPlatform: boolean;
};

export const viewAt = (request: SmartActionRequest, now: Date): SmartActionView => {
  const { owed, ...rest } = request;
  return { ...rest, state: stateAt(request, now), sentToPlatform: !owed.includes('platform_request') };
};

const REFUSALS: Readonly<Record<RequestRefusal, () => AppError>> = {
  not_session_agent: () =>
    forbidden('not_session_agent', 'Only the agent the session is assigned to can ask for smart actions.'),
  session_ended: () => conflict('session_ended', 'The session has ended.'),
  not_connected: () => conflict('not_connected', 'The session is not connected to its agent yet.'),
  not_mobile: () => conflict('not_mobile', 'Smart actions are for sessions from the mobile SDK.'),
  web_chat_attachments: () =>
    conflict(
      'web_chat_attachments',
      'Web chats have no smart actions: the customer attaches .png, .jpg or .mp4 files instead.',
    ),
  not_for_chats: () =>
    conflict('not_for_chats', 'Text input and redaction are for mobile SDK calls, not chats.'),
  already_redacting: () =>
    conflict('already_redacting', 'The recording is already paused: resume it before redacting again.'),
  too_many_requests: () =>
    conflict('too_many_requests', 'This session has had as many smart actions as it can.'),
};

const sessionForActions = (session: Session) => ({
  kind: session.kind,
  channel: session.channel,
  status: session.status,
  agentId: session.agent?.id ?? null,
});

async function sessionOf(
  deps: SmartActionDeps,
  sessionId: string,
): Promise<Session & { kind: 'call' | 'chat' }> {
  const session = await deps.sessions.getSession(sessionId);
  if (!session?.kind) throw notFound('The session');
  return session as Session & { kind: 'call' | 'chat' };
}

/** The command that does `effect` for `request`; its id is the same on every attempt. */
function commandFor(
  request: SmartActionRequest,
  effect: 'platform_request' | 'recording_resume',
): PlatformCommand {
  const ids = { sessionId: request.sessionId, requestId: request.id };
  if (effect === 'recording_resume')
    return { type: 'recording.resume', commandId: `${request.id}.resume`, ...ids };
  if (request.action === 'redact') return { type: 'recording.pause', commandId: request.id, ...ids };
  return {
    type: 'smart_action.request',
    commandId: request.id,
    ...ids,
    action: request.action,
    maxFiles: request.maxFiles,
    expiresAt: request.expiresAt!,
  };
}

/**
 * Does what `request` still owes, in order, marking each done once done. A failure leaves it owed (a
 * 503): the next attempt (the same ask, resume or result again) does it with the same ids, so the
 * platform gets each command once and the flag is set once.
 */
export async function finishOwed(
  deps: SmartActionDeps,
  request: SmartActionRequest,
  log?: LogContext,
): Promise<SmartActionRequest> {
  const done: OwedEffect[] = [];
  for (const effect of request.owed) {
    try {
      if (effect === 'verified_flag') await setVerifiedFlag(deps, request);
      else await deps.commands.publish(commandFor(request, effect));
    } catch (error) {
      // The error itself is not logged: a client's error may quote what it failed to send.
      logs.smartActionEffectWillRetry({ sessionId: request.sessionId, requestId: request.id, effect }, log);
      if (done.length > 0) await deps.requests.effectsDone(request.sessionId, request.id, done);
      throw error instanceof AppError && error.status !== 500
        ? error
        : unavailable(
            'The request is saved but the platform could not be told yet; send it again as it was.',
          );
    }
    done.push(effect);
  }
  if (done.length === 0) return request;
  await deps.requests.effectsDone(request.sessionId, request.id, done);
  return { ...request, owed: request.owed.filter((e) => !done.includes(e)) };
}

/**
 * RDP-2: the consumer verified their identity on their device. Recorded as a session event from the
 * smart action, named by the request, at the place the platform gave the verification: a repeat is a
 * duplicate, and the flag is ordered with the SDK's, the Apps API's and SIP's writes.
 */
async function setVerifiedFlag(deps: SmartActionDeps, request: SmartActionRequest) {
  if (!deps.ingest) throw new Error('Results are recorded where session events are ingested.');
  if (request.result?.type !== 'identity' || request.result.outcome !== 'verified') return;
  await ingestSessionEvent(deps.ingest, {
    schemaVersion: SCHEMA_VERSION,
    eventId: `${request.id}.verified`,
    sessionId: request.sessionId,
    sequence: request.result.sequence,
    occurredAt: request.settledAt!,
    type: 'metadata.updated',
    source: 'smart_action',
    by: request.id,
    metadata: { reserved_verified_customer: true },
  });
}

/**
 * SMA-1, SMA-2: the agent who owns the session asks the consumer for `action`. Asked again with the
 * same `clientRequestId`, the first request is answered (200) and whatever it still owes the platform
 * is sent under the same id; a refusal names its reason and writes nothing.
 */
export async function askSmartAction(
  deps: SmartActionDeps,
  agentId: string,
  sessionId: string,
  input: { action: SmartAction; clientRequestId: string },
  log?: LogContext,
): Promise<{ request: SmartActionView; created: boolean }> {
  const session = await sessionOf(deps, sessionId);
  const now = deps.clock.now();
  const { request, created } = await deps.requests.create(sessionId, (existing) => {
    const same = existing.find((r) => r.agentId === agentId && r.clientRequestId === input.clientRequestId);
    if (same) {
      if (same.action !== input.action)
        throw conflict(
          'client_request_id_reused',
          `This clientRequestId already asked for ${same.action}; use a new one for another request.`,
        );
      return { existing: same };
    }
    const refusal = requestRefusal(sessionForActions(session), agentId, input.action, existing);
    if (refusal) throw REFUSALS[refusal]();
    return {
      create: newRequest({
        id: deps.newId(),
        sessionId,
        kind: session.kind,
        action: input.action,
        agentId,
        clientRequestId: input.clientRequestId,
        now,
      }),
    };
  });
  logs.smartActionRequested({ sessionId, requestId: request.id, action: request.action, created }, log);
  const sent = await finishOwed(deps, request, log);
  return { request: viewAt(sent, now), created };
}

/** The session's requests and their state now, for the agent who owns it. */
export async function listSmartActions(
  deps: SmartActionDeps,
  agentId: string,
  sessionId: string,
): Promise<SmartActionView[]> {
  const session = await sessionOf(deps, sessionId);
  if (session.agent?.id !== agentId) throw REFUSALS.not_session_agent();
  const now = deps.clock.now();
  return (await deps.requests.list(sessionId)).map((r) => viewAt(r, now));
}

/**
 * SMA-1: the agent resumes the recording a redaction paused; the paused span ends now. Asked again
 * after a resume the platform did not take, the resume is sent again (same id) rather than refused.
 */
export async function resumeRecording(
  deps: SmartActionDeps,
  agentId: string,
  sessionId: string,
  log?: LogContext,
): Promise<SmartActionView> {
  const session = await sessionOf(deps, sessionId);
  if (session.agent?.id !== agentId) throw REFUSALS.not_session_agent();
  const now = deps.clock.now();
  const requests = await deps.requests.list(sessionId);
  const unsent = requests.find((r) => r.action === 'redact' && r.owed.includes('recording_resume'));
  if (unsent) return viewAt(await finishOwed(deps, unsent, log), now);
  if (session.status === 'ended') throw REFUSALS.session_ended();
  const open = openRedaction(requests);
  if (!open) throw conflict('not_redacting', 'The recording is not paused by a redaction.');
  const settled = await deps.requests.settle(
    sessionId,
    open.id,
    { state: 'answered', result: { type: 'redaction', resumedBy: agentId } },
    now,
    ['recording_resume'],
  );
  if (!settled?.changed) throw conflict('not_redacting', 'The recording was resumed meanwhile.');
  logs.smartActionSettled(
    { sessionId, requestId: open.id, action: 'redact', outcome: 'resumed', state: settled.request.state },
    log,
  );
  return viewAt(await finishOwed(deps, settled.request, log), now);
}
