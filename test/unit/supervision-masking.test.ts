import { describe, expect, it } from 'vitest';
import { requestEnd } from '../../functions/src/app/supervision/ending.js';
import { listAgents, listSessions } from '../../functions/src/app/supervision/lists.js';
import { getSessionDetails, readChatThread } from '../../functions/src/app/supervision/monitoring.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import type { ChatMessage } from '../../functions/src/ports/supervision.js';
import { listedSession, memorySupervision } from '../support/supervision-fakes.js';

/**
 * What supervisors see of customer data follows the company's privacy setting: masked when it is on,
 * as written when it is off (docs/privacy.md).
 */
const admin = resolveActor(
  { uid: 'boss', name: 'Boss', roleIds: ['admin'], teamIds: [] },
  new Map(Object.entries(BUILT_IN_ROLES)),
);

function supervision(maskSensitiveData: boolean) {
  const session = {
    ...listedSession('chat-1', { kind: 'chat', listState: 'connected', teamIds: ['team-a'], agentId: 'ari' }),
    consumer: { id: '+447966197542', name: null, anonymous: false },
    participants: [
      {
        id: '+447966197542',
        role: 'consumer' as const,
        name: 'melissa@gmail.com',
        joinedAt: '2026-11-22T09:00:00.000Z',
      },
      {
        id: 'ari',
        role: 'agent' as const,
        name: 'Ari 4111 1111 1111 1111',
        joinedAt: '2026-11-22T09:00:01.000Z',
      },
    ],
  };
  const fakes = memorySupervision({ sessions: [session] });
  const messages: ChatMessage[] = [
    {
      id: 'm1',
      sequence: 1,
      sentAt: '2026-11-22T09:01:00.000Z',
      author: { type: 'consumer', id: '+447966197542' },
      text: 'card 4111 1111 1111 1111',
    },
    {
      id: 'm2',
      sequence: 2,
      sentAt: '2026-11-22T09:02:00.000Z',
      author: { type: 'agent', id: 'ari' },
      text: 'You wrote 4111 1111 1111 1111?',
    },
  ];
  fakes.deps.sessions = {
    ...fakes.deps.sessions,
    messages: async () => messages,
    liveSessionsOfAgents: async () => [session],
  };
  fakes.deps.agents = {
    run: async () => [{ uid: 'ari', name: 'Ari', teamIds: ['team-a'], nameSort: 'ari' }] as never,
  };
  fakes.deps.privacy = { read: async () => ({ maskSensitiveData }) };
  return fakes.deps;
}

async function seen(maskSensitiveData: boolean) {
  const deps = supervision(maskSensitiveData);
  await deps.monitors.start('chat-1', 'boss', 'listen', new Date('2026-11-22T09:10:00.000Z'));
  const list = await listSessions(deps, admin, { kind: 'chat', state: 'connected' }, { size: 10 });
  const agents = await listAgents(deps, admin, {}, { size: 10 });
  const details = await getSessionDetails(deps, admin, 'chat-1');
  const thread = await readChatThread(deps, admin, 'chat-1', 10);
  const ending = await requestEnd(deps, admin, 'chat-1');
  return {
    listed: list.items[0]!.endUser,
    agents: agents.items[0]!.currentSessions[0]!.endUser,
    details: details.endUser,
    participants: details.participants.map((p) => [p.id, p.name]),
    thread: thread.messages.map((m) => m.text),
    threadAuthors: thread.messages.map((m) => m.author.id ?? null),
    ending: ending.session.endUser,
  };
}

describe("supervisors' views of customer data", () => {
  it('when masking is on, then lists, details, participants, the thread and end requests show it masked; agents are staff and stay named', async () => {
    expect(await seen(true)).toEqual({
      listed: '*********7542',
      agents: '*********7542',
      details: { id: '*********7542', name: null, display: '*********7542', anonymous: false },
      participants: [
        ['*********7542', 'm******@gmail.com'],
        ['ari', 'Ari 4111 1111 1111 1111'],
      ],
      thread: ['card ************1111', 'You wrote ************1111?'],
      threadAuthors: ['*********7542', 'ari'],
      ending: '*********7542',
    });
  });

  it('when masking is off, then they show it as written', async () => {
    expect(await seen(false)).toEqual({
      listed: '+447966197542',
      agents: '+447966197542',
      details: { id: '+447966197542', name: null, display: '+447966197542', anonymous: false },
      participants: [
        ['+447966197542', 'melissa@gmail.com'],
        ['ari', 'Ari 4111 1111 1111 1111'],
      ],
      thread: ['card 4111 1111 1111 1111', 'You wrote 4111 1111 1111 1111?'],
      threadAuthors: ['+447966197542', 'ari'],
      ending: '+447966197542',
    });
  });
});
