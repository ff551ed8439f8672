import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreDirectory } from '../../functions/src/adapters/firestore/directory.js';
import { FirestoreSupervisionSettings } from '../../functions/src/adapters/firestore/supervision.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { demoNotificationSections, demoPeople, seedDemoData } from '../../scripts/seed/demo-data.js';
import { testFirestore, testProjectId } from '../support/projects.js';

const projectId = testProjectId('seed');
const db = testFirestore(projectId);

afterAll(async () => {
  await db.terminate();
});

async function directoryDocuments(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const collection of ['users', 'roles', 'settings', 'queues', 'queueWhispers'])
    for (const doc of (await db.collection(collection).get()).docs)
      out[`${collection}/${doc.id}`] = doc.data();
  return JSON.stringify(out);
}

describe('demo seed', () => {
  it('when seeded, then people, roles and thresholds read back as the admin routes would have stored them; seeding again changes nothing', async () => {
    const now = new Date('2026-12-01T15:00:00Z');
    await seedDemoData(db, projectId, now);
    const first = await directoryDocuments();
    await seedDemoData(db, projectId, now);
    expect(await directoryDocuments()).toBe(first);

    const directory = new FirestoreDirectory(db, 0, systemClock);
    for (const { email: _email, ...person } of demoPeople)
      expect(await directory.getPerson(person.uid)).toEqual({ phone: null, ...person });
    expect((await directory.roles()).get('trainee')?.permissions).toEqual(['Monitor-Calls', 'Monitor-Chats']);
    expect(await new FirestoreSupervisionSettings(db, 0, systemClock).stuckThresholds()).toEqual({
      queuedMinutes: 300,
      connectedMinutes: 480,
    });
    const { config } = await new FirestoreNotificationSettings(db, systemClock).load();
    expect(JSON.stringify([config.calls, config.chats, ...config.queues.values()])).toBe(
      JSON.stringify(demoNotificationSections().map((s) => ('value' in s ? s.value : undefined))),
    );
  });
});
