import { pagedPlan, type Cursor, type PlanResult } from '../supervision/session-listing.js';

export interface PeopleListFilters {
  teamId?: string;
  search?: string;
}

/** One page of everyone in the support center (agents or not), A to Z, for the admins' Users & Teams. */
export function planPeopleList(
  filters: PeopleListFilters,
  page: { size: number; after?: Cursor },
): PlanResult {
  return pagedPlan('users', [], 'nameSort', filters, 'all', page);
}
