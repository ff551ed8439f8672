import { afterAll, describe, expect, it } from 'vitest';
import { confirmEnd, requestEnd } from '../../functions/src/app/supervision/ending.js';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import { composeApi } from '../../functions/src/composition/api.js';
import { functionConfig } from '../../functions/src/config.js';
import { resolveActor, BUILT_IN_ROLES } from '../../functions/src/domain/access/permissions.js';
import { fold } from '../../functions/src/domain/sessions/session.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import { testFirestore, testProjectId } from '../support/projects.js';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';

/**
 * A supervisor ends a call while the platform's events for it keep coming, on the Firestore
 * emulator: whatever interleaving happens, the session ends in one state, the fold of every event it
 * stored, supervisor's end included.
 */
const projectId = testProjectId('end-race');
const db = testFirestore(projectId);
const config = functionConfig('api', {
  GOOGLE_CLOUD_PROJECT: projectId,
  DIRECTORY_CACHE_SECONDS: '0',
});
const published: PlatformCommand[] = [];
const deps = {
  ...composeApi(config).supervision(),
  commands: { publish: async (c: PlatformCommand) => void published.push(c) },
};
const manager = resolveActor(
  { uid: 'u-manager', name: 'Morgan', roleIds: ['manager'], teamIds: ['team-billing'] },
  new Map(Object.entries(BUILT_IN_ROLES)),
);

afterAll(() => db.terminate());

const envelope = (sessionId: string, sequence: number) => ({
  schemaVersion: 1 as const,
  sessionId,
  eventId: `${sessionId}-${sequence}`,
  sequence,
  occurredAt: new Date(Date.UTC(2026, 10, 22, 9, 0, sequence)).toISOString(),
});

function callUntilConnected(sessionId: string): SessionEvent[] {
  return [
    {
      ...envelope(sessionId, 0),
      type: 'session.created',
      kind: 'call',
      channel: 'ivr',
      queue: { id: 'q-billing', menuPath: ['Billing'] },
      language: 'en',
      consumer: { id: 'c-1', anonymous: false },
    },
    { ...envelope(sessionId, 1), type: 'session.connected', agent: { id: 'u-agent-1' } },
  ];
}

/** Twelve more events, ending with the platform's own end when `platformEnds`. */
function burstAfter(sessionId: string, from: number, platformEnds: boolean): SessionEvent[] {
  const events: SessionEvent[] = [];
  let sequence = from;
  for (let i = 0; i < 4; i++) {
    events.push({ ...envelope(sessionId, sequence++), type: 'session.held' });
    events.push({ ...envelope(sessionId, sequence++), type: 'session.resumed' });
    events.push({
      ...envelope(sessionId, sequence++),
      type: 'participant.joined',
      participant: { id: `p-${i}`, role: 'external' },
    });
  }
  if (platformEnds)
    events.push({ ...envelope(sessionId, sequence++), type: 'session.ended', reason: 'consumer_left' });
  return events;
}

describe('ending a session while its events keep arriving', () => {
  it('when the end and a burst of platform events race, then the stored session is the fold of its stored events, and ended', async () => {
    await db.doc('queues/q-billing').set({ teamIds: ['team-billing'] });
    await db.doc('queues/q-refunds').set({ teamIds: ['team-billing'] });
    for (let round = 0; round < 5; round++) {
      const sessionId = `race-${round}`;
      // A connected call, then a stream of holds, resumes, participants and an end still to come.
      const before = callUntilConnected(sessionId);
      const platformEnds = round % 2 === 0;
      const after = burstAfter(sessionId, before.length, platformEnds);
      for (const e of before) await ingestSessionEvent(deps.ingest, e);

      const look = await requestEnd(deps, manager, sessionId);
      const [ended] = await Promise.all([
        confirmEnd(deps, manager, sessionId, look.confirmationId).catch(
          (e: { details?: { reason?: string } }) => e.details?.reason,
        ),
        ...after.map((e) => ingestSessionEvent(deps.ingest, e)),
      ]);

      const stored = (await db.doc(`sessions/${sessionId}`).get()).data()!;
      const storedEvents = (await db.collection(`sessions/${sessionId}/events`).get()).docs.map((d) => {
        const { receivedAt: _r, ...event } = d.data();
        return event as SessionEvent;
      });
      const {
        listState: _l,
        stateSince: _s,
        teamIds: _t,
        searchTokens: _k,
        updatedAt: _u,
        ...state
      } = stored;
      expect(state).toEqual(fold(sessionId, storedEvents));
      // Either the end went through (then the session is ended, whatever came after it), or the
      // session moved on first and the supervisor was told so.
      if (typeof ended === 'object' && ended?.ended) {
        expect(stored.status).toBe('ended');
        expect(['ended_by_supervisor', 'consumer_left']).toContain(stored.endReason);
        expect(published.filter((c) => c.sessionId === sessionId && c.type === 'session.end')).toHaveLength(
          1,
        );
      } else {
        expect(ended).toBe('session_changed');
        // Not ended by the supervisor; ended only if the platform's own burst ends it.
        expect(stored.endReason).not.toBe('ended_by_supervisor');
        expect(stored.status === 'ended').toBe(platformEnds);
      }
    }
  });
});
