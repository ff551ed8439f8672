import { z } from 'zod';
import type { Channel, Kind } from '../sessions/events.js';
import type { Session } from '../sessions/session.js';

/**
 * What supervisors' lists need of a session (MON-6, END-3), derived from its state: which list it is
 * in, since when (oldest first, so stuck sessions lead), the teams that may see it, and search tokens.
 * Stored next to the state so that one indexed query serves one page.
 */
export type ListState = 'queued' | 'connected' | 'ended' | 'pending';

export function listStateOf(session: Session): ListState {
  switch (session.status) {
    case 'queued':
      return 'queued';
    case 'assigned':
    case 'connected':
    case 'on_hold':
      return 'connected';
    case 'ended':
      return 'ended';
    case 'pending':
      return 'pending';
  }
}

/** When the session entered its current list: queued since the (re)queueing, connected since assignment. */
export function stateSinceOf(session: Session): string | null {
  switch (listStateOf(session)) {
    case 'queued':
      return session.clock.queueWaitSince ?? session.createdAt;
    case 'connected':
      return session.assignedAt ?? session.connectedAt;
    case 'ended':
      return session.endedAt;
    case 'pending':
      return null;
  }
}

const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** Lower case, without accents, split on anything that is not a letter or digit. */
export function words(text: string): string[] {
  return fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Lower case, without accents, split on white space only: "Jean-Luc", "c-42", "ada@example.com". */
const chunks = (text: string) => fold(text).split(/\s+/u).filter(Boolean);

const MIN_PREFIX = 2;
const MAX_PREFIX = 15;
const MAX_CHUNK = 100;
const isWord = (chunk: string) => /^[\p{L}\p{N}]+$/u.test(chunk);

/**
 * What a session can be found by: every prefix (2 to 15 characters) of every word of the names, each
 * white-space separated chunk of the names and ids whole ("jean-luc", "c-42").
 */
export function searchTerms(
  names: (string | null | undefined)[],
  ids: (string | null | undefined)[],
): string[] {
  const terms = new Set<string>();
  for (const name of names) {
    for (const word of words(name ?? '')) {
      for (let n = MIN_PREFIX; n <= Math.min(word.length, MAX_PREFIX); n++) terms.add(word.slice(0, n));
      if (word.length < MIN_PREFIX) terms.add(word);
    }
    for (const chunk of chunks(name ?? '')) if (!isWord(chunk)) terms.add(chunk.slice(0, MAX_CHUNK));
  }
  for (const id of ids) if (id) terms.add(fold(id).slice(0, MAX_CHUNK));
  return [...terms].sort();
}

/**
 * The one term a search query is looked up by (one array filter per query): its longest chunk, cut
 * like the stored prefixes when it is a plain word. "Ada Lovelace" looks up "lovelace".
 */
export function searchKey(query: string): string | undefined {
  const longest = chunks(query).sort((a, b) => b.length - a.length)[0];
  if (!longest) return undefined;
  return isWord(longest) ? longest.slice(0, MAX_PREFIX) : longest.slice(0, MAX_CHUNK);
}

/** Search tokens carry the team they may be seen from, so that search and team scope are one filter. */
export const ALL_TEAMS = '*';
export const scopedToken = (scope: string, term: string) => `${scope}|${term}`;

export interface SessionListing {
  listState: ListState;
  stateSince: string | null;
  teamIds: string[];
  searchTokens: string[];
}

export function sessionListing(session: Session, teamIds: readonly string[]): SessionListing {
  const terms = searchTerms(
    [session.consumer?.name, session.agent?.name],
    [session.consumer?.id, session.agent?.id],
  );
  const scopes = [ALL_TEAMS, ...teamIds];
  return {
    listState: listStateOf(session),
    stateSince: stateSinceOf(session),
    teamIds: [...teamIds].sort(),
    searchTokens: scopes.flatMap((scope) => terms.map((term) => scopedToken(scope, term))),
  };
}

/** END-3 thresholds are between a minute and 30 days. */
const ThresholdMinutes = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 60);

/** END-3: a company threshold per list marks sessions as stuck. */
export const StuckThresholds = z.object({
  queuedMinutes: ThresholdMinutes.default(300),
  connectedMinutes: ThresholdMinutes.default(480),
});

/** The thresholds as an admin writes them: both, explicitly. */
export const StuckThresholdsInput = z.strictObject({
  queuedMinutes: ThresholdMinutes,
  connectedMinutes: ThresholdMinutes,
});
export type StuckThresholds = z.infer<typeof StuckThresholds>;

export function isStuck(
  listing: Pick<SessionListing, 'listState' | 'stateSince'>,
  thresholds: StuckThresholds,
  now: Date,
): boolean {
  if (!listing.stateSince) return false;
  const minutes = (now.getTime() - Date.parse(listing.stateSince)) / 60_000;
  if (listing.listState === 'queued') return minutes > thresholds.queuedMinutes;
  if (listing.listState === 'connected') return minutes > thresholds.connectedMinutes;
  return false;
}

export interface SessionListFilters {
  kind: Kind;
  state: 'queued' | 'connected';
  channel?: Channel;
  queueId?: string;
  agentId?: string;
  teamId?: string;
  search?: string;
}

/** Where a page ends: the last item's sort key (time in list, or name) and its id, for ties. */
export interface Cursor {
  sortKey: string;
  id: string;
}

/** One Firestore query, described as data: equality filters, at most one array filter, one order. */
export interface QueryPlan {
  collection: string;
  equals: [field: string, value: string | boolean][];
  array?:
    | { field: string; op: 'array-contains'; value: string }
    | { field: string; op: 'array-contains-any'; values: string[] };
  orderBy: [field: string, direction: 'asc' | 'desc'][];
  startAfter?: (string | number)[];
  limit: number;
}

/** Firestore takes at most 30 values in an array-contains-any. */
export const MAX_SCOPE_TEAMS = 30;

export type PlanResult = { plan: QueryPlan } | { empty: true } | { tooManyTeams: true };

/**
 * The one array filter of a list query: what the actor may see (their scope, narrowed to a team when
 * asked), combined with the search term when there is one (search tokens carry their team).
 */
export function visibilityFilter(
  teamId: string | undefined,
  search: string | undefined,
  scope: 'all' | readonly string[],
): { array: QueryPlan['array'] } | { empty: true } | { tooManyTeams: true } {
  let visibleTeams: 'all' | string[] = scope === 'all' ? 'all' : [...scope];
  if (teamId) {
    if (visibleTeams !== 'all' && !visibleTeams.includes(teamId)) return { empty: true };
    visibleTeams = [teamId];
  }
  if (visibleTeams !== 'all' && visibleTeams.length === 0) return { empty: true };
  if (visibleTeams !== 'all' && visibleTeams.length > MAX_SCOPE_TEAMS) return { tooManyTeams: true };

  const key = search ? searchKey(search) : undefined;
  const field = key ? 'searchTokens' : 'teamIds';
  const values = key
    ? visibleTeams === 'all'
      ? [scopedToken(ALL_TEAMS, key)]
      : visibleTeams.map((t) => scopedToken(t, key))
    : visibleTeams === 'all'
      ? []
      : visibleTeams;
  if (values.length === 0) return { array: undefined };
  return {
    array:
      values.length === 1
        ? { field, op: 'array-contains', value: values[0]! }
        : { field, op: 'array-contains-any', values },
  };
}

/** The query for one page of a session list, within the actor's scope ('all' or team ids). */
export function planSessionList(
  filters: SessionListFilters,
  scope: 'all' | readonly string[],
  page: { size: number; after?: Cursor },
): PlanResult {
  const equals: QueryPlan['equals'] = [
    ['kind', filters.kind],
    ['listState', filters.state],
  ];
  if (filters.channel) equals.push(['channel', filters.channel]);
  if (filters.queueId) equals.push(['queue.id', filters.queueId]);
  if (filters.agentId) equals.push(['agent.id', filters.agentId]);

  return pagedPlan('sessions', equals, 'stateSince', filters, scope, page);
}

/**
 * One page of a list, oldest-first (or A-to-Z) by `sortField` then document id, within what the actor
 * may see. Asks one more than the page size, to know whether a next page exists.
 */
export function pagedPlan(
  collection: string,
  equals: QueryPlan['equals'],
  sortField: string,
  filters: { teamId?: string; search?: string },
  scope: 'all' | readonly string[],
  page: { size: number; after?: Cursor },
): PlanResult {
  const visibility = visibilityFilter(filters.teamId, filters.search, scope);
  if (!('array' in visibility)) return visibility;
  const plan: QueryPlan = {
    collection,
    equals,
    orderBy: [
      [sortField, 'asc'],
      ['__name__', 'asc'],
    ],
    limit: page.size + 1,
  };
  if (visibility.array) plan.array = visibility.array;
  if (page.after) plan.startAfter = [page.after.sortKey, page.after.id];
  return { plan };
}
