import { isStuck, type StuckThresholds } from '../../domain/supervision/session-listing.js';
import { metricsAt } from '../../domain/sessions/session.js';
import type { CustomerDataView } from '../../domain/privacy/masking.js';
import { shownProfileFlags } from '../../domain/sessions/profile.js';
import type { ListedSession } from '../../ports/supervision.js';

/**
 * What a supervisor sees of a session in a list (MON-6). The customer's name (or id, where they gave
 * none) is shown as the company's privacy settings show it to agents: masked when masking is on.
 */
export function sessionSummary(
  session: ListedSession,
  thresholds: StuckThresholds,
  now: Date,
  view: CustomerDataView,
) {
  return {
    id: session.id,
    kind: session.kind,
    channel: session.channel,
    status: session.status,
    listState: session.listState,
    queue: session.queue ? { id: session.queue.id, issue: session.queue.menuPath.join(' > ') } : null,
    endUser: session.consumer ? view.name(session.consumer.name ?? session.consumer.id) : null,
    // RDP-2: verified / unverified, bad actor, repeat customer, each with where it came from.
    profileFlags: shownProfileFlags(session.profile),
    agent: session.agent,
    stateSince: session.stateSince,
    inStateMs: session.stateSince ? Math.max(0, now.getTime() - Date.parse(session.stateSince)) : 0,
    stuck: isStuck(session, thresholds, now),
    lastSequence: session.lastSequence,
  };
}

/** Call details (MON-4) and chat details (MON-5). */
export function sessionDetails(
  session: ListedSession,
  context: { thresholds: StuckThresholds; now: Date; agentName: string | null; view: CustomerDataView },
) {
  const { view } = context;
  const summary = sessionSummary(session, context.thresholds, context.now, view);
  return {
    ...summary,
    language: session.language,
    endUser: session.consumer
      ? {
          id: view.name(session.consumer.id),
          name: session.consumer.name === null ? null : view.name(session.consumer.name),
          display: summary.endUser,
          anonymous: session.consumer.anonymous,
        }
      : null,
    agent: session.agent ? { id: session.agent.id, name: context.agentName ?? session.agent.name } : null,
    issue: session.queue?.menuPath.join(' > ') ?? null,
    crm: session.crm,
    profile: session.profile,
    profileHistory: session.profileHistory,
    metrics: metricsAt(session, context.now),
    transfers: session.transfers,
    // Customers and outside parties are people whose number may be their name or id; agents are staff.
    participants: session.participants.map((p) =>
      p.role === 'agent'
        ? p
        : { ...p, id: view.name(p.id), ...(p.name === undefined ? {} : { name: view.name(p.name) }) },
    ),
    timeline: {
      createdAt: session.createdAt,
      assignedAt: session.assignedAt,
      connectedAt: session.connectedAt,
      endedAt: session.endedAt,
    },
    endReason: session.endReason,
    messageCount: session.messageCount,
  };
}
