import { generateKeyPairSync } from 'node:crypto';
import type { Storage } from '@google-cloud/storage';
import type { MediaBlobs } from '../../ports/smart-action-media.js';

export interface GcsMediaBlobsOptions {
  projectId: string;
  bucket: string;
  /**
   * A local JSON-API server (`http://127.0.0.1:PORT`); the client then sends no credentials, and
   * signs download URLs with a key of its own (the local server holds no Google key to check them).
   */
  apiEndpoint?: string;
}

/**
 * The media bucket through `@google-cloud/storage`. Uploads are resumable sessions the function opens
 * and the consumer's SDK fills (straight to Cloud Storage); reads here are a few first bytes; agents
 * download through V4 signed URLs, signed by the runtime's service account (IAM signBlob) when deployed.
 */
export class GcsMediaBlobs implements MediaBlobs {
  private client: Promise<Storage> | undefined;

  constructor(private readonly options: GcsMediaBlobsOptions) {}

  // The Storage client is heavy: load it on first use, not at cold start.
  private bucket() {
    const { projectId, apiEndpoint, bucket } = this.options;
    this.client ??= import('@google-cloud/storage').then(
      ({ Storage }) =>
        new Storage({
          projectId,
          ...(apiEndpoint ? { apiEndpoint, credentials: localSigningCredentials(projectId) } : {}),
        }),
    );
    return this.client.then((storage) => storage.bucket(bucket));
  }

  async startUpload(
    object: string,
    options: { sizeBytes: number; contentType: string; metadata: Record<string, string> },
  ): Promise<string> {
    const file = (await this.bucket()).file(object);
    const [url] = await file.createResumableUpload({
      metadata: {
        contentLength: options.sizeBytes,
        contentType: options.contentType,
        metadata: options.metadata,
      },
      // The object must not exist: a URL can create its one file, never replace another.
      preconditionOpts: { ifGenerationMatch: 0 },
    });
    return url;
  }

  async head(object: string, generation: string, length: number): Promise<Uint8Array | undefined> {
    const file = (await this.bucket()).file(object, { generation });
    try {
      const [bytes] = await file.download({
        start: 0,
        end: length - 1,
        validation: false,
        decompress: false,
      });
      return bytes;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async delete(object: string, generation: string): Promise<void> {
    const file = (await this.bucket()).file(object);
    try {
      await file.delete({ ifGenerationMatch: generation });
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== 404 && status !== 412) throw error;
    }
  }

  async downloadUrl(
    object: string,
    generation: string,
    window: { from: Date; until: Date },
  ): Promise<string> {
    const file = (await this.bucket()).file(object, { generation });
    // Signed as of `from` rather than the machine's time: the URL's life (at most 7 days) is counted
    // from the same clock as its end.
    const [url] = await file.getSignedUrl({
      version: 'v4',
      action: 'read',
      accessibleAt: window.from,
      expires: window.until,
    });
    return url;
  }
}

let localCredentials: { client_email: string; private_key: string } | undefined;

/** A key made once per process, only ever for a local server. */
function localSigningCredentials(projectId: string) {
  localCredentials ??= {
    client_email: `media-local@${projectId}.iam.gserviceaccount.com`,
    private_key: generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
  return localCredentials;
}

/** The client reports JSON-API failures as ApiError.code, some transport failures as GaxiosError.status. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (typeof code === 'number') return code;
  return typeof status === 'number' ? status : undefined;
}
