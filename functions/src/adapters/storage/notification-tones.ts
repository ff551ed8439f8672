import type { Storage } from '@google-cloud/storage';
import type { ToneAudioObject, ToneAudioStore } from '../../ports/notification-tones.js';

export interface GcsToneAudioOptions {
  projectId: string;
  bucket: string;
  /** A local JSON-API server (`http://127.0.0.1:PORT`); the client then sends no credentials. */
  apiEndpoint?: string;
}

/** Every tone's object is under this prefix: nothing else of the bucket is ever listed or deleted. */
export const TONE_OBJECT_PREFIX = 'tones/';

/** The tones bucket through `@google-cloud/storage`. */
export class GcsToneAudio implements ToneAudioStore {
  private client: Promise<Storage> | undefined;

  constructor(private readonly options: GcsToneAudioOptions) {}

  // The Storage client is heavy: load it on first use, not at cold start.
  private bucket() {
    const { projectId, apiEndpoint, bucket } = this.options;
    this.client ??= import('@google-cloud/storage').then(
      ({ Storage }) => new Storage({ projectId, ...(apiEndpoint ? { apiEndpoint } : {}) }),
    );
    return this.client.then((storage) => storage.bucket(bucket));
  }

  async create(name: string, bytes: Uint8Array): Promise<string> {
    assertToneObject(name);
    const file = (await this.bucket()).file(name);
    // One request, and only if no object has the name: an upload never replaces audio in place.
    await file.save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      resumable: false,
      contentType: 'audio/mpeg',
      preconditionOpts: { ifGenerationMatch: 0 },
    });
    const generation = file.metadata.generation;
    if (generation === undefined)
      throw new Error(`gs://${this.options.bucket}/${name}: no generation written`);
    return String(generation);
  }

  async read(name: string, generation: string): Promise<Buffer | undefined> {
    assertToneObject(name);
    const file = (await this.bucket()).file(name, { generation });
    try {
      const [bytes] = await file.download({ validation: false, decompress: false });
      return bytes;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async delete(name: string, generation: string): Promise<'deleted' | 'absent'> {
    assertToneObject(name);
    const file = (await this.bucket()).file(name);
    try {
      await file.delete({ ifGenerationMatch: generation });
      return 'deleted';
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 404 || status === 412) return 'absent';
      throw error;
    }
  }

  async list(limit: number): Promise<ToneAudioObject[]> {
    const [files] = await (
      await this.bucket()
    ).getFiles({
      prefix: TONE_OBJECT_PREFIX,
      autoPaginate: false,
      maxResults: limit,
    });
    return files
      .map((file) => {
        const { generation, timeCreated } = file.metadata;
        if (generation === undefined || !timeCreated)
          throw new Error(
            `gs://${this.options.bucket}/${file.name}: the object lacks generation or timeCreated`,
          );
        return { name: file.name, generation: String(generation), createdAt: new Date(timeCreated) };
      })
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}

function assertToneObject(name: string) {
  if (!name.startsWith(TONE_OBJECT_PREFIX)) throw new RangeError(`not a tone object: ${name}`);
}

/** The client reports JSON-API failures as ApiError.code, some transport failures as GaxiosError.status. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (typeof code === 'number') return code;
  return typeof status === 'number' ? status : undefined;
}
