/**
 * A small Salesforce-compatible HTTP server for tests: just what the Salesforce CRM adapter and
 * jsforce 3 use, spoken the way Salesforce speaks it.
 *
 * - `POST /services/oauth2/token`, JWT bearer grant only: the assertion's RS256 signature is checked
 *   against the configured public key, and `iss` (client id), `sub` (username), `aud` (this
 *   server's URL, as the login URL) and `exp` (in the future, at most 5 minutes ahead) too.
 * - `GET /services/data/vXX.X/query?q=…`: SOQL, only `SELECT <fields> FROM ContentVersion WHERE
 *   Recording_Part_Key__c = '<escaped>'` (the adapter's look-up), anything else is MALFORMED_QUERY.
 * - `POST /services/data/vXX.X/sobjects/ContentVersion`: multipart/form-data (`entity_content`
 *   JSON first, `VersionData` second), parsed as it streams in: the file's MD5 and size are computed
 *   on the fly and the bytes are dropped, so gigabytes pass through in constant memory. Stored
 *   versions live in memory; `Recording_Part_Key__c` is unique (DUPLICATE_VALUE on a repeat).
 *
 * - Contacts and Cases, for anonymous consumers: `POST /sobjects/Contact` (External ID
 *   `Switchboard_Consumer_Key__c`, unique), `PATCH /sobjects/Case/Switchboard_Session_Key__c/<key>`
 *   (upsert by external id), `PATCH /sobjects/Case/<id>`, `PATCH /composite/sobjects` (sObject
 *   Collections update), `POST /composite` (sub-requests in order, `@{ref.id}` references,
 *   `allOrNone`), and SOQL `SELECT <fields> FROM Contact|Case WHERE <key field> = '<escaped>'`.
 *
 * Every API answer carries `Sforce-Limit-Info: api-usage=used/max`; every API request counts one
 * (a composite request counts one, as in Salesforce). `failNext` injects the failures the adapters
 * must survive, on files (`upload`) and on contacts and cases (`write`) alike; the same is reachable
 * over HTTP at `/__control/faults` (not Salesforce: for people trying the local stack), with the org's
 * API usage. Not modelled: versions of a document, sharing, other objects, SOQL beyond those shapes,
 * the Bulk and SOAP APIs.
 */
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SalesforceFault =
  /** 403 REQUEST_LIMIT_EXCEEDED, with `Retry-After` when `retryAfterSeconds` is given. */
  | { type: 'limit'; retryAfterSeconds?: number }
  /** 401 INVALID_SESSION_ID; every access token issued so far stops working. */
  | { type: 'expired' }
  /** 503 with an HTML maintenance page. */
  | { type: 'html503' }
  /** Reads the request, never answers (until the server closes). */
  | { type: 'hang' }
  /** Upload or write: stores the file (or makes the change), then destroys the socket without answering. */
  | { type: 'dropAfterStore' }
  /** Upload only: 413 Request Entity Too Large. */
  | { type: 'tooLarge' }
  /** Upload only: 400 ENTITY_IS_DELETED (the record the file goes to was deleted). */
  | { type: 'deletedRecord' }
  /** Query only: answers no records even if one matches (a look-up racing another insert). */
  | { type: 'emptyQuery' }
  /**
   * Token endpoint only: 400 `invalid_grant` "authentication failure" for a valid assertion, as
   * Salesforce answers now and then under load or in an incident.
   */
  | { type: 'invalidGrant' }
  /**
   * Upload: once the request is in, waits for `until()` (called for each request it applies to),
   * then stores and answers as usual: a slow CRM, paced by a test.
   */
  | { type: 'late'; until: () => Promise<unknown> };

/** `token` is the OAuth token endpoint, reached only by faults aimed at it (never by `any`). */
export type FaultTarget = 'any' | 'query' | 'upload' | 'write' | 'token';

export interface StoredContentVersion {
  Id: string;
  ContentDocumentId: string;
  Title: string;
  PathOnClient: string;
  Description: string | null;
  FirstPublishLocationId: string | null;
  Recording_Part_Key__c: string | null;
  /** Hex MD5 of the file, as Salesforce computes it. */
  Checksum: string;
  ContentSize: number;
  CreatedDate: string;
  /** The REST API version of the request that created it. */
  apiVersion: string;
}

export interface StoredContact {
  Id: string;
  FirstName: string | null;
  LastName: string;
  Switchboard_Consumer_Key__c: string | null;
  CreatedDate: string;
}

export interface StoredCase {
  Id: string;
  ContactId: string | null;
  Subject: string | null;
  Origin: string | null;
  Switchboard_Session_Key__c: string | null;
  CreatedDate: string;
}

export interface SalesforceServerOptions {
  /** PEM of the connected app's certificate or public key: assertions are verified with it. */
  publicKeyPem: string;
  clientId: string;
  /** The one user who may log in. */
  username: string;
  /** The org's daily API limit, reported in Sforce-Limit-Info (default 15000). */
  apiLimit?: number;
  /** API requests already counted today (default 0). */
  apiUsed?: number;
  host?: string;
  port?: number;
}

export interface SalesforceServer {
  /** Both the login URL (the JWT audience) and the instance URL. */
  url: string;
  /** The next `count` matching requests fail with `fault` (the token endpoint only with `token` faults). */
  failNext(count: number, fault: SalesforceFault, on?: FaultTarget): void;
  /** Forgets the faults not injected yet. */
  clearFaults(): void;
  /** Stored ContentVersions, in creation order. */
  files(): StoredContentVersion[];
  /** Stored Contacts and Cases, in creation order. */
  contacts(): StoredContact[];
  cases(): StoredCase[];
  /** Marks a record (a Case…) as deleted: files attached to it are refused with ENTITY_IS_DELETED. */
  deleteRecord(recordId: string): void;
  apiUsage(): { used: number; max: number };
  /** Access tokens issued so far (the first login, then every refresh). */
  tokensIssued(): number;
  /** Method and path (without query string) of every request, in arrival order. */
  requests(): { method: string; path: string }[];
  /**
   * Moves this org's clock forward (never back): the login assertions it accepts and the dates it
   * writes follow the local stack when that is moved forward in time.
   */
  advanceTime(ms: number): void;
  close(): Promise<void>;
}

/**
 * How each fault the server knows is described over HTTP, checked by the type: a fault type added to
 * `SalesforceFault` does not compile until it is described here (or said to be in-process only, null),
 * so the control route takes every one a request can describe.
 */
type FaultReader = {
  [K in SalesforceFault['type']]:
    ((params: ReadonlyMap<string, unknown>) => Extract<SalesforceFault, { type: K }> | string) | null;
};

/** A fault with no parameters: anything besides its type is a mistake worth naming. */
const bare =
  <K extends SalesforceFault['type']>(type: K) =>
  (params: ReadonlyMap<string, unknown>) =>
    params.size > 0
      ? `fault ${type} takes no parameters, got ${[...params.keys()].join(', ')}`
      : ({ type } as Extract<SalesforceFault, { type: K }>);

const FAULT_READERS: FaultReader = {
  limit: (params) => {
    const { retryAfterSeconds, ...rest } = Object.fromEntries(params) as { retryAfterSeconds?: unknown };
    if (Object.keys(rest).length > 0)
      return `fault limit takes only retryAfterSeconds, got ${Object.keys(rest).join(', ')}`;
    if (retryAfterSeconds === undefined) return { type: 'limit' };
    if (
      !Number.isInteger(retryAfterSeconds) ||
      (retryAfterSeconds as number) < 0 ||
      (retryAfterSeconds as number) > 86_400
    )
      return 'retryAfterSeconds must be a whole number of seconds from 0 to 86400';
    return { type: 'limit', retryAfterSeconds: retryAfterSeconds as number };
  },
  expired: bare('expired'),
  html503: bare('html503'),
  hang: bare('hang'),
  dropAfterStore: bare('dropAfterStore'),
  tooLarge: bare('tooLarge'),
  deletedRecord: bare('deletedRecord'),
  emptyQuery: bare('emptyQuery'),
  invalidGrant: bare('invalidGrant'),
  // Paced by a function in the test's own process: nothing a request body can describe.
  late: null,
};
const FAULTS = new Map(
  Object.entries(FAULT_READERS).flatMap(([type, read]) =>
    read ? [[type, read as NonNullable<FaultReader[SalesforceFault['type']]>] as const] : [],
  ),
);
// Not `token`: the one fault for the token endpoint (invalidGrant) goes there by itself.
const FAULT_TARGETS = {
  any: true,
  query: true,
  upload: true,
  write: true,
} satisfies Record<Exclude<FaultTarget, 'token'>, true>;
const TARGETS = new Map<string, FaultTarget>(
  (Object.keys(FAULT_TARGETS) as (keyof typeof FAULT_TARGETS)[]).map((target) => [target, target]),
);
/** At most this many requests fail from one injection, and this many injections wait at once. */
const MAX_FAULT_COUNT = 1000;
const MAX_PENDING_FAULTS = 100;

/**
 * The body of `POST /__control/faults`: `{"count": 2, "fault": "html503", "on": "upload"}`, the fault
 * as its type alone or as `{"type": "limit", "retryAfterSeconds": 30}`; `on` is optional.
 */
export function readFaultRequest(
  body: unknown,
): { count: number; fault: SalesforceFault; on?: FaultTarget } | { problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { problem: 'the body must be a JSON object: {"count": 1, "fault": "html503", "on": "upload"}' };
  const fields = new Map(Object.entries(body));
  const unknown = [...fields.keys()].filter((k) => k !== 'count' && k !== 'fault' && k !== 'on');
  if (unknown.length > 0) return { problem: `unknown fields: ${unknown.join(', ')}` };
  const count = fields.get('count');
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_FAULT_COUNT)
    return { problem: `count must be a whole number from 1 to ${MAX_FAULT_COUNT}` };
  const described = fields.get('fault');
  const params = new Map(
    typeof described === 'object' && described !== null && !Array.isArray(described)
      ? Object.entries(described)
      : [],
  );
  const type = typeof described === 'string' ? described : params.get('type');
  params.delete('type');
  const read = typeof type === 'string' ? FAULTS.get(type) : undefined;
  if (!read)
    return {
      problem: `fault must be one of ${[...FAULTS.keys()].join(', ')} (alone, or as {"type": …} with its parameters)`,
    };
  const fault = read(params);
  if (typeof fault === 'string') return { problem: fault };
  const on = fields.get('on');
  if (on === undefined) return { count: count as number, fault };
  const target = typeof on === 'string' ? TARGETS.get(on) : undefined;
  if (!target) return { problem: `on must be one of ${[...TARGETS.keys()].join(', ')}` };
  return { count: count as number, fault, on: target };
}

type ApiKind = 'query' | 'upload' | 'write' | 'other' | 'token';

const UPLOAD_ONLY = new Set<SalesforceFault['type']>(['dropAfterStore', 'tooLarge', 'deletedRecord', 'late']);

const ORG_ID = '00D000000000001AAA';
const USER_ID = '005000000000001AAA';
const QUERYABLE = new Set([
  'Id',
  'ContentDocumentId',
  'Title',
  'PathOnClient',
  'Description',
  'FirstPublishLocationId',
  'Recording_Part_Key__c',
  'Checksum',
  'ContentSize',
  'CreatedDate',
]);

export async function startSalesforceServer(options: SalesforceServerOptions): Promise<SalesforceServer> {
  const org = new FakeOrg(options);
  const server = createServer((req, res) => {
    org.handle(req, res).catch((error: unknown) => {
      console.error('salesforce-server: unexpected error', error);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  org.url = `http://${address}:${port}`;
  return {
    url: org.url,
    failNext: (count, fault, on) => org.failNext(count, fault, on),
    clearFaults: () => org.clearFaults(),
    files: () => org.versions.map((v) => ({ ...v })),
    contacts: () => [...org.records.contacts.values()].map((c) => ({ ...c })),
    cases: () => [...org.records.cases.values()].map((c) => ({ ...c })),
    deleteRecord: (id) => void org.deletedRecords.add(id),
    apiUsage: () => ({ used: org.used, max: org.max }),
    tokensIssued: () => org.issued,
    requests: () => org.log.map((r) => ({ ...r })),
    advanceTime: (ms) => org.advanceTime(ms),
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

class FakeOrg {
  url = '';
  readonly versions: StoredContentVersion[] = [];
  records = { contacts: new Map<string, StoredContact>(), cases: new Map<string, StoredCase>() };
  readonly deletedRecords = new Set<string>();
  readonly log: { method: string; path: string }[] = [];
  used: number;
  readonly max: number;
  issued = 0;
  private readonly publicKey: KeyObject;
  private readonly tokens = new Set<string>();
  private readonly faults: { fault: SalesforceFault; on: FaultTarget; remaining: number }[] = [];
  private sequence = 0;
  private skippedMs = 0;

  constructor(private readonly options: SalesforceServerOptions) {
    this.publicKey = createPublicKey(options.publicKeyPem);
    this.used = options.apiUsed ?? 0;
    this.max = options.apiLimit ?? 15_000;
  }

  failNext(count: number, fault: SalesforceFault, on?: FaultTarget) {
    const target =
      fault.type === 'invalidGrant'
        ? 'token'
        : (on ?? (UPLOAD_ONLY.has(fault.type) ? 'upload' : fault.type === 'emptyQuery' ? 'query' : 'any'));
    this.faults.push({ fault, on: target, remaining: count });
  }

  clearFaults() {
    this.faults.length = 0;
  }

  advanceTime(ms: number) {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new Error('time moves forward by a whole number of ms');
    this.skippedMs += ms;
  }

  private now(): number {
    return Date.now() + this.skippedMs;
  }

  /** `/__control/faults`: what the tests do with `failNext`, for people driving the local stack. */
  private async control(req: IncomingMessage, res: ServerResponse) {
    const state = () => ({
      pending: this.faults.map(({ fault, on, remaining }) => ({ fault, on, remaining })),
      apiUsage: { used: this.used, max: this.max },
      tokensIssued: this.issued,
    });
    const problem = (status: number, message: string) =>
      sendJson(res, status, {
        error: { code: status === 405 ? 'method_not_allowed' : 'invalid_request', message },
      });
    if (req.method === 'GET') return drainThen(req, () => sendJson(res, 200, state()));
    if (req.method === 'DELETE')
      return drainThen(req, () => (this.clearFaults(), sendJson(res, 200, state())));
    if (req.method !== 'POST') return drainThen(req, () => problem(405, 'GET, POST or DELETE'));
    const text = await readSmallBody(req, 16 * 1024);
    if (text === undefined) return problem(413, 'the body must be at most 16 KiB');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, 'the body is not JSON');
    }
    const request = readFaultRequest(body);
    if ('problem' in request) return problem(400, request.problem);
    if (this.faults.length >= MAX_PENDING_FAULTS)
      return problem(409, `at most ${MAX_PENDING_FAULTS} injections wait at once: DELETE them first`);
    this.failNext(request.count, request.fault, request.on);
    return sendJson(res, 201, state());
  }

  private takeFault(kind: ApiKind): SalesforceFault | undefined {
    const entry = this.faults.find(
      (f) => f.remaining > 0 && (f.on === kind || (f.on === 'any' && kind !== 'token')),
    );
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.faults.splice(this.faults.indexOf(entry), 1);
    return entry.fault;
  }

  async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Not Salesforce, and not counted as a request to it.
    if (url.pathname === '/__control/faults') return this.control(req, res);
    this.log.push({ method: req.method ?? '', path: url.pathname });

    if (url.pathname === '/services/oauth2/token' && req.method === 'POST') return this.token(req, res);
    // Not Salesforce: a look at what arrived, for people trying the local stack.
    if (url.pathname === '/local/files' && req.method === 'GET')
      return drainThen(req, () => sendJson(res, 200, this.versions));

    const api = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(url.pathname);
    if (!api) return drainThen(req, () => sendJson(res, 404, [notFoundError()]));
    const [, version, rest] = api as unknown as [string, string, string];
    const kind: ApiKind =
      req.method === 'GET' && rest === '/query'
        ? 'query'
        : req.method === 'POST' && rest === '/sobjects/ContentVersion'
          ? 'upload'
          : isWrite(req.method ?? '', rest)
            ? 'write'
            : 'other';

    // An upload is judged once its body is in: a request its client gave up on midway is never
    // answered, counted, nor handed a fault meant for the next request.
    let upload: ReceivedUpload | undefined;
    if (kind === 'upload') {
      upload = await receiveUpload(req);
      if (!upload) return;
    }
    let written: string | undefined;
    if (kind === 'write') {
      written = await readSmallBody(req, 1024 * 1024);
      if (written === undefined)
        return sendJson(res, 413, [{ message: 'too large', errorCode: 'JSON_PARSER_ERROR' }]);
    }

    this.used += 1;
    res.setHeader('Sforce-Limit-Info', `api-usage=${this.used}/${this.max}`);

    let fault = this.takeFault(kind);
    if (fault?.type === 'late') {
      await fault.until();
      fault = undefined;
    }
    if (fault && fault.type !== 'emptyQuery' && fault.type !== 'dropAfterStore')
      return this.fail(req, res, fault);

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.tokens.has(token))
      return drainThen(req, () =>
        sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]),
      );

    if (kind === 'query') return this.query(url, version, res, fault?.type === 'emptyQuery');
    if (upload) return this.createContentVersion(req, res, version, upload, fault?.type === 'dropAfterStore');
    if (written !== undefined) {
      const answer = this.write(req.method ?? '', version, rest, written);
      if (fault?.type === 'dropAfterStore') return void req.socket.destroy();
      return sendJson(res, answer.status, answer.body);
    }
    return drainThen(req, () => sendJson(res, 404, [notFoundError()]));
  }

  private fail(req: IncomingMessage, res: ServerResponse, fault: SalesforceFault) {
    switch (fault.type) {
      case 'limit':
        if (fault.retryAfterSeconds !== undefined)
          res.setHeader('Retry-After', String(fault.retryAfterSeconds));
        return drainThen(req, () =>
          sendJson(res, 403, [
            { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
          ]),
        );
      case 'expired':
        this.tokens.clear();
        return drainThen(req, () =>
          sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]),
        );
      case 'html503':
        return drainThen(req, () => {
          res.writeHead(503, { 'Content-Type': 'text/html' });
          res.end(
            '<html><head><title>Service Unavailable</title></head><body>Down for maintenance</body></html>',
          );
        });
      case 'hang':
        req.resume();
        return;
      case 'tooLarge':
        return drainThen(req, () =>
          sendJson(res, 413, [
            { message: 'Request Entity Too Large', errorCode: 'REQUEST_ENTITY_TOO_LARGE' },
          ]),
        );
      case 'deletedRecord':
        return drainThen(req, () =>
          sendJson(res, 400, [{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }]),
        );
      default:
        throw new Error(`fault ${fault.type} is not answered here`);
    }
  }

  // --- OAuth ---------------------------------------------------------------------------------

  private async token(req: IncomingMessage, res: ServerResponse) {
    const body = await readSmallBody(req, 64 * 1024);
    if (body === undefined) return sendJson(res, 413, { error: 'invalid_request' });
    const params = new URLSearchParams(body);
    if (params.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return sendJson(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'grant type not supported',
      });
    const problem = this.checkAssertion(params.get('assertion') ?? '');
    if (problem) return sendJson(res, 400, problem);
    if (this.takeFault('token')?.type === 'invalidGrant')
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'authentication failure' });

    const accessToken = `${ORG_ID}!${randomBytes(24).toString('base64url')}`;
    this.tokens.add(accessToken);
    this.issued += 1;
    return sendJson(res, 200, {
      access_token: accessToken,
      scope: 'api',
      instance_url: this.url,
      id: `${this.url}/id/${ORG_ID}/${USER_ID}`,
      token_type: 'Bearer',
      issued_at: String(this.now()),
    });
  }

  private checkAssertion(assertion: string): { error: string; error_description: string } | undefined {
    const invalid = (description: string) => ({ error: 'invalid_grant', error_description: description });
    const parts = assertion.split('.');
    if (parts.length !== 3) return invalid('invalid assertion');
    const [header, payload, signature] = parts as [string, string, string];
    let alg: unknown;
    let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown };
    try {
      alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return invalid('invalid assertion');
    }
    if (alg !== 'RS256') return invalid('invalid assertion');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      this.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return invalid('invalid assertion');
    if (claims.iss !== this.options.clientId)
      return { error: 'invalid_client_id', error_description: 'client identifier invalid' };
    if (claims.aud !== this.url) return invalid('audience is invalid');
    const now = Math.floor(this.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + 300)
      return invalid('expired authorization code');
    if (claims.sub !== this.options.username) return invalid('user hasn\u2019t approved this consumer');
    return undefined;
  }

  // --- SOQL ----------------------------------------------------------------------------------

  private query(url: URL, version: string, res: ServerResponse, pretendEmpty: boolean) {
    const soql = url.searchParams.get('q') ?? '';
    const record =
      /^SELECT\s+(.+?)\s+FROM\s+(Contact|Case)\s+WHERE\s+(Switchboard_Consumer_Key__c|Switchboard_Session_Key__c)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/i.exec(
        soql,
      );
    if (record) return this.queryRecords(record, version, res, pretendEmpty);
    const m =
      /^SELECT\s+(.+?)\s+FROM\s+ContentVersion\s+WHERE\s+Recording_Part_Key__c\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/i.exec(
        soql,
      );
    if (!m) return sendJson(res, 400, [{ message: 'unexpected token', errorCode: 'MALFORMED_QUERY' }]);
    const fields = m[1]!.split(',').map((f) => f.trim());
    const unknown = fields.find((f) => !QUERYABLE.has(f));
    if (unknown)
      return sendJson(res, 400, [{ message: `No such column '${unknown}'`, errorCode: 'INVALID_FIELD' }]);
    const key = unescapeSoql(m[2]!);
    const matches = pretendEmpty ? [] : this.versions.filter((v) => v.Recording_Part_Key__c === key);
    return sendJson(res, 200, {
      totalSize: matches.length,
      done: true,
      records: matches.map((v) => ({
        attributes: {
          type: 'ContentVersion',
          url: `/services/data/v${version}/sobjects/ContentVersion/${v.Id}`,
        },
        ...Object.fromEntries(fields.map((f) => [f, v[f as keyof StoredContentVersion]])),
      })),
    });
  }

  private queryRecords(m: RegExpExecArray, version: string, res: ServerResponse, pretendEmpty: boolean) {
    const [, fieldList, object, keyField, literal] = m as unknown as [string, string, string, string, string];
    const table: Map<string, StoredContact | StoredCase> =
      object === 'Contact' ? this.records.contacts : this.records.cases;
    const known = object === 'Contact' ? CONTACT_FIELDS : CASE_FIELDS;
    const fields = fieldList.split(',').map((f) => f.trim());
    const unknown = [keyField, ...fields].find((f) => !known.has(f));
    if (unknown)
      return sendJson(res, 400, [{ message: `No such column '${unknown}'`, errorCode: 'INVALID_FIELD' }]);
    const key = unescapeSoql(literal);
    const matches = pretendEmpty
      ? []
      : [...table.values()].filter((r) => (r as unknown as Record<string, unknown>)[keyField] === key);
    return sendJson(res, 200, {
      totalSize: matches.length,
      done: true,
      records: matches.map((r) => ({
        attributes: { type: object, url: `/services/data/v${version}/sobjects/${object}/${r.Id}` },
        ...Object.fromEntries(fields.map((f) => [f, (r as unknown as Record<string, unknown>)[f]])),
      })),
    });
  }

  // --- Contacts and Cases ----------------------------------------------------------------------

  /** One write request (a composite one included): its status and body, as Salesforce answers. */
  private write(method: string, version: string, rest: string, text: string): Answer {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, body: [{ message: 'JSON is not valid', errorCode: 'JSON_PARSER_ERROR' }] };
    }
    if (method === 'POST' && rest === '/composite') return this.composite(version, body);
    if (method === 'PATCH' && rest === '/composite/sobjects') return this.updateCollection(body);
    return this.writeOne(method, rest, body);
  }

  private writeOne(method: string, rest: string, body: unknown): Answer {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { status: 400, body: [{ message: 'an object is expected', errorCode: 'JSON_PARSER_ERROR' }] };
    if (method === 'POST' && rest === '/sobjects/Contact') return this.createContact(fields);
    const upsert = /^\/sobjects\/Case\/Switchboard_Session_Key__c\/([^/]+)$/.exec(rest);
    if (method === 'PATCH' && upsert) return this.upsertCase(decodeURIComponent(upsert[1]!), fields);
    const update = /^\/sobjects\/Case\/([a-zA-Z0-9]{15,18})$/.exec(rest);
    if (method === 'PATCH' && update) return this.updateCase(update[1]!, fields);
    return { status: 404, body: [notFoundError()] };
  }

  private createContact(fields: Record<string, unknown>): Answer {
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
    const lastName = text('LastName');
    if (!lastName)
      return {
        status: 400,
        body: [
          {
            message: 'Required fields are missing: [LastName]',
            errorCode: 'REQUIRED_FIELD_MISSING',
            fields: ['LastName'],
          },
        ],
      };
    const key = text('Switchboard_Consumer_Key__c');
    const existing =
      key === null
        ? undefined
        : [...this.records.contacts.values()].find((c) => c.Switchboard_Consumer_Key__c === key);
    if (existing)
      return {
        status: 400,
        body: [
          {
            message: `duplicate value found: Switchboard_Consumer_Key__c duplicates value on record with id: ${existing.Id}`,
            errorCode: 'DUPLICATE_VALUE',
            fields: [],
          },
        ],
      };
    this.sequence += 1;
    const contact: StoredContact = {
      Id: salesforceId('003', this.sequence),
      FirstName: text('FirstName'),
      LastName: lastName,
      Switchboard_Consumer_Key__c: key,
      CreatedDate: new Date(this.now()).toISOString(),
    };
    this.records.contacts.set(contact.Id, contact);
    return { status: 201, body: { id: contact.Id, success: true, errors: [] } };
  }

  private caseProblem(fields: Record<string, unknown>): Answer | undefined {
    const contactId = fields.ContactId;
    if (contactId !== undefined && (typeof contactId !== 'string' || !this.records.contacts.has(contactId)))
      return {
        status: 400,
        body: [
          {
            message: 'invalid cross reference id',
            errorCode: 'INVALID_CROSS_REFERENCE_KEY',
            fields: ['ContactId'],
          },
        ],
      };
    if (typeof contactId === 'string' && this.deletedRecords.has(contactId))
      return {
        status: 400,
        body: [{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }],
      };
    return undefined;
  }

  private upsertCase(key: string, fields: Record<string, unknown>): Answer {
    const problem = this.caseProblem(fields);
    if (problem) return problem;
    const existing = [...this.records.cases.values()].find((c) => c.Switchboard_Session_Key__c === key);
    if (existing) {
      const updated = this.updateCase(existing.Id, fields);
      return updated.status === 204
        ? { status: 200, body: { id: existing.Id, success: true, errors: [], created: false } }
        : updated;
    }
    this.sequence += 1;
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
    const stored: StoredCase = {
      Id: salesforceId('500', this.sequence),
      ContactId: text('ContactId'),
      Subject: text('Subject'),
      Origin: text('Origin'),
      Switchboard_Session_Key__c: key,
      CreatedDate: new Date(this.now()).toISOString(),
    };
    this.records.cases.set(stored.Id, stored);
    return { status: 201, body: { id: stored.Id, success: true, errors: [], created: true } };
  }

  private updateCase(id: string, fields: Record<string, unknown>): Answer {
    const stored = this.records.cases.get(id);
    if (!stored || this.deletedRecords.has(id))
      return {
        status: stored ? 400 : 404,
        body: [
          stored
            ? { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }
            : notFoundError(),
        ],
      };
    const problem = this.caseProblem(fields);
    if (problem) return problem;
    for (const name of ['ContactId', 'Subject', 'Origin'] as const)
      if (typeof fields[name] === 'string') stored[name] = fields[name] as string;
    return { status: 204, body: null };
  }

  /** sObject Collections update: `{allOrNone, records: [{attributes: {type}, id, …fields}]}`. */
  private updateCollection(body: unknown): Answer {
    const { allOrNone, records } = (body ?? {}) as { allOrNone?: unknown; records?: unknown };
    if (!Array.isArray(records) || records.length === 0 || records.length > 200)
      return { status: 400, body: [{ message: 'records: 1 to 200 expected', errorCode: 'INVALID_FIELD' }] };
    const before = this.snapshot();
    const results = records.map((record: unknown) => {
      const { attributes, id, ...fields } = (record ?? {}) as {
        attributes?: { type?: unknown };
        id?: unknown;
      };
      if (attributes?.type !== 'Case' || typeof id !== 'string')
        return {
          id: null,
          success: false,
          errors: [{ statusCode: 'INVALID_FIELD', message: 'a Case id is expected', fields: [] }],
        };
      const answer = this.updateCase(id, fields as Record<string, unknown>);
      if (answer.status === 204) return { id, success: true, errors: [] };
      const code = errorCodeIn(answer.body) ?? 'UNKNOWN_EXCEPTION';
      return { id, success: false, errors: [{ statusCode: code, message: code.toLowerCase(), fields: [] }] };
    });
    if (allOrNone === true && results.some((r) => !r.success)) {
      this.records = before;
      return {
        status: 200,
        body: results.map((r) =>
          r.success
            ? {
                id: r.id,
                success: false,
                errors: [
                  {
                    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                    message:
                      'Record rolled back because not all records were valid and the request was using AllOrNone header',
                    fields: [],
                  },
                ],
              }
            : r,
        ),
      };
    }
    return { status: 200, body: results };
  }

  /** Composite: sub-requests in order, each may refer to an earlier one's id as `@{referenceId.id}`. */
  private composite(version: string, body: unknown): Answer {
    const { allOrNone, compositeRequest } = (body ?? {}) as {
      allOrNone?: unknown;
      compositeRequest?: unknown;
    };
    if (!Array.isArray(compositeRequest) || compositeRequest.length === 0 || compositeRequest.length > 25)
      return {
        status: 400,
        body: [{ message: 'compositeRequest: 1 to 25 expected', errorCode: 'INVALID_FIELD' }],
      };
    const before = this.snapshot();
    const ids = new Map<string, string>();
    const answers: { body: unknown; httpHeaders: object; httpStatusCode: number; referenceId: string }[] = [];
    let failed = false;
    for (const sub of compositeRequest as {
      method?: unknown;
      url?: unknown;
      referenceId?: unknown;
      body?: unknown;
    }[]) {
      const referenceId = typeof sub.referenceId === 'string' ? sub.referenceId : '';
      if (failed && allOrNone === true) {
        answers.push({
          body: [
            {
              errorCode: 'PROCESSING_HALTED',
              message:
                'The transaction was rolled back since another operation in the same transaction failed.',
            },
          ],
          httpHeaders: {},
          httpStatusCode: 400,
          referenceId,
        });
        continue;
      }
      const prefix = `/services/data/v${version}`;
      const url =
        typeof sub.url === 'string' && sub.url.startsWith(prefix) ? sub.url.slice(prefix.length) : '';
      const resolved = JSON.parse(
        JSON.stringify(sub.body ?? {}).replace(
          /@\{([A-Za-z0-9_]+)\.id\}/g,
          (whole, ref: string) => ids.get(ref) ?? whole,
        ),
      ) as unknown;
      const answer = this.writeOne(typeof sub.method === 'string' ? sub.method : '', url, resolved);
      const id = answer.status < 300 ? (answer.body as { id?: unknown } | null)?.id : undefined;
      if (typeof id === 'string') ids.set(referenceId, id);
      if (answer.status >= 300) failed = true;
      answers.push({ body: answer.body, httpHeaders: {}, httpStatusCode: answer.status, referenceId });
    }
    if (failed && allOrNone === true) {
      this.records = before;
      for (const a of answers)
        if (a.httpStatusCode < 300) {
          a.httpStatusCode = 400;
          a.body = [
            {
              errorCode: 'PROCESSING_HALTED',
              message:
                'The transaction was rolled back since another operation in the same transaction failed.',
            },
          ];
        }
    }
    return { status: 200, body: { compositeResponse: answers } };
  }

  private snapshot() {
    const copy = <T extends object>(m: Map<string, T>) => new Map([...m].map(([k, v]) => [k, { ...v }]));
    return { contacts: copy(this.records.contacts), cases: copy(this.records.cases) };
  }

  // --- ContentVersion insert -------------------------------------------------------------------

  private createContentVersion(
    req: IncomingMessage,
    res: ServerResponse,
    version: string,
    upload: ReceivedUpload,
    dropAfterStore: boolean,
  ) {
    if ('error' in upload) return sendJson(res, upload.error.status, [upload.error.body]);
    const { entity, file } = upload;

    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(entity.toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, [{ message: 'entity_content is not JSON', errorCode: 'JSON_PARSER_ERROR' }]);
    }
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
    const pathOnClient = text('PathOnClient');
    if (!pathOnClient)
      return sendJson(res, 400, [
        {
          message: 'Required fields are missing: [PathOnClient]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['PathOnClient'],
        },
      ]);
    const description = text('Description') ?? null;
    if (description !== null && description.length > 1000)
      return sendJson(res, 400, [
        {
          message: 'Description: data value too large (max length=1000)',
          errorCode: 'STRING_TOO_LONG',
          fields: ['Description'],
        },
      ]);
    const recordId = text('FirstPublishLocationId') ?? null;
    if (recordId !== null && !/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(recordId))
      return sendJson(res, 400, [
        { message: 'invalid cross reference id', errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: [] },
      ]);
    if (recordId !== null && this.deletedRecords.has(recordId))
      return sendJson(res, 400, [
        { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] },
      ]);
    const key = text('Recording_Part_Key__c') ?? null;
    const existing = key === null ? undefined : this.versions.find((v) => v.Recording_Part_Key__c === key);
    if (existing)
      return sendJson(res, 400, [
        {
          message: `duplicate value found: Recording_Part_Key__c duplicates value on record with id: ${existing.Id}`,
          errorCode: 'DUPLICATE_VALUE',
          fields: [],
        },
      ]);

    this.sequence += 1;
    const stored: StoredContentVersion = {
      Id: salesforceId('068', this.sequence),
      ContentDocumentId: salesforceId('069', this.sequence),
      Title: text('Title') ?? pathOnClient.replace(/\.[^.]*$/, ''),
      PathOnClient: pathOnClient,
      Description: description,
      FirstPublishLocationId: recordId,
      Recording_Part_Key__c: key,
      Checksum: file.md5Hex,
      ContentSize: file.size,
      CreatedDate: new Date(this.now()).toISOString(),
      apiVersion: version,
    };
    this.versions.push(stored);
    // The CRM has the file; the acknowledgement is lost on the way back.
    if (dropAfterStore) return void req.socket.destroy();
    return sendJson(res, 201, { id: stored.Id, success: true, errors: [] });
  }
}

// --- receiving an upload ---------------------------------------------------------------------------

type ReceivedUpload =
  | { entity: Buffer; file: { md5Hex: string; size: number } }
  | { error: { status: number; body: { message: string; errorCode: string } } };

/**
 * Reads a ContentVersion multipart body as it streams in: `entity_content` (JSON, kept, ≤ 1 MiB)
 * then `VersionData` (hashed and counted, never kept). Undefined when the client went away midway.
 */
async function receiveUpload(req: IncomingMessage): Promise<ReceivedUpload | undefined> {
  const invalid = (
    message: string,
    errorCode = 'INVALID_MULTIPART_REQUEST',
    status = 400,
  ): ReceivedUpload => ({
    error: { status, body: { message, errorCode } },
  });
  const boundary = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(
    req.headers['content-type'] ?? '',
  );
  if (!boundary) {
    req.resume();
    await new Promise((resolve) => req.on('close', resolve));
    return req.complete ? invalid('multipart/form-data expected', 'UNSUPPORTED_MEDIA_TYPE', 415) : undefined;
  }

  const entity: Buffer[] = [];
  let entitySize = 0;
  let sawEntity = false;
  interface FileState {
    md5: ReturnType<typeof createHash>;
    size: number;
    done: boolean;
  }
  let file: FileState | undefined;
  let problem: string | undefined;
  const parser = new MultipartParser(boundary[1] ?? boundary[2]!, (headers, index) => {
    const name = /\bname="([^"]*)"/.exec(headers['content-disposition'] ?? '')?.[1];
    if (index === 0 && name === 'entity_content') {
      sawEntity = true;
      return {
        data: (chunk) => {
          entitySize += chunk.length;
          if (entitySize > 1024 * 1024) problem ??= 'entity_content is too large';
          else entity.push(Buffer.from(chunk));
        },
        end: () => undefined,
      };
    }
    if (index === 1 && name === 'VersionData') {
      const f: FileState = { md5: createHash('md5'), size: 0, done: false };
      file = f;
      return {
        data: (chunk) => {
          f.md5.update(chunk);
          f.size += chunk.length;
        },
        end: () => void (f.done = true),
      };
    }
    problem ??= `unexpected part ${index}: ${name ?? '(no name)'}`;
    return { data: () => undefined, end: () => undefined };
  });

  // Events, not `for await`: a promise per chunk would cost this server more CPU than the parsing,
  // and the benchmark's pipeline shares the machine's cores with it.
  await new Promise<void>((resolve) => {
    req.on('data', (chunk: Buffer) => {
      if (problem) return;
      try {
        parser.write(chunk);
      } catch (error) {
        problem = (error as Error).message;
      }
    });
    req.once('end', resolve);
    req.once('error', () => resolve());
    req.once('close', resolve);
  });
  if (!req.complete) return undefined;
  if (problem) return invalid(problem);
  if (!parser.complete) return invalid('multipart body is incomplete');
  if (!sawEntity || !file?.done) return invalid('entity_content then VersionData expected');
  return { entity: Buffer.concat(entity), file: { md5Hex: file.md5.digest('hex'), size: file.size } };
}

// --- multipart/form-data, streaming ----------------------------------------------------------------

interface PartSink {
  data(chunk: Buffer): void;
  end(): void;
}

/**
 * A streaming multipart/form-data parser: part bodies are handed on as they arrive, never gathered.
 * It holds back at most the delimiter's length, in case a delimiter straddles two chunks.
 */
export class MultipartParser {
  private buffer: Buffer;
  private readonly delimiter: Buffer;
  private state: 'body' | 'afterDelimiter' | 'headers' | 'done' = 'body';
  private sink: PartSink | undefined;
  private parts = 0;

  constructor(
    boundary: string,
    private readonly onPart: (headers: Record<string, string>, index: number) => PartSink,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The first delimiter has no CRLF before it: start as if there were one (the preamble is dropped).
    this.buffer = Buffer.from('\r\n', 'latin1');
  }

  get complete() {
    return this.state === 'done';
  }

  write(chunk: Buffer) {
    if (this.state === 'done') return;
    this.buffer = this.joined(chunk);
    for (;;) {
      if (this.state === 'body') {
        const at = this.buffer.indexOf(this.delimiter);
        if (at === -1) {
          const keep = this.delimiter.length - 1;
          if (this.buffer.length > keep) {
            this.sink?.data(this.buffer.subarray(0, this.buffer.length - keep));
            this.buffer = this.buffer.subarray(this.buffer.length - keep);
          }
          return;
        }
        this.sink?.data(this.buffer.subarray(0, at));
        this.sink?.end();
        this.sink = undefined;
        this.buffer = this.buffer.subarray(at + this.delimiter.length);
        this.state = 'afterDelimiter';
      } else if (this.state === 'afterDelimiter') {
        if (this.buffer.length < 2) return;
        const next = this.buffer.toString('latin1', 0, 2);
        if (next === '--') {
          this.state = 'done';
          this.buffer = Buffer.alloc(0);
          return;
        }
        if (next !== '\r\n') throw new Error('malformed multipart body');
        this.buffer = this.buffer.subarray(2);
        this.state = 'headers';
      } else if (this.state === 'headers') {
        const end = this.buffer.indexOf('\r\n\r\n', 0, 'latin1');
        if (end === -1) {
          if (this.buffer.length > 16 * 1024) throw new Error('multipart part headers too large');
          return;
        }
        const headers: Record<string, string> = {};
        for (const line of this.buffer.toString('utf8', 0, end).split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        this.sink = this.onPart(headers, this.parts++);
        this.buffer = this.buffer.subarray(end + 4);
        this.state = 'body';
      } else {
        return;
      }
    }
  }

  /**
   * What is held back followed by the chunk. In a part's body, what is held back is shorter than the
   * delimiter: when no delimiter starts in it, it goes to the part as it is, and the chunk is not
   * copied (copying every chunk would double this server's work on a large file).
   */
  private joined(chunk: Buffer): Buffer {
    if (this.buffer.length === 0) return chunk;
    if (
      this.state === 'body' &&
      this.buffer.length < this.delimiter.length &&
      chunk.length >= this.delimiter.length
    ) {
      const seam = Buffer.concat([this.buffer, chunk.subarray(0, this.delimiter.length)]);
      const at = seam.indexOf(this.delimiter);
      if (at === -1 || at >= this.buffer.length) {
        // No delimiter starts before the chunk does.
        this.sink?.data(this.buffer);
        return chunk;
      }
    }
    return Buffer.concat([this.buffer, chunk]);
  }
}

// --- Contacts and Cases: helpers ----------------------------------------------------------------

interface Answer {
  status: number;
  body: unknown;
}

const CONTACT_FIELDS = new Set(['Id', 'FirstName', 'LastName', 'Switchboard_Consumer_Key__c', 'CreatedDate']);
const CASE_FIELDS = new Set([
  'Id',
  'ContactId',
  'Subject',
  'Origin',
  'Switchboard_Session_Key__c',
  'CreatedDate',
]);

function isWrite(method: string, rest: string): boolean {
  return (
    (method === 'POST' && (rest === '/composite' || rest === '/sobjects/Contact')) ||
    (method === 'PATCH' && (rest === '/composite/sobjects' || rest.startsWith('/sobjects/Case/')))
  );
}

function errorCodeIn(body: unknown): string | undefined {
  const code = (Array.isArray(body) ? (body[0] as { errorCode?: unknown } | undefined) : undefined)
    ?.errorCode;
  return typeof code === 'string' ? code : undefined;
}

// --- helpers ------------------------------------------------------------------------------------

function salesforceId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(12, '0')}AAA`;
}

function notFoundError() {
  return { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' };
}

const SOQL_UNESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
function unescapeSoql(literal: string): string {
  return literal.replace(/\\(.)/g, (_, c: string) => SOQL_UNESCAPES[c] ?? c);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  if (status === 204) return void res.writeHead(204).end();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers only once the request body has been read, as a client streaming a large body expects. */
function drainThen(req: IncomingMessage, answer: () => void) {
  if (req.complete) return answer();
  req.on('end', answer);
  req.on('error', () => undefined);
  req.resume();
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
