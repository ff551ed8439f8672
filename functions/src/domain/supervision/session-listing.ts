import { z } from 'zod';
import { maskCustomerName } from '../privacy/masking.js';
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

/** Names and ids are read this far only: whatever follows cannot make a document grow. */
const MAX_TEXT_UNITS = 400;

/**
 * Lower case, without accents. Lone surrogates (not text) become spaces; NFKD may expand a character
 * many times ("ﷺ" gives 18 letters), so the result is cut again.
 */
const fold = (text: string) =>
  text
    .slice(0, MAX_TEXT_UNITS)
    .replace(/[\uD800-\uDFFF]/gu, ' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .slice(0, MAX_TEXT_UNITS)
    .replace(/[\uD800-\uDFFF]/gu, '');

/** The first `n` code points of `text`: never half of a surrogate pair. */
const cut = (text: string, n: number) => (text.length <= n ? text : Array.from(text).slice(0, n).join(''));

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
const MAX_CHUNK = 64;
/** A name is found by its first words; a longer one is not a name anyone types in a search box. */
const MAX_WORDS_PER_NAME = 6;
const MAX_CHUNKS_PER_NAME = 4;
const isWord = (chunk: string) => /^[\p{L}\p{N}]+$/u.test(chunk);

/**
 * The words of a name that masking hides (all of a phone number written as a name, an address's local
 * part, a card number): prefixes of these would let a searcher recover them a digit at a time, so they
 * are found only whole. Whatever the company's masking setting, as the setting may be turned on later.
 */
function maskedWordsOf(name: string): Set<string> {
  const read = name.slice(0, MAX_TEXT_UNITS);
  const masked = maskCustomerName(read);
  if (masked === read) return new Set();
  const shown = new Set(words(masked));
  return new Set(words(read).filter((word) => !shown.has(word)));
}

/**
 * What a session can be found by, most useful first: the ids whole, then every prefix (2 to 15
 * characters) of the first six words of each name (first words of every name before later ones), then
 * up to four white-space separated chunks of each name whole ("jean-luc", "ada@example.com"). Chunks and
 * ids are cut to 64 characters. A word that masking hides gives no prefix: only itself, cut to 15
 * characters as a search for it is.
 */
export function searchTerms(
  names: (string | null | undefined)[],
  ids: (string | null | undefined)[],
): string[] {
  const terms = new Set<string>();
  for (const id of ids) if (id) terms.add(cut(fold(id), MAX_CHUNK));
  const wordsOf = names.map((name) => words(name ?? '').slice(0, MAX_WORDS_PER_NAME));
  const hiddenOf = names.map((name) => maskedWordsOf(name ?? ''));
  for (let i = 0; i < MAX_WORDS_PER_NAME; i++) {
    for (const [k, nameWords] of wordsOf.entries()) {
      const word = nameWords[i];
      if (word === undefined) continue;
      if (hiddenOf[k]!.has(word)) {
        terms.add(cut(word, MAX_PREFIX));
        continue;
      }
      // Prefixes count characters: a letter outside the BMP is two units of a JavaScript string.
      const letters = /[\uD800-\uDFFF]/.test(word) ? Array.from(word) : undefined;
      const length = letters ? letters.length : word.length;
      for (let n = MIN_PREFIX; n <= Math.min(length, MAX_PREFIX); n++)
        terms.add(letters ? letters.slice(0, n).join('') : word.slice(0, n));
      if (length < MIN_PREFIX) terms.add(word);
    }
  }
  for (const name of names) {
    const whole = chunks(name ?? '').filter((chunk) => !isWord(chunk));
    for (const chunk of whole.slice(0, MAX_CHUNKS_PER_NAME)) terms.add(cut(chunk, MAX_CHUNK));
  }
  terms.delete('');
  return [...terms];
}

/**
 * The one term a search query is looked up by (one array filter per query): its longest chunk, cut
 * like the stored prefixes when it is a plain word. "Ada Lovelace" looks up "lovelace".
 */
export function searchKey(query: string): string | undefined {
  const longest = chunks(query).sort((a, b) => b.length - a.length)[0];
  if (!longest) return undefined;
  return isWord(longest) ? cut(longest, MAX_PREFIX) : cut(longest, MAX_CHUNK);
}

/** Search tokens carry the team they may be seen from, so that search and team scope are one filter. */
export const ALL_TEAMS = '*';
export const scopedToken = (scope: string, term: string) => `${scope}|${term}`;

/**
 * Firestore indexes every token of a document once per index that holds `searchTokens` (nine for
 * sessions) and refuses a document past 40,000 index entries or 1 MiB: whatever the names and however
 * many teams, a document carries at most this many tokens and bytes of them.
 */
export const MAX_SEARCH_TOKENS = 2000;
export const MAX_SEARCH_TOKEN_BYTES = 64 * 1024;

/** Size of `text` in UTF-8, as Firestore counts it (text here holds no lone surrogate). */
function utf8Bytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A pair of surrogates (4 bytes) is two units; other units above 0x7f take 2 or 3 bytes.
    if (unit >= 0xd800 && unit <= 0xdfff) bytes += 1;
    else if (unit >= 0x800) bytes += 2;
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}

/**
 * Every term from every scope, term by term in order of use: when the bounds cut the list, every
 * scope keeps the same, most useful terms (ids and first words).
 */
export function scopedSearchTokens(scopes: readonly string[], terms: readonly string[]): string[] {
  const tokens: string[] = [];
  let bytes = 0;
  for (const term of terms) {
    for (const scope of scopes) {
      const token = scopedToken(scope, term);
      // Firestore counts each array element's bytes plus one.
      const size = utf8Bytes(token) + 1;
      if (tokens.length >= MAX_SEARCH_TOKENS || bytes + size > MAX_SEARCH_TOKEN_BYTES) return tokens;
      tokens.push(token);
      bytes += size;
    }
  }
  return tokens;
}

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
  return {
    listState: listStateOf(session),
    stateSince: stateSinceOf(session),
    teamIds: [...teamIds].sort(),
    searchTokens: scopedSearchTokens([ALL_TEAMS, ...teamIds], terms),
  };
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
/** END-3 thresholds are between a minute and 30 days. */
const ThresholdMinutes = z.lazy(() =>
  z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 60),
);

/** END-3: a company threshold per list marks sessions as stuck. */
export const StuckThresholds = z.lazy(() =>
  z.object({
    queuedMinutes: ThresholdMinutes.default(300),
    connectedMinutes: ThresholdMinutes.default(480),
  }),
);

/** The thresholds as an admin writes them: both, explicitly. */
export const StuckThresholdsInput = z.lazy(() =>
  z.strictObject({
    queuedMinutes: ThresholdMinutes,
    connectedMinutes: ThresholdMinutes,
  }),
);
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
