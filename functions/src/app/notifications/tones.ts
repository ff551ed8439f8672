import type { Actor } from '../../domain/access/permissions.js';
import { AppError, conflict, notFound } from '../../domain/errors.js';
import { checkMpegAudio, TONE_LIMITS } from '../../domain/notifications/mp3.js';
import { tonesInUse, type CustomTone } from '../../domain/notifications/settings.js';
import { logs } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { NotificationSettingsStore } from '../../ports/notification-settings.js';
import type { ToneAudioStore } from '../../ports/notification-tones.js';
import type { AuditLog } from '../../ports/supervision.js';
import { audit } from '../admin/directory.js';
import { authorizeOrThrow } from '../supervision/deps.js';
import { refuseIfToneInUse } from './settings.js';

/**
 * The tone library (NOT-4, and NOT-3's uploaded whisper recordings): admins upload `.mp3` files,
 * replace or delete them; settings choose them by id. The audio is an object in the tones bucket,
 * the tone's metadata is in the settings store beside the settings that use it.
 *
 * Writes are ordered so that nothing is lost and nothing is left behind for good: the audio is
 * written first, under a name never used before, then the metadata names it; when the metadata write
 * fails, the audio is deleted at once. What a failure leaves anyway (that deletion failed too, or the
 * old audio of a replaced or deleted tone could not be deleted) is an object no tone names: every
 * later upload, replacement or deletion sweeps such objects once they are older than any write in
 * progress could be (ORPHAN_GRACE_MS).
 */
export interface ToneDeps {
  store: NotificationSettingsStore;
  audio: ToneAudioStore;
  /** Uploads, replacements and deletions are recorded there: who, when, which tone. */
  audit: AuditLog;
  clock: Clock;
  newId: () => string;
}

/** A library admins can browse: a tone per notification and recording, and some spares. */
export const MAX_TONES = 50;
/** Longer than any upload takes between its audio written and its metadata saved. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;
/** Objects looked at by one sweep: more than the library's tones with room for what failures left. */
const SWEEP_LIMIT = 500;

function refuseIfLibraryFull(tones: ReadonlyMap<string, CustomTone>): void {
  if (tones.size >= MAX_TONES)
    throw conflict(
      'tone_library_full',
      `The tone library holds at most ${MAX_TONES} tones: delete one first.`,
    );
}

export interface ToneEntry {
  tone: CustomTone;
  /** Where the settings use it (`calls.incomingCallTone`, `queues.q1.announcement`…). */
  usedBy: string[];
}

export interface ToneUpload {
  name: string;
  bytes: Uint8Array;
}

/** The audio an upload carries, measured, or a 4xx saying what is wrong with it; nothing is written. */
function checkedAudio(bytes: Uint8Array) {
  const check = checkMpegAudio(bytes, TONE_LIMITS);
  if (check.ok) return check.audio;
  if (check.reason === 'too_big')
    throw new AppError('payload_too_large', 413, check.message, { reason: check.reason });
  throw new AppError('invalid_audio', 400, check.message, {
    reason: check.reason,
    ...(check.offset !== undefined ? { offset: check.offset } : {}),
  });
}

const objectNameFor = (toneId: string, deps: ToneDeps) => `tones/${toneId}/${deps.newId()}.mp3`;

/** Writes the audio, then has `save` name it; the audio is deleted again when `save` fails. */
async function writeAudioThen<T>(
  deps: ToneDeps,
  name: string,
  bytes: Uint8Array,
  save: (generation: string) => Promise<T>,
): Promise<T> {
  const generation = await deps.audio.create(name, bytes);
  try {
    return await save(generation);
  } catch (error) {
    await deps.audio
      .delete(name, generation)
      .catch(() => logs.toneAudioLeft({ object: name, why: 'save_failed' }));
    throw error;
  }
}

/** Deletes a tone's audio no tone names any more; a failure leaves it to the next sweep. */
async function deleteAudioOf(deps: ToneDeps, tone: CustomTone, why: string) {
  await deps.audio
    .delete(tone.object, tone.generation)
    .catch(() => logs.toneAudioLeft({ object: tone.object, why }));
}

export async function listTones(deps: ToneDeps, actor: Actor): Promise<ToneEntry[]> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const { config, tones } = await deps.store.load();
  const uses = tonesInUse(config);
  return [...tones.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
    .map((tone) => ({ tone, usedBy: uses.get(tone.id) ?? [] }));
}

export async function uploadTone(deps: ToneDeps, actor: Actor, upload: ToneUpload): Promise<ToneEntry> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const audio = checkedAudio(upload.bytes);
  // Refused before any audio is written when the library is full already; the save checks again
  // against the library it commits to, so that uploads at once never go past the limit.
  refuseIfLibraryFull((await deps.store.load()).tones);
  const id = deps.newId();
  const object = objectNameFor(id, deps);
  const tone = await writeAudioThen(deps, object, upload.bytes, async (generation) => {
    const tone: CustomTone = {
      id,
      name: upload.name,
      sizeBytes: upload.bytes.length,
      durationMs: audio.durationMs,
      object,
      generation,
      uploadedAt: deps.clock.now().toISOString(),
      uploadedBy: actor.uid,
    };
    await deps.store.putTone(tone, refuseIfLibraryFull);
    return tone;
  });
  await audit(deps, actor, 'notification_tone.uploaded', { type: 'notification_tone', id });
  await sweepOrphanedAudio(deps);
  return { tone, usedBy: [] };
}

/**
 * New audio (and name, when given) for a tone: settings using it play the new audio from then on.
 * The old audio is deleted only once the metadata names the new one.
 */
export async function replaceTone(
  deps: ToneDeps,
  actor: Actor,
  toneId: string,
  upload: Partial<Pick<ToneUpload, 'name'>> & Pick<ToneUpload, 'bytes'>,
): Promise<ToneEntry> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const audio = checkedAudio(upload.bytes);
  const current = (await deps.store.load()).tones.get(toneId);
  if (!current) throw notFound('The tone');
  const object = objectNameFor(toneId, deps);
  const { tone, replaced } = await writeAudioThen(deps, object, upload.bytes, async (generation) => {
    const tone: CustomTone = {
      ...current,
      name: upload.name ?? current.name,
      sizeBytes: upload.bytes.length,
      durationMs: audio.durationMs,
      object,
      generation,
      uploadedAt: deps.clock.now().toISOString(),
      uploadedBy: actor.uid,
    };
    const { replaced } = await deps.store.putTone(tone);
    return { tone, replaced };
  });
  await audit(deps, actor, 'notification_tone.replaced', { type: 'notification_tone', id: toneId });
  // A replacement racing this one may have been saved in between: what this save replaced is what goes.
  if (replaced && replaced.object !== tone.object) await deleteAudioOf(deps, replaced, 'replaced');
  await sweepOrphanedAudio(deps);
  const { config } = await deps.store.load();
  return { tone, usedBy: tonesInUse(config).get(toneId) ?? [] };
}

/**
 * Deletes a tone, refused while a setting uses it (409 `tone_in_use`, naming them): settings choose
 * another tone first, so a deletion never changes what agents hear behind an admin's back.
 */
export async function deleteTone(deps: ToneDeps, actor: Actor, toneId: string): Promise<void> {
  authorizeOrThrow(actor, { type: 'settings.edit' });
  const { removed } = await deps.store.removeTone(toneId, (config) => refuseIfToneInUse(config, toneId));
  if (!removed) throw notFound('The tone');
  await audit(deps, actor, 'notification_tone.deleted', { type: 'notification_tone', id: toneId });
  await deleteAudioOf(deps, removed, 'deleted');
  await sweepOrphanedAudio(deps);
}

/** A tone's audio, only while `generation` is still its audio (a replaced tone's old preview stops). */
export async function toneAudio(deps: ToneDeps, toneId: string, generation: string): Promise<Buffer> {
  const tone = (await deps.store.load()).tones.get(toneId);
  if (!tone || tone.generation !== generation) throw notFound('The tone');
  const bytes = await deps.audio.read(tone.object, tone.generation);
  if (!bytes) throw notFound('The tone');
  return bytes;
}

/**
 * Deletes the tones bucket's objects that no tone names and that are older than ORPHAN_GRACE_MS (a
 * younger one may be an upload whose metadata is being saved). Best effort: a failure is logged and
 * left to the next sweep, never failing the admin's request it follows. Returns how many went.
 */
export async function sweepOrphanedAudio(deps: Pick<ToneDeps, 'store' | 'audio' | 'clock'>): Promise<number> {
  try {
    const [objects, { tones }] = await Promise.all([deps.audio.list(SWEEP_LIMIT), deps.store.load()]);
    const named = new Set([...tones.values()].map((tone) => `${tone.object}#${tone.generation}`));
    const before = deps.clock.now().getTime() - ORPHAN_GRACE_MS;
    let deleted = 0;
    for (const object of objects) {
      if (named.has(`${object.name}#${object.generation}`) || object.createdAt.getTime() > before) continue;
      if ((await deps.audio.delete(object.name, object.generation)) === 'deleted') deleted++;
    }
    if (deleted > 0) logs.toneAudioSwept({ deleted });
    return deleted;
  } catch (error) {
    logs.toneAudioSweepFailed({ error: error instanceof Error ? error.name : 'unknown' });
    return 0;
  }
}
