/**
 * A recording of any size, made of deterministic pseudo-random 64 KiB blocks, generated block by
 * block (never held whole): the same seed gives the same bytes, so what the CRM received can be
 * checked against a second pass. Random-looking, so that nothing on the way compresses it away.
 */
const BLOCK = 64 * 1024;

function block(seed: number, index: number): Buffer {
  const bytes = Buffer.allocUnsafeSlow(BLOCK);
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, BLOCK / 4);
  let x = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return bytes;
}

/** Bytes [start, end) of the recording `seed`. */
export function* recordingBytes(seed: number, start: number, end: number): Generator<Buffer> {
  let offset = start;
  while (offset < end) {
    const index = Math.floor(offset / BLOCK);
    const from = offset - index * BLOCK;
    const to = Math.min(BLOCK, end - index * BLOCK);
    const bytes = block(seed, index);
    yield from === 0 && to === BLOCK ? bytes : bytes.subarray(from, to);
    offset = index * BLOCK + to;
  }
}
