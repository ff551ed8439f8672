import type { Actor } from '../../domain/access/permissions.js';
import { planAgentList } from '../../domain/supervision/agent-listing.js';
import {
  planSessionList,
  type PlanResult,
  type SessionListFilters,
} from '../../domain/supervision/session-listing.js';
import { decodeListCursor, encodeListCursor, type ListName } from '../../domain/supervision/cursors.js';
import { invalidRequest } from '../../domain/errors.js';
import type { ListedSession } from '../../ports/supervision.js';
import { authorizeOrThrow, customerView, type SupervisionDeps } from './deps.js';
import { sessionSummary } from './views.js';

export interface Page {
  size: number;
  cursor?: string;
}

/** The position a page starts after: a 400 `invalid_cursor` unless this list gave it for these filters. */
export function cursorOf(
  list: ListName,
  filters: Readonly<Record<string, string | boolean | undefined>>,
  text: string | undefined,
) {
  if (text === undefined) return undefined;
  const cursor = decodeListCursor(list, filters, text);
  if (!cursor)
    throw invalidRequest('The cursor is not one this list returned for these filters.', [
      {
        path: 'cursor',
        message: 'not a cursor of this list and these filters: start again without one',
        code: 'invalid_cursor',
      },
    ]);
  return cursor;
}

function planOrThrow(result: PlanResult) {
  if ('tooManyTeams' in result)
    throw invalidRequest('You have too many teams to list them at once: pick a team.', [
      { path: 'teamId', message: 'required when you have more than 30 teams', code: 'too_many_teams' },
    ]);
  return 'plan' in result ? result.plan : undefined;
}

/** Calls > Connected/Queued and Chats > Connected/Queued: one query per page (MON-6). */
export async function listSessions(
  deps: SupervisionDeps,
  actor: Actor,
  filters: SessionListFilters,
  page: Page,
) {
  const { scope } = authorizeOrThrow(actor, { type: 'sessions.list', kind: filters.kind });
  const after = cursorOf('sessions', { ...filters }, page.cursor);
  const plan = planOrThrow(planSessionList(filters, scope, { size: page.size, ...(after ? { after } : {}) }));
  const found: ListedSession[] = plan ? await deps.sessions.run(plan) : [];
  const items = found.slice(0, page.size);
  const last = items[items.length - 1];
  const [thresholds, view] = await Promise.all([deps.settings.stuckThresholds(), customerView(deps)]);
  const now = deps.clock.now();
  return {
    items: items.map((s) => sessionSummary(s, thresholds, now, view)),
    nextCursor:
      found.length > page.size && last?.stateSince
        ? encodeListCursor('sessions', { ...filters }, { sortKey: last.stateSince, id: last.id })
        : null,
  };
}

/** The Agents list with each agent's current sessions: one query for the page, one for their sessions. */
export async function listAgents(
  deps: SupervisionDeps,
  actor: Actor,
  filters: { teamId?: string; search?: string },
  page: Page,
) {
  const decision = authorizeOrThrow(actor, { type: 'agents.list' });
  const after = cursorOf('agents', { ...filters }, page.cursor);
  const plan = planOrThrow(
    planAgentList(filters, decision.scope, { size: page.size, ...(after ? { after } : {}) }),
  );
  const found = plan ? await deps.agents.run(plan) : [];
  const agents = found.slice(0, page.size);
  const sessions = await deps.sessions.liveSessionsOfAgents(agents.map((a) => a.uid));
  const [thresholds, view] = await Promise.all([deps.settings.stuckThresholds(), customerView(deps)]);
  const now = deps.clock.now();
  const visible = (s: ListedSession) =>
    decision.scope === 'all' || s.teamIds.some((t) => (decision.scope as readonly string[]).includes(t));
  const last = agents[agents.length - 1];
  return {
    items: agents.map((agent) => {
      const own = sessions.filter((s) => s.agent?.id === agent.uid);
      return {
        uid: agent.uid,
        name: agent.name,
        teamIds: agent.teamIds,
        currentSessions: own.filter(visible).map((s) => sessionSummary(s, thresholds, now, view)),
        // Busy elsewhere, in a team this person may not see.
        otherSessionCount: own.filter((s) => !visible(s)).length,
      };
    }),
    nextCursor:
      found.length > page.size && last
        ? encodeListCursor('agents', { ...filters }, { sortKey: last.nameSort, id: last.uid })
        : null,
  };
}
