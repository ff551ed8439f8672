/** One object of the tones bucket: the audio of an uploaded tone or whisper recording (NOT-3, NOT-4). */
export interface ToneAudioObject {
  name: string;
  /** Cloud Storage generation, as a decimal string. */
  generation: string;
  createdAt: Date;
}

/**
 * The tones bucket. Each upload is a new object under a name never used before, so that a replaced
 * tone's old audio and its new one never share a name: the old one is deleted by its generation.
 */
export interface ToneAudioStore {
  /** Writes `bytes` as a new object; refused (never overwritten) when the name is taken. Returns its generation. */
  create(name: string, bytes: Uint8Array): Promise<string>;
  /** The bytes of exactly that generation, or undefined when it is gone. Tones are small: read whole. */
  read(name: string, generation: string): Promise<Buffer | undefined>;
  /** Deletes that generation only; `absent` when it was already gone. */
  delete(name: string, generation: string): Promise<'deleted' | 'absent'>;
  /** The bucket's tone objects, oldest first, at most `limit` of them. */
  list(limit: number): Promise<ToneAudioObject[]>;
}
