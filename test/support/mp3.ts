/**
 * Small, real MPEG Layer III files built from frame headers, for tests of uploaded tones (NOT-4): a
 * decoder would play each frame as silence. No binary fixtures: every byte is made here.
 */
export interface FrameShape {
  version?: 'MPEG-1' | 'MPEG-2' | 'MPEG-2.5';
  /** An index into the Layer III bitrate table of the version (1 … 14). */
  bitrateIndex?: number;
  sampleRateIndex?: number;
  padding?: boolean;
  mono?: boolean;
}

const VERSION_BITS = { 'MPEG-1': 0b11, 'MPEG-2': 0b10, 'MPEG-2.5': 0b00 } as const;
const BITRATES = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES = {
  'MPEG-1': [44100, 48000, 32000],
  'MPEG-2': [22050, 24000, 16000],
  'MPEG-2.5': [11025, 12000, 8000],
};

export function frameHeader(shape: FrameShape = {}): Buffer {
  const { version = 'MPEG-1', bitrateIndex = 9, sampleRateIndex = 0, padding = false, mono = false } = shape;
  return Buffer.from([
    0xff,
    0xe0 | (VERSION_BITS[version] << 3) | (0b01 << 1) | 1,
    (bitrateIndex << 4) | (sampleRateIndex << 2) | (padding ? 2 : 0),
    mono ? 0xc0 : 0x40,
  ]);
}

export function frameLength(shape: FrameShape = {}): number {
  const { version = 'MPEG-1', bitrateIndex = 9, sampleRateIndex = 0, padding = false } = shape;
  const samples = version === 'MPEG-1' ? 1152 : 576;
  const bitrate = BITRATES[version === 'MPEG-1' ? 'v1' : 'v2'][bitrateIndex]! * 1000;
  return Math.floor(((samples / 8) * bitrate) / SAMPLE_RATES[version][sampleRateIndex]!) + (padding ? 1 : 0);
}

/** One frame: its header, then silence (zeros) to its computed length. */
export function frame(shape: FrameShape = {}): Buffer {
  const bytes = Buffer.alloc(frameLength(shape));
  frameHeader(shape).copy(bytes);
  return bytes;
}

/** `count` frames of one shape, back to back: a constant-bitrate file. */
export function cbr(count: number, shape: FrameShape = {}): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => frame(shape)));
}

/** A Xing (or Info) frame declaring `declaredFrames`, then frames of varying bitrates: a VBR file. */
export function vbr(
  bitrateIndexes: readonly number[],
  declaredFrames = bitrateIndexes.length,
  tag = 'Xing',
): Buffer {
  const first = frame({ bitrateIndex: 9 });
  // MPEG-1 stereo: 32 bytes of side information after the header.
  first.write(tag, 4 + 32, 'latin1');
  first.writeUInt32BE(0x1, 4 + 32 + 4);
  first.writeUInt32BE(declaredFrames, 4 + 32 + 8);
  return Buffer.concat([first, ...bitrateIndexes.map((bitrateIndex) => frame({ bitrateIndex }))]);
}

/** An ID3v2.4 tag of `bodyBytes` bytes (its size syncsafe), with a title frame at its start. */
export function id3v2(bodyBytes = 64): Buffer {
  const header = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1');
  header[6] = (bodyBytes >> 21) & 0x7f;
  header[7] = (bodyBytes >> 14) & 0x7f;
  header[8] = (bodyBytes >> 7) & 0x7f;
  header[9] = bodyBytes & 0x7f;
  const body = Buffer.alloc(bodyBytes);
  body.write('TIT2', 0, 'latin1');
  return Buffer.concat([header, body]);
}

/** An ID3v1 trailer: `TAG` and 125 bytes of fields. */
export function id3v1(): Buffer {
  const tag = Buffer.alloc(128);
  tag.write('TAGA tone', 0, 'latin1');
  return tag;
}

/** What a WAV file of `dataBytes` of silence is: a RIFF header, then PCM samples. */
export function wav(dataBytes = 4000): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, Buffer.alloc(dataBytes)]);
}

/** A short, valid tone: an ID3v2 tag and 2 s of 128 kbps MPEG-1 frames (77 frames, about 32 KB). */
export function demoTone(frames = 77): Buffer {
  return Buffer.concat([id3v2(), cbr(frames)]);
}
