import { describe, expect, it } from 'vitest';
import { NotificationPlanner } from '../../functions/src/app/notifications/planner.js';
import type { PlanQuestion } from '../../functions/src/domain/notifications/plan.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  type CallNotifications,
} from '../../functions/src/domain/notifications/settings.js';
import type { Clock } from '../../functions/src/ports/clock.js';
import type { VersionedNotifications } from '../../functions/src/ports/notification-settings.js';

/** The two store methods the planner uses, in memory, counting loads; a load can be made to fail. */
class CountingStore {
  loads = 0;
  failing = false;
  private onVersion: (version: number) => void = () => {};

  constructor(public current: VersionedNotifications) {}

  async load(): Promise<VersionedNotifications> {
    this.loads += 1;
    if (this.failing) throw new Error('Firestore is unavailable');
    return this.current;
  }

  watchVersion(onVersion: (version: number) => void) {
    this.onVersion = onVersion;
    return () => {};
  }

  /** An admin saved: the new version is stored and announced. */
  saved(calls: CallNotifications) {
    this.current = {
      ...this.current,
      config: { ...this.current.config, calls },
      version: this.current.version + 1,
    };
    this.onVersion(this.current.version);
  }
}

const versioned = (calls: CallNotifications): VersionedNotifications => ({
  config: { calls, chats: DEFAULT_CHAT_NOTIFICATIONS, queues: new Map() },
  tones: new Map(),
  version: 1,
});

function handClock() {
  let at = Date.parse('2026-12-03T10:00:00Z');
  const clock: Clock = { now: () => new Date(at) };
  return { clock, advance: (ms: number) => (at += ms) };
}

const question: PlanQuestion = {
  trigger: 'assignment',
  kind: 'call',
  channel: 'ivr',
  queue: { id: 'q-billing', name: 'Billing', channels: ['ivr'] },
  agentLanguage: 'en',
  agentHasPhone: false,
};

const whispering = { ...DEFAULT_CALL_NOTIFICATIONS, whisper: { enabled: true, speed: 1 } };
const stepsOf = async (planner: NotificationPlanner) =>
  (await planner.plan(question)).steps.map((s) => s.type);

describe('the cached notification planner (NOT-5)', () => {
  it('when plans are asked in steady state, then the configuration is read once for all of them', async () => {
    const store = new CountingStore(versioned(whispering));
    const planner = new NotificationPlanner(store, 60_000, handClock().clock);
    for (let i = 0; i < 1000; i++) await planner.plan(question);
    expect(store.loads).toBe(1);
  });

  it('when an admin saves, then the next plan follows the new version, and the ones after read nothing', async () => {
    const store = new CountingStore(versioned(DEFAULT_CALL_NOTIFICATIONS));
    const planner = new NotificationPlanner(store, 60_000, handClock().clock);
    expect(await stepsOf(planner)).toEqual(['tone']);
    store.saved(whispering);
    expect(await stepsOf(planner)).toEqual(['tone', 'whisper']);
    await planner.plan(question);
    expect(store.loads).toBe(2);
  });

  it('when the version signal is lost, then the configuration is read again once it is older than the limit', async () => {
    const store = new CountingStore(versioned(DEFAULT_CALL_NOTIFICATIONS));
    const { clock, advance } = handClock();
    const planner = new NotificationPlanner(store, 60_000, clock);
    await planner.plan(question);
    store.current = { ...versioned(whispering), version: 2 };
    advance(60_000);
    expect(await stepsOf(planner)).toEqual(['tone']);
    advance(1);
    expect(await stepsOf(planner)).toEqual(['tone', 'whisper']);
  });

  it('when a reload fails, then plans keep coming from the version held, and the next plan after the store recovers reads the new one', async () => {
    const store = new CountingStore(versioned(DEFAULT_CALL_NOTIFICATIONS));
    const planner = new NotificationPlanner(store, 60_000, handClock().clock);
    await planner.plan(question);
    store.failing = true;
    store.saved(whispering);
    expect(await stepsOf(planner)).toEqual(['tone']);
    store.failing = false;
    expect(await stepsOf(planner)).toEqual(['tone', 'whisper']);
  });

  it('when the first load fails, then the plan fails (nothing to plan from) and the next one loads', async () => {
    const store = new CountingStore(versioned(whispering));
    store.failing = true;
    const planner = new NotificationPlanner(store, 60_000, handClock().clock);
    await expect(planner.plan(question)).rejects.toThrow('Firestore is unavailable');
    store.failing = false;
    expect(await stepsOf(planner)).toEqual(['tone', 'whisper']);
  });
});
