import { purgeTimeFor } from '../recordings/plan.js';
import type { VoicemailLeft } from './voicemail.js';

/**
 * A voicemail on its way to the CRM (AHD-6: from a root queue nobody serves), with the recordings'
 * guarantees (REC-1 … REC-3, REC-6): sent once, retried, attached to the call's CRM record, its audio
 * deleted once the CRM has it and never kept past 7 days. Kept in `crmOutbox/voicemail__{id}` until
 * it is settled. Pure: time comes in as `now`.
 */

export interface DeliveryFailure {
  at: string;
  /** A CRM failure kind (REC-2), or `object_gone` / `no_crm_record` / `crm_not_supported`. */
  kind: string;
  reason: string;
}

/**
 * - `pending`: to be sent (or waiting for the call's CRM record);
 * - `delivered`: the CRM acknowledged the file; the audio is still to be deleted;
 * - `failed`: a permanent failure, recorded and alerted; the audio waits for its purge.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface VoicemailDelivery {
  kind: 'voicemail';
  voicemailId: string;
  queueId: string;
  /** The call the voicemail was left on: its CRM record is where the file goes. */
  sessionId: string | null;
  recording: { bucket: string; object: string; generation: string | null };
  /** Shown in the CRM. */
  title: string;
  createdAt: string;
  status: DeliveryStatus;
  /** Null until the call's CRM record is known (the platform may link it after the voicemail). */
  crmRecordId: string | null;
  attempts: number;
  /**
   * When an attempt started whose outcome nobody recorded (the CRM may have stored the file and its
   * answer been lost): the next attempt looks in the CRM before sending. Null otherwise.
   */
  inFlightSince: string | null;
  deliveredAt: string | null;
  contentVersionId: string | null;
  md5Base64: string | null;
  lastFailure: DeliveryFailure | null;
  failure: DeliveryFailure | null;
  /** The audio is deleted from here on, delivered or not (REC-3, with the recordings' day of margin). */
  purgeAt: string;
}

/** What the voicemail's own record says about its way to the CRM, once it is settled. */
export type VoicemailCrmOutcome =
  | { status: 'delivered'; at: string; crmRecordId: string; contentVersionId: string; outcome: string }
  | { status: 'empty'; at: string }
  | { status: 'failed'; at: string; failure: DeliveryFailure }
  | { status: 'purged'; at: string; failure: DeliveryFailure | null };

/** "Voicemail from +15550123 (q-support, 2026-11-24T01:02:03.000Z)", within a Title's 255 characters. */
export function voicemailTitle(
  voicemail: Pick<VoicemailLeft, 'callerNumber' | 'queueId' | 'leftAt'>,
): string {
  const from = voicemail.callerNumber ?? 'a blocked number';
  return `Voicemail from ${from} (${voicemail.queueId}, ${voicemail.leftAt})`.slice(0, 255);
}

/**
 * The outbox entry of a voicemail received at `receivedAt`. The 7 days run from the earlier of the
 * time the platform says it was left and the time it reached us, so a clock that is off on either
 * side never keeps the audio longer.
 */
export function newDelivery(voicemail: VoicemailLeft, receivedAt: Date): VoicemailDelivery {
  const left = Date.parse(voicemail.leftAt);
  const start = new Date(Math.min(left, receivedAt.getTime()));
  return {
    kind: 'voicemail',
    voicemailId: voicemail.voicemailId,
    queueId: voicemail.queueId,
    sessionId: voicemail.sessionId ?? null,
    recording: {
      bucket: voicemail.recording.bucket,
      object: voicemail.recording.object,
      generation: voicemail.recording.generation ?? null,
    },
    title: voicemailTitle(voicemail),
    createdAt: receivedAt.toISOString(),
    status: 'pending',
    crmRecordId: null,
    attempts: 0,
    inFlightSince: null,
    deliveredAt: null,
    contentVersionId: null,
    md5Base64: null,
    lastFailure: null,
    failure: null,
    purgeAt: purgeTimeFor(start).toISOString(),
  };
}

export type DeliveryStep =
  /** Acknowledged: delete the audio, then the outbox entry. */
  | { do: 'finish' }
  /** The purge time came first: delete the audio and record why the CRM never got it. */
  | { do: 'purge' }
  | { do: 'find_crm_record' }
  /** `lookFirst`: an earlier attempt's outcome is unknown, so the CRM is asked before sending. */
  | { do: 'send'; lookFirst: boolean }
  | { do: 'nothing'; why: 'failed' };

/** The one decision behind a delivery task, for a task that may be late, repeated or early. */
export function stepForDelivery(entry: VoicemailDelivery, now: Date): DeliveryStep {
  if (entry.status === 'delivered') return { do: 'finish' };
  if (now.getTime() >= Date.parse(entry.purgeAt)) return { do: 'purge' };
  if (entry.status === 'failed') return { do: 'nothing', why: 'failed' };
  if (entry.crmRecordId === null) return { do: 'find_crm_record' };
  return { do: 'send', lookFirst: entry.inFlightSince !== null };
}

// Changes. Each returns undefined when the entry must not change (a repeat, or a change overtaken).

export function withCrmRecord(entry: VoicemailDelivery, crmRecordId: string): VoicemailDelivery | undefined {
  if (entry.crmRecordId !== null || entry.status !== 'pending') return undefined;
  return { ...entry, crmRecordId };
}

/** An attempt starts: until its outcome is written, the next one must look in the CRM first. */
export function withAttemptStarted(
  entry: VoicemailDelivery,
  generation: string,
  now: Date,
): VoicemailDelivery | undefined {
  if (entry.status !== 'pending') return undefined;
  if (entry.recording.generation !== null && entry.recording.generation !== generation) return undefined;
  return {
    ...entry,
    recording: { ...entry.recording, generation },
    attempts: entry.attempts + 1,
    inFlightSince: entry.inFlightSince ?? now.toISOString(),
  };
}

export function withDelivered(
  entry: VoicemailDelivery,
  delivered: { contentVersionId: string; md5Base64: string },
  now: Date,
): VoicemailDelivery | undefined {
  // Delivered is delivered, even after a permanent failure was recorded by a later attempt.
  if (entry.status === 'delivered') return undefined;
  return {
    ...entry,
    status: 'delivered',
    deliveredAt: now.toISOString(),
    contentVersionId: delivered.contentVersionId,
    md5Base64: delivered.md5Base64,
    inFlightSince: null,
    failure: null,
  };
}

/**
 * A failed attempt. `outcomeKnown`: the CRM refused the file, so it holds nothing from this attempt;
 * otherwise (no answer) the in-flight mark stays, and the next attempt looks before it sends.
 */
export function withFailedAttempt(
  entry: VoicemailDelivery,
  failure: Omit<DeliveryFailure, 'at'>,
  { permanent, outcomeKnown }: { permanent: boolean; outcomeKnown: boolean },
  now: Date,
): VoicemailDelivery | undefined {
  if (entry.status !== 'pending') return undefined;
  const recorded = { ...failure, at: now.toISOString() };
  return {
    ...entry,
    lastFailure: recorded,
    ...(outcomeKnown ? { inFlightSince: null } : {}),
    ...(permanent ? { status: 'failed' as const, failure: recorded } : {}),
  };
}
