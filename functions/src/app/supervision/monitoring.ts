import type { Actor } from '../../domain/access/permissions.js';
import { conflict } from '../../domain/errors.js';
import type { ListedSession, MonitorMode } from '../../ports/supervision.js';
import { auditId, recordAudit, visibleSession, type SupervisionDeps } from './deps.js';
import { sessionDetails } from './views.js';

const target = (s: ListedSession) => ({ kind: s.kind ?? 'call', teamIds: s.teamIds });

/** Call or chat details, with what the caller may do from there (MON-4, MON-5). */
export async function getSessionDetails(deps: SupervisionDeps, actor: Actor, sessionId: string) {
  const session = await visibleSession(deps, actor, sessionId, (s) => ({
    type: 'session.view',
    session: target(s),
  }));
  const [thresholds, agent, monitor] = await Promise.all([
    deps.settings.stuckThresholds(),
    session.agent ? deps.people.getPerson(session.agent.id) : undefined,
    deps.monitors.get(sessionId, actor.uid),
  ]);
  const may = (permission: 'Barge' | 'Monitor-Chats-Edit') => actor.grants.has(permission);
  return {
    ...sessionDetails(session, { thresholds, now: deps.clock.now(), agentName: agent?.name ?? null }),
    yourMonitor:
      monitor && monitor.stoppedAt === null ? { mode: monitor.mode, startedAt: monitor.startedAt } : null,
    actions: {
      monitor: session.listState === 'connected',
      barge: session.kind === 'call' && session.listState === 'connected' && may('Barge'),
      end: (session.listState === 'connected' || session.listState === 'queued') && may('Monitor-Chats-Edit'),
    },
  };
}

async function startMonitor(deps: SupervisionDeps, actor: Actor, sessionId: string, mode: MonitorMode) {
  const session = await visibleSession(deps, actor, sessionId, (s) =>
    mode === 'barge'
      ? { type: 'session.barge', session: target(s) }
      : { type: 'session.monitor', session: target(s) },
  );
  if (session.listState !== 'connected')
    throw conflict(
      'session_not_live',
      `Only a connected ${session.kind} can be ${mode === 'barge' ? 'barged on' : 'monitored'}.`,
    );
  const { monitor } = await deps.monitors.start(sessionId, actor.uid, mode, deps.clock.now());
  // Published on every call, with an id the platform deduplicates on: a retry after a failed publish
  // still reaches the platform. Chats need no media: the thread is served here.
  if (session.kind === 'call') {
    await deps.commands.publish(
      mode === 'barge'
        ? {
            type: 'barge',
            commandId: auditId('barge', sessionId, actor.uid, monitor.startedAt),
            sessionId,
            supervisorId: actor.uid,
          }
        : {
            type: 'monitor.start',
            commandId: auditId('monitor.start', sessionId, actor.uid, monitor.startedAt),
            sessionId,
            supervisorId: actor.uid,
          },
    );
  }
  const action = mode === 'barge' ? 'barge.started' : 'monitor.started';
  await recordAudit(deps, {
    actor,
    action,
    session,
    sessionId,
    occurrence: monitor.startedAt,
    at: monitor.startedAt,
  });
  return monitor;
}

/** MON-1, MON-2, MON-3: listen to a call or view a chat, unseen; several people at once. */
export const startMonitoring = (deps: SupervisionDeps, actor: Actor, sessionId: string) =>
  startMonitor(deps, actor, sessionId, 'listen');

/** MON-4: join the call, audibly. */
export const barge = (deps: SupervisionDeps, actor: Actor, sessionId: string) =>
  startMonitor(deps, actor, sessionId, 'barge');

/** MON-7: explicit and idempotent; stopping what is not running is not an error. */
export async function stopMonitoring(deps: SupervisionDeps, actor: Actor, sessionId: string): Promise<void> {
  const monitor = await deps.monitors.get(sessionId, actor.uid);
  if (!monitor) return;
  const session = await deps.sessions.get(sessionId);
  await deps.monitors.stop(sessionId, actor.uid, deps.clock.now());
  // A monitor the session's end already stopped needs no command; otherwise, as for starting, the
  // command and the audit entry are repeated on a retry with the same ids.
  if (session?.kind === 'call' && monitor.stopReason !== 'session_ended') {
    await deps.commands.publish({
      type: 'monitor.stop',
      commandId: auditId('monitor.stop', sessionId, actor.uid, monitor.startedAt),
      sessionId,
      supervisorId: actor.uid,
    });
  }
  if (monitor.stopReason !== 'session_ended') {
    await recordAudit(deps, {
      actor,
      action: 'monitor.stopped',
      session,
      sessionId,
      occurrence: monitor.startedAt,
      at: monitor.stoppedAt ?? deps.clock.now().toISOString(),
    });
  }
}

/** The live thread of a chat, for someone monitoring it. */
export async function readChatThread(deps: SupervisionDeps, actor: Actor, sessionId: string, limit: number) {
  const session = await visibleSession(deps, actor, sessionId, (s) => ({
    type: 'session.view',
    session: target(s),
  }));
  if (session.kind !== 'chat') throw conflict('not_a_chat', 'Only chats have a thread.');
  const monitor = await deps.monitors.get(sessionId, actor.uid);
  if (!monitor || monitor.stoppedAt !== null)
    throw conflict('not_monitoring', 'Start monitoring the chat to read its thread.');
  return { messages: await deps.sessions.messages(sessionId, limit) };
}
