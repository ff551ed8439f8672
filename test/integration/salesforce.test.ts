import { createHash, generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SalesforceCrm,
  type SalesforceConfig,
} from '../../functions/src/adapters/salesforce/salesforce-crm.js';
import { systemClock } from '../../functions/src/ports/clock.js';
import { CrmError, type RecordingPart } from '../../functions/src/ports/crm.js';
import { recordingBytes } from '../../scripts/stack/recording-bytes.js';
import { startSalesforceServer, type SalesforceServer } from '../../local-servers/salesforce.js';

/**
 * The Salesforce adapter, through the real jsforce, against a local Salesforce-compatible server
 * (local-servers/salesforce.ts): uploads in parts, at most once, and every failure REC-2 names.
 */

const MiB = 1024 * 1024;
const CLIENT_ID = '3MVG9-switchboard-test-consumer-key';
const USERNAME = 'integration@switchboard.example';
const CASE_ID = '500000000000001AAA';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

async function md5Of(chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<Buffer> {
  const md5 = createHash('md5');
  for await (const chunk of chunks) md5.update(chunk);
  return md5.digest();
}

/**
 * A full garbage collection on demand, so that memory samples count what is held, not garbage
 * waiting to be collected (V8 lets tens of MB of dropped chunks pile up between collections).
 */
function garbageCollector(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // Without it, samples include garbage: the measure only gets stricter.
  }
  return () => undefined;
}

let recordingSeq = 0;

/** A part, with the MD5 of its bytes that its source gives when asked. */
type TestPart = RecordingPart & { md5Base64: string };

/** The parts of a recording of `totalBytes`, split every `partBytes` (REC-5). */
async function partsOf(
  totalBytes: number,
  partBytes = 50 * MiB,
  overrides: Partial<TestPart> = {},
): Promise<TestPart[]> {
  recordingSeq += 1;
  const seed = recordingSeq;
  const recordingId = overrides.recordingId ?? `rec-${recordingSeq}`;
  const partCount = Math.max(1, Math.ceil(totalBytes / partBytes));
  const parts: TestPart[] = [];
  for (let i = 0; i < partCount; i++) {
    const start = i * partBytes;
    const end = Math.min(totalBytes, start + partBytes);
    const md5Base64 = (await md5Of(recordingBytes(seed, start, end))).toString('base64');
    const read = () => Readable.from(recordingBytes(seed, start, end), { objectMode: false });
    parts.push({
      recordingId,
      partIndex: i,
      partCount,
      crmRecordId: CASE_ID,
      fileName: `${recordingId}.wav`,
      sizeBytes: end - start,
      // As the worker sends a part whose earlier send may have landed: looked up first.
      mayBeThere: true,
      md5Base64,
      // A stream of its own for each upload of the part, as the worker makes one per attempt.
      get body() {
        return read();
      },
      reread: read,
      ...overrides,
    });
  }
  return parts;
}

async function onePart(bytes = 256 * 1024, overrides: Partial<TestPart> = {}) {
  return (await partsOf(bytes, 50 * MiB, overrides))[0]!;
}

async function crmFailure(promise: Promise<unknown>): Promise<CrmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CrmError);
  return error as CrmError;
}

const hexOf = (md5Base64: string) => Buffer.from(md5Base64, 'base64').toString('hex');

// --- the server and the adapters -----------------------------------------------------------------

let server: SalesforceServer;
let crm: SalesforceCrm;
/** Same org, with a 500 ms time-out, for the requests that never get an answer. */
let impatientCrm: SalesforceCrm;

const configFor = (overrides: Partial<SalesforceConfig> = {}): SalesforceConfig => ({
  loginUrl: server.url,
  clientId: CLIENT_ID,
  username: USERNAME,
  privateKeyPem,
  apiVersion: '62.0',
  requestTimeoutMs: 30_000,
  ...overrides,
});

beforeAll(async () => {
  server = await startSalesforceServer({
    publicKeyPem,
    clientId: CLIENT_ID,
    username: USERNAME,
    apiUsed: 1000,
  });
  crm = new SalesforceCrm(configFor(), systemClock);
  impatientCrm = new SalesforceCrm(configFor({ requestTimeoutMs: 500 }), systemClock);
});

afterAll(async () => {
  await server?.close();
});

const filesOf = (recordingId: string) =>
  server.files().filter((f) => f.Recording_Part_Key__c?.startsWith(`${recordingId}:`));

describe('Salesforce CRM adapter: parts, in order, at most once (REC-1, REC-5, REC-6)', () => {
  it('when a 70 MB recording goes as a 50 MB and a 20 MB part, then the record gets exactly two files in order, with matching checksums and part titles, in flat memory', async () => {
    // Log in and load jsforce first, so that the measure is the upload alone.
    await crm.uploadPart(await onePart(1024));
    const parts = await partsOf(70 * MiB);
    expect(parts.map((p) => p.sizeBytes)).toEqual([50 * MiB, 20 * MiB]);

    const gc = garbageCollector();
    const memory = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = memory();
    let peak = before;
    let samples = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memory());
      samples += 1;
    }, 20);
    const outcomes = [];
    try {
      for (const part of parts) outcomes.push(await crm.uploadPart(part));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, memory());

    expect(outcomes.map((o) => o.status)).toEqual(['uploaded', 'uploaded']);
    const files = filesOf(parts[0]!.recordingId);
    expect(files.map((f) => f.Id)).toEqual(outcomes.map((o) => o.contentVersionId));
    expect(files.map((f) => f.Title)).toEqual([
      `${parts[0]!.recordingId}.wav (part 1 of 2)`,
      `${parts[0]!.recordingId}.wav (part 2 of 2)`,
    ]);
    expect(files.map((f) => f.Checksum)).toEqual(parts.map((p) => hexOf(p.md5Base64)));
    // The MD5 the plan records is that of the bytes sent, hashed on the way.
    expect(outcomes.map((o) => o.md5Base64)).toEqual(parts.map((p) => p.md5Base64));
    expect(files.map((f) => f.ContentSize)).toEqual([50 * MiB, 20 * MiB]);
    expect(files.map((f) => f.Recording_Part_Key__c)).toEqual(
      parts.map((p) => `${p.recordingId}:${p.partIndex}`),
    );
    expect(
      files.every((f) => f.FirstPublishLocationId === CASE_ID && f.PathOnClient === parts[0]!.fileName),
    ).toBe(true);
    expect(files.every((f) => f.apiVersion === '62.0')).toBe(true);
    // Neither the client nor the server (same process) ever held a part.
    expect(samples).toBeGreaterThan(5);
    expect(peak - before).toBeLessThan(32 * MiB);
  });

  it('when a part is sent again, then it is already_there, and the CRM holds one file under its key', async () => {
    let sourceReads = 0;
    const hashed = await onePart();
    const part: TestPart = {
      ...hashed,
      get body() {
        sourceReads += 1;
        return hashed.body;
      },
      reread: () => {
        sourceReads += 1;
        return hashed.reread();
      },
    };
    const first = await crm.uploadPart(part);
    const usageAfterFirst = server.apiUsage();
    // A new part is hashed as it is sent: its source is read once for it, not a second time.
    expect(sourceReads).toBe(1);
    const again = await crm.uploadPart(part);

    expect(first).toEqual({
      status: 'uploaded',
      contentVersionId: first.contentVersionId,
      md5Base64: part.md5Base64,
      apiUsage: usageAfterFirst,
      calls: { logins: 0, lookups: 1, inserts: 1 },
    });
    expect(again).toEqual({
      status: 'already_there',
      contentVersionId: first.contentVersionId,
      md5Base64: part.md5Base64,
      apiUsage: server.apiUsage(),
      calls: { logins: 0, lookups: 1, inserts: 0 },
    });
    // Found there: its source is read once more, to be hashed.
    expect(sourceReads).toBe(2);
    expect(filesOf(part.recordingId)).toHaveLength(1);
    expect(
      filesOf(part.recordingId).map((f) => ({
        key: f.Recording_Part_Key__c,
        contentVersionId: f.Id,
        md5Base64: Buffer.from(f.Checksum, 'hex').toString('base64'),
      })),
    ).toEqual([
      { key: `${part.recordingId}:0`, contentVersionId: first.contentVersionId, md5Base64: part.md5Base64 },
    ]);
  });

  it('when the connection drops after Salesforce stored the part, then it is not_acknowledged, and the retry finds it already_there: one file', async () => {
    const part = await onePart(3 * MiB);
    server.failNext(1, { type: 'dropAfterStore' });

    const dropped = await crmFailure(crm.uploadPart(part));
    expect(dropped.kind).toBe('not_acknowledged');
    expect(dropped.retryable).toBe(true);
    // Stored, but unanswered: the next attempt must look before it sends.
    expect(dropped.outcomeKnown).toBe(false);
    expect(filesOf(part.recordingId)).toHaveLength(1);

    const retried = await crm.uploadPart(part);
    expect(retried).toEqual({
      status: 'already_there',
      contentVersionId: filesOf(part.recordingId)[0]!.Id,
      md5Base64: part.md5Base64,
      apiUsage: server.apiUsage(),
      calls: { logins: 0, lookups: 1, inserts: 0 },
    });
    expect(filesOf(part.recordingId)).toHaveLength(1);
  });

  it('when the look-up misses a part another attempt just stored, then DUPLICATE_VALUE is confirmed by checksum as already_there', async () => {
    const part = await onePart();
    const first = await crm.uploadPart(part);
    server.failNext(1, { type: 'emptyQuery' });

    expect(await crm.uploadPart(part)).toEqual({
      status: 'already_there',
      contentVersionId: first.contentVersionId,
      md5Base64: part.md5Base64,
      apiUsage: server.apiUsage(),
      calls: { logins: 0, lookups: 2, inserts: 1 },
    });
    expect(filesOf(part.recordingId)).toHaveLength(1);
  });

  it('when no earlier send of a part may have landed, then it goes in one request, and a repeat is still refused by its key and found there', async () => {
    const fresh = new SalesforceCrm(configFor(), systemClock);
    const part = await onePart(256 * 1024, { mayBeThere: false });
    const before = server.requests().length;

    const first = await fresh.uploadPart(part);
    const requests = server.requests().slice(before);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /services/oauth2/token',
      'POST /services/data/v62.0/sobjects/ContentVersion',
    ]);
    expect(first).toMatchObject({ status: 'uploaded', calls: { logins: 1, lookups: 0, inserts: 1 } });

    // The plan was wrong (the part had landed): the unique key refuses it, the look-up confirms it.
    const again = await fresh.uploadPart(part);
    expect(again).toMatchObject({
      status: 'already_there',
      contentVersionId: first.contentVersionId,
      calls: { logins: 0, lookups: 1, inserts: 1 },
    });
    expect(filesOf(part.recordingId)).toHaveLength(1);
  });

  it('when the CRM holds the part with another checksum, then the upload fails permanently with checksum_mismatch', async () => {
    const part = await onePart();
    await crm.uploadPart(part);
    const other = { ...(await onePart()), recordingId: part.recordingId, fileName: part.fileName };

    const failure = await crmFailure(crm.uploadPart(other));
    expect(failure.failure).toEqual({ kind: 'permanent', reason: 'checksum_mismatch' });
    expect(filesOf(part.recordingId)).toHaveLength(1);
  });

  it('when the recording id holds quotes and backslashes, then the SOQL look-up escapes them and finds the part', async () => {
    const part = await onePart(1024, { recordingId: `it's a \\"test\\"` });
    expect((await crm.uploadPart(part)).status).toBe('uploaded');
    expect((await crm.uploadPart(part)).status).toBe('already_there');
  });

  it('when the source ends before the announced number of bytes (a short read), then nothing is stored and the failure may heal; more bytes than announced is permanent', async () => {
    const part = await onePart();
    const shorter = { ...part, sizeBytes: part.sizeBytes + 1 };
    const longer = { ...part, sizeBytes: part.sizeBytes - 1 };

    const short = await crmFailure(crm.uploadPart(shorter));
    expect(short.failure).toEqual({ kind: 'not_acknowledged', reason: 'source_ended_early', mayHeal: true });
    expect(short.course).toBe('may_heal');
    expect((await crmFailure(crm.uploadPart(longer))).failure).toEqual({
      kind: 'permanent',
      reason: 'source_size_mismatch',
    });
    expect(filesOf(part.recordingId)).toHaveLength(0);
  });

  it('when the source failed before the upload began (a read begun ahead), then that failure comes back as it is, not as a CRM failure, and nothing is stored', async () => {
    const part = await onePart();
    const lost = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const body = new Readable({ read() {} });
    body.on('error', () => undefined);
    body.destroy(lost);
    await new Promise((resolve) => setImmediate(resolve));

    const failure = await crm.uploadPart({ ...part, body }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBe(lost);
    expect(filesOf(part.recordingId)).toHaveLength(0);
  });
});

describe('Salesforce CRM adapter: failures, retryable exactly as REC-2 says', () => {
  it('when the API limit is reached, then limit_reached, with Retry-After when given, else 300 s', async () => {
    const part = await onePart();
    server.failNext(1, { type: 'limit', retryAfterSeconds: 120 }, 'upload');
    const refused = await crmFailure(crm.uploadPart(part));
    expect(refused.failure).toEqual({
      kind: 'limit_reached',
      reason: 'request_limit_exceeded',
      retryAfterSeconds: 120,
    });
    // The refused insert counts against the org's allowance too: it is told, for the recording's count.
    expect(refused.calls?.inserts).toBe(1);
    expect(refused.outcomeKnown).toBe(true);

    server.failNext(1, { type: 'limit' }, 'query');
    expect((await crmFailure(crm.uploadPart(part))).failure).toEqual({
      kind: 'limit_reached',
      reason: 'request_limit_exceeded',
      retryAfterSeconds: 300,
    });
    expect(filesOf(part.recordingId)).toHaveLength(0);
    expect((await crm.uploadPart(part)).status).toBe('uploaded');
  });

  it('when the session has expired, then the token is refreshed once and the upload succeeds (look-up through jsforce, upload on its own)', async () => {
    const tokens = server.tokensIssued();
    server.failNext(1, { type: 'expired' }, 'query');
    const afterLookupRefresh = await crm.uploadPart(await onePart());
    expect(afterLookupRefresh.status).toBe('uploaded');
    expect(afterLookupRefresh.calls).toEqual({ logins: 1, lookups: 2, inserts: 1 });
    expect(server.tokensIssued()).toBe(tokens + 1);

    server.failNext(1, { type: 'expired' }, 'upload');
    const part = await onePart(2 * MiB);
    const refreshed = await crm.uploadPart(part);
    expect(refreshed.status).toBe('uploaded');
    // The refresh is a login the upload needed; the refused insert is a request of its own.
    expect(refreshed.calls).toEqual({ logins: 1, lookups: 1, inserts: 2 });
    expect(server.tokensIssued()).toBe(tokens + 2);
    expect(filesOf(part.recordingId)).toHaveLength(1);
    expect(filesOf(part.recordingId)[0]!.Checksum).toBe(hexOf(part.md5Base64));
  });

  it('when the session is refused again right after a refresh, then the failure may heal (retried within a budget), and the next call logs in afresh', async () => {
    server.failNext(2, { type: 'expired' }, 'upload');
    const onUpload = await crmFailure(crm.uploadPart(await onePart()));
    expect(onUpload.failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'invalid_session_id',
      mayHeal: true,
    });
    expect(onUpload.course).toBe('may_heal');

    server.failNext(2, { type: 'expired' }, 'query');
    expect((await crmFailure(crm.uploadPart(await onePart()))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'invalid_session_id',
      mayHeal: true,
    });

    expect((await crm.uploadPart(await onePart())).status).toBe('uploaded');
  });

  it('when Salesforce answers with an HTML 503 page, then not_acknowledged, on the upload as on the look-up', async () => {
    const part = await onePart();
    server.failNext(1, { type: 'html503' }, 'upload');
    expect((await crmFailure(crm.uploadPart(part))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'http_503',
    });
    server.failNext(1, { type: 'html503' }, 'query');
    expect((await crmFailure(crm.uploadPart(part))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'http_503',
    });
    expect(filesOf(part.recordingId)).toHaveLength(0);
  });

  it('when Salesforce never answers, then not_acknowledged after the configured time-out, on the upload as on the look-up', async () => {
    const part = await onePart(MiB);
    await impatientCrm.uploadPart(await onePart(1024));

    for (const on of ['upload', 'query'] as const) {
      server.failNext(1, { type: 'hang' }, on);
      const started = Date.now();
      const failure = await crmFailure(impatientCrm.uploadPart(part));
      const elapsed = Date.now() - started;
      expect(failure.failure).toEqual({ kind: 'not_acknowledged', reason: 'timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(5_000);
    }
    expect(filesOf(part.recordingId)).toHaveLength(0);
  });

  it('when the file is too large for Salesforce, then too_large (retryable)', async () => {
    const part = await onePart(4 * MiB);
    server.failNext(1, { type: 'tooLarge' });
    const failure = await crmFailure(crm.uploadPart(part));
    expect(failure.failure).toEqual({ kind: 'too_large', reason: 'request_entity_too_large' });
    expect(failure.retryable).toBe(true);
    expect(filesOf(part.recordingId)).toHaveLength(0);
  });

  it('when the CRM record was deleted, then the failure is permanent', async () => {
    server.failNext(1, { type: 'deletedRecord' });
    const failure = await crmFailure(crm.uploadPart(await onePart()));
    expect(failure.failure).toEqual({ kind: 'permanent', reason: 'entity_is_deleted' });
    expect(failure.retryable).toBe(false);

    const goneCase = '500000000000099AAA';
    server.deleteRecord(goneCase);
    const onGoneCase = await crmFailure(crm.uploadPart(await onePart(1024, { crmRecordId: goneCase })));
    expect(onGoneCase.failure).toEqual({ kind: 'permanent', reason: 'entity_is_deleted' });
  });

  it('when the token endpoint answers invalid_grant for a good assertion (a blip), then the failure may heal, and the next call logs in', async () => {
    const fresh = new SalesforceCrm(configFor(), systemClock);
    server.failNext(1, { type: 'invalidGrant' });
    const blip = await crmFailure(fresh.uploadPart(await onePart()));
    expect(blip.failure).toEqual({ kind: 'not_acknowledged', reason: 'invalid_grant', mayHeal: true });
    expect(blip.retryable).toBe(true);

    const part = await onePart();
    expect((await fresh.uploadPart(part)).status).toBe('uploaded');
    expect(filesOf(part.recordingId)).toHaveLength(1);
  });

  it('when the token endpoint refuses a refresh with invalid_grant, then the failure may heal too', async () => {
    const fresh = new SalesforceCrm(configFor(), systemClock);
    await fresh.uploadPart(await onePart(1024));
    server.failNext(1, { type: 'expired' }, 'upload');
    server.failNext(1, { type: 'invalidGrant' });
    expect((await crmFailure(fresh.uploadPart(await onePart()))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'invalid_grant',
      mayHeal: true,
    });
  });

  it("when the private key is not the connected app's, then the login fails with invalid_grant, which may heal until its budget is spent", async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const wrongKey = new SalesforceCrm(
      configFor({ privateKeyPem: stranger.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      systemClock,
    );
    expect((await crmFailure(wrongKey.uploadPart(await onePart()))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'invalid_grant',
      mayHeal: true,
    });
  });

  it('when the clock the adapter is given runs ten minutes behind, then its assertions have expired on arrival and the login is refused', async () => {
    const behind = { now: () => new Date(Date.now() - 10 * 60_000) };
    const late = new SalesforceCrm(configFor(), behind);
    expect((await crmFailure(late.uploadPart(await onePart()))).failure).toEqual({
      kind: 'not_acknowledged',
      reason: 'invalid_grant',
      mayHeal: true,
    });
  });

  it("when Salesforce reports its API usage, then each upload's outcome carries the latest Sforce-Limit-Info", async () => {
    const part = await onePart();
    const uploaded = await crm.uploadPart(part);
    expect(uploaded.apiUsage).toEqual(server.apiUsage());
    expect(uploaded.apiUsage!.max).toBe(15_000);

    const again = await crm.uploadPart(part);
    expect(again.status).toBe('already_there');
    expect(again.apiUsage).toEqual(server.apiUsage());
    expect(again.apiUsage!.used).toBeGreaterThan(uploaded.apiUsage!.used);
  });
});
