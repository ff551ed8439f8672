import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { FirestoreNotificationSettings } from '../../functions/src/adapters/firestore/notification-settings.js';
import { FirestoreAuditLog } from '../../functions/src/adapters/firestore/supervision.js';
import { FirestoreDeflectionSettings } from '../../functions/src/adapters/firestore/deflection-settings.js';
import { deleteQueueSettings } from '../../functions/src/app/deflection/settings.js';
import type { NotificationDeps } from '../../functions/src/app/notifications/deps.js';
import {
  deleteQueueWhisper,
  readNotificationSettings,
  refuseIfToneInUse,
  saveCallNotifications,
  saveChatNotifications,
  saveQueueWhisper,
} from '../../functions/src/app/notifications/settings.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
} from '../../functions/src/domain/deflection/settings.js';
import { AppError } from '../../functions/src/domain/errors.js';
import {
  CallNotifications,
  ChatNotifications,
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  QueueWhisper,
  type CustomTone,
  type NotificationConfig,
} from '../../functions/src/domain/notifications/settings.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { NotificationSection } from '../../functions/src/ports/notification-settings.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * NOT-1, NOT-2, NOT-3, NOT-4: the notification settings and the tone library on the Firestore emulator.
 * A save replaces its section with exactly what was checked, a load is one version, and a tone is never
 * both removed and named by a saved setting.
 */
const db = testFirestore(testProjectId('notif-store'));
afterAll(() => db.terminate());

const json = (value: unknown) => JSON.stringify(value);
const acceptAll = () => {};

/** A store over a database of its own, so that each test starts from nothing saved. */
function freshStore(label: string) {
  const fresh = testFirestore(testProjectId(label));
  onTestFinished(() => fresh.terminate());
  return { db: fresh, store: new FirestoreNotificationSettings(fresh, systemClock) };
}

const tone = (id: string, more: Partial<CustomTone> = {}): CustomTone => ({
  id,
  name: `${id}.mp3`,
  sizeBytes: 48_213,
  durationMs: 2_612,
  object: `tones/${id}.mp3`,
  generation: '1733250000000001',
  uploadedAt: '2026-12-03T18:00:00.000Z',
  uploadedBy: 'u-admin',
  ...more,
});

const calls = (more: Partial<CallNotifications> = {}) =>
  CallNotifications.parse({
    whisper: { enabled: true, speed: 1.25 },
    countdown: { enabled: true },
    incomingCallTone: { type: 'builtin', name: 'bell' },
    frequency: { mode: 'repeat', everySeconds: 15 },
    sms: { enabled: true },
    ...more,
  });

const chats = (more: Partial<ChatNotifications> = {}) =>
  ChatNotifications.parse({
    newChatTone: { type: 'builtin', name: 'marimba' },
    frequency: { mode: 'repeat', everySeconds: 30 },
    newMessageTone: { type: 'builtin', name: 'pulse' },
    ...more,
  });

/** The configuration as a plain value, queues in id order, for exact comparison. */
const plain = (config: NotificationConfig) => ({
  calls: config.calls,
  chats: config.chats,
  queues: [...config.queues].sort(([a], [b]) => (a < b ? -1 : 1)),
});

describe('notification settings store on the Firestore emulator', () => {
  it('when nothing was ever saved, then the defaults apply, the library is empty and the version is 0 (NOT-1, NOT-2)', async () => {
    const { store } = freshStore('notif-empty');
    const loaded = await store.load();
    expect(json(plain(loaded.config))).toBe(
      json({ calls: DEFAULT_CALL_NOTIFICATIONS, chats: DEFAULT_CHAT_NOTIFICATIONS, queues: [] }),
    );
    expect(loaded.tones.size).toBe(0);
    expect(loaded.version).toBe(0);
  });

  it('when every section is saved, then each document and each loaded section is exactly what was checked (NOT-1, NOT-2, NOT-3)', async () => {
    const { db: fresh, store } = freshStore('notif-round');
    const greeting = tone('tone-greeting', { name: 'Accueil «équipe» 🎧.mp3' });
    const ring = tone('tone-ring');
    await store.putTone(greeting);
    await store.putTone(ring);
    const saved: NotificationSection[] = [
      { section: 'calls', value: calls({ incomingCallTone: { type: 'custom', toneId: 'tone-ring' } }) },
      { section: 'chats', value: chats({ newMessageTone: { type: 'custom', toneId: 'tone-ring' } }) },
      {
        section: 'queueWhisper',
        queueId: 'q-billing',
        value: QueueWhisper.parse({ enabled: true, announcement: { type: 'queue_name' } }),
      },
      {
        section: 'queueWhisper',
        queueId: 'q-support',
        value: QueueWhisper.parse({
          enabled: true,
          announcement: { type: 'tts', text: 'Appel prioritaire — client « VIP »' },
          speed: 0.75,
          countdown: false,
        }),
      },
      {
        section: 'queueWhisper',
        queueId: 'q-night',
        value: QueueWhisper.parse({
          enabled: false,
          announcement: { type: 'recording', toneId: 'tone-greeting' },
          countdown: true,
        }),
      },
    ];
    let version = 2;
    for (const change of saved) expect(await store.save(change, acceptAll)).toBe(++version);

    const loaded = await store.load();
    expect(loaded.version).toBe(version);
    for (const change of saved) {
      if (change.section === 'queueWhisperDeleted') continue;
      const [path, readBack] =
        change.section === 'queueWhisper'
          ? [`queueWhispers/${change.queueId}`, loaded.config.queues.get(change.queueId)]
          : change.section === 'calls'
            ? ['settings/notificationCalls', loaded.config.calls]
            : ['settings/notificationChats', loaded.config.chats];
      expect((await fresh.doc(path).get()).data()).toEqual(change.value);
      expect(json(readBack)).toBe(json(change.value));
    }
    expect([...loaded.config.queues.keys()]).toEqual(['q-billing', 'q-night', 'q-support']);
    expect(json(loaded.tones.get('tone-greeting'))).toBe(json(greeting));
    expect(json(loaded.tones.get('tone-ring'))).toBe(json(ring));
    expect((await fresh.doc('notificationTones/tone-ring').get()).data()).toEqual(ring);
  });

  it('when a section is saved without a field it had, then the field is gone from the store and from what is loaded', async () => {
    const { db: fresh, store } = freshStore('notif-replace');
    const fast = QueueWhisper.parse({ enabled: true, announcement: { type: 'queue_name' }, speed: 1.5 });
    await store.save({ section: 'queueWhisper', queueId: 'q-1', value: fast }, acceptAll);
    const plainWhisper = QueueWhisper.parse({ enabled: true, announcement: { type: 'queue_name' } });
    await store.save({ section: 'queueWhisper', queueId: 'q-1', value: plainWhisper }, acceptAll);
    expect((await fresh.doc('queueWhispers/q-1').get()).get('speed')).toBeUndefined();
    expect((await store.load()).config.queues.get('q-1')).toEqual({
      enabled: true,
      announcement: { type: 'queue_name' },
    });
  });

  it('when a caller saves a value it built itself, then what is stored is what the schema gives, and a value the schema refuses is 400 with nothing written', async () => {
    const { db: fresh, store } = freshStore('notif-built');
    const withoutSpeed = { ...calls(), whisper: { enabled: true } } as CallNotifications;
    await store.save({ section: 'calls', value: withoutSpeed }, acceptAll);
    expect((await fresh.doc('settings/notificationCalls').get()).get('whisper')).toEqual({
      enabled: true,
      speed: 1,
    });
    const before = (await store.load()).version;
    const refused: NotificationSection[] = [
      { section: 'calls', value: { ...calls(), extra: 'not a setting' } as CallNotifications },
      { section: 'chats', value: { ...chats(), frequency: { mode: 'repeat', everySeconds: 1 } } },
      {
        section: 'queueWhisper',
        queueId: 'no/slash',
        value: QueueWhisper.parse({ enabled: true, announcement: { type: 'queue_name' } }),
      },
    ];
    for (const change of refused)
      await expect(store.save(change, acceptAll)).rejects.toMatchObject({ status: 400 });
    await expect(store.save(refused[1]!, acceptAll)).rejects.toMatchObject({
      details: { issues: [expect.objectContaining({ path: 'frequency.everySeconds' })] },
    });
    // Issues are named as the api names a request's: the whole value is `(root)`.
    await expect(
      store.save({ section: 'chats', value: null as unknown as ChatNotifications }, acceptAll),
    ).rejects.toMatchObject({ details: { issues: [expect.objectContaining({ path: '(root)' })] } });
    expect((await fresh.doc('settings/notificationCalls').get()).get('extra')).toBeUndefined();
    expect((await fresh.doc('settings/notificationChats').get()).exists).toBe(false);
    expect((await fresh.collection('queueWhispers').get()).empty).toBe(true);
    expect((await store.load()).version).toBe(before);
  });

  it('when a save names tones missing from the library, then 400 lists every path even when the caller check accepts, and nothing is written (NOT-4)', async () => {
    const { db: fresh, store } = freshStore('notif-missing');
    await store.putTone(tone('tone-kept'));
    const check = vi.fn();
    await expect(
      store.save(
        {
          section: 'chats',
          value: chats({
            newChatTone: { type: 'custom', toneId: 'tone-gone' },
            newMessageTone: { type: 'custom', toneId: 'constructor' },
          }),
        },
        check,
      ),
    ).rejects.toMatchObject({
      status: 400,
      details: {
        issues: [
          expect.objectContaining({ path: 'chats.newChatTone', code: 'unknown_tone' }),
          expect.objectContaining({ path: 'chats.newMessageTone', code: 'unknown_tone' }),
        ],
      },
    });
    await expect(
      store.save(
        {
          section: 'queueWhisper',
          queueId: 'q-1',
          value: QueueWhisper.parse({
            enabled: true,
            announcement: { type: 'recording', toneId: 'tone-gone' },
          }),
        },
        check,
      ),
    ).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ path: 'queues.q-1.announcement' })] },
    });
    expect(check).toHaveBeenCalledTimes(2);
    expect((await fresh.doc('settings/notificationChats').get()).exists).toBe(false);
    expect((await fresh.doc('queueWhispers/q-1').get()).exists).toBe(false);
    expect((await store.load()).version).toBe(1);
  });

  it('when the caller’s check returns problems, then they are refused in one 400 together with every tone the library misses, and nothing is written', async () => {
    const { db: fresh, store } = freshStore('notif-issues');
    const own = { path: 'queues.q-1', code: 'not_a_call_queue', message: 'no calls' };
    const recorded = QueueWhisper.parse({
      enabled: true,
      announcement: { type: 'recording', toneId: 'tone-gone' },
    });
    await expect(
      store.save({ section: 'queueWhisper', queueId: 'q-1', value: recorded }, () => [own]),
    ).rejects.toMatchObject({
      status: 400,
      details: {
        issues: [own, expect.objectContaining({ path: 'queues.q-1.announcement', code: 'unknown_tone' })],
      },
    });
    await expect(
      store.save(
        {
          section: 'queueWhisper',
          queueId: 'q-1',
          value: QueueWhisper.parse({ enabled: false, announcement: { type: 'queue_name' } }),
        },
        () => [own],
      ),
    ).rejects.toMatchObject({ status: 400, details: { issues: [own] } });
    expect((await fresh.doc('queueWhispers/q-1').get()).exists).toBe(false);
    expect((await store.load()).version).toBe(0);
  });

  it("when the caller's check refuses, then its error comes through and nothing is written; the check sees the whole next configuration and the library", async () => {
    const { db: fresh, store } = freshStore('notif-check');
    await store.putTone(tone('tone-a'));
    await store.save({ section: 'calls', value: calls() }, acceptAll);
    const seen: unknown[] = [];
    const refusal = new AppError('invalid_request', 400, 'refused by the check');
    await expect(
      store.save(
        { section: 'chats', value: chats({ newChatTone: { type: 'custom', toneId: 'tone-a' } }) },
        (next, tones) => {
          seen.push(plain(next), [...tones.keys()]);
          throw refusal;
        },
      ),
    ).rejects.toBe(refusal);
    expect(json(seen)).toBe(
      json([
        { calls: calls(), chats: chats({ newChatTone: { type: 'custom', toneId: 'tone-a' } }), queues: [] },
        ['tone-a'],
      ]),
    );
    expect((await fresh.doc('settings/notificationChats').get()).exists).toBe(false);
    expect((await store.load()).version).toBe(2);
  });

  it("when a queue's whisper is deleted, then it is gone and the global whisper applies; deleting it again writes nothing (NOT-3)", async () => {
    const { db: fresh, store } = freshStore('notif-unwhisper');
    const whisper = QueueWhisper.parse({ enabled: true, announcement: { type: 'tts', text: 'VIP' } });
    await store.save({ section: 'queueWhisper', queueId: 'q-vip', value: whisper }, acceptAll);
    expect(await store.save({ section: 'queueWhisperDeleted', queueId: 'q-vip' }, acceptAll)).toBe(2);
    expect((await fresh.doc('queueWhispers/q-vip').get()).exists).toBe(false);
    expect((await store.load()).config.queues.has('q-vip')).toBe(false);
    expect(await store.save({ section: 'queueWhisperDeleted', queueId: 'q-vip' }, acceptAll)).toBe(2);
    expect(await store.save({ section: 'queueWhisperDeleted', queueId: 'no/such' }, acceptAll)).toBe(2);
    expect((await store.load()).version).toBe(2);
  });

  it('when a section is saved again exactly as stored, as a retried request would, then nothing is written and the version stays', async () => {
    const { db: fresh, store } = freshStore('notif-same');
    const whisper = QueueWhisper.parse({ enabled: true, announcement: { type: 'tts', text: 'Urgent' } });
    const sections: NotificationSection[] = [
      { section: 'calls', value: calls() },
      { section: 'chats', value: chats() },
      { section: 'queueWhisper', queueId: 'q-night', value: whisper },
    ];
    for (const change of sections) await store.save(change, acceptAll);
    const written = async () =>
      Promise.all(
        [
          'settings/notificationCalls',
          'settings/notificationChats',
          'queueWhispers/q-night',
          'settings/notificationsVersion',
        ].map(async (path) => (await fresh.doc(path).get()).updateTime?.toMillis()),
      );
    const before = await written();
    // Built with its keys in another order: the same section all the same.
    const { sms, frequency, incomingCallTone, countdown, whisper: globalWhisper } = calls();
    const reordered = CallNotifications.parse({
      sms,
      frequency,
      incomingCallTone,
      countdown,
      whisper: { speed: globalWhisper.speed, enabled: globalWhisper.enabled },
    });
    for (const change of [...sections, { section: 'calls' as const, value: reordered }])
      expect(await store.save(change, acceptAll)).toBe(3);
    expect(await written()).toEqual(before);
    // Anything different is a new version.
    expect(await store.save({ section: 'calls', value: calls({ sms: { enabled: false } }) }, acceptAll)).toBe(
      4,
    );
  });

  describe('the tone library (NOT-4)', () => {
    it('when a tone is put with an id already there, then it replaces that tone, which is returned, and settings using it keep naming it', async () => {
      const { db: fresh, store } = freshStore('notif-replace-tone');
      expect(await store.putTone(tone('tone-1'))).toEqual({ version: 1, replaced: undefined });
      await store.save(
        { section: 'calls', value: calls({ incomingCallTone: { type: 'custom', toneId: 'tone-1' } }) },
        acceptAll,
      );
      const newer = tone('tone-1', { generation: '1733250000000002', durationMs: 1_044, name: 'Ring v2' });
      const { version, replaced } = await store.putTone(newer);
      expect(version).toBe(3);
      expect(json(replaced)).toBe(json(tone('tone-1')));
      const loaded = await store.load();
      expect(json(loaded.tones.get('tone-1'))).toBe(json(newer));
      expect(loaded.config.calls.incomingCallTone).toEqual({ type: 'custom', toneId: 'tone-1' });
      expect((await fresh.collection('notificationTones').get()).size).toBe(1);
    });

    it('when a tone that is not valid is put, then 400 and nothing is written', async () => {
      const { db: fresh, store } = freshStore('notif-bad-tone');
      for (const bad of [
        tone('a/b'),
        tone('tone-1', { sizeBytes: 0 }),
        tone('tone-1', { generation: 'latest' }),
        { ...tone('tone-1'), extra: true } as CustomTone,
      ])
        await expect(store.putTone(bad)).rejects.toMatchObject({ status: 400 });
      await expect(store.putTone('not a tone' as unknown as CustomTone)).rejects.toMatchObject({
        status: 400,
        details: { issues: [expect.objectContaining({ path: '(root)', code: 'invalid_type' })] },
      });
      expect((await fresh.collection('notificationTones').get()).empty).toBe(true);
      expect((await store.load()).version).toBe(0);
    });

    it('when a tone in use is removed, then 409 tone_in_use names every setting using it and it stays; once unused it is removed, and removing it again writes nothing', async () => {
      const { db: fresh, store } = freshStore('notif-remove');
      await store.putTone(tone('tone-1'));
      await store.save(
        { section: 'calls', value: calls({ incomingCallTone: { type: 'custom', toneId: 'tone-1' } }) },
        acceptAll,
      );
      await store.save(
        {
          section: 'queueWhisper',
          queueId: 'q-vip',
          value: QueueWhisper.parse({ enabled: true, announcement: { type: 'recording', toneId: 'tone-1' } }),
        },
        acceptAll,
      );
      const refuse = (config: NotificationConfig) => refuseIfToneInUse(config, 'tone-1');
      await expect(store.removeTone('tone-1', refuse)).rejects.toMatchObject({
        status: 409,
        details: { reason: 'tone_in_use', paths: ['calls.incomingCallTone', 'queues.q-vip.announcement'] },
      });
      expect((await fresh.doc('notificationTones/tone-1').get()).exists).toBe(true);
      expect((await store.load()).version).toBe(3);

      await store.save({ section: 'calls', value: calls() }, acceptAll);
      await store.save({ section: 'queueWhisperDeleted', queueId: 'q-vip' }, acceptAll);
      const removal = await store.removeTone('tone-1', refuse);
      expect(removal.version).toBe(6);
      expect(json(removal.removed)).toBe(json(tone('tone-1')));
      expect((await fresh.doc('notificationTones/tone-1').get()).exists).toBe(false);
      expect(await store.removeTone('tone-1', refuse)).toEqual({ version: 6, removed: undefined });
      expect(await store.removeTone('../x', refuse)).toEqual({ version: 6, removed: undefined });
    });

    it('when a save naming a tone and the removal of that tone run at once, many times, then never do both succeed, and what is stored never names a missing tone', async () => {
      const { db: fresh, store } = freshStore('notif-race');
      for (let i = 0; i < 24; i++) {
        const toneId = `tone-${i}`;
        await store.putTone(tone(toneId));
        const save =
          i % 2 === 0
            ? store.save(
                { section: 'calls', value: calls({ incomingCallTone: { type: 'custom', toneId } }) },
                acceptAll,
              )
            : store.save(
                {
                  section: 'queueWhisper',
                  queueId: `q-${i}`,
                  value: QueueWhisper.parse({ enabled: true, announcement: { type: 'recording', toneId } }),
                },
                acceptAll,
              );
        const remove = store.removeTone(toneId, (config) => refuseIfToneInUse(config, toneId));
        const [saved, removed] = await Promise.allSettled([save, remove]);
        const outcome = `${saved.status === 'fulfilled' ? 'saved' : (saved.reason as AppError).status}/${
          removed.status === 'fulfilled' ? 'removed' : (removed.reason as AppError).status
        }`;
        // Whichever came first, the other was refused for it: 409 in use, or 400 unknown tone.
        expect(['saved/409', '400/removed']).toContain(outcome);
        const loaded = await store.load();
        const stored =
          i % 2 === 0 ? fresh.doc('settings/notificationCalls') : fresh.doc(`queueWhispers/q-${i}`);
        const named = json((await stored.get()).data() ?? {}).includes(`"${toneId}"`);
        expect(named).toBe(loaded.tones.has(toneId));
        if (outcome === 'saved/409') await store.save({ section: 'calls', value: calls() }, acceptAll);
        if (outcome === 'saved/409' && i % 2 === 1)
          await store.save({ section: 'queueWhisperDeleted', queueId: `q-${i}` }, acceptAll);
      }
    });
  });

  it('when stored documents are malformed, then each is defaulted or left out, never trusted, and a valid save still goes through', async () => {
    const { db: fresh, store } = freshStore('notif-malformed');
    await store.putTone(tone('tone-ok'));
    await fresh.doc('settings/notificationCalls').set({ ...calls(), sms: { enabled: 'yes' } });
    await fresh
      .doc('settings/notificationChats')
      .set(chats({ newChatTone: { type: 'custom', toneId: 'tone-hand-written' } }));
    await fresh.doc('queueWhispers/q-bad').set({ enabled: true, announcement: { type: 'shout' } });
    await fresh.doc('queueWhispers/_q').set({ enabled: true, announcement: { type: 'queue_name' } });
    await fresh
      .doc('queueWhispers/q-lost')
      .set({ enabled: true, announcement: { type: 'recording', toneId: 'tone-lost' } });
    await fresh
      .doc('queueWhispers/q-ok')
      .set({ enabled: true, announcement: { type: 'recording', toneId: 'tone-ok' } });
    await fresh.doc('notificationTones/tone-misfiled').set(tone('tone-other'));
    await fresh.doc('notificationTones/tone-short').set({ ...tone('tone-short'), durationMs: -1 });
    await fresh.doc('settings/notificationsVersion').set({ version: 'seven' });

    const loaded = await store.load();
    expect(json(plain(loaded.config))).toBe(
      json({
        calls: DEFAULT_CALL_NOTIFICATIONS,
        chats: chats({ newChatTone: DEFAULT_CHAT_NOTIFICATIONS.newChatTone }),
        queues: [['q-ok', { enabled: true, announcement: { type: 'recording', toneId: 'tone-ok' } }]],
      }),
    );
    expect([...loaded.tones.keys()]).toEqual(['tone-ok']);
    expect(loaded.version).toBe(0);
    // The malformed documents do not block a valid save of another section.
    expect(await store.save({ section: 'chats', value: chats() }, acceptAll)).toBe(1);
    // A misfiled tone document is no tone, but it can be removed so that nothing is left behind.
    expect(await store.removeTone('tone-misfiled', acceptAll)).toEqual({ version: 2, removed: undefined });
    expect((await fresh.doc('notificationTones/tone-misfiled').get()).exists).toBe(false);
  });

  it('when saves race loads, then every load is one version: exactly the configuration saved at that version', async () => {
    const { store } = freshStore('notif-loads');
    await store.save({ section: 'calls', value: calls() }, acceptAll);
    const first = await store.load();
    const expected = new Map<number, string>([[first.version, json(plain(first.config))]]);
    let current = first.config;
    let saving = true;
    const saves = (async () => {
      for (let i = 0; i < 15; i++) {
        const change: NotificationSection =
          i % 3 === 0
            ? { section: 'calls', value: calls({ frequency: { mode: 'repeat', everySeconds: 10 + i } }) }
            : i % 3 === 1
              ? { section: 'chats', value: chats({ frequency: { mode: 'repeat', everySeconds: 10 + i } }) }
              : {
                  section: 'queueWhisper',
                  queueId: `q-${i}`,
                  value: QueueWhisper.parse({
                    enabled: true,
                    announcement: { type: 'tts', text: `Queue ${i}` },
                  }),
                };
        const version = await store.save(change, acceptAll);
        current =
          change.section === 'queueWhisper'
            ? { ...current, queues: new Map([...current.queues, [change.queueId, change.value]]) }
            : { ...current, [change.section]: change.value };
        expected.set(version, json(plain(current)));
      }
      saving = false;
    })();
    const loads: { version: number; config: string }[] = [];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (saving) {
          const { config, version } = await store.load();
          loads.push({ version, config: json(plain(config)) });
        }
      }),
    );
    await saves;
    expect(loads.length).toBeGreaterThan(5);
    expect(
      loads.filter(({ version, config }) => config !== expected.get(version)).map((l) => l.version),
    ).toEqual([]);
  });

  it('when a section is saved, then watchers hear of the new version, and it records the instant of the clock the store was given', async () => {
    const at = new Date('2026-12-03T10:15:00.000Z');
    const store = new FirestoreNotificationSettings(db, { now: () => at });
    const heard: number[] = [];
    const stop = store.watchVersion((version) => heard.push(version));
    onTestFinished(stop);
    const version = await store.save({ section: 'chats', value: chats() }, acceptAll);
    await vi.waitFor(() => expect(heard).toContain(version));
    const stored = (await db.doc('settings/notificationsVersion').get()).data()!;
    expect({ version: stored.version, updatedAt: stored.updatedAt.toDate() }).toEqual({
      version,
      updatedAt: at,
    });
  });

  it('when the stored version is not a positive whole number, then watchers hear 0 as loads read it, and a later save is heard as newer', async () => {
    const { db: fresh, store } = freshStore('notif-bad-version');
    const heard: number[] = [];
    const stop = store.watchVersion((version) => heard.push(version));
    onTestFinished(stop);
    // The first call back is for the document as it is: none yet.
    await vi.waitFor(() => expect(heard).toEqual([0]), { timeout: 10_000 });
    for (const [i, bad] of ['seven', Number.NaN, -3, 2.5].entries()) {
      await fresh.doc('settings/notificationsVersion').set({ version: bad, marker: i });
      await vi.waitFor(() => expect(heard).toHaveLength(i + 2), { timeout: 10_000 });
      expect((await store.load()).version).toBe(0);
    }
    expect(heard).toEqual([0, 0, 0, 0, 0]);
    expect(await store.save({ section: 'calls', value: calls() }, acceptAll)).toBe(1);
    await vi.waitFor(() => expect(heard.at(-1)).toBe(1), { timeout: 10_000 });
  });

  describe('the settings as admins edit them (NOT-1, NOT-2, NOT-3)', () => {
    const actor = (role: 'admin' | 'manager' | 'agent') =>
      resolveActor(
        { uid: `u-${role}`, name: role, roleIds: [role], teamIds: [] },
        new Map(Object.entries(BUILT_IN_ROLES)),
      );
    const admin = actor('admin');

    /** Notification settings beside a deflection configuration whose queues are the queue directory. */
    async function setUp(label: string, deflection: 'whole' | 'queues_only' | 'none' = 'whole') {
      const { db: fresh, store } = freshStore(label);
      const queues = new FirestoreDeflectionSettings(fresh, systemClock);
      if (deflection !== 'none') {
        const config = deflectionConfig();
        const accept = () => {};
        for (const [tag, value] of Object.entries(config.languages))
          await queues.save({ section: 'language', tag, value: LanguageSettings.parse(value) }, accept);
        for (const [id, value] of Object.entries(config.queues))
          await queues.save({ section: 'queue', id, value: QueueSettings.parse(value) }, accept);
        await queues.save(
          { section: 'supportCenter', value: SupportCenter.parse(config.supportCenter) },
          accept,
        );
        await queues.save({ section: 'call', value: CallSettings.parse(config.call) }, accept);
        if (deflection === 'whole')
          await queues.save({ section: 'chat', value: ChatSettings.parse(config.chat) }, accept);
      }
      const audit = new FirestoreAuditLog(fresh);
      const deps: NotificationDeps = {
        settings: store,
        queues,
        audit,
        clock: systemClock,
        newId: () => crypto.randomUUID(),
      };
      return { db: fresh, store, queues, deps, audit };
    }

    const nameWhisper = QueueWhisper.parse({
      enabled: true,
      announcement: { type: 'queue_name' },
      speed: 1.5,
    });

    it('when an admin saves each section, then reading them back gives exactly what was saved, with the tones and where each is used', async () => {
      const { store, deps } = await setUp('notif-admin');
      await store.putTone(tone('tone-ring'));
      await store.putTone(tone('tone-spare'));
      const savedCalls = calls({ incomingCallTone: { type: 'custom', toneId: 'tone-ring' } });
      const savedChats = chats({ newChatTone: { type: 'custom', toneId: 'tone-ring' } });
      await saveCallNotifications(deps, admin, savedCalls);
      await saveChatNotifications(deps, admin, savedChats);
      // A mobile and web queue, and an IVR one.
      await saveQueueWhisper(deps, admin, 'q-mobile-app', nameWhisper);
      expect(await saveQueueWhisper(deps, admin, 'q-night', nameWhisper)).toEqual({ version: 6 });

      const read = await readNotificationSettings(deps, admin);
      expect(json(read)).toBe(
        json({
          calls: savedCalls,
          chats: savedChats,
          queues: [
            { queueId: 'q-mobile-app', whisper: nameWhisper },
            { queueId: 'q-night', whisper: nameWhisper },
          ],
          tones: [
            { ...summary(tone('tone-ring')), usedBy: ['calls.incomingCallTone', 'chats.newChatTone'] },
            { ...summary(tone('tone-spare')), usedBy: [] },
          ],
          version: 6,
        }),
      );
    });

    it('when an admin saves a section, a queue whisper or removes one, then the audit trail records who, which and when, without any value; a refused save records nothing', async () => {
      const { deps, audit } = await setUp('notif-audit');
      await saveCallNotifications(deps, admin, calls());
      await saveChatNotifications(deps, admin, chats());
      await saveQueueWhisper(deps, admin, 'q-night', nameWhisper);
      await deleteQueueWhisper(deps, admin, 'q-night');
      await expect(saveCallNotifications(deps, actor('manager'), calls())).rejects.toMatchObject({
        status: 403,
      });
      await expect(saveQueueWhisper(deps, admin, 'q-gone', nameWhisper)).rejects.toMatchObject({
        status: 404,
      });
      const entries = await audit.list({}, { limit: 10 });
      // Saves within one millisecond may list in either order: compared as a set.
      const described = (e: AuditEntry) =>
        `${e.action} ${e.subject?.type}/${e.subject?.id} by ${e.actorUid}, session ${e.sessionId}, agent ${e.agentId}`;
      expect(entries.map(described).sort()).toEqual(
        [
          'notification_settings.changed settings/notificationCalls',
          'notification_settings.changed settings/notificationChats',
          'queue_whisper.changed queue/q-night',
          'queue_whisper.removed queue/q-night',
        ].map((what) => `${what} by u-admin, session null, agent null`),
      );
      // Only who, what and when: no setting's value is in the trail.
      for (const entry of entries) {
        expect(Object.keys(entry).sort()).toEqual([
          'action',
          'actorUid',
          'agentId',
          'at',
          'id',
          'kind',
          'sessionId',
          'subject',
          'teamIds',
        ]);
        expect(JSON.stringify(entry)).not.toMatch(/bell|whisper"|speed|sms"/);
      }
    });

    it('when nothing was saved, then reading gives the defaults', async () => {
      const { deps } = await setUp('notif-admin-defaults', 'none');
      expect(json(await readNotificationSettings(deps, admin))).toBe(
        json({
          calls: DEFAULT_CALL_NOTIFICATIONS,
          chats: DEFAULT_CHAT_NOTIFICATIONS,
          queues: [],
          tones: [],
          version: 0,
        }),
      );
    });

    it('when someone without Settings-Edit reads or saves, then 403 and nothing is written', async () => {
      const { db: fresh, deps } = await setUp('notif-denied');
      for (const who of [actor('agent'), actor('manager')]) {
        await expect(readNotificationSettings(deps, who)).rejects.toMatchObject({ status: 403 });
        await expect(saveCallNotifications(deps, who, calls())).rejects.toMatchObject({ status: 403 });
        await expect(saveChatNotifications(deps, who, chats())).rejects.toMatchObject({ status: 403 });
        await expect(saveQueueWhisper(deps, who, 'q-night', nameWhisper)).rejects.toMatchObject({
          status: 403,
        });
        await expect(deleteQueueWhisper(deps, who, 'q-night')).rejects.toMatchObject({ status: 403 });
      }
      expect((await fresh.doc('settings/notificationsVersion').get()).exists).toBe(false);
    });

    it('when a whisper is saved for a queue that does not exist, then 404; for a queue without IVR, mobile or web calls, 400 listing that and every missing tone; nothing is written', async () => {
      const { db: fresh, deps } = await setUp('notif-queues');
      for (const queueId of ['q-gone', 'constructor'])
        await expect(saveQueueWhisper(deps, admin, queueId, nameWhisper)).rejects.toMatchObject({
          status: 404,
        });
      const recorded = QueueWhisper.parse({
        enabled: true,
        announcement: { type: 'recording', toneId: 'tone-gone' },
      });
      await expect(saveQueueWhisper(deps, admin, 'q-texts', recorded)).rejects.toMatchObject({
        status: 400,
        details: {
          issues: [
            expect.objectContaining({ path: 'queues.q-texts', code: 'not_a_call_queue' }),
            expect.objectContaining({ path: 'queues.q-texts.announcement', code: 'unknown_tone' }),
          ],
        },
      });
      expect((await fresh.collection('queueWhispers').get()).empty).toBe(true);
    });

    it('when the deflection settings are not whole, then a whisper save is 409 not_configured with nothing written, and no whisper is listed as orphaned', async () => {
      for (const deflection of ['none', 'queues_only'] as const) {
        const {
          db: fresh,
          store,
          deps,
        } = await setUp(`notif-unset-${deflection.replace('_', '-')}`, deflection);
        await expect(saveQueueWhisper(deps, admin, 'q-night', nameWhisper)).rejects.toMatchObject({
          status: 409,
          details: { reason: 'not_configured' },
        });
        expect((await fresh.collection('queueWhispers').get()).empty).toBe(true);
        // A whisper saved while the queues were known stays listed as it is, not as orphaned.
        await store.save({ section: 'queueWhisper', queueId: 'q-night', value: nameWhisper }, acceptAll);
        expect((await readNotificationSettings(deps, admin)).queues).toEqual([
          { queueId: 'q-night', whisper: nameWhisper },
        ]);
      }
    });

    it("when a whisper's queue is deleted, then the whisper is kept but listed as orphaned, and deleting it removes it; deleting it again changes nothing", async () => {
      const { db: fresh, queues, deps } = await setUp('notif-orphan');
      await saveQueueWhisper(deps, admin, 'q-night', nameWhisper);
      await saveQueueWhisper(deps, admin, 'q-support', nameWhisper);
      await deleteQueueSettings(queues, admin, 'q-night');
      const withoutSms = QueueSettings.parse({
        ...deflectionConfig().queues['q-support'],
        channels: ['sms'],
      });
      await queues.save({ section: 'queue', id: 'q-support', value: withoutSms }, () => {});

      expect((await readNotificationSettings(deps, admin)).queues).toEqual([
        { queueId: 'q-night', whisper: nameWhisper, orphaned: 'unknown_queue' },
        { queueId: 'q-support', whisper: nameWhisper, orphaned: 'not_a_call_queue' },
      ]);
      const { version } = await deleteQueueWhisper(deps, admin, 'q-night');
      expect((await fresh.doc('queueWhispers/q-night').get()).exists).toBe(false);
      expect(await deleteQueueWhisper(deps, admin, 'q-night')).toEqual({ version });
      expect((await readNotificationSettings(deps, admin)).queues.map((q) => q.queueId)).toEqual([
        'q-support',
      ]);
    });
  });
});

const summary = ({ object: _object, generation: _generation, ...rest }: CustomTone) => rest;
