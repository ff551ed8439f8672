import type { Actor } from '../../domain/access/permissions.js';
import {
  anonymousFirstName,
  consumerKey,
  decideMerge,
  decideUndo,
  newAnonymousConsumer,
  settled,
  targetOf,
  withLateTicket,
  withTicketMade,
  withTicketToMake,
  type ConsumerMerge,
  type Login,
} from '../../domain/consumers/anonymous.js';
import { notFound } from '../../domain/errors.js';
import type { SessionEventOf } from '../../domain/sessions/events.js';
import { logs } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { ConsumerCrm } from '../../ports/consumer-crm.js';
import type { ConsumerStore, ConsumerTasks } from '../../ports/consumers.js';
import { CrmError } from '../../ports/crm.js';
import type { AuditAction, AuditLog } from '../../ports/supervision.js';
import { DONE, type TaskAnswer } from '../recordings/deps.js';
import { authorizeOrThrow } from '../supervision/deps.js';

/** Where anonymous consumers are recorded and their CRM work is queued: platformEvents and the api. */
export interface ConsumerDeps {
  consumers: ConsumerStore;
  tasks: ConsumerTasks;
  audit: AuditLog;
  clock: Clock;
  /** Merge ids: random, so that they name no consumer (they go into logs and the audit trail). */
  newId: () => string;
}

/** The worker's: it alone talks to the CRM. */
export interface ConsumerWorkerDeps {
  consumers: ConsumerStore;
  tasks: ConsumerTasks;
  crm: () => ConsumerCrm;
  /** The support center's IANA zone (its business hours'): the clock of the contacts' names. */
  supportCenterZone: () => Promise<string>;
}

/**
 * UNA-1: an anonymous consumer's session is noted on the consumer, and its CRM ticket asked for.
 * Also on a redelivery: an earlier attempt may have noted it and failed before asking; the task is
 * named after the session. A ticket already made asks for nothing. Past the cap, the session gets no
 * ticket and the log says so.
 */
export async function noteAnonymousSession(
  deps: Pick<ConsumerDeps, 'consumers' | 'tasks'>,
  event: SessionEventOf<'session.created'>,
): Promise<void> {
  const temporaryId = event.consumer.temporaryId;
  if (!event.consumer.anonymous || !temporaryId) return;
  const key = consumerKey(temporaryId);
  const noted = await deps.consumers.inTransaction(async (tx) => {
    const consumer = (await tx.getConsumer(key)) ?? newAnonymousConsumer(temporaryId);
    const known = consumer.tickets.find((t) => t.sessionId === event.sessionId);
    // A ticket already made needs no task; one only noted may have lost its task to a failure.
    if (known) return known.caseId === null ? 'to_make' : 'made';
    const next = withTicketToMake(consumer, event.sessionId, new Date(event.occurredAt));
    if (!next) return 'capped';
    tx.putConsumer(next);
    return 'to_make';
  });
  if (noted === 'capped') logs.anonymousTicketsCapped({ sessionId: event.sessionId });
  if (noted === 'to_make') await deps.tasks.enqueueTicket({ consumerKey: key, sessionId: event.sessionId });
}

function crmFailure(task: 'ticket' | 'merge', id: string, error: unknown): TaskAnswer {
  if (!(error instanceof CrmError)) throw error;
  if (!error.retryable) {
    logs.consumerCrmFailed({ task, id, reason: error.reason });
    return DONE;
  }
  logs.consumerCrmWillRetry({ task, id, kind: error.kind, reason: error.reason });
  return {
    outcome: 'retry',
    slowDown: error.kind === 'limit_reached',
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    reason: error.reason,
  };
}

/**
 * UNA-2, UNA-3: the CRM ticket of one anonymous session. A ticket already acknowledged costs no CRM
 * call; one the CRM made without our knowing (a lost acknowledgement) is found by its external ids.
 * A ticket acknowledged after its consumer logged in follows the merge.
 */
export async function runTicketTask(
  deps: ConsumerWorkerDeps,
  task: { consumerKey: string; sessionId: string },
): Promise<TaskAnswer> {
  const consumer = await deps.consumers.getConsumer(task.consumerKey);
  const ticket = consumer?.tickets.find((t) => t.sessionId === task.sessionId);
  if (!consumer || !ticket || ticket.caseId !== null) return DONE;
  const zone = await deps.supportCenterZone();
  let made;
  try {
    made = await deps.crm().createAnonymousTicket({
      consumerKey: consumer.key,
      firstName: anonymousFirstName(consumer.temporaryId.source, new Date(ticket.openedAt), zone),
      sessionId: task.sessionId,
      origin: consumer.temporaryId.source === 'web_visitor' ? 'Web' : 'Mobile',
      contactId: consumer.contactId,
    });
  } catch (error) {
    return crmFailure('ticket', task.sessionId, error);
  }
  const remerge = await deps.consumers.inTransaction(async (tx) => {
    const current = await tx.getConsumer(task.consumerKey);
    if (!current) return undefined;
    const merge = current.merge ? await tx.getMerge(current.merge.mergeId) : undefined;
    tx.putConsumer(withTicketMade(current, task.sessionId, made));
    const moved =
      merge &&
      withLateTicket(merge, {
        sessionId: task.sessionId,
        caseId: made.caseId,
        fromContactId: made.contactId,
      });
    if (!moved) return undefined;
    tx.putMerge(moved);
    return moved;
  });
  logs.anonymousTicketMade({ sessionId: task.sessionId });
  if (remerge) await deps.tasks.enqueueMerge({ mergeId: remerge.id, version: remerge.version });
  return DONE;
}

/**
 * One entry per merge and per undo, at the time the merge says it happened: a repeat writes the same
 * entry again, unchanged.
 */
async function auditMerge(
  deps: ConsumerDeps,
  action: AuditAction,
  actorUid: string,
  mergeId: string,
  at: string,
) {
  await deps.audit.record({
    id: `${action}-${mergeId}`,
    at,
    action,
    actorUid,
    sessionId: null,
    kind: null,
    agentId: null,
    teamIds: [],
    subject: { type: 'consumer_merge', id: mergeId },
  });
}

export interface MergeOutcome {
  outcome: 'merged' | 'already_merged';
  mergeId: string;
  /** Tickets the CRM had acknowledged when the consumer logged in; later ones follow the merge. */
  ticketsMoved: number;
}

/** The platform's actor in the audit trail: logins come from it, not from a person. */
const PLATFORM_ACTOR = 'platform';

/**
 * UNA-4: a consumer logged in on a device that was anonymous: its tickets go to the logged-in
 * identity, in our records at once and in the CRM through the queue. Safe to repeat and to race: the
 * consumer's record decides, in one transaction, who it belongs to.
 */
export async function recordLogin(deps: ConsumerDeps, login: Login): Promise<MergeOutcome> {
  const key = consumerKey(login.temporaryId);
  const decided = await deps.consumers.inTransaction(async (tx) => {
    // A login may arrive before its session's first event: the merge is recorded with nothing to
    // move yet, and the tickets made later join it as late tickets.
    const consumer = (await tx.getConsumer(key)) ?? newAnonymousConsumer(login.temporaryId);
    const last = consumer.lastMergeId === null ? undefined : await tx.getMerge(consumer.lastMergeId);
    const next = decideMerge(consumer, login, last, deps.clock.now(), deps.newId());
    if (next.do === 'merge') {
      tx.putConsumer(next.consumer);
      tx.putMerge(next.merge);
      return { merged: true, mergeId: next.merge.id, merge: next.merge };
    }
    return { merged: false, mergeId: next.mergeId, merge: await tx.getMerge(next.mergeId) };
  });
  const { merged, mergeId, merge } = decided;
  // Also on a repeat while the merge is applying: an earlier attempt may have merged and failed
  // before these. Once applied, its task has run, so both were done.
  if (merge?.status === 'applying') {
    await auditMerge(deps, 'consumer.merged', PLATFORM_ACTOR, mergeId, merge.mergedAt);
    await deps.tasks.enqueueMerge({ mergeId, version: merge.version });
  }
  return {
    outcome: merged ? 'merged' : 'already_merged',
    mergeId,
    ticketsMoved: merge?.moves.length ?? 0,
  };
}

export interface UndoOutcome {
  outcome: 'undoing' | 'already_undone';
  mergeId: string;
  ticketsMoved: number;
}

/**
 * An admin undoes a merge from the audit trail: the tickets it moved go back to the anonymous
 * contact, and the temporary id is anonymous again (a later login may merge it anew).
 */
export async function undoMerge(deps: ConsumerDeps, actor: Actor, mergeId: string): Promise<UndoOutcome> {
  authorizeOrThrow(actor, { type: 'people.edit' });
  const result = await deps.consumers.inTransaction(async (tx) => {
    const merge = await tx.getMerge(mergeId);
    if (!merge) throw notFound('The merge');
    const consumer = await tx.getConsumer(merge.consumerKey);
    const decision = decideUndo(merge, actor.uid, deps.clock.now());
    if (decision.do === 'nothing') return { merge, changed: false };
    tx.putMerge(decision.merge);
    if (consumer?.merge?.mergeId === mergeId) tx.putConsumer({ ...consumer, merge: null });
    return { merge: decision.merge, changed: true };
  });
  // Who undid it and when, as the merge records it: a repeat (by anyone) rewrites the same entry.
  const { revertedBy, revertedAt } = result.merge;
  await auditMerge(
    deps,
    'consumer.unmerged',
    revertedBy ?? actor.uid,
    mergeId,
    revertedAt ?? deps.clock.now().toISOString(),
  );
  await deps.tasks.enqueueMerge({ mergeId, version: result.merge.version });
  return {
    outcome: result.changed ? 'undoing' : 'already_undone',
    mergeId,
    ticketsMoved: result.merge.moves.length,
  };
}

/**
 * Brings the CRM to what a merge says now: its tickets with the logged-in identity, or back where
 * they were. A repeat of a settled version costs no CRM call. When the merge changed while the CRM
 * was being written (undone meanwhile), the task runs again and writes what it says then, so that a
 * late write never has the last word.
 */
export async function runMergeTask(
  deps: ConsumerWorkerDeps,
  task: { mergeId: string; version: number },
): Promise<TaskAnswer> {
  const merge = await deps.consumers.getMerge(task.mergeId);
  if (!merge) return DONE;
  const final = merge.status === 'applied' || merge.status === 'reverted';
  if (final && merge.version === task.version) return DONE;
  const moves = targetOf(merge);
  if (moves.length > 0) {
    try {
      await deps.crm().moveCases(moves);
    } catch (error) {
      return crmFailure('merge', merge.id, error);
    }
  }
  const after = await deps.consumers.inTransaction(async (tx) => {
    const current = await tx.getMerge(merge.id);
    const next: ConsumerMerge | undefined = current && settled(current, merge.version);
    if (next && next.status !== current!.status) tx.putMerge(next);
    return next;
  });
  if (!after)
    return { outcome: 'retry', slowDown: false, retryAfterSeconds: 1, reason: 'merge_changed_meanwhile' };
  logs.consumerMergeSettled({ mergeId: merge.id, status: after.status, ticketsMoved: moves.length });
  return DONE;
}
