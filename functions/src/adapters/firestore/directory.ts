import { FieldPath, type Firestore } from '@google-cloud/firestore';
import {
  BUILT_IN_ROLES,
  DirectoryId,
  E164,
  isBuiltInRole,
  RoleDefinition,
  type Person,
} from '../../domain/access/permissions.js';
import { agentListing } from '../../domain/supervision/agent-listing.js';
import type { QueryPlan } from '../../domain/supervision/session-listing.js';
import type {
  DirectoryCaches,
  ListedPerson,
  PeopleAdmin,
  PersonChangeContext,
  PersonRecord,
  QueueSessions,
  RoleChangeContext,
  RolesAdmin,
} from '../../ports/directory-admin.js';
import { MAX_CUSTOM_ROLES } from '../../domain/access/permissions.js';
import type { Clock } from '../../ports/clock.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { QueueDirectory } from '../../ports/queues.js';
import { TtlCache } from './cache.js';
import { SESSIONS } from './session-repository.js';
import { toQuery } from './supervision.js';

const USERS = 'users';
const ROLES = 'roles';

/**
 * Ids as stored: anything that is not a plain id (a `*` written by hand, a number) is dropped, never
 * read as "every team".
 */
const plainIds = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => DirectoryId.safeParse(x).success) : [];

function personFrom(uid: string, data: FirebaseFirestore.DocumentData): PersonRecord {
  const phone = E164.safeParse(data.phone);
  return {
    uid,
    name: typeof data.name === 'string' ? data.name : '',
    roleIds: plainIds(data.roleIds),
    teamIds: plainIds(data.teamIds),
    phone: phone.success ? phone.data : null,
  };
}

/** A person's document: the profile, and what the Agents list needs of it (MON-6). */
const personDocument = (person: PersonRecord) => ({
  name: person.name,
  roleIds: person.roleIds,
  teamIds: person.teamIds,
  phone: person.phone,
  ...agentListing(person),
});

/**
 * `users/{uid}`, `roles/{id}` and `queues/{id}`, as admins configure them. People and roles may live in a
 * database of their own (`people`; the same one by default): only the api's identity may write that one.
 */
export class FirestoreDirectory implements PeopleDirectory, QueueDirectory, DirectoryCaches {
  private readonly queueTeams: TtlCache<string[]>;
  private readonly roleCache: TtlCache<ReadonlyMap<string, RoleDefinition>>;

  constructor(
    private readonly db: Firestore,
    cacheTtlMs: number,
    clock: Clock,
    private readonly people: () => Firestore = () => db,
  ) {
    this.queueTeams = new TtlCache(cacheTtlMs, clock);
    this.roleCache = new TtlCache(cacheTtlMs, clock);
  }

  async getPerson(uid: string): Promise<Person | undefined> {
    const data = (await this.people().collection(USERS).doc(uid).get()).data();
    return data ? personFrom(uid, data) : undefined;
  }

  roles(): Promise<ReadonlyMap<string, RoleDefinition>> {
    return this.roleCache.get('roles', async () => {
      const roles = new Map<string, RoleDefinition>(Object.entries(BUILT_IN_ROLES));
      for (const doc of (await this.people().collection(ROLES).get()).docs) {
        if (isBuiltInRole(doc.id)) continue; // built-in permissions are not editable
        const parsed = RoleDefinition.safeParse(doc.data());
        if (parsed.success) roles.set(doc.id, parsed.data);
      }
      return roles;
    });
  }

  teamsOfQueue(queueId: string): Promise<string[]> {
    return this.queueTeams.get(queueId, async () => {
      const teamIds: unknown = (await this.db.collection('queues').doc(queueId).get()).get('teamIds');
      return plainIds(teamIds).sort();
    });
  }

  forgetRoles(): void {
    this.roleCache.forget('roles');
  }

  forgetQueueTeams(queueId: string): void {
    this.queueTeams.forget(queueId);
  }
}

export class FirestorePeopleAdmin implements PeopleAdmin {
  constructor(private readonly db: Firestore) {}

  async list(plan: QueryPlan): Promise<ListedPerson[]> {
    return (await toQuery(this.db, plan).get()).docs.map((d) => ({
      ...personFrom(d.id, d.data()),
      nameSort: String(d.get('nameSort') ?? ''),
    }));
  }

  async get(uid: string): Promise<PersonRecord | undefined> {
    const data = (await this.db.collection(USERS).doc(uid).get()).data();
    return data ? personFrom(uid, data) : undefined;
  }

  change(
    uid: string,
    next: PersonRecord | null,
    check: (context: PersonChangeContext) => void,
  ): Promise<PersonChangeContext> {
    return this.db.runTransaction(async (t) => {
      const ref = this.db.collection(USERS).doc(uid);
      // Two admins are enough to know another one exists besides this person; read in the
      // transaction, so two admins cannot each remove the other's role at once.
      const [snapshot, admins] = await Promise.all([
        t.get(ref),
        t.get(this.db.collection(USERS).where('roleIds', 'array-contains', 'admin').limit(2)),
      ]);
      const context: PersonChangeContext = {
        current: snapshot.exists ? personFrom(uid, snapshot.data()!) : undefined,
        otherAdminExists: admins.docs.some((d) => d.id !== uid),
      };
      check(context);
      if (next) t.set(ref, personDocument(next));
      else t.delete(ref);
      return context;
    });
  }
}

export class FirestoreRolesAdmin implements RolesAdmin {
  constructor(private readonly db: Firestore) {}

  async customRoles(): Promise<ReadonlyMap<string, RoleDefinition>> {
    const roles = new Map<string, RoleDefinition>();
    for (const doc of (await this.db.collection(ROLES).orderBy(FieldPath.documentId()).get()).docs) {
      if (isBuiltInRole(doc.id)) continue;
      const parsed = RoleDefinition.safeParse(doc.data());
      if (parsed.success) roles.set(doc.id, parsed.data);
    }
    return roles;
  }

  change(
    id: string,
    next: RoleDefinition | null,
    check: (context: RoleChangeContext) => void,
  ): Promise<{ current: RoleDefinition | undefined }> {
    return this.db.runTransaction(async (t) => {
      const ref = this.db.collection(ROLES).doc(id);
      const [snapshot, holders, stored] = await Promise.all([
        t.get(ref),
        t.get(this.db.collection(USERS).where('roleIds', 'array-contains', id).limit(1)),
        t.get(
          this.db
            .collection(ROLES)
            .select()
            .limit(MAX_CUSTOM_ROLES + 1),
        ),
      ]);
      const parsed = snapshot.exists ? RoleDefinition.safeParse(snapshot.data()) : undefined;
      const current = parsed?.success ? parsed.data : undefined;
      check({ current, held: !holders.empty, customRoles: stored.size });
      if (next) t.set(ref, { name: next.name, permissions: next.permissions, scope: next.scope });
      else t.delete(ref);
      return { current };
    });
  }
}

export class FirestoreQueueSessions implements QueueSessions {
  constructor(private readonly db: Firestore) {}

  /** Queued and connected sessions of the queue (equality filters only: no composite index). */
  async liveSessionIds(queueId: string, page: { size: number; after?: string }): Promise<string[]> {
    let query = this.db
      .collection(SESSIONS)
      .where('queue.id', '==', queueId)
      .where('listState', 'in', ['queued', 'connected'])
      .orderBy(FieldPath.documentId())
      .select();
    if (page.after) query = query.startAfter(page.after);
    return (await query.limit(page.size).get()).docs.map((d) => d.id);
  }
}
