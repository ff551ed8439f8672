import type { Person } from '../access/permissions.js';
import {
  ALL_TEAMS,
  pagedPlan,
  scopedSearchTokens,
  searchTerms,
  words,
  type Cursor,
  type PlanResult,
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
    searchTokens: scopedSearchTokens([ALL_TEAMS, ...person.teamIds], terms),
  };
}

export interface AgentListFilters {
  teamId?: string;
  search?: string;
}

export function planAgentList(
  filters: AgentListFilters,
  scope: 'all' | readonly string[],
  page: { size: number; after?: Cursor },
): PlanResult {
  return pagedPlan('users', [['isAgent', true]], 'nameSort', filters, scope, page);
}
