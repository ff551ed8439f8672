import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from '../../scripts/export-schemas.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { ProfileFlags, ProfileHistory } from '../../functions/src/http/api/answers.js';
import { configureLogs } from '../../functions/src/log.js';
import { platformEventsFromPubSub } from '../../functions/src/triggers/platform-events-pubsub.js';
import {
  MAX_PROFILE_CHANGES_KEPT,
  reservedPropertiesOf,
  shownProfileFlags,
} from '../../functions/src/domain/sessions/profile.js';
import {
  applyEvent,
  CHECKPOINT_TRAIL,
  comesAfter,
  emptySession,
  fold,
  foldStart,
  mergeLate,
  planIngest,
  storedSession,
  type FoldCheckpoint,
  type Session,
} from '../../functions/src/domain/sessions/session.js';

/** RDP-1, RDP-2, RDP-4: reserved data properties folded into profile flags, in the platform's order. */
const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 9, minute)).toISOString();

const created = (metadata?: Record<string, unknown>): SessionEvent =>
  SessionEvent.parse({
    schemaVersion: 1,
    eventId: 'e-0',
    sessionId: 'S',
    sequence: 0,
    occurredAt: at(0),
    type: 'session.created',
    kind: 'chat',
    channel: 'web',
    queue: { id: 'q-1', menuPath: ['Billing'] },
    language: 'en',
    consumer: { id: 'c-1', name: 'Ada', anonymous: false },
    ...(metadata ? { metadata } : {}),
  });

const updated = (
  sequence: number,
  source: string,
  metadata: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): SessionEvent =>
  SessionEvent.parse({
    schemaVersion: 1,
    eventId: `e-${sequence}`,
    sessionId: 'S',
    sequence,
    occurredAt: at(sequence),
    type: 'metadata.updated',
    source,
    metadata,
    ...extra,
  });

/** The paths zod names for a refused event; empty when it is accepted. */
const refused = (event: unknown) => {
  const result = SessionEvent.safeParse(event);
  return result.success ? [] : [...new Set(result.error.issues.map((i) => i.path.join('.')))];
};

/** The messages zod gives for a refused event. */
const problems = (event: unknown) => SessionEvent.safeParse(event).error?.issues.map((i) => i.message) ?? [];

const rawUpdate = (source: string, metadata: unknown) => ({
  schemaVersion: 1,
  eventId: 'e-1',
  sessionId: 'S',
  sequence: 1,
  occurredAt: at(1),
  type: 'metadata.updated',
  source,
  metadata,
});

describe('reserved data properties in session events', () => {
  it('when the SDK, SIP or a virtual agent sends reserved properties, then the event is accepted', () => {
    expect(refused(rawUpdate('sdk', { reserved_bad_actor: true, plan: 'gold', orders: 3 }))).toEqual([]);
    expect(refused(rawUpdate('sip', { reserved_repeat_customer: false }))).toEqual([]);
    expect(refused(rawUpdate('virtual_agent', { reserved_verified_customer: true }))).toEqual([]);
  });

  it.each([
    ['a reserved property that is not true or false', 'sdk', { reserved_bad_actor: 'yes' }, 'true or false'],
    ['an unknown reserved property', 'sdk', { reserved_vip: true }, 'may start with reserved_'],
    ['an app key from SIP', 'sip', { reserved_bad_actor: true, plan: 'gold' }, 'come from sip'],
    ['an app key from a virtual agent', 'virtual_agent', { plan: 'gold' }, 'come from virtual_agent'],
    ['no key at all', 'sdk', {}, 'at least one key'],
    ['a key Firestore reserves', 'sdk', { __name__: 'x' }, 'keys must be 1-64'],
    ['a key with a dot', 'sdk', { 'a.b': 'x' }, 'keys must be 1-64'],
    ['a text value over 1,000 characters', 'sdk', { note: 'x'.repeat(1001) }, 'at most 1000 characters'],
    ['a nested value', 'sdk', { address: { city: 'Paris' } }, 'values must be'],
  ])(
    'when an update carries %s, then it is refused naming the metadata and the rule',
    (_, source, metadata, rule) => {
      expect(refused(rawUpdate(source, metadata))).toEqual(['metadata']);
      expect(problems(rawUpdate(source, metadata))).toEqual([expect.stringContaining(rule)]);
    },
  );

  it('when an update has an unknown source, then it is refused naming the source', () => {
    expect(refused(rawUpdate('crm', { reserved_bad_actor: true }))).toEqual(['source']);
  });

  it('when metadata has more than 50 keys, then it is refused; 50 are accepted', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(refused(rawUpdate('sdk', keys(50)))).toEqual([]);
    expect(refused(rawUpdate('sdk', keys(51)))).toEqual(['metadata']);
  });

  it('when a key is personal data, then no problem repeats it: neither in its path nor in its message', () => {
    for (const [source, metadata] of [
      ['sdk', { 'ada.lovelace@example.com': true }],
      ['sdk', { ada_lovelace: { born: 1815 } }],
      ['sdk', { reserved_ada_lovelace: true }],
      ['sip', { 'ada-lovelace': 'x', reserved_bad_actor: true }],
    ] as const) {
      const result = SessionEvent.safeParse(rawUpdate(source, metadata));
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).not.toMatch(/lovelace/i);
    }
  });

  it('when thousands of keys are wrong, then one problem says there are too many: no problem per key', () => {
    const flood = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`user${i}@example.com`, i]));
    const result = SessionEvent.safeParse(rawUpdate('sdk', flood));
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['metadata', 'at most 50 keys'],
    ]);
  });

  it('when many keys break the same rule, then the rule is one problem that counts them', () => {
    const bad = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`user${i}@example.com`, i]));
    expect(problems(rawUpdate('sdk', { ...bad, reserved_vip: true, plan: { tier: 1 } }))).toEqual([
      expect.stringMatching(/^keys must be 1-64 .*\(30 keys do not\)$/),
      expect.stringMatching(
        /^only reserved_verified_customer, .* may start with reserved_ \(one key does not\)$/,
      ),
      expect.stringMatching(/^values must be .*\(one key does not\)$/),
    ]);
  });

  it('when session.created carries SDK metadata with a bad reserved value, then it is refused', () => {
    expect(() => created({ reserved_verified_customer: 1 })).toThrow();
  });
});

describe('profile flags folded from the session', () => {
  it('when the SDK sends reserved properties at the start, then they are flags from the SDK and the rest is metadata', () => {
    const s = fold('S', [
      created({ reserved_verified_customer: true, reserved_repeat_customer: true, plan: 'gold' }),
    ]);
    expect(s.profile).toEqual({
      verifiedCustomer: { value: true, source: 'sdk', sequence: 0, at: at(0) },
      repeatCustomer: { value: true, source: 'sdk', sequence: 0, at: at(0) },
    });
    expect(s.metadata).toEqual({ plan: 'gold' });
    expect(s.profileHistory).toEqual([
      {
        flag: 'verifiedCustomer',
        from: null,
        to: true,
        source: 'sdk',
        by: null,
        sequence: 0,
        eventId: 'e-0',
        at: at(0),
      },
      {
        flag: 'repeatCustomer',
        from: null,
        to: true,
        source: 'sdk',
        by: null,
        sequence: 0,
        eventId: 'e-0',
        at: at(0),
      },
    ]);
  });

  it('when sources write in turn, then the last in order wins and every change is kept, old to new', () => {
    const s = fold('S', [
      created(),
      updated(1, 'sip', { reserved_verified_customer: false }),
      updated(2, 'virtual_agent', { reserved_verified_customer: true }, { by: 'va-billing' }),
      updated(3, 'api', { reserved_bad_actor: true, reserved_verified_customer: false }),
    ]);
    expect(s.profile.verifiedCustomer).toEqual({ value: false, source: 'api', sequence: 3, at: at(3) });
    expect(s.profile.badActor).toEqual({ value: true, source: 'api', sequence: 3, at: at(3) });
    expect(s.profileHistory.map((c) => [c.flag, c.from, c.to, c.source, c.by, c.sequence])).toEqual([
      ['verifiedCustomer', null, false, 'sip', null, 1],
      ['verifiedCustomer', false, true, 'virtual_agent', 'va-billing', 2],
      ['verifiedCustomer', true, false, 'api', null, 3],
      ['badActor', null, true, 'api', null, 3],
    ]);
    expect(reservedPropertiesOf(s.profile)).toEqual({
      reserved_verified_customer: false,
      reserved_bad_actor: true,
      reserved_repeat_customer: null,
    });
  });

  it('when the same source says the same again, then nothing changes; another source saying it is a change', () => {
    const s = fold('S', [
      created({ reserved_repeat_customer: true }),
      updated(1, 'sdk', { reserved_repeat_customer: true }),
      updated(2, 'sip', { reserved_repeat_customer: true }),
    ]);
    expect(s.profile.repeatCustomer).toEqual({ value: true, source: 'sip', sequence: 2, at: at(2) });
    expect(s.profileHistory.map((c) => [c.from, c.to, c.source])).toEqual([
      [null, true, 'sdk'],
      [true, true, 'sip'],
    ]);
  });

  it('when the SDK sends other keys later, then they replace the metadata; an update with reserved keys only keeps it', () => {
    const s = fold('S', [
      created({ plan: 'gold', orders: 3 }),
      updated(1, 'sdk', { reserved_bad_actor: false }),
      updated(2, 'sip', { reserved_bad_actor: true }),
    ]);
    expect(s.metadata).toEqual({ plan: 'gold', orders: 3 });
    const later = applyEvent(s, updated(3, 'sdk', { plan: 'silver', vip: false }));
    expect(later.metadata).toEqual({ plan: 'silver', vip: false });
  });

  it('when an update comes before the session exists, then it is an anomaly that folds into place once created arrives', () => {
    const early = applyEvent(emptySession('S'), updated(1, 'sip', { reserved_bad_actor: true }));
    expect(early.profile).toEqual({});
    expect(early.anomalies).toMatchObject([{ eventId: 'e-1', reason: 'session not created yet' }]);
    const merged = mergeLate('S', undefined, [updated(1, 'sip', { reserved_bad_actor: true })], created());
    expect(merged).toMatchObject({
      duplicate: false,
      session: { profile: { badActor: { value: true, source: 'sip' } } },
    });
  });

  it('when a flag changes back and forth without end, then the newest changes are kept, up to the bound', () => {
    const events = [
      created(),
      ...Array.from({ length: MAX_PROFILE_CHANGES_KEPT + 10 }, (_, i) =>
        updated(i + 1, 'api', { reserved_bad_actor: i % 2 === 0 }),
      ),
    ];
    const s = fold('S', events);
    expect(s.profileHistory).toHaveLength(MAX_PROFILE_CHANGES_KEPT);
    expect(s.profileHistory.at(-1)).toMatchObject({ sequence: MAX_PROFILE_CHANGES_KEPT + 10 });
    expect(s.profile.badActor).toMatchObject({ value: false, sequence: MAX_PROFILE_CHANGES_KEPT + 10 });
  });

  it('when a session was stored before profiles existed, then it reads back with no flags and folds on', () => {
    const { profile: _p, metadata: _m, profileHistory: _h, ...old } = fold('S', [created()]);
    const stored = storedSession(old as Session);
    expect(stored).toMatchObject({ profile: {}, metadata: {}, profileHistory: [] });
    const next = applyEvent(stored, updated(1, 'sip', { reserved_bad_actor: true }));
    expect(next.profile.badActor).toMatchObject({ value: true, source: 'sip' });
  });
});

interface Store {
  session?: Session;
  events: SessionEvent[];
  checkpoint?: FoldCheckpoint;
}

/** What the ingest pipeline does with one delivered event, with the store as plain values. */
function deliver(store: Store, event: SessionEvent, trail: number) {
  if (planIngest(store.session, event) === 'append') {
    store.session = applyEvent(store.session ?? emptySession(event.sessionId), event);
    store.events.push(event);
    return;
  }
  if (store.events.some((e) => e.eventId === event.eventId)) return;
  const from = foldStart(store.checkpoint, event);
  const after = store.events.filter((e) => !from || comesAfter(e, from.upTo));
  const merged = mergeLate(event.sessionId, from, after, event, trail);
  if (merged.duplicate) return;
  store.session = merged.session;
  if (merged.checkpoint) store.checkpoint = merged.checkpoint;
  store.events.push(event);
}

describe('profile flags under any delivery order', () => {
  const write = fc.record({
    source: fc.constantFrom('sdk', 'api', 'sip', 'virtual_agent'),
    verified: fc.option(fc.boolean(), { nil: undefined }),
    badActor: fc.option(fc.boolean(), { nil: undefined }),
    plan: fc.option(fc.constantFrom('gold', 'silver'), { nil: undefined }),
  });

  it('when writes from every source are delivered in any order, with copies, then the state is the fold in sequence order and the last writer wins', () => {
    fc.assert(
      fc.property(
        fc.array(write, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom(1, 3, CHECKPOINT_TRAIL),
        (writes, shuffle, trail) => {
          const events = [
            created({ reserved_verified_customer: false }),
            ...writes.flatMap((w, i) => {
              const metadata: Record<string, unknown> = {};
              if (w.verified !== undefined) metadata.reserved_verified_customer = w.verified;
              if (w.badActor !== undefined) metadata.reserved_bad_actor = w.badActor;
              if (w.plan !== undefined && w.source === 'sdk') metadata.plan = w.plan;
              return Object.keys(metadata).length > 0 ? [updated(i + 1, w.source, metadata)] : [];
            }),
          ];
          const delivered = [...events];
          for (const [k, n] of shuffle.entries()) {
            const i = k % delivered.length;
            const j = n % delivered.length;
            [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
          }
          delivered.push(...shuffle.slice(0, 3).map((n) => events[n % events.length]!));
          const store: Store = { events: [] };
          for (const event of delivered) deliver(store, event, trail);

          const expected = fold('S', events);
          const { eventCount: _a, anomalies: _b, ...state } = store.session!;
          const { eventCount: _c, anomalies: _d, ...wanted } = expected;
          expect(state).toEqual(wanted);
          const lastVerified = writes.filter((w) => w.verified !== undefined).at(-1)?.verified ?? false;
          expect(store.session!.profile.verifiedCustomer?.value).toBe(lastVerified);
        },
      ),
    );
  });
});

describe('profile flags as agents and supervisors see them (RDP-2)', () => {
  const flag = (value: boolean, source: 'sdk' | 'api' | 'sip' | 'virtual_agent') => ({
    value,
    source,
    sequence: 1,
    at: at(1),
  });

  it('when verified, bad actor and repeat customer are true, then all three show with their sources', () => {
    expect(
      shownProfileFlags({
        verifiedCustomer: flag(true, 'virtual_agent'),
        badActor: flag(true, 'sip'),
        repeatCustomer: flag(true, 'sdk'),
      }),
    ).toEqual([
      {
        flag: 'verified',
        label: 'Verified customer',
        source: 'virtual_agent',
        sourceLabel: 'Virtual agent',
        since: at(1),
      },
      { flag: 'bad_actor', label: 'Bad actor', source: 'sip', sourceLabel: 'SIP header', since: at(1) },
      { flag: 'repeat_customer', label: 'Repeat customer', source: 'sdk', sourceLabel: 'SDK', since: at(1) },
    ]);
  });

  it('when verified is false, then unverified shows; bad actor and repeat customer false show nothing', () => {
    expect(
      shownProfileFlags({
        verifiedCustomer: flag(false, 'api'),
        badActor: flag(false, 'api'),
        repeatCustomer: flag(false, 'api'),
      }),
    ).toEqual([
      {
        flag: 'unverified',
        label: 'Unverified customer',
        source: 'api',
        sourceLabel: 'Apps API',
        since: at(1),
      },
    ]);
    expect(shownProfileFlags({})).toEqual([]);
  });
});

describe('a session event dropped as poison', () => {
  const logLines: string[] = [];
  configureLogs({ sink: (line) => logLines.push(line) });
  const handle = platformEventsFromPubSub({
    ingest: () => {
      throw new Error('an invalid message is never stored');
    },
  });
  const publish = async (metadata: Record<string, unknown>) => {
    logLines.length = 0;
    const data = Buffer.from(JSON.stringify(rawUpdate('sdk', metadata))).toString('base64');
    await handle({ id: 'm-1', data: { message: { data, messageId: 'm-1' } } } as never);
    return logLines.filter((line) => line.includes('poison_message_dropped'));
  };

  it('when its metadata keys are personal data, then the log line holds none of them', async () => {
    const logged = await publish({ 'ada.lovelace@example.com': true, reserved_ada_lovelace: true });
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toMatch(/lovelace|example\.com/i);
    expect(JSON.parse(logged[0]!).issues).toEqual([
      { path: 'metadata', code: 'custom' },
      { path: 'metadata', code: 'custom' },
    ]);
  });

  it('when it carries thousands of bad keys, then the log line stays short', async () => {
    const flood = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`user${i}@example.com`, i]));
    const logged = await publish(flood);
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('example.com');
    expect(logged[0]!.length).toBeLessThan(1000);
  });
});

describe('profile flags in the answer schemas', () => {
  it('when any profile is shown or its history read back, then the answer schemas accept every flag, and name no other', () => {
    const flag = (value: boolean) => ({ value, source: 'sip' as const, sequence: 1, at: at(1) });
    const shownFlags = new Set<string>();
    for (const verified of [undefined, true, false])
      for (const badActor of [undefined, true, false])
        for (const repeat of [undefined, true, false]) {
          const shown = shownProfileFlags({
            ...(verified === undefined ? {} : { verifiedCustomer: flag(verified) }),
            ...(badActor === undefined ? {} : { badActor: flag(badActor) }),
            ...(repeat === undefined ? {} : { repeatCustomer: flag(repeat) }),
          });
          expect(ProfileFlags().safeParse(shown).success).toBe(true);
          for (const { flag: name } of shown) shownFlags.add(name);
        }
    expect([...ProfileFlags().element.shape.flag.options].sort()).toEqual([...shownFlags].sort());

    const s = fold('S', [
      created({ reserved_verified_customer: true, reserved_bad_actor: true, reserved_repeat_customer: true }),
    ]);
    expect(ProfileHistory().parse(s.profileHistory)).toEqual(s.profileHistory);
    expect([...ProfileHistory().element.shape.flag.options].sort()).toEqual(
      s.profileHistory.map((c) => c.flag).sort(),
    );
  });
});

describe('the published history of profile changes', () => {
  it('when the Apps API answer or the session details describe the history, then they say it keeps the newest changes, not every one', () => {
    const files = schemaFiles();
    for (const path of ['schemas/openapi.platform-events.json', 'schemas/openapi.api.json']) {
      const text = files[path]!;
      expect(text, path).toContain(`The newest ${MAX_PROFILE_CHANGES_KEPT} changes`);
      expect(text, path).not.toMatch(/every change/i);
    }
  });
});
