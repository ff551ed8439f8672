/**
 * What a consumer may upload for a smart action (SMA-2, SMA-3): photos, screenshots and videos asked
 * for by the agent, and the files a web chat consumer attaches. A file is judged by its first bytes
 * (its signature), never by its name or the type it declares: a `.png` that is a program is refused.
 */

/** The formats accepted, each recognised by its signature. */
export type MediaFormat = 'png' | 'jpeg' | 'mp4';

/** What a media upload is for: an agent's request (with its action) or a web chat attachment. */
export type MediaPurpose = 'photos' | 'screenshot' | 'video' | 'attachment';

/** Why a file is refused; each is recorded on the media record and shown to the agent. */
export type MediaRefusal =
  | 'empty'
  | 'executable'
  | 'not_a_supported_format'
  | 'wrong_kind_for_request'
  | 'does_not_match_file_name'
  | 'too_large'
  | 'size_differs_from_declared'
  | 'too_many_files'
  | 'upload_expired'
  | 'not_issued';

/** How many first bytes the checks read: enough for an MP4's `ftyp` box with a few brands. */
export const HEAD_BYTES = 64;

const MB = 1_000_000;
/**
 * Largest accepted file of each kind. Phone photos and screenshots are a few MB (a 48-megapixel
 * PNG screenshot stays under 40 MB); a few minutes of phone video fit in 500 MB.
 */
export const MAX_BYTES: Readonly<Record<MediaFormat, number>> = {
  png: 40 * MB,
  jpeg: 40 * MB,
  mp4: 500 * MB,
};

/** Files a request allows (photos up to 4, SMA-1 and SMA-2); attachments are one URL per ask. */
export const FILES_PER_PURPOSE: Readonly<Record<MediaPurpose, number>> = {
  photos: 4,
  screenshot: 1,
  video: 1,
  attachment: 1,
};

/** The formats each purpose takes: images for photos and screenshots, MP4 for videos. */
const FORMATS_FOR: Readonly<Record<MediaPurpose, readonly MediaFormat[]>> = {
  photos: ['png', 'jpeg'],
  screenshot: ['png', 'jpeg'],
  video: ['mp4'],
  attachment: ['png', 'jpeg', 'mp4'],
};

export const CONTENT_TYPES: Readonly<Record<MediaFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  mp4: 'video/mp4',
};

/** Web chat attachments (SMA-3): only these names, each holding what its extension says. */
const ATTACHMENT_EXTENSIONS = new Map<string, MediaFormat>([
  ['.png', 'png'],
  ['.jpg', 'jpeg'],
  ['.mp4', 'mp4'],
]);

/** The format a web chat attachment's file name announces, or nothing when its extension is not allowed. */
export function attachmentFormat(fileName: string): MediaFormat | undefined {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? undefined : ATTACHMENT_EXTENSIONS.get(fileName.slice(dot).toLowerCase());
}

/**
 * ISO base media brands of MP4 files as phones and browsers write them. QuickTime (`qt  `) is not
 * MP4 and is not accepted.
 */
const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso3',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'avc1',
  'M4V ',
  'dash',
  '3gp4',
  '3gp5',
  '3gp6',
  '3g2a',
]);

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0) =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

const ascii = (head: Uint8Array, from: number, to: number) => String.fromCharCode(...head.subarray(from, to));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Windows (MZ), ELF, Mach-O (both byte orders, and fat binaries), and scripts (`#!`). */
const EXECUTABLE_SIGNATURES: readonly (readonly number[])[] = [
  [0x4d, 0x5a],
  [0x7f, 0x45, 0x4c, 0x46],
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe],
  [0x23, 0x21],
];

/** An MP4 starts with an `ftyp` box: size, `ftyp`, a major brand, a minor version, compatible brands. */
function isMp4(head: Uint8Array): boolean {
  if (head.length < 16 || ascii(head, 4, 8) !== 'ftyp') return false;
  const boxSize = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (boxSize < 16 || boxSize % 4 !== 0) return false;
  if (MP4_BRANDS.has(ascii(head, 8, 12))) return true;
  const end = Math.min(boxSize, head.length);
  for (let at = 16; at + 4 <= end; at += 4) if (MP4_BRANDS.has(ascii(head, at, at + 4))) return true;
  return false;
}

/** The format of a file from its first bytes, or why it is none of those accepted. */
export function recogniseMedia(
  head: Uint8Array,
): { format: MediaFormat } | { refused: 'empty' | 'executable' | 'not_a_supported_format' } {
  if (head.length === 0) return { refused: 'empty' };
  if (startsWith(head, PNG_SIGNATURE)) return { format: 'png' };
  // Start of image, then the first segment's marker (0xFF followed by a marker byte).
  if (startsWith(head, [0xff, 0xd8, 0xff]) && head.length >= 4 && head[3]! >= 0xc0 && head[3]! !== 0xff)
    return { format: 'jpeg' };
  if (isMp4(head)) return { format: 'mp4' };
  if (EXECUTABLE_SIGNATURES.some((signature) => startsWith(head, signature)))
    return { refused: 'executable' };
  return { refused: 'not_a_supported_format' };
}

/** What the finalize knows of an uploaded file and of the slot it was uploaded to. */
export interface UploadedFile {
  purpose: MediaPurpose;
  /** The first bytes (at most HEAD_BYTES are looked at). */
  head: Uint8Array;
  sizeBytes: number;
  /** The size announced when the URL was issued: the upload session was made for exactly that. */
  declaredBytes: number;
  /** An attachment's file name, as the consumer chose it. */
  fileName?: string;
  /** Files of the same request already accepted. */
  acceptedBefore: number;
  /** Files the request allows. */
  maxFiles: number;
  /** When the upload had to be finished by, and when it was. */
  uploadExpiresAt: Date;
  finalizedAt: Date;
}

export type UploadVerdict =
  { accepted: true; format: MediaFormat } | { accepted: false; reason: MediaRefusal };

/** Accepts a file, or names why not: count, time and size first (they need no bytes), then content. */
export function judgeUpload(file: UploadedFile): UploadVerdict {
  const refuse = (reason: MediaRefusal): UploadVerdict => ({ accepted: false, reason });
  if (file.acceptedBefore >= file.maxFiles) return refuse('too_many_files');
  if (file.finalizedAt.getTime() > file.uploadExpiresAt.getTime()) return refuse('upload_expired');
  if (file.sizeBytes !== file.declaredBytes) return refuse('size_differs_from_declared');
  const recognised = recogniseMedia(file.head.subarray(0, HEAD_BYTES));
  if ('refused' in recognised) return refuse(recognised.refused);
  const { format } = recognised;
  if (!FORMATS_FOR[file.purpose].includes(format)) return refuse('wrong_kind_for_request');
  if (file.purpose === 'attachment' && attachmentFormat(file.fileName ?? '') !== format)
    return refuse('does_not_match_file_name');
  if (file.sizeBytes > MAX_BYTES[format]) return refuse('too_large');
  return { accepted: true, format };
}

/** The largest size that can be declared for a purpose: what its largest accepted format allows. */
export const maxDeclarableBytes = (purpose: MediaPurpose): number =>
  Math.max(...FORMATS_FOR[purpose].map((format) => MAX_BYTES[format]));

/** How long an upload URL may be used: long enough for 500 MB on a slow phone link, no longer. */
export const UPLOAD_WINDOW_MS = 30 * 60_000;
/** How long a download URL handed to an agent or a supervisor works. */
export const DOWNLOAD_WINDOW_MS = 15 * 60_000;
/** Media is kept as the session's recordings are: 7 days (REC-3), then deleted. */
export const MEDIA_RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * The object a file is uploaded to, chosen here and never by the uploader: under the session and the
 * request (or `_attachments`, which no request id can be: ids start with a letter or digit).
 */
export function mediaObjectName(sessionId: string, requestKey: string, slot: number, random: string): string {
  return `media/${sessionId}/${requestKey}/${slot}-${random}`;
}

export const ATTACHMENTS_KEY = '_attachments';

/** The parts of a media object's name, or nothing when the name is not one this code chose. */
export function parseMediaObjectName(
  name: string,
): { sessionId: string; requestKey: string; slot: number; random: string } | undefined {
  const match =
    /^media\/([A-Za-z0-9][A-Za-z0-9._:@-]{0,127})\/(_attachments|[A-Za-z0-9][A-Za-z0-9._:@-]{0,127})\/([1-9]\d{0,2})-([0-9a-f]{24})$/.exec(
      name,
    );
  if (!match) return undefined;
  const [, sessionId = '', requestKey = '', slot = '', random = ''] = match;
  return { sessionId, requestKey, slot: Number(slot), random };
}
