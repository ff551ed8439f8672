import { afterAll, describe, expect, it } from 'vitest';
import { FirestorePrivacySettings } from '../../functions/src/adapters/firestore/privacy-settings.js';
import { composeApi } from '../../functions/src/composition/api.js';
import { functionConfig } from '../../functions/src/config.js';
import type { Clock } from '../../functions/src/ports/clock.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/** The privacy settings' store on the Firestore emulator: what is saved reads back, cached per instance. */
const db = testFirestore(testProjectId('privacy'));
afterAll(() => db.terminate());

const TTL_MS = 60_000;
function store() {
  let at = Date.parse('2026-12-03T10:00:00.000Z');
  const clock: Clock = { now: () => new Date(at) };
  return { settings: new FirestorePrivacySettings(db, TTL_MS, clock), later: (ms: number) => (at += ms) };
}

describe('privacy settings store', () => {
  it('when nothing was ever saved, then masking is off', async () => {
    await db.doc('settings/privacy').delete();
    expect(await store().settings.read()).toEqual({ maskSensitiveData: false });
  });

  it('when masking is turned on and off, then each reads back as saved, here and on a fresh instance, with who and when beside it', async () => {
    const { settings } = store();
    for (const maskSensitiveData of [true, false, true]) {
      await settings.save({ maskSensitiveData }, { uid: 'ad-boss' }, new Date('2026-12-03T10:00:00.000Z'));
      expect(await settings.read()).toEqual({ maskSensitiveData });
      expect(await store().settings.read()).toEqual({ maskSensitiveData });
    }
    expect((await db.doc('settings/privacy').get()).data()).toEqual({
      maskSensitiveData: true,
      updatedBy: 'ad-boss',
      updatedAt: '2026-12-03T10:00:00.000Z',
    });
  });

  it('when another instance changes the setting, then this one reads it again only once its cache expires: no read per request', async () => {
    const { settings, later } = store();
    await settings.save({ maskSensitiveData: true }, { uid: 'ad-boss' }, new Date());
    expect(await settings.read()).toEqual({ maskSensitiveData: true });
    await db.doc('settings/privacy').set({ maskSensitiveData: false });
    later(TTL_MS - 1);
    expect(await settings.read()).toEqual({ maskSensitiveData: true });
    later(1);
    expect(await settings.read()).toEqual({ maskSensitiveData: false });
  });

  it('when the stored value is not a boolean, then customer data is masked: when in doubt, it stays hidden', async () => {
    for (const maskSensitiveData of ['no', 0, null]) {
      await db.doc('settings/privacy').set({ maskSensitiveData });
      expect(await store().settings.read()).toEqual({ maskSensitiveData: true });
    }
  });
});

describe('privacy settings within one api instance', () => {
  it('when an admin turns masking on through the api, then the same instance writes agents’ chat documents masked at once, whatever the cache’s lifetime', async () => {
    const projectId = testProjectId('privacy-api');
    const config = functionConfig('api', {
      GOOGLE_CLOUD_PROJECT: projectId,
      DIRECTORY_CACHE_SECONDS: '600',
      CHAT_OFFERS_QUEUE: `projects/${projectId}/locations/europe-west1/queues/chat-offers`,
      CHAT_OFFER_TIMEOUT_URL: 'http://127.0.0.1:9/v1/tasks/chat-offer-timeout',
      CHAT_TASKS_SERVICE_ACCOUNT: `chat-tasks@${projectId}.iam.gserviceaccount.com`,
    });
    const api = composeApi(config);
    const chat = api.chat!();
    expect(await chat.privacy.read()).toEqual({ maskSensitiveData: false });
    await api.admin().privacy.save({ maskSensitiveData: true }, { uid: 'ad-boss' }, new Date());
    expect(await chat.privacy.read()).toEqual({ maskSensitiveData: true });
    await testFirestore(projectId).doc('settings/privacy').delete();
  });
});
