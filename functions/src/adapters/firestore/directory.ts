import type { Firestore } from '@google-cloud/firestore';
import { BUILT_IN_ROLES, RoleDefinition, type Person } from '../../domain/access/permissions.js';
import type { PeopleDirectory } from '../../ports/people.js';
import type { QueueDirectory } from '../../ports/queues.js';
import { TtlCache } from './cache.js';

/**
 * `users/{uid}`, `roles/{id}` and `queues/{id}`, as admins configure them. People and roles may live in a
 * database of their own (`people`; the same one by default): only the api's identity may write that one.
 */
export class FirestoreDirectory implements PeopleDirectory, QueueDirectory {
  private readonly queueTeams: TtlCache<string[]>;
  private readonly roleCache: TtlCache<ReadonlyMap<string, RoleDefinition>>;

  constructor(
    private readonly db: Firestore,
    cacheTtlMs: number,
    private readonly people: () => Firestore = () => db,
  ) {
    this.queueTeams = new TtlCache(cacheTtlMs);
    this.roleCache = new TtlCache(cacheTtlMs);
  }

  async getPerson(uid: string): Promise<Person | undefined> {
    const data = (await this.people().collection('users').doc(uid).get()).data();
    if (!data) return undefined;
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return {
      uid,
      name: String(data.name ?? ''),
      roleIds: strings(data.roleIds),
      teamIds: strings(data.teamIds),
    };
  }

  roles(): Promise<ReadonlyMap<string, RoleDefinition>> {
    return this.roleCache.get('roles', async () => {
      const roles = new Map<string, RoleDefinition>(Object.entries(BUILT_IN_ROLES));
      for (const doc of (await this.people().collection('roles').get()).docs) {
        if (doc.id in BUILT_IN_ROLES) continue; // built-in permissions are not editable
        const parsed = RoleDefinition.safeParse(doc.data());
        if (parsed.success) roles.set(doc.id, parsed.data);
      }
      return roles;
    });
  }

  teamsOfQueue(queueId: string): Promise<string[]> {
    return this.queueTeams.get(queueId, async () => {
      const teamIds: unknown = (await this.db.collection('queues').doc(queueId).get()).get('teamIds');
      return Array.isArray(teamIds) ? teamIds.filter((t): t is string => typeof t === 'string').sort() : [];
    });
  }
}
