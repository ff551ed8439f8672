import { createHash, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Connection, HttpRequestOptions, TokenResponse } from 'jsforce';
import type { CrmCalls } from '../../domain/recordings/plan.js';
import type { Clock } from '../../ports/clock.js';
import {
  CrmError,
  SALESFORCE_ID,
  type ApiUsage,
  type CrmClient,
  type RecordingPart,
  type UploadOutcome,
} from '../../ports/crm.js';
import {
  DEFAULT_LIMIT_RETRY_AFTER_SECONDS,
  errorCodeIn,
  failureFromAnswer,
  failureFromJsforce,
  mayHeal,
  notAcknowledged,
  parseLimitInfo,
  parseRetryAfter,
  permanent,
} from './errors.js';
import { JWT_BEARER_GRANT, privateKeyFrom, signAssertion } from './jwt.js';
import { sendMultipart } from './multipart-upload.js';

/**
 * The CRM port on Salesforce, through jsforce 3: JWT bearer login, SOQL look-ups and session refresh
 * through jsforce; the file itself as a hand-built multipart/form-data stream (see multipart-upload.ts).
 *
 * At most once (REC-6): every part carries `Recording_Part_Key__c = "<recordingId>:<partIndex>"`, an
 * External ID + Unique text field on ContentVersion (to be created in the org). A part that may have
 * landed (the caller says so) is looked up before it is sent; one found there, or a repeat refused by
 * Salesforce as DUPLICATE_VALUE, is confirmed by its `Checksum` (the hex MD5 of the file) against
 * the source's. Each upload counts the API requests it made, a login included, in its outcome.
 */
export interface SalesforceConfig {
  /** `https://login.salesforce.com`, `https://test.salesforce.com` or a My Domain URL; also the JWT `aud`. */
  loginUrl: string;
  /** Used until the token answer names the instance. */
  instanceUrl?: string;
  /** The connected app's consumer key (JWT `iss`). */
  clientId: string;
  /** The integration user (JWT `sub`). */
  username: string;
  /** The connected app certificate's private key, PEM (RSA). Never logged. */
  privateKeyPem: string;
  /** REST API version, e.g. `62.0` (jsforce would otherwise use its own, older default). */
  apiVersion: string;
  /**
   * Longest wait for Salesforce, in ms (default 120 s): for an upload, the longest silence (nothing
   * sent, nothing received); for a look-up or a token, the whole exchange. Then `not_acknowledged`.
   */
  requestTimeoutMs?: number;
  /** `retryAfterSeconds` when the API limit is reached and the answer has no Retry-After (default 300). */
  limitRetryAfterSeconds?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** The External ID + Unique custom field on ContentVersion that makes uploads idempotent. */
export const PART_KEY_FIELD = 'Recording_Part_Key__c';
/** A ContentVersion Title holds at most 255 characters. */
const MAX_TITLE_LENGTH = 255;
/** A refresh followed, within this time, by another 401 before any accepted request: give up. */
const REFRESH_LOOP_WINDOW_MS = 60_000;

export const partKey = (recordingId: string, partIndex: number) => `${recordingId}:${partIndex}`;

const SOQL_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A value inside a single-quoted SOQL string literal. */
export const escapeSoqlString = (value: string) =>
  value.replace(/[\\'"\n\r\t\b\f]/g, (c) => SOQL_ESCAPES[c]!);

/** "call-1.wav (part 1 of 2)", within the 255 characters of a Title. */
export function partTitle(part: Pick<RecordingPart, 'fileName' | 'partIndex' | 'partCount'>): string {
  const suffix = ` (part ${part.partIndex + 1} of ${part.partCount})`;
  return `${part.fileName.slice(0, MAX_TITLE_LENGTH - suffix.length)}${suffix}`;
}

const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;

function checkPart(part: RecordingPart) {
  const valid =
    part.recordingId.length > 0 &&
    // The key is a 255-character text field; "<recordingId>:<partIndex>" splits at the last colon.
    partKey(part.recordingId, part.partIndex).length <= 255 &&
    Number.isInteger(part.partCount) &&
    part.partCount >= 1 &&
    Number.isInteger(part.partIndex) &&
    part.partIndex >= 0 &&
    part.partIndex < part.partCount &&
    SALESFORCE_ID.test(part.crmRecordId) &&
    part.fileName.length > 0 &&
    Number.isSafeInteger(part.sizeBytes) &&
    part.sizeBytes >= 0;
  if (!valid) throw permanent('invalid_part');
}

/** A ContentVersion to insert: its fields (`entity_content`) and its bytes. */
export interface FileInsert {
  entityContent: Record<string, unknown>;
  fileName: string;
  sizeBytes: number;
  body: AsyncIterable<Uint8Array>;
  reread: () => AsyncIterable<Uint8Array>;
}

/** What one upload learned from the CRM's answers to it. */
export interface UploadSeen {
  /** The org's API usage, from the latest answer that reported it (Sforce-Limit-Info). */
  usage?: ApiUsage;
  /** The MD5 of the bytes sent, base64, once a send got to the end of the part. */
  sentMd5Base64?: string;
  /** The API requests made for it so far. */
  calls: CrmCalls;
}

/** A file attached, before the upload's own figures (API usage and calls) are added. */
export type Attached = Omit<UploadOutcome, 'calls' | 'apiUsage'>;

/** A file as the CRM holds it. */
export interface StoredPart {
  contentVersionId: string;
  md5Base64: string;
}

interface QueryResult {
  totalSize: number;
  records: { Id?: unknown; Checksum?: unknown }[];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(notAcknowledged('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class SalesforceCrm implements CrmClient {
  private readonly timeoutMs: number;
  private readonly limitRetryAfterSeconds: number;
  private readonly loginUrl: string;
  private key: KeyObject | undefined;
  private connection: Promise<Connection> | undefined;
  // Session refresh: one at a time, and never twice in a row for requests refused right after one.
  private renewal: Promise<TokenResponse> | undefined;
  private lastRefreshAt = 0;
  private refreshesSinceAccepted = 0;
  private lastRefreshFailure: CrmError | undefined;
  /** Token requests jsforce asked for on a 401 (counted for the upload whose request it was). */
  private refreshesForJsforce = 0;

  constructor(
    private readonly config: SalesforceConfig,
    private readonly clock: Clock,
  ) {
    if (!/^\d+\.\d$/.test(config.apiVersion)) throw new Error('Salesforce apiVersion must look like 62.0.');
    this.loginUrl = config.loginUrl.replace(/\/+$/, '');
    this.timeoutMs = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.limitRetryAfterSeconds = config.limitRetryAfterSeconds ?? DEFAULT_LIMIT_RETRY_AFTER_SECONDS;
  }

  async uploadPart(part: RecordingPart): Promise<UploadOutcome> {
    checkPart(part);
    const seen: UploadSeen = { calls: { logins: 0, lookups: 0, inserts: 0 } };
    let outcome;
    try {
      outcome = await this.attach(part, seen);
    } catch (error) {
      // A failed upload's requests count against the org's allowance too.
      throw error instanceof CrmError ? error.withCalls(seen.calls) : error;
    }
    return { ...outcome, ...(seen.usage ? { apiUsage: seen.usage } : {}), calls: seen.calls };
  }

  private async attach(part: RecordingPart, seen: UploadSeen): Promise<Attached> {
    const key = partKey(part.recordingId, part.partIndex);
    const stored = part.mayBeThere ? await this.lookup(key, seen) : undefined;
    if (stored) return sameChecksum(stored, await md5Of(part.body));
    try {
      return await this.insert(part, key, seen);
    } catch (error) {
      // Another attempt got there between our look-up and our insert (or an earlier one landed late).
      if (!(error instanceof CrmError) || error.reason !== 'duplicate_value') throw error;
      const other = await this.lookup(key, seen);
      if (!other) throw notAcknowledged('duplicate_not_visible');
      // The bytes were hashed as they were sent, unless Salesforce answered before it had them all.
      return sameChecksum(other, seen.sentMd5Base64 ?? (await md5Of(part.reread())));
    }
  }

  // --- session ---------------------------------------------------------------------------------

  private assertion(): string {
    this.key ??= privateKeyFrom(this.config.privateKeyPem);
    return signAssertion(
      this.key,
      { clientId: this.config.clientId, username: this.config.username, audience: this.loginUrl },
      this.clock.now(),
    );
  }

  /**
   * jsforce is heavy: loaded, and the session opened, on the first call, not at cold start. The
   * login counts for the upload that asked first.
   */
  private connect(seen?: UploadSeen): Promise<Connection> {
    if (!this.connection) {
      if (seen) seen.calls.logins += 1;
      this.connection = this.login().catch((error: unknown) => {
        this.connection = undefined;
        throw error;
      });
    }
    return this.connection;
  }

  private async login(): Promise<Connection> {
    const { Connection } = await import('jsforce');
    const conn = new Connection({
      loginUrl: this.loginUrl,
      ...(this.config.instanceUrl ? { instanceUrl: this.config.instanceUrl } : {}),
      version: this.config.apiVersion,
      logLevel: 'NONE',
      // jsforce calls this on a 401 and replays the request once the callback has a new token.
      refreshFn: (c, callback) => {
        if (!this.renewal) this.refreshesForJsforce += 1;
        this.renewShared(c).then(
          (res) => callback(undefined, res.access_token, res),
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      },
    });
    try {
      await withTimeout(
        conn.authorize({ grant_type: JWT_BEARER_GRANT, assertion: this.assertion() }),
        this.timeoutMs,
      );
    } catch (error) {
      throw this.crmFailure(error);
    }
    return conn;
  }

  /** One token request at a time, shared by jsforce's refreshes and our own uploads. */
  private renewShared(conn: Connection): Promise<TokenResponse> {
    this.renewal ??= this.renew(conn).finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }

  private async renew(conn: Connection): Promise<TokenResponse> {
    if (this.refreshesSinceAccepted > 0 && this.nowMs() - this.lastRefreshAt < REFRESH_LOOP_WINDOW_MS) {
      // The new session was refused too: refreshing again would loop (jsforce would, forever).
      // Give up on this request; the next one may refresh again.
      this.refreshesSinceAccepted = 0;
      throw (this.lastRefreshFailure = mayHeal('invalid_session_id'));
    }
    try {
      const res = await withTimeout(
        conn.oauth2.requestToken({ grant_type: JWT_BEARER_GRANT, assertion: this.assertion() }),
        this.timeoutMs,
      );
      this.refreshesSinceAccepted += 1;
      this.lastRefreshAt = this.nowMs();
      conn.accessToken = res.access_token;
      if (res.instance_url) conn.instanceUrl = res.instance_url;
      this.lastRefreshFailure = undefined;
      return res;
    } catch (error) {
      const failure =
        failureFromJsforce(error, this.limitRetryAfterSeconds) ?? notAcknowledged('refresh_failed');
      throw (this.lastRefreshFailure = failure);
    }
  }

  /** Our own upload got a 401 for a request sent at `sentAt`: refresh unless someone already did. */
  private async refreshAfter(conn: Connection, sentAt: number, seen: UploadSeen): Promise<void> {
    if (!this.renewal && this.lastRefreshAt > sentAt) return;
    if (!this.renewal) seen.calls.logins += 1;
    await this.renewShared(conn);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private accepted() {
    this.refreshesSinceAccepted = 0;
  }

  /** A jsforce error as a CrmError; anything that is not a CRM failure is returned unchanged. */
  private crmFailure(error: unknown): unknown {
    if (error instanceof CrmError) return error;
    if (
      error instanceof Error &&
      error.message.startsWith('Unable to refresh session') &&
      this.lastRefreshFailure
    )
      return this.lastRefreshFailure;
    return failureFromJsforce(error, this.limitRetryAfterSeconds) ?? error;
  }

  // --- the REST API, for the CRM's other ports --------------------------------------------------

  /**
   * One REST API request (`url` relative to `/services/data/vXX.X`) on the shared session, refreshed
   * as uploads' are. No retries inside jsforce: callers are retried by their queue (REC-2).
   */
  apiRequest<T>(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<T> {
    return this.request<T>(method, url, body);
  }

  /** `seen` receives the org's API usage the answer reported, for the upload's outcome. */
  private async request<T>(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    body?: unknown,
    seen?: UploadSeen,
  ): Promise<T> {
    const conn = await this.connect(seen);
    const refreshesBefore = this.refreshesForJsforce;
    const options: HttpRequestOptions = { timeout: this.timeoutMs, retry: { maxRetries: 0 } };
    try {
      const result = await conn.request<T>(
        body === undefined
          ? { method, url }
          : { method, url, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
        options,
      );
      this.accepted();
      return result;
    } catch (error) {
      const failure = this.crmFailure(error);
      if (
        failure instanceof CrmError &&
        failure.reason !== 'invalid_session_id' &&
        failure.reason !== 'timeout'
      )
        this.accepted();
      throw failure;
    } finally {
      // jsforce sends the refused request again after its refresh: a login and one more request.
      const refreshes = this.refreshesForJsforce - refreshesBefore;
      if (seen) {
        seen.calls.logins += refreshes;
        seen.calls.lookups += refreshes;
      }
      const usage = seen && conn.limitInfo?.apiUsage;
      if (seen && usage) seen.usage = { used: usage.used, max: usage.limit };
    }
  }

  // --- look-up ---------------------------------------------------------------------------------

  /** The file stored under `key` (the unique key field), for recordings' parts and voicemails alike. */
  async lookup(key: string, seen: UploadSeen): Promise<StoredPart | undefined> {
    const soql = `SELECT Id, Checksum FROM ContentVersion WHERE ${PART_KEY_FIELD} = '${escapeSoqlString(key)}'`;
    seen.calls.lookups += 1;
    const result = await this.request<QueryResult>(
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
      undefined,
      seen,
    );
    const record = result.records?.[0];
    if (!record) return undefined;
    const { Id, Checksum } = record;
    if (typeof Id !== 'string' || typeof Checksum !== 'string' || !/^[0-9a-f]{32}$/i.test(Checksum))
      throw notAcknowledged('unexpected_answer');
    return { contentVersionId: Id, md5Base64: Buffer.from(Checksum, 'hex').toString('base64') };
  }

  // --- insert ----------------------------------------------------------------------------------

  private insert(part: RecordingPart, key: string, seen: UploadSeen): Promise<Attached> {
    return this.insertFile(
      {
        entityContent: {
          Title: partTitle(part),
          PathOnClient: part.fileName,
          ...(part.description ? { Description: part.description } : {}),
          FirstPublishLocationId: part.crmRecordId,
          [PART_KEY_FIELD]: key,
        },
        fileName: part.fileName,
        sizeBytes: part.sizeBytes,
        body: part.body,
        reread: part.reread,
      },
      seen,
    );
  }

  /**
   * One ContentVersion insert on the shared session, for recordings' parts and the CRM's other files
   * (voicemails): streamed, hashed on the way, sent again once after a session refresh.
   */
  async insertFile(file: FileInsert, seen: UploadSeen, refreshed = false): Promise<Attached> {
    const conn = await this.connect(seen);
    const token = conn.accessToken;
    if (!token) throw permanent('no_session');
    const url = new URL(
      `/services/data/v${this.config.apiVersion}/sobjects/ContentVersion`,
      conn.instanceUrl,
    );
    const sentAt = this.nowMs();
    seen.calls.inserts += 1;
    const answer = await sendMultipart({
      url,
      accessToken: token,
      entityContent: file.entityContent,
      fileName: file.fileName,
      sizeBytes: file.sizeBytes,
      // The first send streams the part it was given; a send after a session refresh needs it anew.
      body: refreshed ? file.reread() : file.body,
      idleTimeoutMs: this.timeoutMs,
    });
    if (answer.md5Base64) seen.sentMd5Base64 = answer.md5Base64;
    const limitInfo = answer.headers['sforce-limit-info'];
    const usage = parseLimitInfo(Array.isArray(limitInfo) ? limitInfo[0] : limitInfo);
    if (usage) seen.usage = usage;

    if (answer.status === 401 && !refreshed) {
      try {
        await this.refreshAfter(conn, sentAt, seen);
      } catch (error) {
        throw this.crmFailure(error);
      }
      return this.insertFile(file, seen, true);
    }
    // Refused again after its refresh: this upload gives up, and the next request may refresh again
    // (otherwise the loop guard in renew would refuse the next attempt's refresh too).
    if (answer.status !== 401 || refreshed) this.accepted();

    const contentType = answer.headers['content-type'];
    if (answer.status >= 200 && answer.status < 300) {
      const id = createdId(answer.body, contentType);
      // Stored, but we cannot tell which record: the next attempt's look-up will find it.
      if (!id || !answer.md5Base64) throw notAcknowledged('unexpected_answer');
      return { status: 'uploaded', contentVersionId: id, md5Base64: answer.md5Base64 };
    }
    const retryAfter = answer.headers['retry-after'];
    throw failureFromAnswer(
      answer.status,
      errorCodeIn(answer.body, contentType),
      parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, this.clock.now()),
      this.limitRetryAfterSeconds,
    );
  }
}

function createdId(body: string, contentType: string | undefined): string | undefined {
  if (!/json/i.test(contentType ?? '')) return undefined;
  try {
    const parsed = JSON.parse(body) as { id?: unknown; success?: unknown };
    return parsed.success !== false && typeof parsed.id === 'string' && SALESFORCE_ID.test(parsed.id)
      ? parsed.id
      : undefined;
  } catch {
    return undefined;
  }
}

/** The base64 MD5 of a stream's bytes, in one pass; a Node.js stream is read without a promise per chunk. */
export async function md5Of(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  const md5 = createHash('md5');
  if (bytes instanceof Readable) {
    bytes.on('data', (chunk: Buffer) => md5.update(chunk));
    await finished(bytes);
  } else for await (const chunk of bytes) md5.update(chunk);
  return md5.digest('base64');
}

export function sameChecksum(stored: StoredPart, md5Base64: string): Attached {
  if (!MD5_BASE64.test(md5Base64) || stored.md5Base64 !== md5Base64) throw permanent('checksum_mismatch');
  return { status: 'already_there', contentVersionId: stored.contentVersionId, md5Base64 };
}
