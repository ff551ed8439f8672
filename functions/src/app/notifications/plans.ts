import {
  callAnnouncement,
  phraseLanguage,
  type NotificationPlan,
  type PlanQuestion,
} from '../../domain/notifications/plan.js';
import { conflict, notFound, unavailable } from '../../domain/errors.js';
import {
  announceAssignment,
  settleSms,
  type AnnouncedAssignment,
  type Session,
} from '../../domain/sessions/session.js';
import { sessionListing } from '../../domain/supervision/session-listing.js';
import { logs, type LogContext } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { PlatformCommands } from '../../ports/platform-commands.js';
import type { QueueDirectory } from '../../ports/queues.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { DeflectionEngine } from '../deflection/engine.js';
import type { NotificationPlanner } from './planner.js';

export interface PlanDeps {
  planner: Pick<NotificationPlanner, 'plan'>;
  sessions: SessionRepository;
  /** The agent's phone number, from their profile. */
  people: Pick<PeopleDirectory, 'getPerson'>;
  /** A session's teams, for its listing when the announced wait is written. */
  queues: QueueDirectory;
  /** Which queues exist and take calls now, from the cached deflection configuration. */
  deflection: Pick<DeflectionEngine, 'queueChannels'>;
  commands: PlatformCommands;
  clock: Clock;
}

/** The platform asks: a call or chat was just assigned to `agentId`, or a message came in a chat they have. */
export type PlanAsk =
  | {
      trigger: 'assignment';
      sessionId: string;
      assignmentId: string;
      agentId: string;
      agentLanguage?: string;
    }
  | { trigger: 'message'; sessionId: string; agentId: string; agentLanguage?: string };

export type SmsOutcome = { send: true } | { send: false; reason: 'disabled' | 'no_phone' | 'not_a_call' };

export interface PlanAnswer {
  plan: NotificationPlan;
  sms: SmsOutcome;
}

/** The command id of an assignment's SMS: the same on every attempt, so that the platform sends it once. */
export const smsCommandId = (sessionId: string, assignmentId: string) => `${sessionId}:${assignmentId}:sms`;

const smsOutcome = (assignment: AnnouncedAssignment): SmsOutcome =>
  assignment.sms === 'owed' || assignment.sms === 'sent'
    ? { send: true }
    : { send: false, reason: assignment.sms };

/**
 * NOT-5: the plan for an assignment, from the cached configuration and the session's kind, channel and
 * queue. For a call, the first ask records the wait it adds (NOT-1) and owes the agent one SMS; asked
 * again, the same assignment adds nothing more, and an SMS not yet handed over is published again
 * under the same command id.
 */
export async function planNotification(deps: PlanDeps, ask: PlanAsk, log?: LogContext): Promise<PlanAnswer> {
  const session = await deps.sessions.getSession(ask.sessionId);
  if (!session?.kind) throw notFound(`The session ${ask.sessionId}`);
  if (session.status === 'ended')
    throw conflict('session_ended', 'The session has ended: there is nothing to announce.');
  if (ask.trigger === 'message' && session.kind !== 'chat')
    throw conflict('not_a_chat', 'New-message notifications are for chats; this session is a call.');
  const isCall = ask.trigger === 'assignment' && session.kind === 'call';
  // Only a call's plan reads the agent's profile, for the SMS.
  const phone = isCall ? ((await deps.people.getPerson(ask.agentId))?.phone ?? null) : null;
  const channels =
    isCall && session.queue ? await deps.deflection.queueChannels(session.queue.id) : undefined;
  const question: PlanQuestion = {
    trigger: ask.trigger,
    kind: session.kind,
    channel: session.channel,
    queue: session.queue
      ? {
          id: session.queue.id,
          name: session.queue.menuPath[session.queue.menuPath.length - 1]!,
          channels,
        }
      : null,
    agentLanguage: ask.agentLanguage ?? null,
    agentHasPhone: phone !== null,
  };
  const plan = await deps.planner.plan(question);
  if (ask.trigger !== 'assignment' || !isCall) {
    logs.notificationPlanned(
      { sessionId: ask.sessionId, notification: plan.notification, sms: 'not_a_call', addsToWaitMs: 0 },
      log,
    );
    return { plan, sms: { send: false, reason: 'not_a_call' } };
  }
  let assignment = await announce(deps, ask, {
    assignmentId: ask.assignmentId,
    agentId: ask.agentId,
    addsToWaitMs: plan.addsToWaitMs,
    sms: plan.sms.send ? 'owed' : plan.sms.reason === 'no_phone' ? 'no_phone' : 'disabled',
  });
  // The number is read from the profile on every ask: it is never stored with the session. Removed
  // from the profile since the SMS was owed, there is nothing to send it to: it is settled, not owed.
  if (assignment.sms === 'owed') {
    if (phone !== null) await sendSms(deps, ask, phone, question, log);
    else {
      await settleSmsOf(deps, ask, 'no_phone');
      assignment = { ...assignment, sms: 'no_phone' };
    }
  }
  logs.notificationPlanned(
    {
      sessionId: ask.sessionId,
      assignmentId: ask.assignmentId,
      notification: plan.notification,
      sms: assignment.sms,
      addsToWaitMs: assignment.addsToWaitMs,
    },
    log,
  );
  // What the caller waits is what was recorded with the first answer for this assignment.
  return { plan: { ...plan, addsToWaitMs: assignment.addsToWaitMs }, sms: smsOutcome(assignment) };
}

async function announce(
  deps: PlanDeps,
  ask: { sessionId: string; assignmentId: string; agentId: string },
  announced: AnnouncedAssignment,
): Promise<AnnouncedAssignment> {
  return deps.sessions.inTransaction(ask.sessionId, async (tx) => {
    const session = await tx.getSession(ask.sessionId);
    if (!session) throw notFound(`The session ${ask.sessionId}`);
    const { session: next, assignment, first } = announceAssignment(session, announced);
    if (assignment.agentId !== ask.agentId)
      throw conflict(
        'assignment_mismatch',
        `The assignment ${ask.assignmentId} of this session is another agent's.`,
      );
    if (first) await write(deps, tx, next);
    return assignment;
  });
}

async function write(
  deps: PlanDeps,
  tx: Parameters<Parameters<SessionRepository['inTransaction']>[1]>[0],
  session: Session,
) {
  const teamIds = session.queue ? await deps.queues.teamsOfQueue(session.queue.id) : [];
  tx.putSession(session, sessionListing(session, teamIds), deps.clock.now());
}

async function sendSms(
  deps: PlanDeps,
  ask: { sessionId: string; assignmentId: string; agentId: string },
  to: string,
  question: PlanQuestion,
  log?: LogContext,
) {
  try {
    await deps.commands.publish({
      type: 'agent.sms',
      commandId: smsCommandId(ask.sessionId, ask.assignmentId),
      sessionId: ask.sessionId,
      assignmentId: ask.assignmentId,
      agentId: ask.agentId,
      to,
      text: callAnnouncement(
        phraseLanguage(question.agentLanguage),
        question.channel,
        question.queue?.name ?? null,
      ),
    });
  } catch {
    // The error is not logged: a client's error may quote what it failed to send.
    logs.notificationSmsWillRetry({ sessionId: ask.sessionId, assignmentId: ask.assignmentId }, log);
    throw unavailable('The SMS to the agent could not be handed to the platform; ask for the plan again.');
  }
  await settleSmsOf(deps, ask, 'sent');
}

async function settleSmsOf(
  deps: PlanDeps,
  ask: { sessionId: string; assignmentId: string },
  outcome: 'sent' | 'no_phone',
) {
  await deps.sessions.inTransaction(ask.sessionId, async (tx) => {
    const session = await tx.getSession(ask.sessionId);
    const next = session && settleSms(session, ask.assignmentId, outcome);
    if (next) await write(deps, tx, next);
  });
}
