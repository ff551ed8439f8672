import { z } from 'zod';
import { Identifier } from '../sessions/events.js';

/**
 * People's permissions. Named as the product names them; `Monitor-Chats-Edit` is the one that allows
 * ending a call or chat (END-2). A role grants permissions over a scope: every team, or only the
 * teams assigned to the person (managers).
 */
export const Permission = z.enum([
  'Monitor-Calls',
  'Monitor-Chats',
  'Barge',
  'Monitor-Chats-Edit',
  'Settings-Edit',
  'Audit-View',
  /** Managing people and roles: whoever has it can grant any permission, so it is kept apart. */
  'Users-Edit',
  /**
   * Reading the original text of one masked chat message (LCH-6), each time audited. No built-in role
   * has it: an admin grants it deliberately, through a custom role.
   */
  'Sensitive-Data-Reveal',
]);
export type Permission = z.infer<typeof Permission>;

export const RoleScope = z.enum(['all_teams', 'assigned_teams']);

/** Every role is read on each cache refresh and resolved for every person: their number is bounded. */
export const MAX_CUSTOM_ROLES = 200;

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const RoleDefinition = z.lazy(() =>
  z.object({
    name: z.string().min(1).max(100),
    permissions: z.array(Permission).max(20),
    scope: RoleScope.default('assigned_teams'),
  }),
);
export type RoleDefinition = z.infer<typeof RoleDefinition>;

export const BUILT_IN_ROLE_IDS = ['admin', 'manager', 'agent'] as const;
export const isBuiltInRole = (id: string) => (BUILT_IN_ROLE_IDS as readonly string[]).includes(id);

const unique = <T>(items: readonly T[]) => new Set(items).size === items.length;

/** A role as an admin writes it: every field explicit, no permission twice. */
export const RoleInput = z.lazy(() =>
  z.strictObject({
    name: z.string().trim().min(1).max(100),
    permissions: z
      .array(Permission)
      .max(Permission.options.length)
      .refine(unique, 'must not list a permission twice'),
    scope: RoleScope,
  }),
);
export type RoleInput = z.infer<typeof RoleInput>;

/**
 * Team, role and person ids: plain document ids. `*` (the search tokens' "every team" scope) and
 * anything with a slash are refused, so no stored team can stand for all teams.
 */
export const DirectoryId = Identifier;

/** The phone number in a person's profile, for SMS notifications (NOT-1): E.164. */
export const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15550100');

export const MAX_ROLES_PER_PERSON = 20;
export const MAX_TEAMS_PER_PERSON = 50;

/** A person as an admin writes them. */
export const PersonInput = z.lazy(() =>
  z.strictObject({
    name: z.string().trim().min(1).max(100),
    roleIds: z.array(DirectoryId).max(MAX_ROLES_PER_PERSON).refine(unique, 'must not list a role twice'),
    teamIds: z.array(DirectoryId).max(MAX_TEAMS_PER_PERSON).refine(unique, 'must not list a team twice'),
    phone: E164.nullable().default(null),
  }),
);
export type PersonInput = z.infer<typeof PersonInput>;

/** Built-in roles; a custom role in `roles/{id}` is any set of permissions over a scope. */
export const BUILT_IN_ROLES: Readonly<Record<'admin' | 'manager' | 'agent', RoleDefinition>> = {
  admin: {
    name: 'Admin',
    permissions: [
      'Monitor-Calls',
      'Monitor-Chats',
      'Barge',
      'Monitor-Chats-Edit',
      'Settings-Edit',
      'Audit-View',
      'Users-Edit',
    ],
    scope: 'all_teams',
  },
  manager: {
    name: 'Manager',
    permissions: ['Monitor-Calls', 'Monitor-Chats', 'Barge', 'Monitor-Chats-Edit'],
    scope: 'assigned_teams',
  },
  agent: { name: 'Agent', permissions: [], scope: 'assigned_teams' },
};

export interface Person {
  uid: string;
  name: string;
  roleIds: string[];
  teamIds: string[];
  /** E.164, for SMS notifications (NOT-1). */
  phone?: string | null;
}

/** Where a permission applies: everywhere, or in these teams only. */
export type Grant = 'all' | ReadonlySet<string>;

export interface Actor {
  uid: string;
  name: string;
  teamIds: string[];
  grants: ReadonlyMap<Permission, Grant>;
  /** Whether the sign-in used a second factor (REC-4). */
  multiFactor: boolean;
}

/** The union of the person's roles: a permission granted for all teams by any role is granted for all. */
export function resolveActor(
  person: Person,
  roles: ReadonlyMap<string, RoleDefinition>,
  multiFactor = false,
): Actor {
  const grants = new Map<Permission, Grant>();
  for (const roleId of person.roleIds) {
    const role = roles.get(roleId);
    if (!role) continue;
    for (const permission of role.permissions) {
      const current = grants.get(permission);
      if (current === 'all' || role.scope === 'all_teams') grants.set(permission, 'all');
      else grants.set(permission, new Set([...(current ?? []), ...person.teamIds]));
    }
  }
  return { uid: person.uid, name: person.name, teamIds: person.teamIds, grants, multiFactor };
}
