import { describe, expect, it } from 'vitest';
import { authorize, type Action } from '../../functions/src/domain/access/authorize.js';
import {
  BUILT_IN_ROLES,
  resolveActor,
  type RoleDefinition,
} from '../../functions/src/domain/access/permissions.js';

/**
 * Every role × action × in-team / out-of-team. Each row states the expected outcome outright: `ok`
 * or the reason code of the 403.
 */
const roles = new Map<string, RoleDefinition>([
  ...Object.entries(BUILT_IN_ROLES),
  [
    'trainee',
    { name: 'Agent in training', permissions: ['Monitor-Calls', 'Monitor-Chats'], scope: 'assigned_teams' },
  ],
  ['closer', { name: 'Stuck-session closer', permissions: ['Monitor-Chats-Edit'], scope: 'all_teams' }],
  [
    'revealer',
    { name: 'Sensitive data reader', permissions: ['Sensitive-Data-Reveal'], scope: 'assigned_teams' },
  ],
]);

const people = {
  admin: resolveActor({ uid: 'u-admin', name: 'Admin', roleIds: ['admin'], teamIds: [] }, roles),
  manager: resolveActor(
    { uid: 'u-manager', name: 'Manager', roleIds: ['manager'], teamIds: ['team-a'] },
    roles,
  ),
  agent: resolveActor({ uid: 'u-agent', name: 'Agent', roleIds: ['agent'], teamIds: ['team-a'] }, roles),
  trainee: resolveActor(
    { uid: 'u-trainee', name: 'Trainee', roleIds: ['agent', 'trainee'], teamIds: ['team-a'] },
    roles,
  ),
  closer: resolveActor({ uid: 'u-closer', name: 'Closer', roleIds: ['closer'], teamIds: [] }, roles),
  teamless: resolveActor(
    { uid: 'u-m2', name: 'Manager without team', roleIds: ['manager'], teamIds: [] },
    roles,
  ),
  revealer: resolveActor(
    { uid: 'u-revealer', name: 'Revealer', roleIds: ['agent', 'revealer'], teamIds: ['team-a'] },
    roles,
  ),
};

const call = (team: string) => ({ kind: 'call' as const, teamIds: [team] });
const chat = (team: string) => ({ kind: 'chat' as const, teamIds: [team] });

type Who = keyof typeof people;
const MISSING = 'missing_permission';
const OUTSIDE = 'outside_assigned_teams';

const matrix: [string, Action, Record<Who, string>][] = [
  [
    'list calls',
    { type: 'sessions.list', kind: 'call' },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'list chats',
    { type: 'sessions.list', kind: 'chat' },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'list agents',
    { type: 'agents.list' },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'view a call in team',
    { type: 'session.view', session: call('team-a') },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'view a call out of team',
    { type: 'session.view', session: call('team-b') },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: OUTSIDE,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'monitor a call in team',
    { type: 'session.monitor', session: call('team-a') },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'monitor a call out of team',
    { type: 'session.monitor', session: call('team-b') },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: OUTSIDE,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'monitor a chat in team',
    { type: 'session.monitor', session: chat('team-a') },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: 'ok',
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'monitor a chat out of team',
    { type: 'session.monitor', session: chat('team-b') },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: OUTSIDE,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'barge on a call in team',
    { type: 'session.barge', session: call('team-a') },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: MISSING,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'barge on a call out of team',
    { type: 'session.barge', session: call('team-b') },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: MISSING,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'barge on a chat',
    { type: 'session.barge', session: chat('team-a') },
    {
      admin: 'barge_is_for_calls_only',
      manager: 'barge_is_for_calls_only',
      agent: 'barge_is_for_calls_only',
      trainee: 'barge_is_for_calls_only',
      closer: 'barge_is_for_calls_only',
      teamless: 'barge_is_for_calls_only',
      revealer: 'barge_is_for_calls_only',
    },
  ],
  [
    'end a call in team',
    { type: 'session.end', session: call('team-a') },
    {
      admin: 'ok',
      manager: 'ok',
      agent: MISSING,
      trainee: MISSING,
      closer: 'ok',
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'end a chat out of team',
    { type: 'session.end', session: chat('team-b') },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: MISSING,
      closer: 'ok',
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'end a session of no team',
    { type: 'session.end', session: { kind: 'chat', teamIds: [] } },
    {
      admin: 'ok',
      manager: OUTSIDE,
      agent: MISSING,
      trainee: MISSING,
      closer: 'ok',
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'edit settings',
    { type: 'settings.edit' },
    {
      admin: 'ok',
      manager: MISSING,
      agent: MISSING,
      trainee: MISSING,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'edit people and roles',
    { type: 'people.edit' },
    {
      admin: 'ok',
      manager: MISSING,
      agent: MISSING,
      trainee: MISSING,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
  [
    'read the audit trail',
    { type: 'audit.read' },
    {
      admin: 'ok',
      manager: MISSING,
      agent: MISSING,
      trainee: MISSING,
      closer: MISSING,
      teamless: MISSING,
      revealer: MISSING,
    },
  ],
];

describe('authorization matrix', () => {
  for (const [label, action, expected] of matrix) {
    for (const who of Object.keys(people) as Who[]) {
      it(`${who}: ${label} → ${expected[who]}`, () => {
        const decision = authorize(people[who], action);
        expect(decision.allowed ? 'ok' : decision.reason).toBe(expected[who]);
      });
    }
  }

  it('every action is both allowed to someone and denied to someone', () => {
    for (const [label, , expected] of matrix.filter(
      ([l]) => l !== 'barge on a chat' && l !== 'reveal a message of a call',
    )) {
      const outcomes = new Set(Object.values(expected).map((o) => (o === 'ok' ? 'ok' : 'denied')));
      expect([label, [...outcomes].sort()]).toEqual([label, ['denied', 'ok']]);
    }
  });

  it('a manager lists within their teams only; an admin everywhere', () => {
    expect(authorize(people.manager, { type: 'sessions.list', kind: 'call' })).toEqual({
      allowed: true,
      scope: ['team-a'],
    });
    expect(authorize(people.admin, { type: 'sessions.list', kind: 'call' })).toEqual({
      allowed: true,
      scope: 'all',
    });
  });

  it("a team-scoped Settings-Edit does not cover the support center: settings are everyone's", () => {
    const scoped = new Map(roles).set('editor', {
      name: 'Editor',
      permissions: ['Settings-Edit'],
      scope: 'assigned_teams',
    });
    const editor = resolveActor({ uid: 'e', name: 'E', roleIds: ['editor'], teamIds: ['team-a'] }, scoped);
    expect(authorize(editor, { type: 'settings.edit' })).toEqual({
      allowed: false,
      reason: 'settings_need_all_teams',
      permission: 'Settings-Edit',
    });
  });

  it('a team-scoped Users-Edit does not reach people: whoever edits people can grant any role', () => {
    const scoped = new Map(roles).set('keeper', {
      name: 'Keeper',
      permissions: ['Users-Edit'],
      scope: 'assigned_teams',
    });
    const keeper = resolveActor({ uid: 'k', name: 'K', roleIds: ['keeper'], teamIds: ['team-a'] }, scoped);
    expect(authorize(keeper, { type: 'people.edit' })).toEqual({
      allowed: false,
      reason: 'people_need_all_teams',
      permission: 'Users-Edit',
    });
    expect(authorize(keeper, { type: 'settings.edit' }).allowed).toBe(false);
  });

  it('a denial names the missing permission, so the 403 can say it', () => {
    expect(authorize(people.agent, { type: 'session.end', session: call('team-a') })).toEqual({
      allowed: false,
      reason: MISSING,
      permission: 'Monitor-Chats-Edit',
    });
  });

  it('roles add up: a permission granted for all teams by one role is not narrowed by another', () => {
    const both = resolveActor(
      { uid: 'x', name: 'X', roleIds: ['manager', 'admin'], teamIds: ['team-a'] },
      roles,
    );
    expect(authorize(both, { type: 'session.monitor', session: call('team-z') }).allowed).toBe(true);
  });
});

describe('downloading a waiting recording (REC-4)', () => {
  const withMfa = (roleIds: string[], teamIds: string[]) =>
    resolveActor({ uid: `u-${roleIds.join('-')}`, name: 'P', roleIds, teamIds }, roles, true);
  const download = (session: { kind: 'call' | 'chat'; teamIds: string[] } | null): Action => ({
    type: 'recording.download',
    session,
  });
  const outcome = (actor: Parameters<typeof authorize>[0], action: Action) => {
    const decision = authorize(actor, action);
    return decision.allowed ? 'ok' : decision.reason;
  };

  it('when a person signed in with a second factor may monitor the call, then they may download it', () => {
    expect(outcome(withMfa(['admin'], []), download(call('team-b')))).toBe('ok');
    expect(outcome(withMfa(['manager'], ['team-a']), download(call('team-a')))).toBe('ok');
  });

  it('when the same people signed in with a password only, then they may not', () => {
    expect(outcome(people.admin, download(call('team-b')))).toBe('multi_factor_required');
    expect(outcome(people.manager, download(call('team-a')))).toBe('multi_factor_required');
  });

  it('when the call is outside their teams, or not known at all, then a team-scoped person may not', () => {
    expect(outcome(withMfa(['manager'], ['team-a']), download(call('team-b')))).toBe(OUTSIDE);
    expect(outcome(withMfa(['manager'], ['team-a']), download(null))).toBe(OUTSIDE);
    expect(outcome(withMfa(['admin'], []), download(null))).toBe('ok');
  });

  it('when a person may not monitor calls, then a second factor does not help', () => {
    expect(outcome(withMfa(['agent'], ['team-a']), download(call('team-a')))).toBe(MISSING);
    expect(outcome(withMfa(['closer'], []), download(call('team-a')))).toBe(MISSING);
  });
});
