import { describe, expect, it } from 'vitest';
import { DeflectionEngine } from '../../functions/src/app/deflection/engine.js';
import { receiveVoicemail, type AskedForTasks } from '../../functions/src/app/deflection/voicemails.js';
import {
  VOICEMAIL_TASK_GRACE_MS,
  sweepVoicemails,
} from '../../functions/src/app/deflection/voicemail-delivery.js';
import { configureLogs } from '../../functions/src/log.js';
import type { RecordingBlobs } from '../../functions/src/ports/recordings.js';
import { sweeperFromSchedule } from '../../functions/src/triggers/recordings.js';
import {
  newDelivery,
  stepForDelivery,
  withAttemptStarted,
  withCrmRecord,
  withDelivered,
  withFailedAttempt,
  type VoicemailDelivery,
} from '../../functions/src/domain/deflection/voicemail-delivery.js';
import { VoicemailLeft } from '../../functions/src/domain/deflection/voicemail.js';
import type { DeflectionConfig } from '../../functions/src/domain/deflection/settings.js';
import type { DeflectionSettingsStore } from '../../functions/src/ports/deflection-settings.js';
import type { StoredVoicemail, VoicemailStore } from '../../functions/src/ports/voicemails.js';
import { deflectionConfig } from '../support/deflection-config.js';

const DAY = 86_400_000;

const left = (over: Partial<{ leftAt: string; sessionId: string; queueId: string }> = {}) =>
  VoicemailLeft.parse({
    voicemailId: 'vm-1',
    sessionId: 'call-1',
    channel: 'ivr',
    queueId: 'q-support',
    language: 'en',
    recording: { bucket: 'acme-voicemails', object: 'vm/vm-1.wav', durationSeconds: 12 },
    leftAt: '2026-11-24T01:00:00Z',
    ...over,
  });

describe('a voicemail’s way to the CRM (pure rules)', () => {
  it('when the voicemail says it was left later than it reached us, then the 7 days still run from the earlier time: purged after 6', () => {
    const receivedAt = new Date('2026-11-24T01:00:00Z');
    expect(newDelivery(left({ leftAt: '2026-11-25T01:00:00Z' }), receivedAt).purgeAt).toBe(
      new Date(receivedAt.getTime() + 6 * DAY).toISOString(),
    );
    expect(newDelivery(left({ leftAt: '2026-11-23T01:00:00Z' }), receivedAt).purgeAt).toBe(
      '2026-11-29T01:00:00.000Z',
    );
  });

  it('when a delivery goes from waiting to delivered, then each task does what that moment needs', () => {
    const now = new Date('2026-11-24T02:00:00Z');
    const entry = newDelivery(left(), new Date('2026-11-24T01:00:00Z'));
    expect(stepForDelivery(entry, now)).toEqual({ do: 'find_crm_record' });
    const linked = withCrmRecord(entry, '500000000000001AAA')!;
    expect(withCrmRecord(linked, '500000000000002AAA')).toBeUndefined();
    expect(stepForDelivery(linked, now)).toEqual({ do: 'send', lookFirst: false });
    const sending = withAttemptStarted(linked, '17', now)!;
    expect(sending).toMatchObject({ attempts: 1, recording: { generation: '17' } });
    // Another generation under the same name is not the voicemail that was left.
    expect(withAttemptStarted(sending, '18', now)).toBeUndefined();
    expect(stepForDelivery(sending, now)).toEqual({ do: 'send', lookFirst: true });
    const done = withDelivered(sending, { contentVersionId: '068000000000001AAA', md5Base64: 'x' }, now)!;
    expect(stepForDelivery(done, now)).toEqual({ do: 'finish' });
    // Delivered wins over the purge time: the CRM has it, so this is REC-1's delete.
    expect(stepForDelivery(done, new Date(Date.parse(done.purgeAt) + 1))).toEqual({ do: 'finish' });
    expect(
      withDelivered(done, { contentVersionId: '068000000000002AAA', md5Base64: 'y' }, now),
    ).toBeUndefined();
  });

  it('when an attempt fails without an answer, then the next one looks first; when the CRM refused it, then it sends straight away', () => {
    const now = new Date('2026-11-24T02:00:00Z');
    const sending = withAttemptStarted(
      withCrmRecord(newDelivery(left(), new Date('2026-11-24T01:00:00Z')), '500000000000001AAA')!,
      '17',
      now,
    )!;
    const lost = withFailedAttempt(
      sending,
      { kind: 'not_acknowledged', reason: 'connection_lost' },
      { permanent: false, outcomeKnown: false },
      now,
    )!;
    expect(stepForDelivery(lost, now)).toEqual({ do: 'send', lookFirst: true });
    const refused = withFailedAttempt(
      sending,
      { kind: 'limit_reached', reason: 'request_limit_exceeded' },
      { permanent: false, outcomeKnown: true },
      now,
    )!;
    expect(stepForDelivery(refused, now)).toEqual({ do: 'send', lookFirst: false });
    const failed = withFailedAttempt(
      sending,
      { kind: 'permanent', reason: 'entity_is_deleted' },
      { permanent: true, outcomeKnown: true },
      now,
    )!;
    expect(stepForDelivery(failed, now)).toEqual({ do: 'nothing', why: 'failed' });
    expect(stepForDelivery(failed, new Date(failed.purgeAt))).toEqual({ do: 'purge' });
    expect(stepForDelivery(lost, new Date(lost.purgeAt))).toEqual({ do: 'purge' });
  });
});

class MemorySettings implements DeflectionSettingsStore {
  constructor(private readonly config: DeflectionConfig) {}
  async load() {
    return { config: this.config, version: 1 };
  }
  async save(): Promise<number> {
    throw new Error('nothing is saved here');
  }
  watchVersion() {
    return () => {};
  }
}

/** The store's contract in memory: a voicemail is stored once; the CRM ones wait in the outbox. */
class MemoryVoicemails implements VoicemailStore {
  readonly stored = new Map<string, StoredVoicemail>();
  readonly outbox = new Map<string, VoicemailDelivery>();
  async record(voicemail: StoredVoicemail, delivery: VoicemailDelivery) {
    if (this.stored.has(voicemail.voicemailId)) return false;
    this.stored.set(voicemail.voicemailId, voicemail);
    if (voicemail.route.type === 'crm') this.outbox.set(voicemail.voicemailId, delivery);
    return true;
  }
  async outboxEntry(voicemailId: string) {
    return this.outbox.get(voicemailId);
  }
}

function received() {
  const clock = { now: () => new Date('2026-11-24T01:00:30Z') };
  const engine = new DeflectionEngine(new MemorySettings(deflectionConfig()), 60_000, clock);
  const voicemails = new MemoryVoicemails();
  const asked: string[] = [];
  const tasks: AskedForTasks = {
    enqueueVoicemailDelivery: async (id) => void asked.push(`deliver ${id}`),
    scheduleVoicemailPurge: async (id, at) => void asked.push(`purge ${id} at ${at.toISOString()}`),
  };
  const receive = (queueId: string, bucket = 'acme-voicemails') =>
    receiveVoicemail(
      { engine, voicemails, clock, tasks, bucket: 'acme-voicemails' },
      VoicemailLeft.parse({ ...left({ queueId }), recording: { ...left().recording, bucket } }),
    );
  return { receive, voicemails, asked };
}

describe('a voicemail for the CRM asks for its tasks (AHD-6)', () => {
  it('when a voicemail goes to the CRM, then its delivery is asked for at once and its purge at its purge time', async () => {
    const { receive, asked } = received();
    expect(await receive('q-support')).toMatchObject({ route: { type: 'crm' }, duplicate: false });
    expect(asked).toEqual(['purge vm-1 at 2026-11-30T01:00:00.000Z', 'deliver vm-1']);
  });

  it('when the platform sends it again while it waits in the outbox, then both tasks are asked for again (a lost enqueue is recovered)', async () => {
    const { receive, asked } = received();
    await receive('q-support');
    asked.length = 0;
    expect(await receive('q-support')).toMatchObject({ duplicate: true });
    expect(asked).toEqual(['purge vm-1 at 2026-11-30T01:00:00.000Z', 'deliver vm-1']);
  });

  it('when the report names another bucket than the voicemail bucket (the recordings bucket, say), then 400 naming the field, nothing is stored and no task is asked for', async () => {
    const { receive, voicemails, asked } = received();
    await expect(receive('q-support', 'acme-call-recordings')).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('voicemail bucket acme-voicemails, not in acme-call-recordings'),
      details: { issues: [expect.objectContaining({ path: 'recording.bucket' })] },
    });
    await expect(receive('q-refunds', 'acme-call-recordings')).rejects.toMatchObject({ status: 400 });
    expect(voicemails.stored.size).toBe(0);
    expect(voicemails.outbox.size).toBe(0);
    expect(asked).toEqual([]);
  });

  it('when the platform sends it again after it was settled, or it went to agents, then no task is asked for', async () => {
    const settled = received();
    await settled.receive('q-support');
    settled.voicemails.outbox.clear();
    settled.asked.length = 0;
    await settled.receive('q-support');
    expect(settled.asked).toEqual([]);

    const toAgents = received();
    expect(await toAgents.receive('q-refunds')).toMatchObject({ route: { type: 'agents' } });
    expect(toAgents.asked).toEqual([]);
  });
});

describe('the hourly voicemail sweep survives a failing entry', () => {
  const receivedAt = new Date('2026-11-24T01:00:30Z');
  const entries = ['vm-a', 'vm-b', 'vm-c'].map((voicemailId) => ({
    ...newDelivery(left(), receivedAt),
    voicemailId,
  }));
  const sweepDeps = (failFor: string, asked: string[]) => ({
    outbox: {
      get: async () => undefined,
      update: async () => undefined,
      settle: async () => undefined,
      receivedBy: async () => entries,
    },
    blobs: {} as RecordingBlobs,
    tasks: {
      enqueueVoicemailDelivery: async (id: string) => void asked.push(id),
      scheduleVoicemailPurge: async (id: string) => {
        if (id === failFor) throw Object.assign(new Error(`queue refused ${id}`), { code: 14 });
      },
    },
    clock: { now: () => new Date(receivedAt.getTime() + VOICEMAIL_TASK_GRACE_MS) },
  });

  it('when one entry’s tasks cannot be asked for, then the others still are, the failure is counted and logged without the error’s message', async () => {
    const lines: string[] = [];
    configureLogs({ sink: (line) => void lines.push(line) });
    const asked: string[] = [];
    expect(await sweepVoicemails(sweepDeps('vm-a', asked))).toEqual({
      purged: 0,
      tasksAskedAgain: 2,
      failures: 1,
    });
    expect(asked).toEqual(['vm-b', 'vm-c']);
    const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'voicemail_sweep_step_failed');
    expect(failed).toMatchObject([{ voicemailId: 'vm-a', error: 'Error (14)' }]);
    expect(lines.join('\n')).not.toContain('queue refused');
  });

  it('when both the recordings sweep and the voicemail sweep fail, then the recordings’ error is raised and the voicemails’ is logged', async () => {
    const lines: string[] = [];
    configureLogs({ sink: (line) => void lines.push(line) });
    const tick = sweeperFromSchedule({
      sweep: () => {
        throw new Error('recordings sweep failed');
      },
      voicemails: () => ({
        ...sweepDeps('none', []),
        outbox: {
          ...sweepDeps('none', []).outbox,
          receivedBy: () => Promise.reject(new TypeError('outbox')),
        },
      }),
    });
    await expect(tick()).rejects.toThrow('recordings sweep failed');
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'voicemail_sweep_failed', error: 'TypeError' }),
      ]),
    );
  });
});
