import type { Person, RoleDefinition } from '../domain/access/permissions.js';
import type { QueryPlan, StuckThresholds } from '../domain/supervision/session-listing.js';

/** A person as stored: the profile an admin manages, the phone number included (never logged). */
export interface PersonRecord extends Person {
  phone: string | null;
}

export interface ListedPerson extends PersonRecord {
  /** The list's sort key, for the next page's cursor. */
  nameSort: string;
}

/** What a change of a person may be refused on, read in the same transaction as the write. */
export interface PersonChangeContext {
  current: PersonRecord | undefined;
  /** Whether someone other than this person holds the admin role. */
  otherAdminExists: boolean;
}

export interface PeopleAdmin {
  list(plan: QueryPlan): Promise<ListedPerson[]>;
  get(uid: string): Promise<PersonRecord | undefined>;
  /**
   * Atomically: reads the person and whether another admin exists, lets `check` refuse (by throwing),
   * then writes `next` (with what the Agents list needs of it) or deletes the person when `next` is null.
   */
  change(
    uid: string,
    next: PersonRecord | null,
    check: (context: PersonChangeContext) => void,
  ): Promise<PersonChangeContext>;
}

export interface RolesAdmin {
  /** Custom roles only: built-in ones live in the code. */
  customRoles(): Promise<ReadonlyMap<string, RoleDefinition>>;
  /**
   * Atomically: reads the role and whether a person holds it, lets `check` refuse, then writes `next`
   * or deletes the role when `next` is null.
   */
  change(
    id: string,
    next: RoleDefinition | null,
    check: (context: RoleChangeContext) => void,
  ): Promise<{ current: RoleDefinition | undefined }>;
}

/** Directory caches of this instance: a change made here is seen by the next request on it. */
export interface DirectoryCaches {
  forgetRoles(): void;
  forgetQueueTeams(queueId: string): void;
}

/** END-3's company thresholds; a save is seen by the next read on this instance. */
export interface StuckThresholdSettings {
  stuckThresholds(): Promise<StuckThresholds>;
  saveStuckThresholds(thresholds: StuckThresholds): Promise<void>;
}

/** The live (queued or connected) sessions of a queue, a page at a time, by document id. */
export interface QueueSessions {
  liveSessionIds(queueId: string, page: { size: number; after?: string }): Promise<string[]>;
}

/** What a role change is checked against, read in the same transaction as its write. */
export interface RoleChangeContext {
  current: RoleDefinition | undefined;
  held: boolean;
  /** Custom roles stored, counted up to `MAX_CUSTOM_ROLES` + 1. */
  customRoles: number;
}
