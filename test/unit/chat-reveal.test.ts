import { describe, expect, it } from 'vitest';
import { revealMessage, type RevealDeps } from '../../functions/src/app/chat/reveal.js';
import { resolveActor } from '../../functions/src/domain/access/permissions.js';
import { emptySession } from '../../functions/src/domain/sessions/session.js';
import type { AuditEntry, ListedSession } from '../../functions/src/ports/supervision.js';

const TEXT = 'Call me on +447966197542';
const reader = resolveActor(
  { uid: 'rita', name: 'Rita', roleIds: ['reader'], teamIds: ['team-a'] },
  new Map([['reader', { name: 'Reader', permissions: ['Sensitive-Data-Reveal'], scope: 'assigned_teams' }]]),
);
const chat = {
  ...emptySession('chat-1'),
  status: 'connected',
  kind: 'chat',
  agent: { id: 'rita', name: 'Rita' },
  teamIds: ['team-a'],
} as unknown as ListedSession;

function deps(audit: (entry: AuditEntry) => Promise<void>): RevealDeps {
  return {
    sessions: { get: async (id) => (id === chat.id ? chat : undefined) },
    chatAgents: { agentsOf: async () => [] },
    originals: {
      find: async (_s, messageId) =>
        messageId === 'm-1'
          ? { messageId, author: { type: 'consumer' }, text: TEXT, sentAt: '2026-12-03T10:00:00.000Z' }
          : undefined,
    },
    audit: { record: audit, list: async () => [] },
    clock: { now: () => new Date('2026-12-03T10:05:00.000Z') },
    newId: () => 'r-1',
  };
}

describe('revealing a message', () => {
  it('when the audit trail cannot be written, then the text is not revealed', async () => {
    const failing = deps(async () => {
      throw new Error('audit store unavailable');
    });
    await expect(revealMessage(failing, reader, 'chat-1', 'm-1')).rejects.toThrow('audit store unavailable');
  });

  it('when it is written, then the entry names who, which session and message and when, never the text', async () => {
    const written: AuditEntry[] = [];
    const revealed = await revealMessage(
      deps(async (e) => void written.push(e)),
      reader,
      'chat-1',
      'm-1',
    );
    expect(revealed.text).toBe(TEXT);
    expect(written).toEqual([
      expect.objectContaining({
        action: 'message.revealed',
        actorUid: 'rita',
        sessionId: 'chat-1',
        messageId: 'm-1',
        at: '2026-12-03T10:05:00.000Z',
      }),
    ]);
    expect(JSON.stringify(written)).not.toContain('7966');
  });
});
