import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MultipartParser } from '../salesforce.js';

/**
 * The local Salesforce server's multipart parser: whatever the chunks the body arrives in, each
 * part's headers and bytes come out as they were sent, delimiters that straddle chunks included.
 */
const BOUNDARY = '----switchboard0123456789abcdef';

function body(parts: { name: string; bytes: Buffer }[]) {
  const pieces: Buffer[] = [Buffer.from('preamble to drop\r\n')];
  for (const part of parts)
    pieces.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n`),
      part.bytes,
      Buffer.from('\r\n'),
    );
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

function parse(chunks: Buffer[]) {
  const parts: { name: string; bytes: Buffer; ended: boolean }[] = [];
  const parser = new MultipartParser(BOUNDARY, (headers) => {
    const part = {
      name: /name="([^"]*)"/.exec(headers['content-disposition'] ?? '')![1]!,
      received: [] as Buffer[],
      bytes: Buffer.alloc(0),
      ended: false,
    };
    parts.push(part);
    return {
      // Copied: the parser may hand out views of buffers it reuses.
      data: (chunk) => part.received.push(Buffer.from(chunk)),
      end: () => {
        part.bytes = Buffer.concat(part.received);
        part.ended = true;
      },
    };
  });
  for (const chunk of chunks) parser.write(chunk);
  return {
    complete: parser.complete,
    parts: parts.map(({ name, bytes, ended }) => ({ name, bytes, ended })),
  };
}

/** Bytes that look like the delimiter's beginning, to tempt a parser that looks only at one chunk. */
const lookalike = Buffer.from(`\r\n--${BOUNDARY.slice(0, 12)}x\r\n-${'\r\n--'.repeat(3)}`);

describe('the local Salesforce server reads multipart bodies', () => {
  const sent = [
    { name: 'entity_content', bytes: Buffer.from('{"Title":"call.wav (part 1 of 2)"}') },
    { name: 'VersionData', bytes: Buffer.concat([randomBytes(300), lookalike, randomBytes(200)]) },
  ];
  const whole = body(sent);
  const expected = { complete: true, parts: sent.map((p) => ({ ...p, ended: true })) };

  it('in one chunk', () => {
    expect(parse([whole])).toEqual(expected);
  });

  it('split in two at every offset', () => {
    for (let at = 1; at < whole.length; at++)
      expect(parse([whole.subarray(0, at), whole.subarray(at)]), `split at ${at}`).toEqual(expected);
  });

  it('in chunks of every size from 1 byte to twice the delimiter', () => {
    for (let size = 1; size <= 2 * (BOUNDARY.length + 4); size++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < whole.length; at += size) chunks.push(whole.subarray(at, at + size));
      expect(parse(chunks), `chunks of ${size}`).toEqual(expected);
    }
  });

  it('a body cut short is not complete, and its last part never ends', () => {
    const cut = whole.subarray(0, whole.length - 30);
    const { complete, parts } = parse([cut]);
    expect(complete).toBe(false);
    expect(parts.at(-1)!.ended).toBe(false);
  });
});
