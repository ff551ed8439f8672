import { describe, expect, it } from 'vitest';
import {
  deleteTone,
  listTones,
  MAX_TONES,
  ORPHAN_GRACE_MS,
  replaceTone,
  toneAudio,
  uploadTone,
  type ToneDeps,
} from '../../functions/src/app/notifications/tones.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import { AppError } from '../../functions/src/domain/errors.js';
import {
  DEFAULT_CALL_NOTIFICATIONS,
  DEFAULT_CHAT_NOTIFICATIONS,
  type CustomTone,
  type NotificationConfig,
} from '../../functions/src/domain/notifications/settings.js';
import type { NotificationSettingsStore } from '../../functions/src/ports/notification-settings.js';
import type { ToneAudioObject, ToneAudioStore } from '../../functions/src/ports/notification-tones.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';
import { demoTone, wav } from '../support/mp3.js';

/**
 * The tone library's use cases (NOT-4, NOT-3's whisper recordings) on in-memory ports, with failures
 * injected between the writes: what each order of writes leaves behind.
 */
const roles = new Map(Object.entries(BUILT_IN_ROLES));
const admin = resolveActor({ uid: 'boss', name: 'Boss', roleIds: ['admin'], teamIds: [] }, roles);
const manager = resolveActor({ uid: 'mona', name: 'Mona', roleIds: ['manager'], teamIds: ['team-a'] }, roles);

class MemoryAudio implements ToneAudioStore {
  readonly objects = new Map<string, ToneAudioObject & { bytes: Buffer }>();
  failDeletes = false;
  private generation = 100;
  constructor(private readonly now: () => Date) {}
  async create(name: string, bytes: Uint8Array) {
    if (this.objects.has(name)) throw Object.assign(new Error('precondition failed'), { code: 412 });
    const generation = String(++this.generation);
    this.objects.set(name, { name, generation, createdAt: this.now(), bytes: Buffer.from(bytes) });
    return generation;
  }
  async read(name: string, generation: string) {
    const object = this.objects.get(name);
    return object?.generation === generation ? object.bytes : undefined;
  }
  async delete(name: string, generation: string) {
    if (this.failDeletes) throw new Error('storage unavailable');
    if (this.objects.get(name)?.generation !== generation) return 'absent' as const;
    this.objects.delete(name);
    return 'deleted' as const;
  }
  async list(limit: number) {
    return [...this.objects.values()].slice(0, limit).map(({ name, generation, createdAt }) => ({
      name,
      generation,
      createdAt,
    }));
  }
}

/** The settings store's tone library and the configuration that uses it, as one version. */
class MemorySettings implements NotificationSettingsStore {
  readonly tones = new Map<string, CustomTone>();
  config: NotificationConfig = {
    calls: DEFAULT_CALL_NOTIFICATIONS,
    chats: DEFAULT_CHAT_NOTIFICATIONS,
    queues: new Map(),
  };
  version = 1;
  failPutTone = false;
  async load() {
    return { config: this.config, tones: new Map(this.tones), version: this.version };
  }
  async save(): Promise<number> {
    throw new Error('not used here');
  }
  async putTone(tone: CustomTone, check: (tones: ReadonlyMap<string, CustomTone>) => void = () => {}) {
    if (this.failPutTone) throw new Error('firestore unavailable');
    check(this.tones);
    const replaced = this.tones.get(tone.id);
    this.tones.set(tone.id, tone);
    return { version: ++this.version, replaced };
  }
  async removeTone(toneId: string, check: (config: NotificationConfig) => void) {
    check(this.config);
    const removed = this.tones.get(toneId);
    this.tones.delete(toneId);
    return { version: ++this.version, removed };
  }
  watchVersion() {
    return () => {};
  }
}

function library() {
  let now = new Date('2026-12-03T10:00:00.000Z');
  let ids = 0;
  const audio = new MemoryAudio(() => now);
  const store = new MemorySettings();
  const audited: AuditEntry[] = [];
  const deps: ToneDeps = {
    store,
    audio,
    audit: { record: async (entry) => void audited.push(entry), list: async () => [] },
    clock: { now: () => now },
    newId: () => `id${++ids}`,
  };
  return { deps, audio, store, audited, later: (ms: number) => void (now = new Date(now.getTime() + ms)) };
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError)
      return { status: error.status, code: error.code, details: error.details, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('uploading a tone (NOT-4)', () => {
  it('when an admin uploads an MP3, then its audio is stored and the tone saved with the duration measured from it', async () => {
    const { deps, audio, store } = library();

    const { tone } = await uploadTone(deps, admin, { name: 'Door bell', bytes: demoTone() });

    expect(tone).toEqual({
      id: 'id1',
      name: 'Door bell',
      sizeBytes: demoTone().length,
      durationMs: Math.round((77 * 1152 * 1000) / 44100),
      object: 'tones/id1/id2.mp3',
      generation: '101',
      uploadedAt: '2026-12-03T10:00:00.000Z',
      uploadedBy: 'boss',
    });
    expect(store.tones.get('id1')).toEqual(tone);
    expect(await toneAudio(deps, 'id1', '101')).toEqual(demoTone());
    expect(audio.objects.size).toBe(1);
  });

  it('when the file is a renamed WAV, cut short, or too big, then it is refused with its reason and nothing is stored anywhere', async () => {
    const { deps, audio, store } = library();
    const truncated = demoTone().subarray(0, demoTone().length - 50);

    expect(await refusal(uploadTone(deps, admin, { name: 'x', bytes: wav() }))).toMatchObject({
      status: 400,
      code: 'invalid_audio',
      details: { reason: 'not_mpeg_audio' },
    });
    expect(await refusal(uploadTone(deps, admin, { name: 'x', bytes: truncated }))).toMatchObject({
      status: 400,
      details: { reason: 'truncated' },
    });
    expect(
      await refusal(uploadTone(deps, admin, { name: 'x', bytes: Buffer.alloc(1_000_001) })),
    ).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(await refusal(uploadTone(deps, admin, { name: 'x', bytes: Buffer.alloc(0) }))).toMatchObject({
      status: 400,
      details: { reason: 'empty' },
    });
    expect(audio.objects.size).toBe(0);
    expect(store.tones.size).toBe(0);
  });

  it('when a manager uploads, then it is refused (403) before anything is written; an admin is allowed', async () => {
    const { deps, audio } = library();

    expect(await refusal(uploadTone(deps, manager, { name: 'x', bytes: demoTone() }))).toMatchObject({
      status: 403,
    });
    expect(await refusal(listTones(deps, manager))).toMatchObject({ status: 403 });
    expect(await refusal(deleteTone(deps, manager, 'id1'))).toMatchObject({ status: 403 });
    expect(audio.objects.size).toBe(0);
    await uploadTone(deps, admin, { name: 'x', bytes: demoTone() });
    expect(await listTones(deps, admin)).toHaveLength(1);
  });

  it('when saving the metadata fails, then the audio just written is deleted and the failure is reported', async () => {
    const { deps, audio, store } = library();
    store.failPutTone = true;

    await expect(uploadTone(deps, admin, { name: 'x', bytes: demoTone() })).rejects.toThrow(
      'firestore unavailable',
    );

    expect(audio.objects.size).toBe(0);
    expect(store.tones.size).toBe(0);
  });

  it('when saving the metadata fails and so does deleting the audio, then the audio left is swept by a later write once it is old enough', async () => {
    const { deps, audio, store, later } = library();
    store.failPutTone = true;
    audio.failDeletes = true;
    await expect(uploadTone(deps, admin, { name: 'x', bytes: demoTone() })).rejects.toThrow();
    expect([...audio.objects.keys()]).toEqual(['tones/id1/id2.mp3']);
    store.failPutTone = false;
    audio.failDeletes = false;

    // Too young to tell from an upload still saving its metadata: kept.
    await uploadTone(deps, admin, { name: 'y', bytes: demoTone() });
    expect(audio.objects.has('tones/id1/id2.mp3')).toBe(true);
    later(ORPHAN_GRACE_MS + 1);
    await uploadTone(deps, admin, { name: 'z', bytes: demoTone() });

    expect(audio.objects.has('tones/id1/id2.mp3')).toBe(false);
    expect([...audio.objects.keys()].sort()).toEqual([...store.tones.values()].map((t) => t.object).sort());
  });

  it('when the library is full, then another upload is refused (409) and nothing is written', async () => {
    const { deps, audio, store } = library();
    for (let i = 0; i < MAX_TONES; i++) await uploadTone(deps, admin, { name: `t${i}`, bytes: demoTone(3) });
    expect(store.tones.size).toBe(MAX_TONES);
    const objects = audio.objects.size;

    expect(await refusal(uploadTone(deps, admin, { name: 'one more', bytes: demoTone() }))).toMatchObject({
      status: 409,
      details: { reason: 'tone_library_full' },
    });
    expect(audio.objects.size).toBe(objects);
  });
});

describe('replacing a tone (NOT-4)', () => {
  it('when a tone in use is replaced, then settings keep its id and play the new audio, and the old audio is deleted', async () => {
    const { deps, audio, store } = library();
    const { tone: old } = await uploadTone(deps, admin, { name: 'Ring', bytes: demoTone(10) });
    store.config = {
      ...store.config,
      calls: { ...store.config.calls, incomingCallTone: { type: 'custom', toneId: old.id } },
    };

    const { tone, usedBy } = await replaceTone(deps, admin, old.id, { bytes: demoTone(40) });

    expect(tone).toMatchObject({ id: old.id, name: 'Ring', sizeBytes: demoTone(40).length });
    expect(tone.object).not.toBe(old.object);
    expect(usedBy).toEqual(['calls.incomingCallTone']);
    expect(store.tones.get(old.id)).toEqual(tone);
    expect(await toneAudio(deps, old.id, tone.generation)).toEqual(demoTone(40));
    expect(audio.objects.has(old.object)).toBe(false);
    // A preview of the old audio no longer plays.
    expect(await refusal(toneAudio(deps, old.id, old.generation))).toMatchObject({ status: 404 });
  });

  it('when saving the replacement fails, then the tone keeps its old audio and the new audio is deleted', async () => {
    const { deps, audio, store } = library();
    const { tone: old } = await uploadTone(deps, admin, { name: 'Ring', bytes: demoTone(10) });
    store.failPutTone = true;

    await expect(replaceTone(deps, admin, old.id, { bytes: demoTone(40) })).rejects.toThrow();

    expect(store.tones.get(old.id)).toEqual(old);
    expect([...audio.objects.keys()]).toEqual([old.object]);
    expect(await toneAudio(deps, old.id, old.generation)).toEqual(demoTone(10));
  });

  it('when the old audio cannot be deleted after the replacement, then the replacement stands and a later sweep deletes the old audio', async () => {
    const { deps, audio, store, later } = library();
    const { tone: old } = await uploadTone(deps, admin, { name: 'Ring', bytes: demoTone(10) });
    audio.failDeletes = true;
    const { tone } = await replaceTone(deps, admin, old.id, { name: 'Ring 2', bytes: demoTone(40) });
    audio.failDeletes = false;
    expect(store.tones.get(old.id)).toEqual(tone);
    expect(audio.objects.has(old.object)).toBe(true);

    later(ORPHAN_GRACE_MS + 1);
    await uploadTone(deps, admin, { name: 'Other', bytes: demoTone() });

    expect(audio.objects.has(old.object)).toBe(false);
    expect(audio.objects.has(tone.object)).toBe(true);
  });

  it('when the tone does not exist or the new file is invalid, then nothing is written', async () => {
    const { deps, audio } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Ring', bytes: demoTone(10) });

    expect(await refusal(replaceTone(deps, admin, 'missing', { bytes: demoTone() }))).toMatchObject({
      status: 404,
    });
    expect(await refusal(replaceTone(deps, admin, tone.id, { bytes: wav() }))).toMatchObject({ status: 400 });
    expect([...audio.objects.keys()]).toEqual([tone.object]);
  });
});

describe('deleting a tone (NOT-4)', () => {
  it('when a setting uses the tone, then deleting it is refused (409 tone_in_use) naming the settings, and it stays', async () => {
    const { deps, audio, store } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Whisper', bytes: demoTone() });
    store.config = {
      ...store.config,
      chats: { ...store.config.chats, newMessageTone: { type: 'custom', toneId: tone.id } },
      queues: new Map([['q1', { enabled: true, announcement: { type: 'recording', toneId: tone.id } }]]),
    };

    expect(await refusal(deleteTone(deps, admin, tone.id))).toMatchObject({
      status: 409,
      details: { reason: 'tone_in_use', paths: ['chats.newMessageTone', 'queues.q1.announcement'] },
    });
    expect(store.tones.has(tone.id)).toBe(true);
    expect(audio.objects.has(tone.object)).toBe(true);
    expect((await listTones(deps, admin))[0]?.usedBy).toEqual([
      'chats.newMessageTone',
      'queues.q1.announcement',
    ]);
  });

  it('when a tone no setting uses is deleted, then it and its audio are gone; deleting it again is a 404', async () => {
    const { deps, audio, store } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Spare', bytes: demoTone() });

    await deleteTone(deps, admin, tone.id);

    expect(store.tones.size).toBe(0);
    expect(audio.objects.size).toBe(0);
    expect(await refusal(deleteTone(deps, admin, tone.id))).toMatchObject({ status: 404 });
  });

  it('when an admin uploads, replaces and deletes a tone, then each is in the audit trail with who and which tone; refused ones are not', async () => {
    const { deps, audited } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Ring', bytes: demoTone() });
    await replaceTone(deps, admin, tone.id, { bytes: demoTone(2) });
    expect(await refusal(replaceTone(deps, manager, tone.id, { bytes: demoTone() }))).toMatchObject({
      status: 403,
    });
    expect(await refusal(uploadTone(deps, admin, { name: 'Bad', bytes: wav() }))).toMatchObject({
      status: 400,
    });
    await deleteTone(deps, admin, tone.id);
    expect(audited.map(({ action, actorUid, subject }) => ({ action, actorUid, subject }))).toEqual(
      ['notification_tone.uploaded', 'notification_tone.replaced', 'notification_tone.deleted'].map(
        (action) => ({
          action,
          actorUid: 'boss',
          subject: { type: 'notification_tone', id: tone.id },
        }),
      ),
    );
  });

  it('when the audio cannot be deleted after the tone, then the tone is gone and a later sweep deletes the audio', async () => {
    const { deps, audio, store, later } = library();
    const { tone } = await uploadTone(deps, admin, { name: 'Spare', bytes: demoTone() });
    audio.failDeletes = true;

    await deleteTone(deps, admin, tone.id);
    audio.failDeletes = false;
    expect(store.tones.size).toBe(0);
    expect(audio.objects.has(tone.object)).toBe(true);

    later(ORPHAN_GRACE_MS + 1);
    await uploadTone(deps, admin, { name: 'New', bytes: demoTone() });
    expect(audio.objects.has(tone.object)).toBe(false);
  });
});
