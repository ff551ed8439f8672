/**
 * A small Cloud Storage JSON-API server for local development and tests. Google ships no offline
 * emulator for Cloud Storage, so this speaks the subset of the JSON API that `@google-cloud/storage`
 * v7 uses when `apiEndpoint` (or `STORAGE_EMULATOR_HOST`) points at it: buckets, media, multipart
 * and resumable uploads, downloads with byte ranges, metadata, preconditions, deletion and listing.
 *
 * Object bytes live in files (recordings of up to a gigabyte pass through here) and are streamed in
 * and out; only metadata is kept in memory, so a restart forgets every bucket and object. There is
 * no authentication, no versioning (only the live generation of an object exists), no ACLs, no
 * compose, copy or rewrite, and no server-side gzip transcoding.
 */
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The JSON resource of an object, as GCS returns it and as `onFinalize` receives it. */
export interface StoredObjectMetadata {
  kind: 'storage#object';
  id: string;
  selfLink: string;
  mediaLink: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  contentType: string;
  storageClass: string;
  size: string;
  md5Hash: string;
  crc32c: string;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
}

export interface StorageServerOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks any free port. */
  port?: number;
  /** Where object bytes are written. Defaults to a fresh temporary directory, removed on close. */
  dataDir?: string;
  /** Called after each successful finalize, like an OBJECT_FINALIZE notification. Errors are only logged. */
  onFinalize?: (object: StoredObjectMetadata) => void | Promise<void>;
}

export interface StorageServer {
  /** For `new Storage({ apiEndpoint: url })` or `STORAGE_EMULATOR_HOST=url`. */
  url: string;
  port: number;
  /** The bytes of an object's downloads read out so far, every range and every generation together. */
  bytesServed(bucket: string, name: string): number;
  /**
   * Puts objects straight into an existing bucket, as if each had been written at its
   * `timeCreated`: for tests and demos that need many objects, or old ones, cheaply. No finalize
   * notification is sent (it would have been, back then).
   */
  seedObjects(bucket: string, objects: SeedObject[]): Promise<StoredObjectMetadata[]>;
  /**
   * Moves this server's clock forward (never back): objects written afterwards carry the moved time
   * in `timeCreated` and `updated`, as the functions and the Tasks server see it once the local stack
   * is moved forward in time.
   */
  advanceTime(ms: number): void;
  close(): Promise<void>;
}

export interface SeedObject {
  name: string;
  /** Empty when not given. */
  data?: Uint8Array | string;
  timeCreated: Date;
  contentType?: string;
  metadata?: Record<string, string>;
}

export async function startStorageServer(options: StorageServerOptions = {}): Promise<StorageServer> {
  const host = options.host ?? '127.0.0.1';
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'storage-emulator-')));
  const blobDir = join(dataDir, 'blobs');
  await mkdir(blobDir, { recursive: true });

  const emulator = new StorageEmulator(blobDir, options.onFinalize);
  const server = createServer((req, res) => void emulator.handle(req, res));
  // A gigabyte over a slow link can outlast Node's default five-minute request timeout.
  server.requestTimeout = 0;
  // Outlive the client agents' idle sockets, so the server never closes one the client is reusing.
  server.keepAliveTimeout = 65_000;
  await listen(server, options.port ?? 0, host);

  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  emulator.baseUrl = url;
  return {
    url,
    port,
    bytesServed: (bucket, name) => emulator.served.get(`${bucket}/${name}`) ?? 0,
    seedObjects: (bucket, objects) => emulator.seedObjects(bucket, objects),
    advanceTime: (ms) => emulator.advanceTime(ms),
    async close() {
      await closeServer(server);
      await emulator.discardUnfinishedUploads();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// State

interface StoredObject {
  meta: StoredObjectMetadata;
  /** The file holding this generation's bytes; never reused by another generation. */
  path: string;
}

interface BucketState {
  meta: Record<string, unknown>;
  objects: Map<string, StoredObject>;
  /** The same names in listing order. */
  names: SortedNames;
}

/** The fields of an object resource that a client may set on insert or patch. */
interface WritableFields {
  name?: string;
  contentType?: string | null;
  contentEncoding?: string | null;
  contentDisposition?: string | null;
  contentLanguage?: string | null;
  cacheControl?: string | null;
  /** `null` values delete keys on patch; `null` as a whole clears all custom metadata. */
  metadata?: Record<string, string | null> | null;
  md5Hash?: string;
  crc32c?: string;
}

interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

interface UploadSession {
  bucket: string;
  name: string;
  fields: WritableFields;
  preconditions: Preconditions;
  /** From X-Upload-Content-Length, when the client announced the size up front. */
  declaredSize?: number;
  blob: BlobWriter;
  /** Set once finalized; later requests on the session get it again, as GCS answers them. */
  result?: StoredObjectMetadata;
  /** Chains requests on one session, so chunks never interleave. */
  tail: Promise<unknown>;
}

const MiB = 1024 * 1024;
const JSON_BODY_LIMIT = MiB;
const PART_HEADERS_LIMIT = 64 * 1024;
const MAX_LIST_RESULTS = 1000;
const SEED_CONCURRENCY = 64;
const OPTIONAL_STRING_FIELDS = [
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
] as const;

class StorageEmulator {
  baseUrl = '';
  private readonly buckets = new Map<string, BucketState>();
  private readonly sessions = new Map<string, UploadSession>();
  private lastGeneration = 0;
  private skippedMs = 0;
  readonly served = new Map<string, number>();

  constructor(
    private readonly blobDir: string,
    private readonly onFinalize?: (object: StoredObjectMetadata) => void | Promise<void>,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.dispatch(req, res);
    } catch (error) {
      sendError(req, res, error);
    }
  }

  advanceTime(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw new RangeError('time moves forward by a whole number of ms');
    this.skippedMs += ms;
  }

  private now(): Date {
    return new Date(Date.now() + this.skippedMs);
  }

  async discardUnfinishedUploads(): Promise<void> {
    const unfinished = [...this.sessions.values()].filter((s) => !s.result);
    this.sessions.clear();
    await Promise.all(unfinished.map((s) => removeFile(s.blob.path)));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, query } = splitUrl(req.url ?? '/');
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (query.has('X-Goog-Signature')) return this.signedRead(req, res, pathname, query, read);
    const route = parseRoute(pathname);

    if (route.api === 'upload' && route.kind === 'objects') {
      return this.dispatchUpload(req, res, route.bucket, query);
    }
    if (route.api === 'download' && route.kind === 'object' && read) {
      return this.download(req, res, route.bucket, route.object, query);
    }
    if (route.api !== 'json') throw notFound('Not Found');

    switch (route.kind) {
      case 'buckets':
        if (method === 'POST') return this.createBucket(req, res, query);
        if (read) return sendJson(res, 200, this.listBuckets());
        break;
      case 'bucket':
        if (read) return sendJson(res, 200, this.requireBucket(route.bucket).meta);
        if (method === 'DELETE') return this.deleteBucket(res, route.bucket);
        break;
      case 'objects':
        if (read) return sendJson(res, 200, this.listObjects(route.bucket, query));
        break;
      case 'object':
        if (read && query.get('alt') === 'media') {
          return this.download(req, res, route.bucket, route.object, query);
        }
        if (read) return sendJson(res, 200, this.readableObject(route.bucket, route.object, query).meta);
        if (method === 'PATCH') return this.patchObject(req, res, route.bucket, route.object, query);
        if (method === 'DELETE') return this.deleteObject(res, route.bucket, route.object, query);
        break;
      case 'unknown':
        throw notFound('Not Found');
    }
    throw new HttpError(405, 'methodNotAllowed', `${method} is not supported here.`);
  }

  /**
   * A V4 signed URL (`/{bucket}/{object}?X-Goog-Algorithm=…`), as `getSignedUrl` makes them: read only,
   * and refused once expired, as GCS does. The signature itself is not checked: this server holds
   * none of the keys that sign (a deployed function's service account signs through IAM).
   */
  private signedRead(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    query: URLSearchParams,
    read: boolean,
  ) {
    if (!read) throw new HttpError(403, 'SignatureDoesNotMatch', 'This URL was signed for reading only.');
    const issued = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Goog-Date') ?? '');
    const expires = Number(query.get('X-Goog-Expires'));
    if (query.get('X-Goog-Algorithm') !== 'GOOG4-RSA-SHA256' || !issued || !Number.isSafeInteger(expires))
      throw badRequest('AuthorizationQueryParametersError', 'Malformed V4 signed URL.');
    const [, y, mo, d, h, mi, se] = issued.map(Number);
    const issuedAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
    if (this.now().getTime() > issuedAt + expires * 1000)
      throw badRequest('ExpiredToken', 'Invalid argument: the signed URL has expired.');
    const at = pathname.indexOf('/', 1);
    if (at < 0) throw notFound('Not Found');
    const bucket = decodeSegment(pathname.slice(1, at));
    const object = decodeSegment(pathname.slice(at + 1));
    return this.download(req, res, bucket, object, new URLSearchParams());
  }

  private dispatchUpload(req: IncomingMessage, res: ServerResponse, bucket: string, query: URLSearchParams) {
    const uploadId = query.get('upload_id');
    if (uploadId !== null && req.method === 'PUT') return this.putResumable(req, res, uploadId);
    if (uploadId !== null && req.method === 'DELETE') return this.cancelResumable(res, uploadId);
    if (req.method !== 'POST') {
      throw new HttpError(405, 'methodNotAllowed', `${req.method} is not supported here.`);
    }
    switch (query.get('uploadType')) {
      case 'media':
        return this.uploadMedia(req, res, bucket, query);
      case 'multipart':
        return this.uploadMultipart(req, res, bucket, query);
      case 'resumable':
        return this.startResumable(req, res, bucket, query);
      default:
        throw badRequest('invalid', 'uploadType must be media, multipart or resumable.');
    }
  }

  // ---- buckets ----

  private async createBucket(req: IncomingMessage, res: ServerResponse, query: URLSearchParams) {
    const project = query.get('project');
    if (!project) throw badRequest('required', 'Required parameter: project');
    const body = await readJson(req);
    const name = body.name;
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) {
      throw badRequest('invalid', 'Invalid bucket name.');
    }
    if (this.buckets.has(name)) {
      throw new HttpError(
        409,
        'conflict',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    }
    const now = this.now().toISOString();
    const meta = {
      kind: 'storage#bucket',
      id: name,
      name,
      selfLink: `${this.baseUrl}/storage/v1/b/${name}`,
      projectNumber: '0',
      metageneration: '1',
      location: typeof body.location === 'string' ? body.location.toUpperCase() : 'US',
      storageClass: typeof body.storageClass === 'string' ? body.storageClass : 'STANDARD',
      etag: 'CAE=',
      timeCreated: now,
      updated: now,
    };
    this.buckets.set(name, { meta, objects: new Map(), names: new SortedNames() });
    sendJson(res, 200, meta);
  }

  private listBuckets() {
    const items = [...this.buckets.values()].map((b) => b.meta);
    return { kind: 'storage#buckets', ...(items.length > 0 ? { items } : {}) };
  }

  private deleteBucket(res: ServerResponse, name: string) {
    const bucket = this.requireBucket(name);
    if (bucket.objects.size > 0) {
      throw new HttpError(409, 'conflict', 'The bucket you tried to delete is not empty.');
    }
    this.buckets.delete(name);
    res.writeHead(204).end();
  }

  private requireBucket(name: string): BucketState {
    const bucket = this.buckets.get(name);
    if (!bucket) throw notFound('The specified bucket does not exist.');
    return bucket;
  }

  // ---- uploads ----

  private async uploadMedia(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
  ) {
    this.requireBucket(bucket);
    const fields: WritableFields = { name: requiredName(query.get('name')) };
    const contentType = headerValue(req.headers['content-type']);
    if (contentType) fields.contentType = contentType;
    await this.receiveAndFinalize(req, res, bucket, query, async (blob) => {
      await blob.append(req as AsyncIterable<Buffer>);
      return fields;
    });
  }

  private async uploadMultipart(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
  ) {
    this.requireBucket(bucket);
    await this.receiveAndFinalize(req, res, bucket, query, async (blob) => {
      const parts = await receiveMultipart(req, blob);
      const fields = readWritableFields(parts.metadata);
      fields.name = requiredName(query.get('name') ?? fields.name ?? null);
      fields.contentType ??= parts.mediaType;
      return fields;
    });
  }

  /** Streams the body into a new blob, then makes it the live object; the blob is removed on any failure. */
  private async receiveAndFinalize(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
    receive: (blob: BlobWriter) => Promise<WritableFields>,
  ) {
    const preconditions = readPreconditions(query);
    const blob = this.newBlob();
    try {
      const fields = await receive(blob);
      sendJson(res, 200, this.finalize(bucket, fields, preconditions, blob, req.headers['x-goog-hash']));
    } catch (error) {
      await removeFile(blob.path);
      throw error;
    }
  }

  private async startResumable(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
  ) {
    this.requireBucket(bucket);
    const fields = readWritableFields(await readJson(req));
    const name = requiredName(query.get('name') ?? fields.name ?? null);
    const announcedType = headerValue(req.headers['x-upload-content-type']);
    if (announcedType) fields.contentType ??= announcedType;
    const preconditions = readPreconditions(query);
    // GCS checks preconditions when a session starts too, so a doomed upload fails before any bytes move.
    assertWritable(this.buckets.get(bucket)?.objects.get(name)?.meta, preconditions);

    const id = randomUUID().replaceAll('-', '');
    const blob = this.newBlob();
    await writeFile(blob.path, '');
    this.sessions.set(id, {
      bucket,
      name,
      fields: { ...fields, name },
      preconditions,
      declaredSize: optionalSize(headerValue(req.headers['x-upload-content-length'])),
      blob,
      tail: Promise.resolve(),
    });

    const origin = req.headers.host ? `http://${req.headers.host}` : this.baseUrl;
    const location =
      `${origin}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o` +
      `?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    res.writeHead(200, { Location: location, 'Content-Length': 0 }).end();
  }

  private putResumable(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const session = this.requireSession(id);
    const run = session.tail.then(() => this.continueResumable(req, res, id, session));
    session.tail = run.catch(() => undefined);
    return run;
  }

  private async continueResumable(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    session: UploadSession,
  ) {
    if (session.result) {
      req.resume();
      return sendJson(res, 200, session.result);
    }
    const range = parseContentRange(headerValue(req.headers['content-range']));
    if (range.kind === 'chunk') await appendChunk(session.blob, req, range);
    else req.resume();

    const total = resolveTotalSize(session, range);
    const persisted = session.blob.size;
    if (total === undefined || persisted < total) return sendResumeIncomplete(res, persisted);
    if (persisted > total) {
      await this.dropSession(id);
      throw badRequest('invalid', `Received ${persisted} bytes, more than the declared ${total}.`);
    }
    try {
      const meta = this.finalize(
        session.bucket,
        session.fields,
        session.preconditions,
        session.blob,
        req.headers['x-goog-hash'],
      );
      session.result = meta;
      sendJson(res, 200, meta);
    } catch (error) {
      await this.dropSession(id);
      throw error;
    }
  }

  private async cancelResumable(res: ServerResponse, id: string) {
    const session = this.requireSession(id);
    if (!session.result) await this.dropSession(id);
    // 499 is what GCS answers a cancelled session with.
    res.writeHead(499, { 'Content-Length': 0 }).end();
  }

  private requireSession(id: string): UploadSession {
    const session = this.sessions.get(id);
    if (!session) throw notFound('No such upload session.');
    return session;
  }

  private async dropSession(id: string) {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    if (session && !session.result) await removeFile(session.blob.path);
  }

  private newBlob(): BlobWriter {
    return new BlobWriter(join(this.blobDir, randomUUID()));
  }

  /**
   * Makes a fully received blob the live generation of its object. Synchronous on purpose: checking
   * preconditions and swapping the object happen with no await in between, so concurrent uploads of
   * one name cannot both pass an `ifGenerationMatch`.
   */
  private finalize(
    bucketName: string,
    fields: WritableFields,
    preconditions: Preconditions,
    blob: BlobWriter,
    googHash: string | string[] | undefined,
    seededAt?: Date,
  ): StoredObjectMetadata {
    const bucket = this.requireBucket(bucketName);
    const name = requiredName(fields.name ?? null);
    const current = bucket.objects.get(name);
    assertWritable(current?.meta, preconditions);
    const digests = blob.digests();
    verifyHashes(expectedHashes(headerValue(googHash), fields), digests);

    const generation = this.nextGeneration();
    const now = (seededAt ?? this.now()).toISOString();
    const encodedName = encodeURIComponent(name);
    const meta: StoredObjectMetadata = {
      kind: 'storage#object',
      id: `${bucketName}/${name}/${generation}`,
      selfLink: `${this.baseUrl}/storage/v1/b/${bucketName}/o/${encodedName}`,
      mediaLink: `${this.baseUrl}/download/storage/v1/b/${bucketName}/o/${encodedName}?generation=${generation}&alt=media`,
      name,
      bucket: bucketName,
      generation,
      metageneration: '1',
      contentType: fields.contentType ?? 'application/octet-stream',
      storageClass: 'STANDARD',
      size: String(blob.size),
      md5Hash: digests.md5Hash,
      crc32c: digests.crc32c,
      etag: etagOf(generation, '1'),
      timeCreated: now,
      updated: now,
      timeStorageClassUpdated: now,
    };
    applyOptionalFields(meta, fields);
    bucket.objects.set(name, { meta, path: blob.path });
    if (!current) bucket.names.add(name);
    if (current) void removeFile(current.path);
    if (!seededAt) this.notifyFinalize(meta);
    return meta;
  }

  async seedObjects(bucketName: string, objects: SeedObject[]): Promise<StoredObjectMetadata[]> {
    this.requireBucket(bucketName);
    const stored: StoredObjectMetadata[] = [];
    // A few files written at a time: tens of thousands at once would exhaust file descriptors.
    for (let i = 0; i < objects.length; i += SEED_CONCURRENCY) {
      const written = await Promise.all(
        objects.slice(i, i + SEED_CONCURRENCY).map(async (object) => {
          const blob = this.newBlob();
          await writeFile(blob.path, '');
          const data = object.data ?? '';
          if (data.length > 0)
            await blob.append(
              (async function* () {
                yield typeof data === 'string' ? Buffer.from(data) : data;
              })(),
            );
          return { object, blob };
        }),
      );
      for (const { object, blob } of written) {
        const fields: WritableFields = { name: object.name };
        if (object.contentType) fields.contentType = object.contentType;
        if (object.metadata) fields.metadata = object.metadata;
        stored.push(this.finalize(bucketName, fields, {}, blob, undefined, object.timeCreated));
      }
    }
    return stored;
  }

  /** Microseconds since the epoch, like GCS, but never repeating even within one microsecond. */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, this.now().getTime() * 1000);
    return String(this.lastGeneration);
  }

  /**
   * Started before the upload's response is sent, so a client that sees its upload succeed can rely
   * on the hook having been called; not awaited, because notifications never hold up an upload.
   */
  private notifyFinalize(meta: StoredObjectMetadata) {
    if (!this.onFinalize) return;
    const report = (error: unknown) => console.error('storage emulator: onFinalize failed:', error);
    try {
      Promise.resolve(this.onFinalize(structuredClone(meta))).catch(report);
    } catch (error) {
      report(error);
    }
  }

  // ---- reads, patches, deletes ----

  private readableObject(bucket: string, name: string, query: URLSearchParams): StoredObject {
    const stored = this.requireObject(bucket, name, query);
    assertReadable(stored.meta, readPreconditions(query));
    return stored;
  }

  /** Without versioning only the live generation exists; asking for any other one is a 404. */
  private requireObject(bucketName: string, name: string, query: URLSearchParams): StoredObject {
    const stored = this.requireBucket(bucketName).objects.get(name);
    const generation = query.get('generation');
    if (!stored || (generation !== null && generation !== stored.meta.generation)) {
      throw notFound(`No such object: ${bucketName}/${name}`);
    }
    return stored;
  }

  private async download(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    name: string,
    query: URLSearchParams,
  ) {
    const { meta, path } = this.readableObject(bucket, name, query);
    const size = Number(meta.size);
    const range = parseRange(headerValue(req.headers.range), size);
    if (range === 'unsatisfiable') {
      throw new HttpError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.', {
        'Content-Range': `bytes */${size}`,
      });
    }
    // Read in 1 MiB pieces, not 64 KiB: on this machine the server shares the cores with the
    // pipeline it serves (Cloud Storage does not): a sixteenth of the reads and writes leaves them
    // more of the CPU (pipeline_cpu_s in the recordings benchmark).
    const body = createReadStream(path, { ...range, highWaterMark: 1024 * 1024 });
    try {
      // Open before answering: if a delete unlinked the file meanwhile, this is still a clean 404.
      await once(body, 'open');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw notFound(`No such object: ${bucket}/${name}`);
      }
      throw error;
    }
    res.writeHead(range ? 206 : 200, downloadHeaders(meta, range));
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    const key = `${bucket}/${name}`;
    body.on('data', (chunk: string | Buffer) => {
      this.served.set(key, (this.served.get(key) ?? 0) + chunk.length);
    });
    await pipeline(body, res);
  }

  private async patchObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    name: string,
    query: URLSearchParams,
  ) {
    const patch = readWritableFields(await readJson(req));
    // Looked up after the body arrived, so the preconditions are checked against the state being changed.
    const stored = this.requireObject(bucket, name, query);
    assertWritable(stored.meta, readPreconditions(query));
    const meta = stored.meta;
    if (patch.contentType !== undefined) meta.contentType = patch.contentType ?? 'application/octet-stream';
    applyOptionalFields(meta, patch);
    meta.metageneration = String(Number(meta.metageneration) + 1);
    meta.etag = etagOf(meta.generation, meta.metageneration);
    meta.updated = this.now().toISOString();
    sendJson(res, 200, meta);
  }

  private deleteObject(res: ServerResponse, bucket: string, name: string, query: URLSearchParams) {
    const stored = this.requireObject(bucket, name, query);
    assertWritable(stored.meta, readPreconditions(query));
    const state = this.requireBucket(bucket);
    state.objects.delete(name);
    state.names.remove(name);
    void removeFile(stored.path);
    res.writeHead(204).end();
  }

  // ---- listing ----

  /**
   * A page costs a binary search and the page's own entries, not a sort of the bucket: buckets of
   * tens of thousands of objects are listed page by page, in tests, as they are in GCS.
   */
  private listObjects(bucketName: string, query: URLSearchParams) {
    const bucket = this.requireBucket(bucketName);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const startOffset = query.get('startOffset');
    const endOffset = query.get('endOffset');
    const maxResults =
      Math.min(optionalSize(query.get('maxResults')) ?? MAX_LIST_RESULTS, MAX_LIST_RESULTS) || 1;
    const after = decodePageToken(query.get('pageToken'));

    // Names under a prefix are one run of the sorted names: start at the latest of the lower bounds.
    const names = bucket.names;
    let index = Math.max(
      names.firstAtOrAfter(prefix),
      startOffset === null ? 0 : names.firstAtOrAfter(startOffset),
      after === undefined ? 0 : names.firstAtOrAfter(after),
    );
    // One more entry than the page holds says whether there is a next page.
    const entries: ListingEntry[] = [];
    for (; index < names.length && entries.length <= maxResults; index++) {
      const name = names.at(index);
      if (!name.startsWith(prefix)) break;
      if (endOffset !== null && compareUtf8(name, endOffset) >= 0) break;
      const object = bucket.objects.get(name)!.meta;
      const at = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      const entry = at < 0 ? { key: name, object } : { key: name.slice(0, at + delimiter.length) };
      if (after !== undefined && compareUtf8(entry.key, after) <= 0) continue;
      if (entries.at(-1)?.key !== entry.key) entries.push(entry);
    }
    const page = entries.slice(0, maxResults);
    const last = page.at(-1);

    const items = page.flatMap((e) => (e.object ? [e.object] : []));
    const prefixes = page.filter((e) => !e.object).map((e) => e.key);
    return {
      kind: 'storage#objects',
      ...(prefixes.length > 0 ? { prefixes } : {}),
      ...(items.length > 0 ? { items } : {}),
      ...(entries.length > maxResults && last ? { nextPageToken: encodePageToken(last.key) } : {}),
    };
  }
}

/**
 * A bucket's object names in GCS's listing order (UTF-8 bytes). Names added in order are appended;
 * others mark the list unsorted, and it is sorted once, at the next read (seeding adds many).
 */
class SortedNames {
  private names: string[] = [];
  private sorted = true;

  get length(): number {
    this.sort();
    return this.names.length;
  }

  at(index: number): string {
    this.sort();
    return this.names[index]!;
  }

  /** A name not in the list yet. */
  add(name: string): void {
    const last = this.names.at(-1);
    if (this.sorted && last !== undefined && Buffer.compare(Buffer.from(last), Buffer.from(name)) >= 0)
      this.sorted = false;
    this.names.push(name);
  }

  remove(name: string): void {
    const at = this.firstAtOrAfter(name);
    if (this.names[at] === name) this.names.splice(at, 1);
  }

  /** The index of the first name at or after `key` in listing order. */
  firstAtOrAfter(key: string): number {
    this.sort();
    const target = Buffer.from(key);
    let low = 0;
    let high = this.names.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (Buffer.compare(Buffer.from(this.names[mid]!), target) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private sort() {
    if (this.sorted) return;
    const keyed = this.names.map((name) => ({ name, key: Buffer.from(name) }));
    keyed.sort((x, y) => Buffer.compare(x.key, y.key));
    this.names = keyed.map((k) => k.name);
    this.sorted = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing

type Route =
  | { api: Api; kind: 'buckets' }
  | { api: Api; kind: 'bucket'; bucket: string }
  | { api: Api; kind: 'objects'; bucket: string }
  | { api: Api; kind: 'object'; bucket: string; object: string }
  | { api: Api; kind: 'unknown' };
type Api = 'json' | 'upload' | 'download';

const API_PREFIXES: ReadonlyArray<[string, Api]> = [
  ['/upload/storage/v1/', 'upload'],
  ['/download/storage/v1/', 'download'],
  ['/storage/v1/', 'json'],
  // With STORAGE_EMULATOR_HOST the client uses that URL verbatim as its base, without /storage/v1.
  ['/', 'json'],
];

/** Splits without `new URL`, which would resolve `.` and `..` segments that are legal object names. */
function splitUrl(url: string): { pathname: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return at < 0
    ? { pathname: url, query: new URLSearchParams() }
    : { pathname: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

function parseRoute(pathname: string): Route {
  const [prefix, api] = API_PREFIXES.find(([p]) => pathname.startsWith(p)) ?? ['/', 'json'];
  const segments = pathname.slice(prefix.length).split('/');
  const [b, bucket, o, ...rest] = segments;
  if (b !== 'b') return { api, kind: 'unknown' };
  if (bucket === undefined) return { api, kind: 'buckets' };
  if (bucket === '') return segments.length === 2 ? { api, kind: 'buckets' } : { api, kind: 'unknown' };
  if (o === undefined) return { api, kind: 'bucket', bucket: decodeSegment(bucket) };
  if (o !== 'o') return { api, kind: 'unknown' };
  // Clients encode slashes in object names, but tolerate raw ones: everything after /o/ is the name.
  const object = rest.join('/');
  if (object === '') return { api, kind: 'objects', bucket: decodeSegment(bucket) };
  return { api, kind: 'object', bucket: decodeSegment(bucket), object: decodeSegment(object) };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('invalid', 'Malformed percent-encoding in the path.');
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers and GCS-style errors

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const badRequest = (reason: string, message: string) => new HttpError(400, reason, message);
const notFound = (message: string) => new HttpError(404, 'notFound', message);

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: unknown) {
  if (res.headersSent) {
    // Too late for a status code: cutting the connection is the only honest signal left.
    res.destroy();
    return;
  }
  if (!(error instanceof HttpError)) {
    if (req.socket.destroyed) return; // the client went away mid-request; nobody to answer
    console.error('storage emulator: internal error:', error);
  }
  const { status, reason, message, headers } =
    error instanceof HttpError ? error : new HttpError(500, 'backendError', 'Internal error.');
  if (status === 304) {
    res.writeHead(304, headers).end();
    return;
  }
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
  sendJson(res, status, {
    error: { code: status, message, errors: [{ domain: 'global', reason, message }] },
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Reads on past the limit without keeping anything: leaving the loop early would destroy the
  // request, and with it the socket the 413 has to go out on.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= JSON_BODY_LIMIT) chunks.push(chunk);
  }
  if (size > JSON_BODY_LIMIT) throw new HttpError(413, 'uploadTooLarge', 'JSON bodies are limited to 1 MB.');
  if (size === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('parseError', 'Parse Error');
  }
  if (!isRecord(parsed)) throw badRequest('parseError', 'The body must be a JSON object.');
  return parsed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function requiredName(name: string | null): string {
  if (!name) throw badRequest('required', 'Required parameter: name');
  return name;
}

function optionalSize(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw badRequest('invalid', `Invalid number: ${value}`);
  return Number(value);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  // Idle keep-alive sockets of client agents would otherwise hold close() open for a minute.
  server.closeAllConnections();
  return closed;
}

/** Failures are ignored: a missing file is already gone, and any other one only leaves litter in a scratch dir. */
async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// Object fields and preconditions

function readWritableFields(body: Record<string, unknown>): WritableFields {
  const fields: WritableFields = {};
  if (typeof body.name === 'string') fields.name = body.name;
  for (const key of ['contentType', ...OPTIONAL_STRING_FIELDS] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string') throw badRequest('invalid', `${key} must be a string.`);
    fields[key] = value;
  }
  if (body.metadata !== undefined) fields.metadata = readCustomMetadata(body.metadata);
  if (typeof body.md5Hash === 'string') fields.md5Hash = body.md5Hash;
  if (typeof body.crc32c === 'string') fields.crc32c = body.crc32c;
  return fields;
}

function readCustomMetadata(value: unknown): Record<string, string | null> | null {
  if (value === null) return null;
  if (!isRecord(value)) throw badRequest('invalid', 'metadata must be an object.');
  const out: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object') throw badRequest('invalid', `metadata.${key} must be a string.`);
    out[key] = v === null ? null : String(v);
  }
  return out;
}

/** Applies insert or patch semantics: `null` removes a field or a custom metadata key. */
function applyOptionalFields(meta: StoredObjectMetadata, fields: WritableFields) {
  for (const key of OPTIONAL_STRING_FIELDS) {
    const value = fields[key];
    if (value === null) delete meta[key];
    else if (value !== undefined) meta[key] = value;
  }
  if (fields.metadata === undefined) return;
  const merged = fields.metadata === null ? {} : { ...meta.metadata };
  for (const [key, value] of Object.entries(fields.metadata ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > 0) meta.metadata = merged;
  else delete meta.metadata;
}

function readPreconditions(query: URLSearchParams): Preconditions {
  const out: Preconditions = {};
  for (const key of [
    'ifGenerationMatch',
    'ifGenerationNotMatch',
    'ifMetagenerationMatch',
    'ifMetagenerationNotMatch',
  ] as const) {
    const value = query.get(key);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) throw badRequest('invalid', `Invalid value for ${key}: ${value}`);
    out[key] = value;
  }
  return out;
}

/** Which kind of precondition fails against the live object (`undefined` when there is none). */
function failedPrecondition(
  current: StoredObjectMetadata | undefined,
  p: Preconditions,
): 'match' | 'notMatch' | undefined {
  const { ifGenerationMatch: genMatch, ifMetagenerationMatch: metaMatch } = p;
  // ifGenerationMatch=0 means "only if no live object exists".
  if (
    genMatch !== undefined &&
    (genMatch === '0' ? current !== undefined : current?.generation !== genMatch)
  ) {
    return 'match';
  }
  if (metaMatch !== undefined && current?.metageneration !== metaMatch) return 'match';
  // The NotMatch conditions fail when there is no live object at all (0 means "only if one exists").
  if (p.ifGenerationNotMatch !== undefined && (!current || current.generation === p.ifGenerationNotMatch)) {
    return 'notMatch';
  }
  if (
    p.ifMetagenerationNotMatch !== undefined &&
    (!current || current.metageneration === p.ifMetagenerationNotMatch)
  ) {
    return 'notMatch';
  }
  return undefined;
}

const conditionNotMet = () =>
  new HttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');

function assertWritable(current: StoredObjectMetadata | undefined, p: Preconditions) {
  if (failedPrecondition(current, p)) throw conditionNotMet();
}

/** On reads GCS answers a failed NotMatch condition with 304 Not Modified, not 412. */
function assertReadable(current: StoredObjectMetadata, p: Preconditions) {
  const failed = failedPrecondition(current, p);
  if (failed === 'match') throw conditionNotMet();
  if (failed === 'notMatch') throw new HttpError(304, 'notModified', 'Not Modified');
}

function etagOf(generation: string, metageneration: string): string {
  return Buffer.from(`${generation}/${metageneration}`).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Blobs: streamed to disk, hashed on the way

interface Digests {
  md5Hash: string;
  crc32c: string;
}

/**
 * Appends to one file and keeps MD5, CRC32C and size of everything persisted so far. Hashes are only
 * updated after a chunk is on disk, and a failed write is truncated away, so a resumable session
 * interrupted at any point still has hashes that match its file exactly.
 */
class BlobWriter {
  size = 0;
  private readonly md5 = createHash('md5');
  private crc = 0;

  constructor(readonly path: string) {}

  async append(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const file = await open(this.path, 'a');
    try {
      for await (const chunk of chunks) await this.persist(file, chunk);
    } finally {
      await file.close();
    }
  }

  digests(): Digests {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(this.crc);
    return { md5Hash: this.md5.copy().digest('base64'), crc32c: crc.toString('base64') };
  }

  private async persist(file: FileHandle, chunk: Uint8Array) {
    try {
      let written = 0;
      while (written < chunk.length) written += (await file.write(chunk, written)).bytesWritten;
    } catch (error) {
      await file.truncate(this.size).catch(() => undefined);
      throw error;
    }
    this.md5.update(chunk);
    this.crc = crc32cUpdate(this.crc, chunk);
    this.size += chunk.length;
  }
}

function expectedHashes(googHash: string | undefined, fields: WritableFields): Partial<Digests> {
  const expected: Partial<Digests> = { md5Hash: fields.md5Hash, crc32c: fields.crc32c };
  for (const pair of googHash?.split(',') ?? []) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const [kind, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    if (kind === 'md5') expected.md5Hash = value;
    if (kind === 'crc32c') expected.crc32c = value;
  }
  return expected;
}

/** GCS rejects an upload whose client-declared hashes differ from what it received. */
function verifyHashes(expected: Partial<Digests>, actual: Digests) {
  if (expected.md5Hash && expected.md5Hash !== actual.md5Hash) {
    throw badRequest(
      'invalid',
      `Provided MD5 hash "${expected.md5Hash}" doesn't match calculated MD5 hash "${actual.md5Hash}".`,
    );
  }
  if (expected.crc32c && expected.crc32c !== actual.crc32c) {
    throw badRequest(
      'invalid',
      `Provided CRC32C "${expected.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Multipart uploads: JSON metadata, then media, streamed without holding the media in memory

async function receiveMultipart(
  req: IncomingMessage,
  blob: BlobWriter,
): Promise<{ metadata: Record<string, unknown>; mediaType?: string }> {
  const boundary = /boundary="?([^";]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (!boundary) throw badRequest('invalid', 'Expected a multipart/related body with a boundary.');
  const reader = new ByteReader((req as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const headersEnd = Buffer.from('\r\n\r\n');

  // The first boundary may open the body without the CRLF that precedes the others.
  await reader.readUntil(delimiter.subarray(2), PART_HEADERS_LIMIT);
  await reader.readUntil(headersEnd, PART_HEADERS_LIMIT);
  const metadata = parseMetadataPart(await reader.readUntil(delimiter, JSON_BODY_LIMIT));
  const mediaHeaders = parsePartHeaders(await reader.readUntil(headersEnd, PART_HEADERS_LIMIT));
  await blob.append(reader.streamUntil(delimiter));
  await reader.drain(); // the closing "--" and any epilogue carry nothing
  return { metadata, mediaType: mediaHeaders['content-type'] };
}

function parseMetadataPart(json: Buffer): Record<string, unknown> {
  let metadata: unknown;
  try {
    metadata = JSON.parse(json.toString('utf8') || '{}');
  } catch {
    throw badRequest('parseError', 'The metadata part is not valid JSON.');
  }
  if (!isRecord(metadata)) throw badRequest('parseError', 'The metadata part must be a JSON object.');
  return metadata;
}

function parsePartHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.toString('latin1').split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return headers;
}

/** Pull-based reading of a byte stream, for finding delimiters that may straddle chunks. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Consumes through `delimiter` and returns what preceded it, buffering at most `limit` bytes. */
  async readUntil(delimiter: Buffer, limit: number): Promise<Buffer> {
    for (;;) {
      const at = this.buffered.indexOf(delimiter);
      if (at >= 0) {
        const before = this.buffered.subarray(0, at);
        this.buffered = this.buffered.subarray(at + delimiter.length);
        return before;
      }
      if (this.buffered.length > limit + delimiter.length) {
        throw new HttpError(413, 'uploadTooLarge', 'A multipart metadata section is too large.');
      }
      await this.pull();
    }
  }

  /** Yields everything up to `delimiter` and consumes it, holding back only a possible partial match. */
  async *streamUntil(delimiter: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buffered.indexOf(delimiter);
      if (at >= 0) {
        const before = this.buffered.subarray(0, at);
        this.buffered = this.buffered.subarray(at + delimiter.length);
        yield before;
        return;
      }
      const safe = this.buffered.length - (delimiter.length - 1);
      if (safe > 0) {
        const chunk = this.buffered.subarray(0, safe);
        this.buffered = this.buffered.subarray(safe);
        yield chunk;
      }
      await this.pull();
    }
  }

  async drain() {
    while (!(await this.source.next()).done);
  }

  private async pull() {
    const next = await this.source.next();
    if (next.done) throw badRequest('invalid', 'The multipart body ended early.');
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
  }
}

// ---------------------------------------------------------------------------------------------
// Resumable uploads

/**
 * `chunk` carries bytes from `start`; `end` (inclusive) is unknown when the request body simply runs
 * to the end of the object (no Content-Range, or the client's own `bytes 0-*\/*`). `query` asks for
 * the session's state, or finalizes it when the total is given and already reached.
 */
type ContentRange =
  { kind: 'chunk'; start: number; end?: number; total?: number } | { kind: 'query'; total?: number };

function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined) return { kind: 'chunk', start: 0 };
  const query = /^bytes \*\/(\d+|\*)$/.exec(header.trim());
  if (query) return { kind: 'query', total: starOrNumber(query[1]) };
  const chunk = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(header.trim());
  if (!chunk) throw badRequest('invalid', `Malformed Content-Range: ${header}`);
  const [, first = '', last = '', total] = chunk;
  const range = {
    kind: 'chunk' as const,
    start: Number(first),
    end: starOrNumber(last),
    total: starOrNumber(total),
  };
  if (
    range.end !== undefined &&
    (range.end < range.start - 1 || (range.total !== undefined && range.end >= range.total))
  ) {
    throw badRequest('invalid', `Invalid Content-Range: ${header}`);
  }
  return range;
}

function starOrNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '*' ? undefined : Number(value);
}

/** Appends a chunk, skipping bytes the session already has (a client resending after a lost reply). */
async function appendChunk(blob: BlobWriter, req: IncomingMessage, range: { start: number; end?: number }) {
  const persisted = blob.size;
  if (range.start > persisted) {
    req.resume();
    throw badRequest(
      'invalid',
      `The chunk starts at byte ${range.start}, but only ${persisted} bytes were received.`,
    );
  }
  const length = range.end === undefined ? undefined : range.end - range.start + 1;
  await blob.append(sliceBody(req as AsyncIterable<Buffer>, persisted - range.start, length));
}

async function* sliceBody(body: AsyncIterable<Buffer>, skip: number, length: number | undefined) {
  let seen = 0;
  for await (const chunk of body) {
    const from = Math.max(0, skip - seen);
    seen += chunk.length;
    if (length !== undefined && seen > length) {
      throw badRequest('invalid', 'The body is longer than its Content-Range.');
    }
    if (from < chunk.length) yield chunk.subarray(from);
  }
}

function resolveTotalSize(session: UploadSession, range: ContentRange): number | undefined {
  const fromRequest =
    range.total ?? (range.kind === 'chunk' && range.end === undefined ? session.blob.size : undefined);
  if (
    fromRequest !== undefined &&
    session.declaredSize !== undefined &&
    fromRequest !== session.declaredSize
  ) {
    throw badRequest(
      'invalid',
      `The upload was declared as ${session.declaredSize} bytes, not ${fromRequest}.`,
    );
  }
  return fromRequest ?? session.declaredSize;
}

/** 308 "Resume Incomplete"; GCS leaves Range out while nothing has been persisted. */
function sendResumeIncomplete(res: ServerResponse, persisted: number) {
  const headers: Record<string, string | number> = { 'Content-Length': 0 };
  if (persisted > 0) headers.Range = `bytes=0-${persisted - 1}`;
  res.writeHead(308, headers).end();
}

// ---------------------------------------------------------------------------------------------
// Downloads

interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP. */
  end: number;
}

/** `undefined` means "send everything": no Range, or one this server ignores (multiple ranges), as RFC 9110 allows. */
function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || size === 0
      ? 'unsatisfiable'
      : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function downloadHeaders(meta: StoredObjectMetadata, range: ByteRange | undefined): Record<string, string> {
  const size = Number(meta.size);
  const headers: Record<string, string> = {
    'Content-Type': meta.contentType,
    'Content-Length': String(range ? range.end - range.start + 1 : size),
    'Accept-Ranges': 'bytes',
    ETag: `"${meta.etag}"`,
    'Last-Modified': new Date(meta.updated).toUTCString(),
    'x-goog-generation': meta.generation,
    'x-goog-metageneration': meta.metageneration,
    // Hashes of the whole object, even for a range (as GCS does); the client only checks full reads.
    'x-goog-hash': `crc32c=${meta.crc32c},md5=${meta.md5Hash}`,
    'x-goog-stored-content-length': meta.size,
    // Without "identity" here the client skips its own hash validation of downloads.
    'x-goog-stored-content-encoding': meta.contentEncoding ?? 'identity',
    'x-goog-storage-class': meta.storageClass,
  };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  // Stored gzip is served as is (no transcoding), labelled so the client can decompress it.
  if (meta.contentEncoding) headers['Content-Encoding'] = meta.contentEncoding;
  if (meta.contentDisposition) headers['Content-Disposition'] = meta.contentDisposition;
  if (meta.contentLanguage) headers['Content-Language'] = meta.contentLanguage;
  if (meta.cacheControl) headers['Cache-Control'] = meta.cacheControl;
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Listing

/**
 * An object, or a delimiter prefix standing for the objects under it. Sorted names give sorted keys
 * (a prefix sorts where its first member does), so a page token can simply be the last key returned.
 */
interface ListingEntry {
  key: string;
  /** Absent for a delimiter prefix. */
  object?: StoredObjectMetadata;
}

/** GCS orders names by their UTF-8 bytes, which differs from JavaScript's UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey).toString('base64url');
}

function decodePageToken(token: string | null): string | undefined {
  if (!token) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw badRequest('invalid', 'Invalid pageToken.');
  return Buffer.from(token, 'base64url').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// CRC32C (Castagnoli), table-driven. In V8 the plain one-table loop beats slicing-by-8 here.

const CRC32C_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32cUpdate(crc: number, data: Uint8Array): number {
  let c = ~crc;
  for (let i = 0; i < data.length; i++) {
    // Both indexes are in range by construction (loop bound, and a mask to 0..255).
    c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}
