import type { Actor } from '../../domain/access/permissions.js';
import { authorize } from '../../domain/access/authorize.js';
import { conflict } from '../../domain/errors.js';
import type { ListedSession, MonitorMode } from '../../ports/supervision.js';
import { auditId, customerView, recordAudit, visibleSession, type SupervisionDeps } from './deps.js';
import { sessionDetails } from './views.js';

const target = (s: ListedSession) => ({ kind: s.kind ?? 'call', teamIds: s.teamIds });

/** Call or chat details, with what the caller may do from there (MON-4, MON-5). */
export async function getSessionDetails(deps: SupervisionDeps, actor: Actor, sessionId: string) {
  const session = await visibleSession(deps, actor, sessionId, 'session.view');
  const [thresholds, agent, monitor, view] = await Promise.all([
    deps.settings.stuckThresholds(),
    session.agent ? deps.people.getPerson(session.agent.id) : undefined,
    deps.monitors.get(sessionId, actor.uid),
    customerView(deps),
  ]);
  // The same decision and the same state rule as the action's own call: a flag is on exactly when
  // the call would be accepted now.
  const may = (type: 'session.monitor' | 'session.barge' | 'session.end') =>
    authorize(actor, { type, session: target(session) }).allowed;
  const connected = session.listState === 'connected';
  return {
    ...sessionDetails(session, {
      thresholds,
      now: deps.clock.now(),
      agentName: agent?.name ?? null,
      view,
    }),
    yourMonitor:
      monitor && monitor.stoppedAt === null ? { mode: monitor.mode, startedAt: monitor.startedAt } : null,
    actions: {
      monitor: connected && may('session.monitor'),
      barge: connected && may('session.barge'),
      end: (connected || session.listState === 'queued') && may('session.end'),
    },
  };
}

const notLive = (session: ListedSession, mode: MonitorMode) =>
  conflict(
    'session_not_live',
    `Only a connected ${session.kind} can be ${mode === 'barge' ? 'barged on' : 'monitored'}.`,
  );

async function startMonitor(deps: SupervisionDeps, actor: Actor, sessionId: string, mode: MonitorMode) {
  const session = await visibleSession(
    deps,
    actor,
    sessionId,
    mode === 'barge' ? 'session.barge' : 'session.monitor',
  );
  if (session.listState !== 'connected') throw notLive(session, mode);
  // The store checks again that the session is connected, atomically with the write: a session that
  // ended since the read above gets no monitor.
  const started = await deps.monitors.start(sessionId, actor.uid, mode, deps.clock.now());
  if (!started.started) throw notLive(session, mode);
  const { monitor } = started;
  // Published on every call, with an id the platform deduplicates on: a retry after a failed publish
  // still reaches the platform. The command is the monitor's mode, not the one asked: listening while
  // barging stays a barge. Chats need no media: the thread is served here.
  if (session.kind === 'call') {
    await deps.commands.publish(
      monitor.mode === 'barge'
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
    // The session may have ended between the start and the command: its end stops this monitor (the
    // store saw to it), but the platform, told to start after the end, must be told to stop as well.
    // A start published before the end is stored ends with the call, as every monitor does.
    if ((await deps.sessions.get(sessionId))?.status === 'ended')
      await deps.commands.publish(stopCommand(sessionId, actor.uid, monitor.startedAt));
  }
  const action = monitor.mode === 'barge' ? 'barge.started' : 'monitor.started';
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

const stopCommand = (sessionId: string, uid: string, startedAt: string) => ({
  type: 'monitor.stop' as const,
  commandId: auditId('monitor.stop', sessionId, uid, startedAt),
  sessionId,
  supervisorId: uid,
});

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
    await deps.commands.publish(stopCommand(sessionId, actor.uid, monitor.startedAt));
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

/**
 * The live thread of a chat, for someone monitoring it. With masking on, every message is masked,
 * whoever wrote it: an agent or a virtual agent may repeat what the customer typed.
 */
export async function readChatThread(deps: SupervisionDeps, actor: Actor, sessionId: string, limit: number) {
  const session = await visibleSession(deps, actor, sessionId, 'session.view');
  if (session.kind !== 'chat') throw conflict('not_a_chat', 'Only chats have a thread.');
  const monitor = await deps.monitors.get(sessionId, actor.uid);
  if (!monitor || monitor.stoppedAt !== null)
    throw conflict('not_monitoring', 'Start monitoring the chat to read its thread.');
  const [messages, view] = await Promise.all([deps.sessions.messages(sessionId, limit), customerView(deps)]);
  return {
    messages: messages.map((m) => ({
      ...m,
      // A customer's id may be their phone number or e-mail address: masked like their name.
      author:
        m.author.type === 'consumer' && m.author.id ? { ...m.author, id: view.name(m.author.id) } : m.author,
      text: view.text(m.text),
    })),
  };
}
