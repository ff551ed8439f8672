/**
 * An uploaded tone or whisper recording (NOT-3, NOT-4) is accepted for what its bytes are, never for
 * its name or declared type: an MPEG audio file (an `.mp3`), read frame by frame.
 *
 * What is accepted, in order:
 * 1. optionally, ID3v2 tags (`ID3`, skipped by their syncsafe size, footer included), then any zero
 *    bytes of padding an encoder left after them;
 * 2. one or more MPEG-1, MPEG-2 or MPEG-2.5 Layer III frames, back to back: each header is checked
 *    (sync, version, layer, bitrate neither free-format nor bad, sample rate not reserved), the
 *    frame's length computed from it, and the next header must start exactly there. Every frame has
 *    the version and sample rate of the first (a stream never changes them; random bytes would);
 * 3. optionally, an APEv2 tag (`APETAGEX`) and then an ID3v1 tag (`TAG`, 128 bytes), in that order,
 *    up to the very end. Nothing else may follow the frames: a Lyrics3 tag, or any other bytes, is
 *    refused as corrupt.
 *
 * The duration is counted from the frames themselves (samples per frame / sample rate, for every
 * frame present), so it is exact for constant and variable bitrates alike. A Xing/Info or VBRI frame
 * (the first frame of a VBR file, which holds no audio) is recognised and not counted; the frame count
 * it declares is not trusted, since a header could claim a short file that is in fact long.
 */

/** A tone or a whisper recording: well under a megabyte at any usual bitrate for 30 s. */
export const MAX_TONE_BYTES = 1_000_000;
/** A tone repeats and a whisper delays the call: neither needs more than 30 seconds. */
export const MAX_TONE_DURATION_MS = 30_000;

export type AudioRefusal =
  'empty' | 'too_big' | 'not_mpeg_audio' | 'no_audio_frames' | 'truncated' | 'corrupt' | 'too_long';

export interface MpegAudio {
  durationMs: number;
  /** Audio frames, the Xing/Info/VBRI frame not included. */
  frames: number;
  sampleRate: number;
  version: 'MPEG-1' | 'MPEG-2' | 'MPEG-2.5';
  /** Whether the file announces itself as variable bitrate (a Xing or VBRI frame). */
  vbrHeader: 'xing' | 'info' | 'vbri' | null;
}

export type AudioCheck =
  { ok: true; audio: MpegAudio } | { ok: false; reason: AudioRefusal; message: string; offset?: number };

export interface AudioLimits {
  maxBytes: number;
  maxDurationMs: number;
}

export const TONE_LIMITS: AudioLimits = { maxBytes: MAX_TONE_BYTES, maxDurationMs: MAX_TONE_DURATION_MS };

type Version = MpegAudio['version'];

interface FrameHeader {
  version: Version;
  sampleRate: number;
  samples: number;
  length: number;
  mono: boolean;
  crc: boolean;
}

const VERSIONS: readonly (Version | undefined)[] = ['MPEG-2.5', undefined, 'MPEG-2', 'MPEG-1'];
const LAYER_III = 0b01;
const BITRATES_KBPS: Record<'v1' | 'v2', readonly number[]> = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<Version, readonly number[]> = {
  'MPEG-1': [44100, 48000, 32000],
  'MPEG-2': [22050, 24000, 16000],
  'MPEG-2.5': [11025, 12000, 8000],
};

/** The frame header at `at`, or undefined when the four bytes there are not a valid Layer III header. */
export function frameHeaderAt(bytes: Uint8Array, at: number): FrameHeader | undefined {
  if (at + 4 > bytes.length) return undefined;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  const b3 = bytes[at + 3]!;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = VERSIONS[(b1 >> 3) & 0b11];
  if (!version || ((b1 >> 1) & 0b11) !== LAYER_III) return undefined;
  const bitrateIndex = b2 >> 4;
  const sampleRateIndex = (b2 >> 2) & 0b11;
  if (bitrateIndex === 0 || bitrateIndex === 15 || sampleRateIndex === 3) return undefined;
  const mpeg1 = version === 'MPEG-1';
  const bitrate = BITRATES_KBPS[mpeg1 ? 'v1' : 'v2'][bitrateIndex]! * 1000;
  const sampleRate = SAMPLE_RATES[version][sampleRateIndex]!;
  const padding = (b2 >> 1) & 1;
  const samples = mpeg1 ? 1152 : 576;
  return {
    version,
    sampleRate,
    samples,
    length: Math.floor(((samples / 8) * bitrate) / sampleRate) + padding,
    mono: b3 >> 6 === 0b11,
    crc: (b1 & 1) === 0,
  };
}

const ascii = (bytes: Uint8Array, at: number, length: number) =>
  at + length <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + length)) : '';

/** Where the frames start after any ID3v2 tags and the zero padding after them; 'truncated' when a tag runs past the end. */
function afterId3v2Tags(bytes: Uint8Array): number | 'truncated' {
  let at = 0;
  while (ascii(bytes, at, 3) === 'ID3') {
    if (at + 10 > bytes.length) return 'truncated';
    const size = bytes.subarray(at + 6, at + 10);
    // Syncsafe: seven bits a byte; a set high bit means this is no ID3v2 header at all.
    if (size.some((byte) => byte >= 0x80)) return at;
    const footer = (bytes[at + 5]! & 0x10) !== 0 ? 10 : 0;
    const end = at + 10 + ((size[0]! << 21) | (size[1]! << 14) | (size[2]! << 7) | size[3]!) + footer;
    if (end > bytes.length) return 'truncated';
    at = end;
  }
  if (at > 0) while (at < bytes.length && bytes[at] === 0) at++;
  return at;
}

/** Whether bytes[at..] is exactly trailing tags: an APEv2 tag and/or an ID3v1 tag, and nothing else. */
function onlyTrailingTags(bytes: Uint8Array, at: number): boolean {
  let end = bytes.length;
  if (end - at >= 128 && ascii(bytes, end - 128, 3) === 'TAG') end -= 128;
  if (end === at) return true;
  // APEv2: a 32-byte footer whose size counts the items and the footer; a header, when flagged, adds 32.
  if (end - at >= 32 && ascii(bytes, end - 32, 8) === 'APETAGEX') {
    const footer = new DataView(bytes.buffer, bytes.byteOffset + end - 32, 32);
    const hasHeader = (footer.getUint32(20, true) & 0x80000000) !== 0;
    const size = footer.getUint32(12, true) + (hasHeader ? 32 : 0);
    return end - size === at && (!hasHeader || ascii(bytes, at, 8) === 'APETAGEX');
  }
  return false;
}

/** The VBR header a first frame carries, if any: it describes the file and holds no audio. */
function vbrHeaderOf(bytes: Uint8Array, at: number, header: FrameHeader): MpegAudio['vbrHeader'] {
  const sideInfo = header.version === 'MPEG-1' ? (header.mono ? 17 : 32) : header.mono ? 9 : 17;
  const xingAt = at + 4 + (header.crc ? 2 : 0) + sideInfo;
  const xing = ascii(bytes, xingAt, 4);
  if (xingAt + 4 <= at + header.length && (xing === 'Xing' || xing === 'Info'))
    return xing === 'Xing' ? 'xing' : 'info';
  if (at + 36 + 4 <= at + header.length && ascii(bytes, at + 36, 4) === 'VBRI') return 'vbri';
  return null;
}

/** What a file that is not MPEG audio looks like, to say so plainly. */
function recognisedFormat(bytes: Uint8Array): string | undefined {
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return 'a WAV file';
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'a PNG image';
  if (ascii(bytes, 0, 4) === 'OggS') return 'an Ogg file';
  if (ascii(bytes, 0, 4) === 'fLaC') return 'a FLAC file';
  if (ascii(bytes, 0, 4) === 'FORM' && ascii(bytes, 8, 3) === 'AIF') return 'an AIFF file';
  if (ascii(bytes, 4, 4) === 'ftyp') return 'an MP4/M4A file';
  if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'a JPEG image';
  const head = bytes.subarray(0, 512);
  if (head.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f)))
    return 'text';
  return undefined;
}

const refuse = (reason: AudioRefusal, message: string, offset?: number): AudioCheck => ({
  ok: false,
  reason,
  message,
  ...(offset !== undefined ? { offset } : {}),
});

/** Checks that `bytes` are one MPEG Layer III audio file within `limits`, and measures it. */
export function checkMpegAudio(bytes: Uint8Array, limits: AudioLimits = TONE_LIMITS): AudioCheck {
  if (bytes.length === 0) return refuse('empty', 'The file is empty.');
  if (bytes.length > limits.maxBytes)
    return refuse('too_big', `The file is ${bytes.length} bytes; at most ${limits.maxBytes} are accepted.`);
  const start = afterId3v2Tags(bytes);
  if (start === 'truncated')
    return refuse('truncated', 'The file is cut short: its ID3 tag runs past the end of the file.');
  const first = frameHeaderAt(bytes, start);
  if (!first) {
    if (start > 0 && start === bytes.length)
      return refuse('no_audio_frames', 'The file holds an ID3 tag but no audio.');
    const format = start === 0 ? recognisedFormat(bytes) : undefined;
    return refuse(
      'not_mpeg_audio',
      format
        ? `The file is not MPEG audio (.mp3): it is ${format}.`
        : 'The file is not MPEG audio (.mp3): no MPEG Layer III frame where the audio should start.',
      start,
    );
  }
  const vbrHeader = vbrHeaderOf(bytes, start, first);
  let frames = 0;
  let at = start;
  while (at < bytes.length) {
    const header = frameHeaderAt(bytes, at);
    if (!header && bytes.length - at < 4 && bytes[at] === 0xff)
      return refuse('truncated', 'The file is cut short in the middle of a frame header.', at);
    if (!header || header.version !== first.version || header.sampleRate !== first.sampleRate) {
      if ((frames > 0 || vbrHeader) && onlyTrailingTags(bytes, at)) break;
      return refuse('corrupt', `The audio is corrupt: no valid frame at byte ${at}.`, at);
    }
    if (at + header.length > bytes.length)
      return refuse(
        'truncated',
        `The file is cut short: its last frame needs ${header.length} bytes and ${bytes.length - at} are left.`,
        at,
      );
    if (at !== start || !vbrHeader) frames++;
    at += header.length;
  }
  if (frames === 0) return refuse('no_audio_frames', 'The file holds no audio frames.');
  const durationMs = Math.round((frames * first.samples * 1000) / first.sampleRate);
  if (durationMs > limits.maxDurationMs)
    return refuse(
      'too_long',
      `The audio lasts ${(durationMs / 1000).toFixed(1)} s; at most ${limits.maxDurationMs / 1000} s are accepted.`,
    );
  return {
    ok: true,
    audio: { durationMs, frames, sampleRate: first.sampleRate, version: first.version, vbrHeader },
  };
}
