import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import {
  planNotification,
  smsCommandId,
  type PlanDeps,
} from '../../functions/src/app/notifications/plans.js';
import { composePlatformEvents } from '../../functions/src/composition/platform-events.js';
import { functionConfig } from '../../functions/src/config.js';
import { metricsAt } from '../../functions/src/domain/sessions/session.js';
import type { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { configureLogs } from '../../functions/src/log.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * Plans asked of the real session store and notification settings on the Firestore emulator, with the
 * platform's command topic in memory so that a publish can be made to fail: the wait a call's plan adds
 * is recorded once per assignment, and its SMS is handed over once, whatever fails and is retried.
 */
const projectId = testProjectId('notif-plans');
const db = testFirestore(projectId);
const config = functionConfig('platformEvents', {
  GOOGLE_CLOUD_PROJECT: projectId,
  PLATFORM_SIGNING_SECRET: 'notification-plans-secret-0123456789abcdef',
  DIRECTORY_CACHE_SECONDS: '0',
});
const composed = composePlatformEvents(config);
const ingest = composed.ingest();
const published: PlatformCommand[] = [];
let publishFailures = 0;
const deps: PlanDeps = {
  ...composed.notifications!(),
  commands: {
    publish: async (command) => {
      if (publishFailures > 0) {
        publishFailures -= 1;
        throw new Error(`Pub/Sub refused ${JSON.stringify(command)}`);
      }
      published.push(command);
    },
  },
};
const logged: string[] = [];
const PHONE = '+15550100123';

const event = (sessionId: string, sequence: number, fields: Record<string, unknown>) =>
  ({
    schemaVersion: 1,
    sessionId,
    eventId: `${sessionId}-${sequence}`,
    sequence,
    occurredAt: new Date(Date.UTC(2026, 11, 3, 9, sequence)).toISOString(),
    ...fields,
  }) as SessionEvent;

async function assignedCall(sessionId: string, agentId = 'ari') {
  await ingestSessionEvent(
    ingest,
    event(sessionId, 0, {
      type: 'session.created',
      kind: 'call',
      channel: 'ivr',
      language: 'en',
      queue: { id: 'q-billing', menuPath: ['Billing'] },
      consumer: { id: 'c-1', anonymous: false },
    }),
  );
  await ingestSessionEvent(ingest, event(sessionId, 2, { type: 'session.assigned', agent: { id: agentId } }));
}

const ask = (sessionId: string, assignmentId = 'as-1', agentId = 'ari') =>
  planNotification(deps, { trigger: 'assignment', sessionId, assignmentId, agentId });

beforeAll(async () => {
  configureLogs({ sink: (line) => logged.push(line) });
  await db
    .doc('users/ari')
    .set({ uid: 'ari', name: 'Ari Agent', roleIds: ['agent'], teamIds: [], phone: PHONE });
  await new FirestoreNotificationSettings(db, { now: () => new Date() }).save(
    {
      section: 'calls',
      value: {
        whisper: { enabled: true, speed: 1 },
        countdown: { enabled: true },
        incomingCallTone: { type: 'builtin', name: 'bell' },
        frequency: { mode: 'once' },
        sms: { enabled: true },
      },
    },
    () => {},
  );
});

afterAll(() => db.terminate());

describe('a call’s plan recorded on its session (NOT-1, NOT-5)', () => {
  it('when the plan for an assignment is asked twice, then its wait is in the metrics once and one SMS is sent, to the number in the agent’s profile', async () => {
    await assignedCall('S-twice');
    const first = await ask('S-twice');
    const again = await ask('S-twice');
    expect(again).toEqual(first);
    // "Phone call from Billing": 23 characters at 15 a second, then the 4 s countdown.
    expect(first.plan.addsToWaitMs).toBe(1534 + 4000);
    expect(first.sms).toEqual({ send: true });
    const session = (await ingest.sessions.getSession('S-twice'))!;
    expect(metricsAt(session, new Date()).queueWaitMs).toBe(120_000 + 5534);
    expect(session.notifications.assignments).toEqual([
      { assignmentId: 'as-1', agentId: 'ari', addsToWaitMs: 5534, sms: 'sent' },
    ]);
    expect(published.filter((c) => c.type === 'agent.sms' && c.sessionId === 'S-twice')).toEqual([
      {
        type: 'agent.sms',
        commandId: smsCommandId('S-twice', 'as-1'),
        sessionId: 'S-twice',
        assignmentId: 'as-1',
        agentId: 'ari',
        to: PHONE,
        text: 'Phone call from Billing',
      },
    ]);
  });

  it('when publishing the SMS fails, then the ask fails with a 503, and the next ask publishes it under the same id, once; the number is never logged', async () => {
    await assignedCall('S-fails');
    publishFailures = 1;
    await expect(ask('S-fails')).rejects.toMatchObject({ status: 503 });
    expect(published.filter((c) => c.sessionId === 'S-fails')).toEqual([]);
    // The wait was recorded by the first ask and is not added again.
    await ask('S-fails');
    await ask('S-fails');
    const sms = published.filter((c) => c.sessionId === 'S-fails');
    expect(sms.map((c) => c.commandId)).toEqual([smsCommandId('S-fails', 'as-1')]);
    const session = (await ingest.sessions.getSession('S-fails'))!;
    expect(session.notifications.announcedWaitMs).toBe(5534);
    expect(logged.some((line) => line.includes('notification_sms_will_retry'))).toBe(true);
    expect(logged.filter((line) => line.includes(PHONE.slice(1)))).toEqual([]);
  });

  it('when the agent’s phone is removed from their profile before the owed SMS is handed over, then the next ask settles it as no_phone, says so, and sends nothing', async () => {
    await db
      .doc('users/bo')
      .set({ uid: 'bo', name: 'Bo Agent', roleIds: ['agent'], teamIds: [], phone: PHONE });
    await assignedCall('S-unphoned', 'bo');
    publishFailures = 1;
    await expect(ask('S-unphoned', 'as-1', 'bo')).rejects.toMatchObject({ status: 503 });
    await db.doc('users/bo').update({ phone: null });
    const answer = await ask('S-unphoned', 'as-1', 'bo');
    expect(answer.sms).toEqual({ send: false, reason: 'no_phone' });
    const session = (await ingest.sessions.getSession('S-unphoned'))!;
    expect(session.notifications.assignments).toEqual([
      { assignmentId: 'as-1', agentId: 'bo', addsToWaitMs: 5534, sms: 'no_phone' },
    ]);
    // Settled: the phone back in the profile sends nothing for this assignment.
    await db.doc('users/bo').update({ phone: PHONE });
    expect((await ask('S-unphoned', 'as-1', 'bo')).sms).toEqual({ send: false, reason: 'no_phone' });
    expect(published.filter((c) => c.sessionId === 'S-unphoned')).toEqual([]);
  });

  it('when the same assignment is asked for by another agent, then 409 and nothing changes', async () => {
    await assignedCall('S-other');
    await ask('S-other');
    await expect(
      planNotification(deps, {
        trigger: 'assignment',
        sessionId: 'S-other',
        assignmentId: 'as-1',
        agentId: 'bo',
      }),
    ).rejects.toMatchObject({ status: 409, details: { reason: 'assignment_mismatch' } });
    expect((await ingest.sessions.getSession('S-other'))!.notifications.announcedWaitMs).toBe(5534);
  });

  it('when an event arrives late after the plan and the session is folded again, then the announced wait is kept', async () => {
    await assignedCall('S-late');
    await ask('S-late');
    const outcome = await ingestSessionEvent(
      ingest,
      event('S-late', 1, {
        type: 'participant.joined',
        participant: { id: 'c-1', role: 'consumer' },
      }),
    );
    expect(outcome.outcome).toBe('replayed');
    const session = (await ingest.sessions.getSession('S-late'))!;
    expect(session.participants.map((p) => p.id)).toEqual(['c-1']);
    expect(session.notifications.announcedWaitMs).toBe(5534);
    expect(metricsAt(session, new Date()).queueWaitMs).toBe(120_000 + 5534);
  });
});
