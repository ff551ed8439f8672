import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { FirestoreDeflectionSettings } from '../../functions/src/adapters/firestore/deflection-settings.js';
import { FirestoreDirectory } from '../../functions/src/adapters/firestore/directory.js';
import { DeflectionEngine } from '../../functions/src/app/deflection/engine.js';
import { deleteQueueSettings, saveSettings } from '../../functions/src/app/deflection/settings.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  validateDeflectionConfig,
  type DeflectionConfig,
} from '../../functions/src/domain/deflection/settings.js';
import {
  SipRedirection,
  VirtualAgentSettings,
} from '../../functions/src/domain/deflection/sip-redirection.js';
import { AppError } from '../../functions/src/domain/errors.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import type { SettingsSection } from '../../functions/src/ports/deflection-settings.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * The settings store on the Firestore emulator: a save replaces its section with exactly what was
 * checked, and a load is one version.
 */
const db = testFirestore(testProjectId('defl-store'));
const store = new FirestoreDeflectionSettings(db, systemClock);
afterAll(() => db.terminate());

const refuseInvalid = (next: DeflectionConfig) => {
  const issues = validateDeflectionConfig(next);
  if (issues.length > 0) throw new AppError('invalid_request', 400, 'invalid', { issues });
};
const save = (change: SettingsSection) => store.save(change, refuseInvalid);

type SectionValue = Exclude<
  SettingsSection,
  { section: 'queueTeams' | 'queueDeleted' | 'sipRedirectionDeleted' }
>;

/** Every section of the reference configuration, parsed as the api parses it. */
function sections(config = deflectionConfig()): SectionValue[] {
  return [
    ...Object.entries(config.languages).map(([tag, value]): SectionValue => ({
      section: 'language',
      tag,
      value: LanguageSettings.parse(value),
    })),
    ...Object.entries(config.queues).map(([id, value]): SectionValue => ({
      section: 'queue',
      id,
      value: QueueSettings.parse(value),
    })),
    { section: 'supportCenter', value: SupportCenter.parse(config.supportCenter) },
    { section: 'call', value: CallSettings.parse(config.call) },
    { section: 'chat', value: ChatSettings.parse(config.chat) },
  ];
}

const json = (value: unknown) => JSON.stringify(value);

describe('deflection settings store on the Firestore emulator', () => {
  it('when a section is saved without a field it had, then the field is gone from the store and from what is loaded', async () => {
    for (const change of sections()) await save(change);
    const center = SupportCenter.parse({
      ...deflectionConfig().supportCenter,
      hours: {
        timeZone: 'America/New_York',
        weekly: {
          ...deflectionConfig().supportCenter.hours.weekly,
          sat: [{ open: '10:00', close: '14:00' }],
        },
      },
    });
    await save({ section: 'supportCenter', value: center });
    const { phone: _phone, ...withoutPhone } = deflectionConfig().supportCenter;
    const weekdaysOnly = SupportCenter.parse(withoutPhone);
    await save({ section: 'supportCenter', value: weekdaysOnly });

    expect(json((await db.doc('settings/supportCenter').get()).data())).not.toContain('"sat"');
    expect((await db.doc('settings/supportCenter').get()).get('phone')).toBeUndefined();
    const loaded = await store.load();
    expect(json(loaded.config!.supportCenter)).toBe(json(weekdaysOnly));
  });

  it('when a mobile queue switches from a redirect to options, then only the options are stored, and later saves still pass', async () => {
    const queue = QueueSettings.parse(deflectionConfig().queues['q-mobile-app']);
    await save({
      section: 'queue',
      id: 'q-mobile-app',
      value: {
        ...queue,
        deflection: {
          mobile: { redirectQueueId: 'q-night', scheduledCall: false, email: false, voicemail: false },
        },
      },
    });
    const options = QueueSettings.parse({
      ...queue,
      deflection: { mobile: { email: true, voicemail: true } },
    });
    await save({ section: 'queue', id: 'q-mobile-app', value: options });
    expect(
      (await db.doc('queues/q-mobile-app').get()).get('deflection.mobile.redirectQueueId'),
    ).toBeUndefined();
    expect(json((await store.load()).config!.queues['q-mobile-app'])).toBe(json(options));
    await expect(
      save({ section: 'chat', value: ChatSettings.parse(deflectionConfig().chat) }),
    ).resolves.toBeGreaterThan(0);
  });

  it('when every section is saved, then each stored document and each loaded section is exactly the value that was checked', async () => {
    const config = deflectionConfig();
    config.supportCenter.hours.exceptions = [{ date: '2026-12-25', hours: 'closed', name: 'Noël' }];
    config.languages.fr!.prompts = Object.fromEntries(Object.entries(config.languages.fr!.prompts).reverse());
    const saved = sections(config);
    for (const change of saved) await save(change);
    const loaded = (await store.load()).config!;
    for (const change of saved) {
      const [path, readBack] =
        change.section === 'queue'
          ? [`queues/${change.id}`, loaded.queues[change.id]]
          : change.section === 'language'
            ? [`languages/${change.tag}`, loaded.languages[change.tag]]
            : [`settings/${change.section}`, loaded[change.section as 'call']];
      expect((await db.doc(path).get()).data()).toEqual(change.value);
      expect(json(readBack)).toBe(json(change.value));
    }
  });

  it("when a queue's teams change, then the whole queue is saved from what is stored, supervision reads the teams, and a missing queue is 404", async () => {
    for (const change of sections()) await save(change);
    await save({ section: 'queueTeams', id: 'q-refunds', teamIds: ['team-b', 'team-a'] });
    const stored = (await db.doc('queues/q-refunds').get()).data();
    expect(stored).toEqual(
      QueueSettings.parse({ ...deflectionConfig().queues['q-refunds'], teamIds: ['team-b', 'team-a'] }),
    );
    expect(await new FirestoreDirectory(db, 0, systemClock).teamsOfQueue('q-refunds')).toEqual([
      'team-a',
      'team-b',
    ]);

    const before = (await store.load()).version;
    await expect(save({ section: 'queueTeams', id: 'q-gone', teamIds: [] })).rejects.toMatchObject({
      status: 404,
    });
    await expect(save({ section: 'queueTeams', id: 'constructor', teamIds: [] })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      save({ section: 'queueTeams', id: 'q-refunds', teamIds: ['team-a', 'team-a'] }),
    ).rejects.toMatchObject({ status: 400 });
    expect((await store.load()).version).toBe(before);
  });

  it('when saves race loads, then every load is one version: exactly the configuration saved at that version', async () => {
    for (const change of sections()) await save(change);
    const base = (await store.load()).config!;
    const firstVersion = (await store.load()).version;
    // Each save changes one section; what every version holds is known from the order of the saves.
    const edits: SectionValue[] = Array.from({ length: 18 }, (_, i) =>
      i % 3 === 0
        ? { section: 'supportCenter', value: { ...base.supportCenter, name: `Acme ${i}` } }
        : i % 3 === 1
          ? { section: 'chat', value: { ...base.chat, email: i % 2 === 0 } }
          : { section: 'queue', id: 'q-night', value: { ...base.queues['q-night']!, name: `Night ${i}` } },
    );
    const expected = new Map<number, DeflectionConfig>([[firstVersion, base]]);
    let current = base;
    let saving = true;
    const saves = (async () => {
      for (const edit of edits) {
        const version = await save(edit);
        current =
          edit.section === 'queue'
            ? { ...current, queues: { ...current.queues, [edit.id]: edit.value } }
            : { ...current, [edit.section]: edit.value };
        expected.set(version, current);
      }
      saving = false;
    })();
    const loads: { version: number; config: DeflectionConfig }[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (saving) {
          const { config, version } = await store.load();
          loads.push({ version, config: config! });
        }
      }),
    );
    await saves;
    expect(loads.length).toBeGreaterThan(10);
    const mixed = loads.filter(({ version, config }) => json(config) !== json(expected.get(version)));
    expect(mixed.map((l) => l.version)).toEqual([]);
  });

  it('when an engine is running while an admin saves, then it serves the version that was saved, never an older one', async () => {
    for (const change of sections()) await save(change);
    let stopWatching = () => {};
    const engine = new DeflectionEngine(
      {
        load: () => store.load(),
        save: (change, check) => store.save(change, check),
        watchVersion: (onVersion) => (stopWatching = store.watchVersion(onVersion)),
      },
      60_000,
      systemClock,
    );
    onTestFinished(() => stopWatching());
    expect((await engine.compiled()).config.supportCenter.name).toBe('Acme Support');
    const base = (await store.load()).config!;
    const version = await save({
      section: 'supportCenter',
      value: { ...base.supportCenter, name: 'Acme Renamed' },
    });
    // The engine learns of the version from the store's watch; then it reloads on its next question.
    await vi.waitFor(async () => {
      expect((await engine.compiled()).config.supportCenter.name).toBe('Acme Renamed');
    });
    expect(version).toBeGreaterThan(0);
  });

  it('when a caller saves a section it built itself, then what is stored is what the schema gives', async () => {
    for (const change of sections()) await save(change);
    const built = { ...deflectionConfig().queues['q-night']!, extra: 'not a setting' } as QueueSettings;
    delete (built as Partial<QueueSettings>).assignedAgentIds;
    await save({ section: 'queue', id: 'q-night', value: built });
    const stored = (await db.doc('queues/q-night').get()).data();
    expect(stored).toEqual(QueueSettings.parse(deflectionConfig().queues['q-night']));
    expect(stored).not.toHaveProperty('extra');
  });

  it('when a section is saved, then the new version records the instant of the clock the store was given', async () => {
    const at = new Date('2026-11-24T10:15:00.000Z');
    const version = await new FirestoreDeflectionSettings(db, { now: () => at }).save(
      sections()[0]!,
      refuseInvalid,
    );
    const stored = (await db.doc('settings/deflectionVersion').get()).data()!;
    expect({ version: stored.version, updatedAt: stored.updatedAt.toDate() }).toEqual({
      version,
      updatedAt: at,
    });
  });

  it('when the first queue is saved before the rest is set up with custom web deflection, even a value Firestore cannot store, then 400 and nothing is written', async () => {
    const fresh = testFirestore(testProjectId('defl-setup'));
    onTestFinished(() => fresh.terminate());
    const admin = resolveActor(
      { uid: 'u-admin', name: 'Admin', roleIds: ['admin'], teamIds: [] },
      new Map(Object.entries(BUILT_IN_ROLES)),
    );
    const queue = QueueSettings.parse({
      ...deflectionConfig().queues['q-billing'],
      deflection: { web: [[1, [2]]] },
    });
    await expect(
      saveSettings(new FirestoreDeflectionSettings(fresh, systemClock), admin, {
        section: 'queue',
        id: 'q-billing',
        value: queue,
      }),
    ).rejects.toMatchObject({ status: 400, details: { issues: [{ code: 'not_for_web' }] } });
    expect((await fresh.collection('queues').get()).empty).toBe(true);
    expect((await fresh.doc('settings/deflectionVersion').get()).exists).toBe(false);
  });

  describe("a queue's SIP redirection and virtual agent settings", () => {
    const sip = SipRedirection.parse({
      uri: 'sip:support@pbx.acme.example;transport=tls',
      data_parameters_enabled: true,
      data_parameters: [
        {
          field: 'verified_customer',
          type: 'dynamic',
          source: 'ujet_metadata',
          source_field: 'reserved_verified_customer',
        },
        { field: 'order', type: 'dynamic', source: 'ujet_metadata', source_field: 'order_number' },
      ],
      data_records: { in_metadata: true, in_crm_record: true },
    });
    const virtualAgent = VirtualAgentSettings.parse({
      data_parameters: [
        {
          type: 'dynamic',
          source: 'session_metadata',
          incoming_field: 'verified_customer',
          destination_field: 'Verified_Customer__c',
        },
      ],
    });

    it('when they are saved, then each document and what is loaded are exactly what was checked, and a later save replaces them whole', async () => {
      for (const change of sections()) await save(change);
      await save({ section: 'sipRedirection', id: 'q-support', value: sip });
      await save({ section: 'virtualAgent', id: 'q-night', value: virtualAgent });
      expect((await db.doc('queueSipRedirections/q-support').get()).data()).toEqual(sip);
      expect((await db.doc('queueVirtualAgents/q-night').get()).data()).toEqual(virtualAgent);
      let loaded = (await store.load()).config!;
      expect(json(loaded.sipRedirections['q-support'])).toBe(json(sip));
      expect(json(loaded.virtualAgents['q-night'])).toBe(json(virtualAgent));

      const headersOff = SipRedirection.parse({
        uri: 'sips:pbx.acme.example',
        data_parameters_enabled: false,
        data_records: { in_metadata: false, in_crm_record: false },
      });
      await save({ section: 'sipRedirection', id: 'q-support', value: headersOff });
      expect((await db.doc('queueSipRedirections/q-support').get()).data()).toEqual({
        ...headersOff,
        data_parameters: [],
      });
      loaded = (await store.load()).config!;
      expect(json(loaded.sipRedirections['q-support'])).toBe(json(headersOff));
    });

    it('when the queue does not exist, then 404 and nothing is written', async () => {
      for (const change of sections()) await save(change);
      const before = (await store.load()).version;
      for (const id of ['q-gone', 'constructor']) {
        await expect(save({ section: 'sipRedirection', id, value: sip })).rejects.toMatchObject({
          status: 404,
        });
        await expect(save({ section: 'virtualAgent', id, value: virtualAgent })).rejects.toMatchObject({
          status: 404,
        });
        expect((await db.doc(`queueSipRedirections/${id}`).get()).exists).toBe(false);
      }
      expect((await store.load()).version).toBe(before);
    });

    it('when a queue is saved without its virtual agent while it passes it data parameters, then 400 names the setting and nothing is written', async () => {
      for (const change of sections()) await save(change);
      await save({ section: 'virtualAgent', id: 'q-night', value: virtualAgent });
      const before = (await store.load()).version;
      const night = QueueSettings.parse({ ...deflectionConfig().queues['q-night'], virtualAgent: 'none' });
      await expect(save({ section: 'queue', id: 'q-night', value: night })).rejects.toMatchObject({
        details: {
          issues: [expect.objectContaining({ path: 'virtualAgents.q-night', code: 'no_virtual_agent' })],
        },
      });
      expect((await db.doc('queues/q-night').get()).get('virtualAgent')).toBe('always');
      expect((await store.load()).version).toBe(before);
    });

    it('when their queue is deleted, then they are deleted with it in the same save', async () => {
      for (const change of sections()) await save(change);
      await save({ section: 'sipRedirection', id: 'q-night', value: sip });
      await save({ section: 'virtualAgent', id: 'q-night', value: virtualAgent });
      const admin = resolveActor(
        { uid: 'u-admin', name: 'Admin', roleIds: ['admin'], teamIds: [] },
        new Map(Object.entries(BUILT_IN_ROLES)),
      );
      const before = (await store.load()).version;
      expect(await deleteQueueSettings(store, admin, 'q-night')).toEqual({ version: before + 1 });
      expect((await db.doc('queueSipRedirections/q-night').get()).exists).toBe(false);
      expect((await db.doc('queueVirtualAgents/q-night').get()).exists).toBe(false);
      const loaded = (await store.load()).config!;
      expect(Object.keys(loaded.sipRedirections)).not.toContain('q-night');
      expect(Object.keys(loaded.virtualAgents)).not.toContain('q-night');
    });
  });

  describe('deleting a queue', () => {
    const admin = resolveActor(
      { uid: 'u-admin', name: 'Admin', roleIds: ['admin'], teamIds: [] },
      new Map(Object.entries(BUILT_IN_ROLES)),
    );
    const agent = resolveActor(
      { uid: 'u-agent', name: 'Agent', roleIds: ['agent'], teamIds: [] },
      new Map(Object.entries(BUILT_IN_ROLES)),
    );

    it('when an admin deletes a queue, then a new version is written and a running engine no longer routes to it', async () => {
      for (const change of sections()) await save(change);
      let stopWatching = () => {};
      const engine = new DeflectionEngine(
        {
          load: () => store.load(),
          save: (change, check) => store.save(change, check),
          watchVersion: (onVersion) => (stopWatching = store.watchVersion(onVersion)),
        },
        60_000,
        systemClock,
      );
      onTestFinished(() => stopWatching());
      expect((await engine.compiled()).config.queues['q-night']).toBeDefined();
      const before = (await store.load()).version;

      expect(await deleteQueueSettings(store, admin, 'q-night')).toEqual({ version: before + 1 });

      expect((await db.doc('queues/q-night').get()).exists).toBe(false);
      expect(Object.keys((await store.load()).config!.queues)).not.toContain('q-night');
      await vi.waitFor(async () => {
        expect(Object.keys((await engine.compiled()).config.queues)).not.toContain('q-night');
      });
      // The rest still saves: nothing is left naming the deleted queue.
      await save({ section: 'chat', value: ChatSettings.parse(deflectionConfig().chat) });
    });

    it('when other settings still refer to the queue, then 409 names them and nothing is written', async () => {
      for (const change of sections()) await save(change);
      const before = (await store.load()).version;
      await expect(deleteQueueSettings(store, admin, 'q-billing')).rejects.toMatchObject({
        status: 409,
        details: { reason: 'queue_in_use' },
        message: expect.stringContaining('queues.q-refunds.parentId'),
      });
      await expect(deleteQueueSettings(store, admin, 'q-support')).rejects.toMatchObject({
        status: 409,
        message: expect.stringContaining('supportCenter.customHours.0.scope.queueId'),
      });
      expect((await db.doc('queues/q-billing').get()).exists).toBe(true);
      expect((await db.doc('queues/q-support').get()).exists).toBe(true);
      expect((await store.load()).version).toBe(before);
    });

    it('when the queue does not exist, then 404; when the caller may not edit settings, then 403; nothing is written', async () => {
      for (const change of sections()) await save(change);
      const before = (await store.load()).version;
      await expect(deleteQueueSettings(store, admin, 'q-gone')).rejects.toMatchObject({ status: 404 });
      await expect(deleteQueueSettings(store, admin, 'constructor')).rejects.toMatchObject({ status: 404 });
      await expect(deleteQueueSettings(store, agent, 'q-texts')).rejects.toMatchObject({ status: 403 });
      expect((await db.doc('queues/q-texts').get()).exists).toBe(true);
      expect((await store.load()).version).toBe(before);
    });
  });
});
