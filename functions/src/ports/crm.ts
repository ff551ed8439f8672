import { AppError, dependencyFailureStatus } from '../domain/errors.js';
import type { CrmCalls, FailureCourse } from '../domain/recordings/plan.js';

/**
 * The CRM side of the recordings pipeline (REC-1, REC-2, REC-5, REC-6): attach one part of a call
 * recording to the call's CRM record, at most once, and say precisely why when it could not be done.
 */

/** One part of a recording (REC-5: recordings over 50 MB go as 50 MB parts, in order). */
export interface RecordingPart {
  recordingId: string;
  /** 0-based position of this part; the CRM title counts from 1: "(part 1 of 2)". */
  partIndex: number;
  /** How many parts the recording has (1 when it was not split). */
  partCount: number;
  /** The CRM record (case, task…) the file is attached to. */
  crmRecordId: string;
  /** The recording's file name, e.g. `call-1.wav`; the CRM title adds the part number. */
  fileName: string;
  /** Exact byte length of this part. */
  sizeBytes: number;
  /** Said beside the file in the CRM (the spans paused for redaction); absent when there is nothing to say. */
  description?: string;
  /**
   * An earlier attempt's outcome is unknown (it may have landed): the CRM is asked for the part
   * before it is sent. Otherwise it is sent at once, one request, and a repeat is still refused by
   * the part's unique key.
   */
  mayBeThere: boolean;
  /**
   * This part's bytes, streamed (never buffered whole) and read once: sent to the CRM and hashed on
   * the way, or, when the CRM already holds a file under this part's key that nobody recorded (an
   * earlier attempt landed, but its acknowledgement was lost), hashed to tell whether it is that file.
   * A Node.js Readable is piped as it is.
   */
  body: AsyncIterable<Uint8Array>;
  /**
   * The same bytes again, in a new stream: only for a send that must be repeated after a session
   * refresh, when `body` is spent.
   */
  reread: () => AsyncIterable<Uint8Array>;
}

/** The org's API usage, as the CRM reports it with its answers: requests used, of how many allowed. */
export interface ApiUsage {
  used: number;
  max: number;
}

export type UploadOutcome = {
  /** `already_there`: the CRM already held this part with the same checksum (REC-6: never twice). */
  status: 'uploaded' | 'already_there';
  /** The CRM's id of the stored file (a Salesforce ContentVersion id). */
  contentVersionId: string;
  /** MD5 of the part's bytes, base64: those sent, or those found in the CRM. */
  md5Base64: string;
  /** The org's API usage after this upload, from the CRM's last answer to it; absent when none said. */
  apiUsage?: ApiUsage;
  /** The CRM API requests this upload made (a login it needed included). */
  calls: CrmCalls;
};

/**
 * Why an upload failed. REC-2: retry (with backoff) exactly when the CRM did not acknowledge the
 * upload, its API limit was reached, or the file is too large for it; `permanent` is never retried.
 */
export type CrmFailureKind = 'not_acknowledged' | 'limit_reached' | 'too_large' | 'permanent';

export interface CrmFailure {
  kind: CrmFailureKind;
  /** Stable, lower-case reason code (`timeout`, `request_limit_exceeded`, `entity_is_deleted`…). */
  reason: string;
  /** When the CRM (or the adapter) knows how long to wait before trying again. */
  retryAfterSeconds?: number;
  /**
   * A refusal that nearly always passes but would be permanent if it lasted (a session refused
   * just after its refresh, the token endpoint's `invalid_grant`, a part whose bytes ended early):
   * retried within a budget (FailureCourse `may_heal`).
   */
  mayHeal?: boolean;
  /** The CRM API requests the upload made before it failed (they count against the org's allowance). */
  calls?: CrmCalls;
}

/** REC-2: the three retryable cases. */
export const isRetryable = (kind: CrmFailureKind): boolean => kind !== 'permanent';

/**
 * A CRM failure. An AppError (the system's one error type), so anything that lets it escape answers
 * as any failed dependency does (see dependencyFailureStatus); the message and details carry codes only.
 */
/** A Salesforce record id: 15 characters, or 18 with the case-safe suffix. */
export const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export class CrmError extends AppError {
  readonly kind: CrmFailureKind;
  readonly reason: string;
  readonly retryAfterSeconds: number | undefined;
  readonly mayHeal: boolean;
  readonly calls: CrmCalls | undefined;

  constructor(failure: CrmFailure) {
    super(
      `crm_${failure.kind}`,
      dependencyFailureStatus(isRetryable(failure.kind)),
      `The CRM upload failed: ${failure.kind} (${failure.reason}).`,
      {
        kind: failure.kind,
        reason: failure.reason,
        ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
      },
    );
    this.name = 'CrmError';
    this.kind = failure.kind;
    this.reason = failure.reason;
    this.retryAfterSeconds = failure.retryAfterSeconds;
    this.mayHeal = failure.mayHeal === true && isRetryable(failure.kind);
    this.calls = failure.calls;
  }

  /** The same failure, with the requests the failed upload made (a copy: one error may be shared). */
  withCalls(calls: CrmCalls): CrmError {
    return new CrmError({ ...this.failure, calls: { ...calls } });
  }

  /**
   * The CRM holds nothing from the failed attempt: it refused it, or never got all of it. Only an
   * attempt left without an answer (`not_acknowledged`, a timeout, a lost connection) may have landed.
   */
  get outcomeKnown(): boolean {
    return this.kind !== 'not_acknowledged' || this.mayHeal;
  }

  get retryable(): boolean {
    return isRetryable(this.kind);
  }

  /** What the failure means for the upload's plan. */
  get course(): FailureCourse {
    if (!this.retryable) return 'permanent';
    return this.mayHeal ? 'may_heal' : 'retry';
  }

  get failure(): CrmFailure {
    return {
      kind: this.kind,
      reason: this.reason,
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
      ...(this.mayHeal ? { mayHeal: true } : {}),
    };
  }
}

export interface CrmClient {
  /**
   * Attaches the part to `crmRecordId`, at most once per (recordingId, partIndex): a part the CRM
   * already has with the checksum of the source's bytes is `already_there`; with another checksum
   * it is a permanent `checksum_mismatch`. Throws CrmError for every CRM failure.
   */
  uploadPart(part: RecordingPart): Promise<UploadOutcome>;
}
