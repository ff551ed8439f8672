import type {
  MediaFormat,
  MediaPurpose,
  MediaRefusal,
  UploadVerdict,
} from '../domain/smart-actions/media.js';

/**
 * One file a consumer may upload, from the moment its upload URL is issued: `issued`, then `accepted`
 * or `refused` (with why) once the upload is finalized and checked. Kept at
 * `sessions/{sessionId}/media/{id}`, which no client reads.
 */
export interface MediaRecord {
  /** The random part of the object's name. */
  id: string;
  sessionId: string;
  /** The smart-action request the file answers; null for a web chat attachment. */
  requestId: string | null;
  purpose: MediaPurpose;
  /** 1 for the request's first file, and so on. */
  slot: number;
  object: string;
  /** An attachment's name as the consumer chose it (may say who they are: never logged). */
  fileName: string | null;
  declaredBytes: number;
  /** Files the request (or the session's attachments) may have accepted. */
  maxFiles: number;
  /** The platform's id of the ask that issued it: the same ask again gets the same URLs. */
  askId: string;
  /** The resumable upload session's URL (a capability: never logged, never shown to agents). */
  uploadUrl: string;
  /** Whose desk the file is shown on. */
  agentId: string;
  issuedAt: string;
  uploadExpiresAt: string;
  state: 'issued' | 'accepted' | 'refused';
  reason: MediaRefusal | null;
  format: MediaFormat | null;
  sizeBytes: number | null;
  generation: string | null;
  finalizedAt: string | null;
  /** When the record goes (Firestore TTL), with the session's media. */
  expireAt: Date;
}

/** What the agent's desktop shows of an accepted file: `agentDesks/{agentId}/media/{id}`. */
export interface ShownMedia {
  id: string;
  sessionId: string;
  requestId: string | null;
  purpose: MediaPurpose;
  format: MediaFormat;
  contentType: string;
  sizeBytes: number;
  acceptedAt: string;
  downloadUrl: string;
  downloadUrlExpiresAt: string;
  expireAt: Date;
}

export type IssueOutcome =
  { issued: true; records: MediaRecord[] } | { issued: false; alreadyIssued: number };

export interface MediaRecords {
  /**
   * Records new upload slots of one request (or of a session's attachments) in one transaction, only
   * if, with those already issued, they stay within `limit`; otherwise nothing is written. When slots
   * of the same ask exist already, they are the answer and nothing is written.
   */
  issue(sessionId: string, requestKey: string, records: MediaRecord[], limit: number): Promise<IssueOutcome>;
  /** The slots issued for one ask of the platform's, by slot. */
  ofAsk(sessionId: string, askId: string): Promise<MediaRecord[]>;
  /** How many slots a request (or a session's attachments) already has. */
  issuedCount(sessionId: string, requestKey: string): Promise<number>;
  /**
   * Settles the issued record of `finalized.object` (none: undefined) with `decide`'s verdict, given how many of its request's files were
   * accepted before, in one transaction. A record already settled is returned as it is: a finalize
   * delivered twice is judged once.
   */
  settle(
    sessionId: string,
    id: string,
    decide: (record: MediaRecord, acceptedBefore: number) => UploadVerdict,
    finalized: { object: string; sizeBytes: number; generation: string; at: Date },
  ): Promise<MediaRecord | undefined>;
  /**
   * A session's records, oldest first, at most `limit`, after the record `after` when given;
   * undefined when `after` is not one of the session's records.
   */
  list(sessionId: string, limit: number, after?: string): Promise<MediaRecord[] | undefined>;
  /** Shows an accepted file on the agent's desk (written again with a fresh URL on a repeat). */
  show(agentId: string, media: ShownMedia): Promise<void>;
}

/** The media bucket. Bytes go from the consumer to Cloud Storage and back out without passing through here. */
export interface MediaBlobs {
  /**
   * Opens a resumable upload session for exactly `sizeBytes` bytes to `object`, which must not
   * exist yet; its URL is what the consumer's SDK uploads to.
   */
  startUpload(
    object: string,
    options: { sizeBytes: number; contentType: string; metadata: Record<string, string> },
  ): Promise<string>;
  /**
   * The object's first `length` bytes (fewer if it is shorter): one range read. Undefined when that
   * generation is gone (deleted by an earlier delivery of its finalize).
   */
  head(object: string, generation: string, length: number): Promise<Uint8Array | undefined>;
  /** Deletes that generation; gone already is fine. */
  delete(object: string, generation: string): Promise<void>;
  /**
   * A URL that reads the object from `from` until `until`, both by the caller's clock: signed as of
   * `from`, so a clock moved forward (the local stack's) gives a URL that lasts as long by that clock.
   */
  downloadUrl(object: string, generation: string, window: { from: Date; until: Date }): Promise<string>;
}
