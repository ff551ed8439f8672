import { describe, expect, it } from 'vitest';
import { DeflectionEngine } from '../../functions/src/app/deflection/engine.js';
import { bookSlot, offerSlots } from '../../functions/src/app/deflection/scheduled-calls.js';
import { listTransferTargets } from '../../functions/src/app/deflection/transfers.js';
import { receiveVoicemail } from '../../functions/src/app/deflection/voicemails.js';
import type { Actor } from '../../functions/src/domain/access/permissions.js';
import type { ContactQuestion } from '../../functions/src/domain/deflection/decide.js';
import type { DeflectionConfig } from '../../functions/src/domain/deflection/settings.js';
import { toHttpError } from '../../functions/src/http/errors.js';
import type { Clock } from '../../functions/src/ports/clock.js';
import type { DeflectionSettingsStore } from '../../functions/src/ports/deflection-settings.js';
import type { Booking } from '../../functions/src/ports/scheduled-calls.js';
import type { StoredVoicemail } from '../../functions/src/ports/voicemails.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { listedSession } from '../support/supervision-fakes.js';

/**
 * The engine and the deflection use cases on an in-memory settings store that counts its reads: what
 * the Firestore store answers (covered by the integration tests), with nothing else behind it.
 */
class MemorySettings implements DeflectionSettingsStore {
  reads = 0;
  version = 1;
  onVersion: (version: number) => void = () => {};

  constructor(private readonly config: DeflectionConfig | undefined) {}

  async load() {
    this.reads += 1;
    return { config: this.config, version: this.version };
  }

  async save(): Promise<number> {
    throw new Error('nothing is saved here');
  }

  watchVersion(onVersion: (version: number) => void) {
    this.onVersion = onVersion;
    return () => {};
  }
}

/** A clock the test moves by hand. */
function handClock(iso: string) {
  let at = Date.parse(iso);
  const clock: Clock = { now: () => new Date(at) };
  return { clock, advance: (ms: number) => (at += ms) };
}

const question: ContactQuestion = {
  kind: 'call',
  channel: 'ivr',
  queueId: 'q-refunds',
  language: 'en',
  at: Date.parse('2026-11-24T01:00:00Z'),
};

const agent: Actor = {
  uid: 'u-agent',
  name: 'Agent',
  teamIds: ['team-a'],
  grants: new Map(),
  multiFactor: false,
};

async function answerTo(run: () => Promise<unknown>) {
  try {
    await run();
    return { status: 200 };
  } catch (error) {
    return toHttpError(error);
  }
}

describe('deflection before an admin has set it up', () => {
  it('when the platform or an agent asks anything of deflection, then every route answers the same 409 not_configured, and nothing is written', async () => {
    const { clock } = handClock('2026-11-24T01:00:00Z');
    const engine = new DeflectionEngine(new MemorySettings(undefined), 60_000, clock);
    const voicemails: StoredVoicemail[] = [];
    const bookings: Booking[] = [];
    const book = {
      booked: async () => new Set<number>(),
      book: async (booking: Booking) => {
        bookings.push(booking);
        return 'booked' as const;
      },
    };
    const session = listedSession('S-1', {
      kind: 'call',
      listState: 'connected',
      teamIds: ['team-a'],
      agentId: agent.uid,
    });
    const answers = {
      decision: await answerTo(() => engine.decide(question)),
      voicemail: await answerTo(() =>
        receiveVoicemail(
          {
            engine,
            voicemails: {
              record: async (v) => (voicemails.push(v), true),
              outboxEntry: async () => undefined,
            },
            clock,
          },
          {
            voicemailId: 'vm-1',
            channel: 'ivr',
            queueId: 'q-refunds',
            language: 'en',
            recording: { bucket: 'voicemails', object: 'vm-1.wav', durationSeconds: 3 },
            leftAt: '2026-11-24T01:00:00.000Z',
          },
        ),
      ),
      slots: await answerTo(() =>
        offerSlots({ engine, book, clock }, { queueId: 'q-refunds', channel: 'mobile', language: 'en' }),
      ),
      booking: await answerTo(() =>
        bookSlot(
          { engine, book, clock },
          {
            bookingId: 'b-1',
            queueId: 'q-refunds',
            channel: 'mobile',
            language: 'en',
            slotStart: '2026-11-24T15:00:00Z',
            callerNumber: '+15551230000',
          },
        ),
      ),
      transferTargets: await answerTo(() =>
        listTransferTargets(
          {
            sessions: { get: async (id: string) => (id === 'S-1' ? session : undefined) } as never,
            engine,
            presence: { report: async () => ({ applied: false }), loggedIn: async () => new Set<string>() },
            clock,
          },
          agent,
          'S-1',
        ),
      ),
    };
    const notConfigured = {
      status: 409,
      body: {
        error: {
          code: 'conflict',
          message: 'Business hours and deflection settings have not been set up yet.',
          details: { reason: 'not_configured' },
        },
      },
    };
    expect(answers).toEqual({
      decision: notConfigured,
      voicemail: notConfigured,
      slots: notConfigured,
      booking: notConfigured,
      transferTargets: notConfigured,
    });
    expect([voicemails, bookings]).toEqual([[], []]);
  });
});

describe('the engine keeps the compiled configuration', () => {
  it('when decisions follow one another, then the configuration is read once; once it is older than the limit, once more', async () => {
    const { clock, advance } = handClock('2026-11-24T01:00:00Z');
    const store = new MemorySettings(deflectionConfig());
    const engine = new DeflectionEngine(store, 60_000, clock);
    const first = await engine.decide(question);
    for (let i = 0; i < 100; i++) await engine.decide(question);
    advance(60_000);
    await engine.decide(question);
    expect(store.reads).toBe(1);
    advance(1);
    expect(await engine.decide(question)).toEqual(first);
    expect(store.reads).toBe(2);
  });

  it('when the store reports a newer version, then the next decision reads it, and the one after reads nothing', async () => {
    const { clock } = handClock('2026-11-24T01:00:00Z');
    const store = new MemorySettings(deflectionConfig());
    const engine = new DeflectionEngine(store, 60_000, clock);
    await engine.decide(question);
    store.onVersion(1);
    await engine.decide(question);
    expect(store.reads).toBe(1);
    store.version = 2;
    store.onVersion(2);
    await engine.decide(question);
    await engine.decide(question);
    expect(store.reads).toBe(2);
  });
});
