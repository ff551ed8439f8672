import { z } from 'zod';

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
]);
export type Permission = z.infer<typeof Permission>;

export const RoleScope = z.enum(['all_teams', 'assigned_teams']);

export const RoleDefinition = z.object({
  name: z.string().min(1).max(100),
  permissions: z.array(Permission).max(20),
  scope: RoleScope.default('assigned_teams'),
});
export type RoleDefinition = z.infer<typeof RoleDefinition>;

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
