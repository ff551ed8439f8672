import { authorize } from '../../domain/access/authorize.js';
import type { Actor } from '../../domain/access/permissions.js';
import { forbidden, notFound } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { OriginalMessages } from '../../ports/message-originals.js';
import type { AuditLog, ListedSession, SessionQueries } from '../../ports/supervision.js';
import { auditId } from '../supervision/deps.js';

export interface RevealDeps {
  sessions: Pick<SessionQueries, 'get'>;
  /** The agents who hold, share or held the chat (a transfer, a conference): whose desktop shows it. */
  chatAgents: { agentsOf(sessionId: string): Promise<readonly string[]> };
  originals: OriginalMessages;
  audit: AuditLog;
  clock: Clock;
  newId: () => string;
}

/** Whether the person sees the chat at all: one of its agents, or someone who may view it. */
async function seesChat(deps: RevealDeps, actor: Actor, session: ListedSession) {
  if (session.agent?.id === actor.uid) return true;
  if (authorize(actor, { type: 'session.view', session: { kind: 'chat', teamIds: session.teamIds } }).allowed)
    return true;
  return (await deps.chatAgents.agentsOf(session.id)).includes(actor.uid);
}

/**
 * LCH-6: the original text of one masked message, for a person granted Sensitive-Data-Reveal on the
 * chat's teams who sees the chat. The reveal is written to the audit trail (who, which session and
 * message, when; never the text) before the text is answered: no reveal goes unrecorded.
 */
export async function revealMessage(deps: RevealDeps, actor: Actor, sessionId: string, messageId: string) {
  // Before any read: lacking the permission altogether is the same answer for every id.
  if (!actor.grants.has('Sensitive-Data-Reveal'))
    throw forbidden('missing_permission', undefined, { permission: 'Sensitive-Data-Reveal' });
  const session = await deps.sessions.get(sessionId);
  // A chat the person does not see is answered as one that does not exist, so its id tells nothing.
  if (
    !session ||
    session.kind !== 'chat' ||
    session.status === 'pending' ||
    !(await seesChat(deps, actor, session))
  )
    throw notFound('The chat');
  const decision = authorize(actor, {
    type: 'message.reveal',
    session: { kind: 'chat', teamIds: session.teamIds },
  });
  if (!decision.allowed)
    throw forbidden(
      decision.reason,
      undefined,
      decision.permission ? { permission: decision.permission } : {},
    );
  const original = await deps.originals.find(sessionId, messageId);
  if (!original) throw notFound('The message');
  const at = deps.clock.now().toISOString();
  await deps.audit.record({
    // Each reveal is its own entry: reading the text twice is recorded twice.
    id: auditId(sessionId, actor.uid, 'message.revealed', deps.newId()),
    at,
    action: 'message.revealed',
    actorUid: actor.uid,
    sessionId,
    kind: 'chat',
    agentId: session.agent?.id ?? null,
    teamIds: session.teamIds,
    messageId,
  });
  return {
    messageId: original.messageId,
    author: original.author.type,
    sentAt: original.sentAt,
    text: original.text,
    revealedAt: at,
  };
}
