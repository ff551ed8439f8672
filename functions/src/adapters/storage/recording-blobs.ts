import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import type { FileMetadata, Storage, StorageOptions } from '@google-cloud/storage';
import type { AuthClient } from 'google-auth-library';
import {
  ObjectGenerationGone,
  type ListFrom,
  type ObjectPage,
  type RecordingBlobs,
  type RecordingObject,
} from '../../ports/recordings.js';

export interface GcsRecordingBlobsOptions {
  projectId: string;
  /** A local JSON-API server (`http://127.0.0.1:PORT`); the client then sends no credentials. */
  apiEndpoint?: string;
  /** Credentials for every request instead of the environment's, sent to `apiEndpoint` too. */
  authClient?: AuthClient;
  /** Objects per `list` page; 500 by default. */
  pageSize?: number;
}

/** The recordings bucket through `@google-cloud/storage`: reads of exact generations, streamed. */
export class GcsRecordingBlobs implements RecordingBlobs {
  private client: Promise<Storage> | undefined;
  private readonly pageSize: number;

  constructor(private readonly options: GcsRecordingBlobsOptions) {
    this.pageSize = options.pageSize ?? 500;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > 1000)
      throw new RangeError('pageSize must be an integer from 1 to 1000');
  }

  // The Storage client is heavy: load it on first use, not at cold start.
  private storage(): Promise<Storage> {
    const { projectId, apiEndpoint, authClient } = this.options;
    this.client ??= import('@google-cloud/storage').then(
      ({ Storage }) =>
        new Storage({
          projectId,
          ...(apiEndpoint ? { apiEndpoint } : {}),
          // The client's own google-auth-library is an older major whose types differ from
          // ours; it wraps any client that signs requests, which is all it asks of this one.
          ...(authClient
            ? {
                authClient: authClient as unknown as StorageOptions['authClient'],
                useAuthWithCustomEndpoint: true,
              }
            : {}),
        }),
    );
    return this.client;
  }

  async stat(bucket: string, name: string): Promise<RecordingObject | undefined> {
    const file = (await this.storage()).bucket(bucket).file(name);
    try {
      const [metadata] = await file.getMetadata();
      return recordingObject(bucket, metadata);
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * A Node stream of exactly that generation: bytes flow through `pipe`, with backpressure and no
   * promise per chunk (a recording is tens of thousands of chunks), and a consumer that destroys the
   * stream stops the download. The download starts at the first read, so a stream handed on and
   * never read (the CRM already had the part, or failed first) costs nothing.
   *
   * The bytes come from one GET of the JSON API's media URL, made here with the client's endpoint
   * and credentials, not through `file.createReadStream`: that stream hands each chunk through five
   * streams of the client's (its retries, its request, its validation) on their way to the socket
   * of the CRM upload, measured at a tenth of the recording worker's CPU. Its retries were no use
   * here anyway: a failed read is retried by the queue, from the part's first byte.
   */
  read(
    bucket: string,
    name: string,
    generation: string,
    range?: { start: number; end: number },
    options?: { startNow?: boolean },
  ): Readable {
    if (range) assertRange(range);
    const stream = new DownloadOnFirstRead((out) =>
      this.download(out, bucket, name, generation, range).catch((error: unknown) =>
        out.destroy(error as Error),
      ),
    );
    if (options?.startNow) {
      // Nobody listens yet: the failure stays on the stream (`errored`), for its reader to get.
      stream.on('error', () => undefined);
      stream.read(0);
    }
    return stream;
  }

  /** GETs the media into `out`, piped as the answer comes (a 200 or 206; any other status is an error). */
  private async download(
    out: PassThrough,
    bucket: string,
    name: string,
    generation: string,
    range?: { start: number; end: number },
  ): Promise<void> {
    const storage = await this.storage();
    const url = new URL(
      `${storage.apiEndpoint}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`,
    );
    url.searchParams.set('alt', 'media');
    url.searchParams.set('generation', generation);
    // As the client asks: the stored bytes as they are (a gzip-encoded object stays compressed).
    const headers: Record<string, string> = { 'Accept-Encoding': 'gzip', 'Cache-Control': 'no-store' };
    if (range) headers.Range = `bytes=${range.start}-${range.end}`;
    // The client sends no credentials to a custom endpoint (a local server) unless told to.
    // A client of google-auth-library 10 answers a WHATWG Headers, whose entries are not own
    // properties (Object.assign would copy none); older ones a plain record. Both iterate so.
    if (!storage.customEndpoint || storage.useAuthWithCustomEndpoint)
      new Headers(await storage.authClient.getRequestHeaders(url.href)).forEach((value, key) => {
        headers[key] = value;
      });
    if (out.destroyed) return;
    const request = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { headers }, (response) => {
      const status = response.statusCode;
      if (status !== 200 && status !== 206) {
        response.resume();
        out.destroy(
          status === 404
            ? new ObjectGenerationGone(bucket, name, generation)
            : Object.assign(new Error(`gs://${bucket}/${name}#${generation}: HTTP ${status}`), {
                code: status,
              }),
        );
        return;
      }
      // Piped at once: bytes that came before a pipe would be lost to any other reader.
      response.on('error', (error) => out.destroy(error));
      response.pipe(out);
    });
    request.on('error', (error) => out.destroy(error));
    out.on('close', () => request.destroy());
  }

  async delete(bucket: string, name: string, generation: string): Promise<'deleted' | 'absent'> {
    // The live object is deleted only if it is still that generation; a newer one under the same name
    // fails the precondition (412) and stays.
    const file = (await this.storage()).bucket(bucket).file(name);
    try {
      await file.delete({ ifGenerationMatch: generation });
      return 'deleted';
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 404 || status === 412) return 'absent';
      throw error;
    }
  }

  async list(bucket: string, prefix: string, from?: ListFrom): Promise<ObjectPage> {
    const startAfter = from && 'startAfter' in from ? from.startAfter : undefined;
    const bucketRef = (await this.storage()).bucket(bucket);
    const page = async (pageToken: string | undefined) => {
      const [files, next] = await bucketRef.getFiles({
        prefix,
        ...(pageToken ? { pageToken } : {}),
        // The API's startOffset includes the name itself: it is dropped below.
        ...(startAfter !== undefined ? { startOffset: startAfter } : {}),
        autoPaginate: false,
        maxResults: this.pageSize,
      });
      const nextPageToken = next && 'pageToken' in next ? next.pageToken : undefined;
      return { files: files.filter((file) => file.name !== startAfter), nextPageToken };
    };
    let { files, nextPageToken } = await page(from && 'pageToken' in from ? from.pageToken : undefined);
    // A page that held only the name started after is no page: the next one is.
    if (files.length === 0 && nextPageToken) ({ files, nextPageToken } = await page(nextPageToken));
    return {
      objects: files.map((file) => recordingObject(bucket, { name: file.name, ...file.metadata })),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
  }
}

/** A pass-through that calls `start` with itself when it is first read (piped, iterated, listened to). */
class DownloadOnFirstRead extends PassThrough {
  private started = false;

  constructor(private readonly start: (out: PassThrough) => void) {
    super();
  }

  override _read(size: number): void {
    if (!this.started) {
      this.started = true;
      this.start(this);
    }
    super._read(size);
  }
}

/** The client reports JSON-API failures as ApiError.code, some transport failures as GaxiosError.status. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (typeof code === 'number') return code;
  return typeof status === 'number' ? status : undefined;
}

function assertRange(range: { start: number; end: number }) {
  if (!Number.isSafeInteger(range.start) || range.start < 0 || !Number.isSafeInteger(range.end))
    throw new RangeError('a range is two byte offsets');
  if (range.end < range.start) throw new RangeError('an empty range cannot be read');
}

function recordingObject(bucket: string, metadata: FileMetadata): RecordingObject {
  const { name, generation, size, timeCreated, contentType } = metadata;
  // No defaults: a wrong size or creation time would misplan the upload or the 7-day purge.
  if (!name || generation === undefined || size === undefined || !timeCreated)
    throw new Error(
      `gs://${bucket}/${name ?? ''}: the object resource lacks name, generation, size or timeCreated`,
    );
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.metadata ?? {}))
    if (value !== null && value !== undefined) custom[key] = String(value);
  return {
    bucket,
    name,
    generation: String(generation),
    sizeBytes: Number(size),
    createdAt: new Date(timeCreated),
    ...(contentType ? { contentType } : {}),
    metadata: custom,
  };
}
