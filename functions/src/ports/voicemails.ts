import type { VoicemailCrmOutcome, VoicemailDelivery } from '../domain/deflection/voicemail-delivery.js';
import type { VoicemailLeft, VoicemailRoute } from '../domain/deflection/voicemail.js';
import type { UploadOutcome } from './crm.js';

export interface StoredVoicemail extends VoicemailLeft {
  route: VoicemailRoute;
  receivedAt: string;
}

export interface VoicemailStore {
  /**
   * Stores the voicemail with, in the same write, a notification for each agent it goes to, or
   * `delivery`, its entry in the CRM outbox. False when it was already stored (a redelivery): nothing
   * is written.
   */
  record(voicemail: StoredVoicemail, delivery: VoicemailDelivery): Promise<boolean>;
  /** The voicemail's CRM outbox entry while it waits there (a redelivery asks for its tasks again). */
  outboxEntry(voicemailId: string): Promise<VoicemailDelivery | undefined>;
}

/** The CRM outbox's voicemail entries, as the worker delivers them. */
export interface VoicemailOutbox {
  get(voicemailId: string): Promise<VoicemailDelivery | undefined>;
  /**
   * Reads the entry, lets `change` decide, and writes what it returns, atomically, with `outcome` on
   * the voicemail's own record when given. Returning undefined writes nothing. Resolves to the entry
   * as stored afterwards (undefined when there is none, or when `change` wrote nothing).
   */
  update(
    voicemailId: string,
    change: (entry: VoicemailDelivery) => VoicemailDelivery | undefined,
    outcome?: (entry: VoicemailDelivery) => VoicemailCrmOutcome,
  ): Promise<VoicemailDelivery | undefined>;
  /**
   * Removes the entry and, when given, records `outcome` on the voicemail, in one write. A repeat is
   * harmless.
   */
  settle(voicemailId: string, outcome?: VoicemailCrmOutcome): Promise<void>;
  /** Voicemail entries received at or before `cutoff`, oldest first, at most `limit`. */
  receivedBy(cutoff: Date, limit: number): Promise<VoicemailDelivery[]>;
}

/** A voicemail's audio, sent to the CRM as one file. */
export interface VoicemailFile {
  voicemailId: string;
  /** The CRM record (case, task…) the file is attached to. */
  crmRecordId: string;
  title: string;
  /** The audio's file name, e.g. `vm-1.wav`. */
  fileName: string;
  sizeBytes: number;
  /** The bytes, streamed, read once (see RecordingPart.body). */
  body: AsyncIterable<Uint8Array>;
  /** The same bytes again, in a new stream, for a send repeated after a session refresh. */
  reread: () => AsyncIterable<Uint8Array>;
  /** An earlier attempt's outcome is unknown: find a file it may have left before sending one. */
  lookFirst: boolean;
}

export interface VoicemailCrm {
  /**
   * Attaches the voicemail to its CRM record, at most once per voicemail: a file the CRM already holds
   * for it with the same checksum is `already_there`; with another, a permanent `checksum_mismatch`.
   * Throws CrmError for every CRM failure.
   */
  attachVoicemail(file: VoicemailFile): Promise<UploadOutcome>;
}

/** Voicemails' CRM tasks, on the CRM worker's queue; each is delivered at least once. */
export interface VoicemailTasks {
  /** Asks for a delivery attempt now. Idempotent while the queue remembers the task's name. */
  enqueueVoicemailDelivery(voicemailId: string): Promise<void>;
  /** Asks for the same task at `at`, the entry's purge time (REC-3). Idempotent. */
  scheduleVoicemailPurge(voicemailId: string, at: Date): Promise<void>;
  /**
   * Asks for a delivery attempt at `at` (a wait that is not an error, such as a call not yet linked
   * to its CRM record). Idempotent per voicemail and second.
   */
  scheduleDeliveryAt(voicemailId: string, at: Date): Promise<void>;
}
