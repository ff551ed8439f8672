import fc from 'fast-check';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/**
 * Hostile HTTP requests for one route, as an attacker or a careless client would send them: wrong
 * types at every level, prototype keys, huge and deeply nested values, lone surrogates, numbers near
 * 2^53, dates out of range, forged cursors, malformed percent-escapes, repeated query keys, wrong
 * content types, compressed, empty and non-JSON bodies. Each request names the generator that made it,
 * so a failure says which kind of input got through.
 */
export interface HostileRequest {
  label: string;
  method: string;
  /** The request target exactly as sent (already percent-encoded, or deliberately malformed). */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The body before any Content-Encoding, which is what a platform signature covers. */
  plainBody?: Buffer;
}

export interface RouteShape {
  method: string;
  path: string;
}

/** What the caller side knows of one route: real ids worth reaching, and a valid body to corrupt. */
export interface RouteKnowledge {
  /** Ids that exist, per path parameter; used where a request still carries something invalid. */
  existingIds: ReadonlyMap<string, readonly string[]>;
  example?: unknown;
  /** Whether a request may use an existing id with no other hostile part (reads only). */
  mayUseExistingIdsAlone: boolean;
}

export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
] as const;

const NUMBERISH = [
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0',
  '-1',
  '0x1F',
  '1.5',
  ' 7 ',
  '1_000',
  '',
  '00000000000000000000001',
];

const DATES = [
  '0000-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00Z',
  '1900-01-01T00:00:00+14:00',
  '2026-02-30T10:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:00+99:00',
  '2026-01-01',
  '2026-01-01T00:00:00.0000000000000000001Z',
];

const ODD_STRINGS = [
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\u0000',
  '\u202e\u2066',
  '\u200b',
  '\u2028\u2029',
  '\ufdfa'.repeat(200),
  '\ufeff',
  '😀'.repeat(100),
  'Ǆ'.repeat(300),
  '../../etc/passwd',
  'users/h-admin',
  '*',
  '.',
  '..',
  '__name__',
  'projects/x/databases/(default)/documents/users/h-admin',
  '<script>alert(1)</script>',
  '%s%n%x',
  '${7*7}',
  `en${'-abcdefgh'.repeat(500)}`,
  'a'.repeat(128),
  `+1${'5'.repeat(14)}`,
  'Etc/GMT+12',
];

/** Raw percent-escapes, odd or malformed, as they may appear in a path or a query. */
const RAW_ESCAPES = [
  '%',
  '%%',
  '%2',
  '%zz',
  '%00',
  '%2F',
  '%2e%2e',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%E0%A4%A',
  '%u0041',
  '%25',
  '%5B%5D',
  '+',
  '%20',
  '%0A%0D',
];

const hexByte = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Percent-encoding that keeps lone surrogates: each is sent as the three bytes a lax encoder would
 * produce (invalid UTF-8), where encodeURIComponent would throw.
 */
export function percentEncoded(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff)
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map(hexByte).join('');
    else out += encodeURIComponent(s[i]!);
  }
  return out;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors no server handed out: random bytes, and encodings of the wrong shapes. */
const forgedCursor: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString('base64url')),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  fc.constantFrom(
    b64({}),
    b64([]),
    b64(null),
    b64('x'),
    b64(1e308),
    b64({ v: 1 }),
    b64({ v: 99, after: [] }),
    b64({ after: ['__proto__'] }),
    b64({ values: [1e308, null, { __proto__: { polluted: true } }] }),
    b64({ startAfter: 'users/h-admin' }),
    b64({ v: 1, values: ['a'.repeat(400)], id: '../x' }),
    b64(JSON.parse('{"__proto__":{"polluted":true}}')),
    b64(JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`)),
    'x'.repeat(500),
    'x'.repeat(501),
    '====',
    '!!!',
  ),
);

/** Strings a caller controls, at their worst. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERISH) },
  { weight: 2, arbitrary: fc.constantFrom(...DATES) },
  { weight: 2, arbitrary: forgedCursor },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'é', '\ud800', 'ab ', 'x-'), fc.constantFrom(129, 501, 2_000, 70_000))
      .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length))),
  },
);

/** JSON values of every type, with hostile strings and prototype keys inside. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      -1,
      1.5,
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      1e308,
      Number.MIN_VALUE,
      4_294_967_296,
    ),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileString, fc.constantFrom(...PROTOTYPE_KEYS)), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

const hostileNumber = fc.oneof(
  fc.constantFrom(-1, 0, -0, 0.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 4_294_967_296, 1e21),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...NUMBERISH),
);

/**
 * A wrong value in place of `original`: mostly of the same type but out of bounds or hostile (so
 * validation has to look closely), else of any type at all.
 */
function hostileInPlaceOf(original: unknown): fc.Arbitrary<unknown> {
  const sameType: fc.Arbitrary<unknown> =
    typeof original === 'string'
      ? fc.oneof(
          { weight: 3, arbitrary: hostileString },
          // Still shaped like the valid value, but far longer: only a length bound refuses it.
          {
            weight: 1,
            arbitrary: fc.constantFrom(2, 50, 2_000).map((n) => `${`${original}-`.repeat(n)}${original}`),
          },
        )
      : typeof original === 'number'
        ? hostileNumber
        : typeof original === 'boolean'
          ? fc.constantFrom('true', 1, 0, null, 'false')
          : Array.isArray(original)
            ? fc.oneof(
                fc.array(hostileString, { minLength: 1, maxLength: 5 }),
                fc.constantFrom(1_001, 10_000).map((n) => Array.from({ length: n }, (_, i) => `team-${i}`)),
                fc.constant(Array.from({ length: 200 }, () => original[0] ?? 'x')),
              )
            : original !== null && typeof original === 'object'
              ? fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, ...Object.keys(original)), hostileJson, {
                  minKeys: 1,
                  maxKeys: 3,
                })
              : hostileJson;
  return fc.oneof({ weight: 3, arbitrary: sameType }, { weight: 1, arbitrary: hostileJson });
}

/** Every place inside a JSON value, as the keys and indexes that lead to it. */
function placesIn(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const places = [at];
  if (Array.isArray(value)) value.forEach((v, i) => places.push(...placesIn(v, [...at, i])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) places.push(...placesIn(v, [...at, k]));
  return places;
}

/** A copy of `value` with the value at `place` replaced (or, when `asKey`, a key added beside it). */
function replaced(value: unknown, place: (string | number)[], by: unknown): unknown {
  if (place.length === 0) return by;
  const [head, ...rest] = place;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    Object.defineProperty(copy, k, {
      value: k === head ? replaced(v, rest, by) : v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

const valueAt = (value: unknown, place: (string | number)[]) =>
  place.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);

function withKey(value: unknown, place: (string | number)[], key: string, by: unknown): unknown {
  const target = valueAt(value, place);
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return value;
  const extended: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) extended[k] = v;
  // defineProperty makes `__proto__` an own key, so JSON.stringify sends it as a key.
  Object.defineProperty(extended, key, { value: by, enumerable: true, writable: true, configurable: true });
  return replaced(value, place, extended);
}

const deepNesting = fc
  .tuple(fc.constantFrom(64, 1_000, 20_000), fc.constantFrom('[', '{"a":', '{"__proto__":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return Buffer.from(`${open.repeat(depth)}1${close.repeat(depth)}`);
  });

const notJson = fc.oneof(
  fc
    .constantFrom(
      '',
      ' ',
      'null',
      '"just a string"',
      '{"a":1,}',
      "{'a':1}",
      '{"a":1}{"b":2}',
      '{"a":1}\n{"b":2}',
      '\ufeff{}',
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":1e99999}',
      '[',
      '{"__proto__":',
      'kind=call&state=queued',
      '<xml/>',
    )
    .map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
);

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

const VALID_BODY = 'body: valid';

/** A body for a route: mostly its valid example corrupted in one place, else anything at all. */
function bodyFor(example: unknown): fc.Arbitrary<{ label: string; body: Buffer }> {
  const places = example === undefined ? [] : placesIn(example);
  const variants: fc.WeightedArbitrary<{ label: string; body: Buffer }>[] = [
    { weight: 2, arbitrary: hostileJson.map((v) => ({ label: 'body: any JSON', body: json(v) })) },
    { weight: 1, arbitrary: deepNesting.map((body) => ({ label: 'body: deeply nested', body })) },
    { weight: 1, arbitrary: notJson.map((body) => ({ label: 'body: not JSON', body })) },
  ];
  if (places.length > 0) {
    const place = fc.constantFrom(...places);
    variants.push(
      // Kept only beside a hostile path segment: then the segment is what must be refused.
      { weight: 2, arbitrary: fc.constant({ label: VALID_BODY, body: json(example) }) },
      {
        weight: 5,
        arbitrary: place
          .chain((p) => hostileInPlaceOf(valueAt(example, p)).map((v) => ({ p, v })))
          .map(({ p, v }) => ({ label: 'body: one value wrong', body: json(replaced(example, p, v)) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(place, fc.constantFrom(10_000, 100_000), fc.constantFrom<unknown>(0, 'a', {}, 'team-a'))
          .map(([p, n, item]) => ({
            label: 'body: huge array',
            body: json(
              replaced(
                example,
                p,
                Array.from({ length: n }, () => item),
              ),
            ),
          })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(place, fc.constantFrom(...PROTOTYPE_KEYS), hostileJson)
          .map(([p, k, v]) => ({ label: 'body: prototype key', body: json(withKey(example, p, k, v)) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .nat()
          .map((n) => json(example).subarray(0, n % Math.max(1, json(example).length)))
          .map((body) => ({ label: 'body: truncated', body })),
      },
    );
  }
  return fc.oneof(...variants);
}

/** A path segment: an existing id, or something hostile (encoded, or with raw escapes left in). */
interface Segment {
  raw: string;
  hostile: boolean;
  existing: boolean;
}

function segmentFor(param: string, knowledge: RouteKnowledge): fc.Arbitrary<Segment> {
  const existing = knowledge.existingIds.get(param) ?? [];
  const hostile = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
    {
      weight: 3,
      arbitrary: hostileString
        .filter((s) => s.length > 0)
        .map((s) => percentEncoded(s.slice(0, 600)).slice(0, 3_000)),
    },
    { weight: 3, arbitrary: fc.constantFrom(...RAW_ESCAPES).map((e) => `x${e}y`) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_ESCAPES) },
  );
  const asHostile = hostile.map((raw) => ({ raw, hostile: true, existing: false }));
  if (existing.length === 0) return asHostile;
  // Shaped like an existing id but far longer: only a length bound refuses it.
  const stretched = fc.tuple(fc.constantFrom(...existing), fc.constantFrom(2, 60, 200)).map(([id, n]) => ({
    raw: `${`${id}-`.repeat(n)}${id}`.slice(0, 3_000),
    hostile: true,
    existing: false,
  }));
  return fc.oneof(
    { weight: 2, arbitrary: asHostile },
    { weight: 1, arbitrary: stretched },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...existing).map((raw) => ({ raw, hostile: false, existing: true })),
    },
  );
}

const QUERY_KEYS = [
  'kind',
  'state',
  'channel',
  'queueId',
  'agentId',
  'teamId',
  'sessionId',
  'actorUid',
  'q',
  'pageSize',
  'cursor',
  'limit',
  'status',
];
/** Values that make a list route pass its required filters, so the rest of the query is reached. */
const BASE_QUERY: [string, string][] = [
  ['kind', 'call'],
  ['state', 'connected'],
  ['status', 'failed'],
];

const queryValue = fc.oneof(
  { weight: 4, arbitrary: hostileString.map((s) => percentEncoded(s.slice(0, 300)).slice(0, 1_000)) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_ESCAPES) },
  { weight: 2, arbitrary: forgedCursor.map(percentEncoded) },
  { weight: 1, arbitrary: fc.constantFrom('-5', '0', '101', '1e3', '100000000000000000000') },
);
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('pageSize[]', 'q[__proto__]', 'cursor[0]', 'a.b', '%', '%zz') },
);

const query = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(BASE_QUERY) },
      { weight: 1, arbitrary: fc.subarray(BASE_QUERY) },
    ),
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(queryKey, queryValue).map((pair) => [pair]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }) },
    ),
  )
  .map(([base, extra]) => [...base, ...extra].map(([k, v]) => `${k}=${v}`).join('&'));

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'application/cloudevents+json',
  'application/*',
  '',
];

type Encoding = 'gzip' | 'deflate' | 'br' | 'bogus' | 'gzip, gzip';
const encode = (body: Buffer, encoding: Encoding): Buffer => {
  if (encoding === 'gzip') return gzipSync(body);
  if (encoding === 'gzip, gzip') return gzipSync(gzipSync(body));
  if (encoding === 'deflate') return deflateSync(body);
  if (encoding === 'br') return brotliCompressSync(body);
  return body;
};

/** A body that inflates far beyond any limit, for the compressed-body cases. */
const inflating = fc.constantFrom(1, 8).map((mb) => ({
  label: 'body: compressed, inflates to MBs',
  body: Buffer.from(`{"a":"${'a'.repeat(mb * 1_000_000)}"}`),
}));

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/**
 * Hostile requests for one route. Authentication is added by the caller (it depends on the function);
 * path, query, method, body, content type and encoding are generated here.
 */
export function hostileRequests(route: RouteShape, knowledge: RouteKnowledge): fc.Arbitrary<HostileRequest> {
  const segments = route.path
    .split('/')
    .filter(Boolean)
    .map((part) =>
      part.startsWith(':')
        ? segmentFor(part.slice(1), knowledge)
        : fc.constant<Segment>({ raw: part, hostile: false, existing: false }),
    );
  const takesBody = route.method !== 'GET';
  const pathShape = fc.constantFrom<'as is' | 'trailing slash' | 'double slash' | 'extra segment'>(
    'as is',
    'as is',
    'as is',
    'as is',
    'as is',
    'as is',
    'trailing slash',
    'double slash',
    'extra segment',
  );
  return fc
    .record({
      segments: fc.tuple(...segments),
      shape: pathShape,
      query: route.method === 'GET' ? fc.option(query, { freq: 6 }) : fc.option(query, { freq: 2 }),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
      ),
      body: takesBody
        ? fc.oneof({ weight: 12, arbitrary: bodyFor(knowledge.example) }, { weight: 1, arbitrary: inflating })
        : fc.oneof(
            { weight: 5, arbitrary: fc.constant(null) },
            { weight: 1, arbitrary: bodyFor(knowledge.example) },
          ),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      encoding: fc.oneof(
        { weight: 10, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom<Encoding>('gzip', 'deflate', 'br', 'bogus', 'gzip, gzip') },
      ),
    })
    .filter(
      ({ segments, method, body }) =>
        // A request that may write must carry something hostile the route reads: an existing id or a
        // valid body with nothing else wrong would be a legitimate write (a monitor started, a retry
        // queued, settings saved).
        (body?.label !== VALID_BODY || segments.some((s) => s.hostile)) &&
        (!segments.some((s) => s.existing) ||
          (method === route.method &&
            (knowledge.mayUseExistingIdsAlone ||
              (knowledge.example !== undefined && body?.label !== VALID_BODY) ||
              segments.some((s) => s.hostile)))),
    )
    .map(({ segments, shape, query, method, body, contentType, encoding }) => {
      let path = `/${segments.map((s) => s.raw).join('/')}`;
      if (shape === 'trailing slash') path += '/';
      if (shape === 'double slash') path = path.replace('/', '//');
      if (shape === 'extra segment') path += '/constructor';
      const labels = [body?.label ?? 'no body'];
      if (segments.some((s) => s.hostile)) labels.push('hostile path');
      if (query !== null) labels.push('hostile query');
      if (method !== route.method) labels.push(`method ${method}`);
      const headers: Record<string, string> = {};
      if (contentType !== '') headers['content-type'] = contentType;
      let sent = body?.body;
      if (body?.label === 'body: compressed, inflates to MBs') {
        headers['content-encoding'] = 'gzip';
        sent = gzipSync(body.body);
      } else if (body && encoding) {
        headers['content-encoding'] = encoding;
        sent = encode(body.body, encoding);
        labels.push(`content-encoding ${encoding}`);
      }
      if (contentType !== 'application/json') labels.push(`content-type ${contentType || 'none'}`);
      return {
        label: labels.join(', '),
        method,
        target: query !== null ? `${path}?${query}` : path,
        headers,
        ...(sent ? { body: sent, plainBody: body!.body } : {}),
      };
    });
}
