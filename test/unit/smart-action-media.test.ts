import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attachmentFormat,
  HEAD_BYTES,
  judgeUpload,
  MAX_BYTES,
  mediaObjectName,
  parseMediaObjectName,
  recogniseMedia,
  type UploadedFile,
} from '../../functions/src/domain/smart-actions/media.js';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

const PNG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], 'IHDR');
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF');
const mp4 = (major: string, compatible: string[] = []) => {
  const size = 16 + 4 * compatible.length;
  return bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 2, 0], compatible.join(''), [0, 0, 0, 8], 'free');
};
const MP4 = mp4('isom', ['isom', 'iso2', 'avc1', 'mp41']);
const EXE = bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0]);
const ELF = bytes([0x7f], 'ELF', [2, 1, 1, 0]);
const SCRIPT = bytes('#!/bin/sh\nrm -rf /\n');

const NOW = new Date('2026-12-03T10:00:00Z');
const file = (over: Partial<UploadedFile>): UploadedFile => ({
  purpose: 'photos',
  head: PNG,
  sizeBytes: 2_000_000,
  declaredBytes: 2_000_000,
  acceptedBefore: 0,
  maxFiles: 4,
  uploadExpiresAt: new Date(NOW.getTime() + 60_000),
  finalizedAt: NOW,
  ...over,
});

describe('recognising media by its first bytes', () => {
  it('when a file starts with the PNG, JPEG or MP4 signature, then it is that format', () => {
    expect(recogniseMedia(PNG)).toEqual({ format: 'png' });
    expect(recogniseMedia(JPEG)).toEqual({ format: 'jpeg' });
    expect(recogniseMedia(MP4)).toEqual({ format: 'mp4' });
    expect(recogniseMedia(mp4('qt  ', ['qt  ', 'mp42']))).toEqual({ format: 'mp4' });
  });

  it('when a file is a program (MZ, ELF, a script), then it is refused as executable', () => {
    for (const program of [EXE, ELF, SCRIPT])
      expect(recogniseMedia(program)).toEqual({ refused: 'executable' });
  });

  it('when an ftyp box names only QuickTime or unknown brands, or is cut short, then it is not MP4', () => {
    expect(recogniseMedia(mp4('qt  ', ['qt  ']))).toEqual({ refused: 'not_a_supported_format' });
    expect(recogniseMedia(mp4('abcd'))).toEqual({ refused: 'not_a_supported_format' });
    expect(recogniseMedia(MP4.subarray(0, 12))).toEqual({ refused: 'not_a_supported_format' });
    expect(recogniseMedia(bytes([0xff, 0xd8, 0xff]))).toEqual({ refused: 'not_a_supported_format' });
    expect(recogniseMedia(new Uint8Array())).toEqual({ refused: 'empty' });
  });

  it('when bytes are random, then they are accepted only with a real signature in front', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: HEAD_BYTES }), (head) => {
        const seen = recogniseMedia(head);
        if ('format' in seen) {
          const expectedStart = { png: PNG.subarray(0, 8), jpeg: JPEG.subarray(0, 3), mp4: undefined }[
            seen.format
          ];
          if (expectedStart) expect([...head.subarray(0, expectedStart.length)]).toEqual([...expectedStart]);
          else expect(Buffer.from(head.subarray(4, 8)).toString('latin1')).toBe('ftyp');
        }
      }),
    );
  });

  it('when a real signature is followed by anything, then the format is still recognised', () => {
    fc.assert(
      fc.property(fc.constantFrom(PNG, JPEG, MP4), fc.uint8Array({ maxLength: 64 }), (start, rest) => {
        const head = Uint8Array.from([...start, ...rest]);
        expect('format' in recogniseMedia(head)).toBe(true);
      }),
    );
  });
});

describe('judging an uploaded file', () => {
  it('when a photo is a PNG of the declared size, then it is accepted', () => {
    expect(judgeUpload(file({}))).toEqual({ accepted: true, format: 'png' });
    expect(judgeUpload(file({ purpose: 'video', head: MP4 }))).toEqual({ accepted: true, format: 'mp4' });
  });

  it('when the request already has all its files, then a fifth photo is refused', () => {
    expect(judgeUpload(file({ acceptedBefore: 3 })).accepted).toBe(true);
    expect(judgeUpload(file({ acceptedBefore: 4 }))).toEqual({ accepted: false, reason: 'too_many_files' });
  });

  it('when the upload finished after its window, then it is refused', () => {
    const late = new Date(NOW.getTime() + 60_001);
    expect(judgeUpload(file({ finalizedAt: late }))).toEqual({ accepted: false, reason: 'upload_expired' });
  });

  it('when a .png is an executable, then it is refused as executable whatever its purpose', () => {
    for (const purpose of ['photos', 'screenshot', 'attachment'] as const)
      expect(judgeUpload(file({ purpose, head: EXE, fileName: 'cat.png' }))).toEqual({
        accepted: false,
        reason: 'executable',
      });
  });

  it('when a video is asked and a photo comes (or the reverse), then it is the wrong kind', () => {
    expect(judgeUpload(file({ purpose: 'video', head: PNG }))).toEqual({
      accepted: false,
      reason: 'wrong_kind_for_request',
    });
    expect(judgeUpload(file({ purpose: 'screenshot', head: MP4 }))).toEqual({
      accepted: false,
      reason: 'wrong_kind_for_request',
    });
  });

  it('when a file is larger than its format allows or than declared, then it is refused', () => {
    const big = MAX_BYTES.png + 1;
    expect(judgeUpload(file({ sizeBytes: big, declaredBytes: big }))).toEqual({
      accepted: false,
      reason: 'too_large',
    });
    const video = MAX_BYTES.mp4;
    expect(
      judgeUpload(file({ purpose: 'video', head: MP4, sizeBytes: video, declaredBytes: video })).accepted,
    ).toBe(true);
    expect(judgeUpload(file({ sizeBytes: 10 }))).toEqual({
      accepted: false,
      reason: 'size_differs_from_declared',
    });
  });

  it('when a web chat attachment holds what its .png, .jpg or .mp4 name says, then it is accepted', () => {
    const attachment = (head: Uint8Array, fileName: string) =>
      judgeUpload(file({ purpose: 'attachment', head, fileName }));
    expect(attachment(PNG, 'screen.PNG')).toEqual({ accepted: true, format: 'png' });
    expect(attachment(JPEG, 'photo.jpg')).toEqual({ accepted: true, format: 'jpeg' });
    expect(attachment(MP4, 'clip.mp4')).toEqual({ accepted: true, format: 'mp4' });
    expect(attachment(JPEG, 'photo.png')).toEqual({ accepted: false, reason: 'does_not_match_file_name' });
  });

  it('only .png, .jpg and .mp4 names are attachments', () => {
    expect(['a.png', 'a.JPG', 'a.b.mp4'].map(attachmentFormat)).toEqual(['png', 'jpeg', 'mp4']);
    expect(['a.gif', 'a.jpeg', 'a.exe', 'png', 'a.png.exe', ''].map(attachmentFormat)).toEqual(
      Array(6).fill(undefined),
    );
  });
});

describe('media object names', () => {
  it('when a name was made here, then it parses back to the same parts; anything else does not parse', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}$/),
        fc.oneof(fc.constant('_attachments'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/)),
        fc.integer({ min: 1, max: 999 }),
        fc.stringMatching(/^[0-9a-f]{24}$/),
        (sessionId, requestKey, slot, random) => {
          const name = mediaObjectName(sessionId, requestKey, slot, random);
          expect(parseMediaObjectName(name)).toEqual({ sessionId, requestKey, slot, random });
        },
      ),
    );
    for (const other of [
      'recordings/a.wav',
      'media/s/r/0-0123456789abcdef01234567',
      'media/s/r/1-xyz',
      'media/s/../1-0123456789abcdef01234567',
    ])
      expect(parseMediaObjectName(other)).toBeUndefined();
  });
});
