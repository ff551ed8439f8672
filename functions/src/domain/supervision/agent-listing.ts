import type { Person } from '../access/permissions.js';
import {
  ALL_TEAMS,
  scopedToken,
  searchTerms,
  visibilityFilter,
  words,
  type PlanResult,
  type QueryPlan,
} from './session-listing.js';

/** What the Agents list (MON-6) needs of a person, stored on `users/{uid}` next to the profile. */
export interface AgentListing {
  isAgent: boolean;
  nameSort: string;
  searchTokens: string[];
}

export function agentListing(person: Person): AgentListing {
  const terms = searchTerms([person.name], [person.uid]);
  return {
    isAgent: person.roleIds.includes('agent'),
    nameSort: words(person.name).join(' '),
    searchTokens: [ALL_TEAMS, ...person.teamIds].flatMap((scope) =>
      terms.map((term) => scopedToken(scope, term)),
    ),
  };
}

export interface AgentListFilters {
  teamId?: string;
  search?: string;
}

export function planAgentList(
  filters: AgentListFilters,
  scope: 'all' | readonly string[],
  page: { size: number; after?: { nameSort: string; id: string } },
): PlanResult {
  const visibility = visibilityFilter(filters.teamId, filters.search, scope);
  if (!('array' in visibility)) return visibility;
  const { array } = visibility;
  const plan: QueryPlan = {
    collection: 'users',
    equals: [['isAgent', true]],
    orderBy: [
      ['nameSort', 'asc'],
      ['__name__', 'asc'],
    ],
    limit: page.size + 1,
  };
  if (array) plan.array = array;
  if (page.after) plan.startAfter = [page.after.nameSort, page.after.id];
  return { plan };
}
