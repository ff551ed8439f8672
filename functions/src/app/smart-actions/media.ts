import type { Actor } from '../../domain/access/permissions.js';
import { conflict, invalidRequest, notFound } from '../../domain/errors.js';
import {
  ATTACHMENTS_KEY,
  attachmentFormat,
  CONTENT_TYPES,
  DOWNLOAD_WINDOW_MS,
  FILES_PER_PURPOSE,
  HEAD_BYTES,
  judgeUpload,
  MAX_BYTES,
  maxDeclarableBytes,
  MEDIA_RETENTION_MS,
  mediaObjectName,
  parseMediaObjectName,
  UPLOAD_WINDOW_MS,
  type MediaPurpose,
} from '../../domain/smart-actions/media.js';
import { logs } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { MediaBlobs, MediaRecord, MediaRecords } from '../../ports/smart-action-media.js';
import type { SmartActionRequests } from '../../ports/smart-actions.js';
import { visibleSession, type SupervisionDeps } from '../supervision/deps.js';
import { stateAt } from '../../domain/smart-actions/actions.js';

export interface MediaDeps {
  sessions: Pick<SessionRepository, 'getSession'>;
  records: MediaRecords;
  blobs: MediaBlobs;
  requests: Pick<SmartActionRequests, 'get' | 'settle'>;
  clock: Clock;
  /** 24 lowercase hex digits, random: the media id, and the unguessable part of its object's name. */
  newMediaId: () => string;
}

/** At most this many attachments a web chat (SMA-3): the count a caller controls is bounded. */
export const MAX_ATTACHMENTS_PER_CHAT = 20;

const MEDIA_ACTIONS = new Map<string, MediaPurpose>([
  ['photos', 'photos'],
  ['screenshot', 'screenshot'],
  ['video', 'video'],
]);

export interface UploadAsk {
  sessionId: string;
  /** The smart-action request the files answer; none for a web chat attachment. */
  requestId?: string;
  /** The platform's id of this ask: asked again with it, the same URLs come back. */
  askId: string;
  files: { sizeBytes: number; fileName?: string }[];
}

export interface IssuedUpload {
  mediaId: string;
  slot: number;
  object: string;
  uploadUrl: string;
  sizeBytes: number;
  expiresAt: string;
}

interface Target {
  purpose: MediaPurpose;
  requestKey: string;
  requestId: string | null;
  agentId: string;
  maxFiles: number;
}

/** Where the files of an ask go, or a 4xx naming why it cannot have any. */
async function targetOf(deps: MediaDeps, ask: UploadAsk): Promise<Target> {
  const session = await deps.sessions.getSession(ask.sessionId);
  if (!session || session.status === 'pending') throw notFound('The session');
  if (session.status === 'ended')
    throw conflict('session_ended', 'The session has ended: it takes no more files.');
  if (ask.requestId !== undefined) {
    const request = await deps.requests.get(ask.sessionId, ask.requestId);
    if (!request) throw notFound('The smart-action request');
    const purpose = MEDIA_ACTIONS.get(request.action);
    if (!purpose)
      throw conflict('not_a_media_request', `A ${request.action} request takes no files.`, {
        action: request.action,
      });
    const state = stateAt(request, deps.clock.now());
    if (state !== 'requested')
      throw conflict('request_not_open', 'The request was answered, declined or has expired.', { state });
    return {
      purpose,
      requestKey: ask.requestId,
      requestId: ask.requestId,
      agentId: request.agentId,
      maxFiles: Math.min(request.maxFiles, FILES_PER_PURPOSE[purpose]),
    };
  }
  if (session.kind !== 'chat' || session.channel !== 'web')
    throw conflict(
      'attachments_only_in_web_chats',
      'Files without a request are attachments, which only web SDK chats have (SMA-3).',
    );
  if (!session.agent) throw conflict('no_agent', 'The chat has no agent yet to show the file to.');
  return {
    purpose: 'attachment',
    requestKey: ATTACHMENTS_KEY,
    requestId: null,
    agentId: session.agent.id,
    maxFiles: MAX_ATTACHMENTS_PER_CHAT,
  };
}

function checkFiles(purpose: MediaPurpose, files: UploadAsk['files']) {
  files.forEach((file, index) => {
    const path = `files.${index}`;
    if (purpose === 'attachment') {
      const format = file.fileName === undefined ? undefined : attachmentFormat(file.fileName);
      if (!format)
        throw invalidRequest('Web chat attachments are .png, .jpg or .mp4 files only.', [
          {
            path: `${path}.fileName`,
            code: 'not_an_attachment_type',
            message: 'must end in .png, .jpg or .mp4',
          },
        ]);
      if (file.sizeBytes > MAX_BYTES[format])
        throw invalidRequest(
          `A .${file.fileName!.split('.').pop()!.toLowerCase()} attachment is at most ${MAX_BYTES[format]} bytes.`,
          [{ path: `${path}.sizeBytes`, code: 'too_large', message: `must be at most ${MAX_BYTES[format]}` }],
        );
      return;
    }
    if (file.fileName !== undefined)
      throw invalidRequest('Only attachments have a file name.', [
        { path: `${path}.fileName`, code: 'unexpected', message: 'only for attachments' },
      ]);
    const max = maxDeclarableBytes(purpose);
    if (file.sizeBytes > max)
      throw invalidRequest(`A file for a ${purpose} request is at most ${max} bytes.`, [
        { path: `${path}.sizeBytes`, code: 'too_large', message: `must be at most ${max}` },
      ]);
  });
}

const answerOf = (record: MediaRecord): IssuedUpload => ({
  mediaId: record.id,
  slot: record.slot,
  object: record.object,
  uploadUrl: record.uploadUrl,
  sizeBytes: record.declaredBytes,
  expiresAt: record.uploadExpiresAt,
});

/**
 * Upload URLs for the consumer's SDK (SMA-2, SMA-3): one resumable upload session per file, for its
 * exact size, to an object named here, bound to the session and the request; never more files than
 * the request allows. The sessions are opened before anything is recorded: a failure in between
 * leaves sessions nobody was told of, whose uploads (if any) are refused as not issued.
 */
export async function issueUploads(deps: MediaDeps, ask: UploadAsk): Promise<IssuedUpload[]> {
  const repeated = await deps.records.ofAsk(ask.sessionId, ask.askId);
  if (repeated.length > 0) return answerOfRepeat(repeated, ask);
  const target = await targetOf(deps, ask);
  checkFiles(target.purpose, ask.files);
  const already = await deps.records.issuedCount(ask.sessionId, target.requestKey);
  const tooMany = (alreadyIssued: number) =>
    conflict(
      'too_many_files',
      `This ${target.purpose === 'attachment' ? 'chat takes' : 'request takes'} at most ${target.maxFiles} file(s); ${alreadyIssued} already have upload URLs.`,
      { maxFiles: target.maxFiles, alreadyIssued },
    );
  if (already + ask.files.length > target.maxFiles) throw tooMany(already);

  const now = deps.clock.now();
  const uploadExpiresAt = new Date(now.getTime() + UPLOAD_WINDOW_MS).toISOString();
  const records = await Promise.all(
    ask.files.map(async (file, index): Promise<MediaRecord> => {
      const id = deps.newMediaId();
      const slot = already + index + 1;
      const object = mediaObjectName(ask.sessionId, target.requestKey, slot, id);
      const format = file.fileName === undefined ? undefined : attachmentFormat(file.fileName);
      const uploadUrl = await deps.blobs.startUpload(object, {
        sizeBytes: file.sizeBytes,
        contentType: format ? CONTENT_TYPES[format] : 'application/octet-stream',
        metadata: { sessionId: ask.sessionId, ...(target.requestId ? { requestId: target.requestId } : {}) },
      });
      return {
        id,
        sessionId: ask.sessionId,
        requestId: target.requestId,
        purpose: target.purpose,
        slot,
        object,
        fileName: file.fileName ?? null,
        declaredBytes: file.sizeBytes,
        maxFiles: target.maxFiles,
        askId: ask.askId,
        uploadUrl,
        agentId: target.agentId,
        issuedAt: now.toISOString(),
        uploadExpiresAt,
        state: 'issued',
        reason: null,
        format: null,
        sizeBytes: null,
        generation: null,
        finalizedAt: null,
        expireAt: new Date(now.getTime() + MEDIA_RETENTION_MS),
      };
    }),
  );
  const outcome = await deps.records.issue(ask.sessionId, target.requestKey, records, target.maxFiles);
  if (!outcome.issued) throw tooMany(outcome.alreadyIssued);
  // The same ask made at once elsewhere may have recorded its slots first: they are the answer.
  return answerOfRepeat(outcome.records, ask);
}

/**
 * The slots an ask issued before, when it is asked again as it was; an `askId` used again for other
 * files (another request, count, size or name) is refused rather than answered with URLs for files
 * it does not describe.
 */
function answerOfRepeat(issued: readonly MediaRecord[], ask: UploadAsk): IssuedUpload[] {
  const same =
    issued.length === ask.files.length &&
    issued.every((record, index) => {
      const file = ask.files[index]!;
      return (
        record.requestId === (ask.requestId ?? null) &&
        record.declaredBytes === file.sizeBytes &&
        record.fileName === (file.fileName ?? null)
      );
    });
  if (!same)
    throw conflict('ask_id_reused', 'This askId already has upload URLs for other files; use a new one.');
  return issued.map(answerOf);
}

export interface FinalizedObject {
  name: string;
  generation: string;
  sizeBytes: number;
  /** When Cloud Storage finalized it (the event's time may come later, on a redelivery). */
  timeCreated?: string;
}

export type FinalizeOutcome = 'accepted' | 'refused' | 'not_issued' | 'ignored';

/**
 * A file finished uploading (SMA-2, SMA-3, SMA-4): its first bytes and size are checked; refused, it
 * is deleted and the record says why; accepted, it is shown on the agent's desk at once with a
 * short-lived download URL, and its request is answered. Safe to repeat: the verdict is recorded once,
 * and what follows it is done again.
 */
export async function mediaFinalized(deps: MediaDeps, object: FinalizedObject): Promise<FinalizeOutcome> {
  const parts = parseMediaObjectName(object.name);
  if (!parts) {
    logs.mediaObjectIgnored({ reason: 'not_a_media_object' });
    return 'ignored';
  }
  const { sessionId, random: mediaId } = parts;
  const head =
    object.sizeBytes > 0
      ? await deps.blobs.head(object.name, object.generation, HEAD_BYTES)
      : new Uint8Array();
  if (!head) {
    // Deleted by an earlier delivery of this finalize, which recorded the verdict: nothing left to do.
    logs.mediaObjectIgnored({ reason: 'object_gone' });
    return 'ignored';
  }
  const finalizedAt = object.timeCreated ? new Date(object.timeCreated) : deps.clock.now();
  const record = await deps.records.settle(
    sessionId,
    mediaId,
    (issued, acceptedBefore) =>
      judgeUpload({
        purpose: issued.purpose,
        head,
        sizeBytes: object.sizeBytes,
        declaredBytes: issued.declaredBytes,
        ...(issued.fileName === null ? {} : { fileName: issued.fileName }),
        acceptedBefore,
        maxFiles: issued.maxFiles,
        uploadExpiresAt: new Date(issued.uploadExpiresAt),
        finalizedAt,
      }),
    { object: object.name, sizeBytes: object.sizeBytes, generation: object.generation, at: finalizedAt },
  );
  if (!record) {
    logs.mediaNotIssued({ sessionId, mediaId });
    await deps.blobs.delete(object.name, object.generation);
    return 'not_issued';
  }
  logs.mediaChecked({
    sessionId,
    mediaId,
    purpose: record.purpose,
    outcome: record.state,
    ...(record.reason ? { reason: record.reason } : {}),
  });
  if (record.state !== 'accepted' || record.generation !== object.generation) {
    await deps.blobs.delete(object.name, object.generation);
    return 'refused';
  }
  await showToAgent(deps, record);
  // The first accepted file answers the request; later ones are on the media records. A request that
  // expired while a long video was uploading stays expired, and the video is still shown.
  if (record.requestId)
    await deps.requests.settle(
      sessionId,
      record.requestId,
      {
        state: 'answered',
        result: {
          type: 'media',
          files: [
            {
              object: record.object,
              contentType: CONTENT_TYPES[record.format!],
              sizeBytes: record.sizeBytes!,
              acceptedAt: record.finalizedAt!,
            },
          ],
        },
      },
      finalizedAt,
    );
  return 'accepted';
}

async function showToAgent(deps: MediaDeps, record: MediaRecord) {
  const link = await downloadLink(deps, record);
  await deps.records.show(record.agentId, {
    id: record.id,
    sessionId: record.sessionId,
    requestId: record.requestId,
    purpose: record.purpose,
    format: record.format!,
    contentType: CONTENT_TYPES[record.format!],
    sizeBytes: record.sizeBytes!,
    acceptedAt: record.finalizedAt!,
    ...link,
    expireAt: record.expireAt,
  });
}

async function downloadLink(deps: MediaDeps, record: MediaRecord) {
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + DOWNLOAD_WINDOW_MS);
  return {
    downloadUrl: await deps.blobs.downloadUrl(record.object, record.generation!, {
      from: now,
      until: expiresAt,
    }),
    downloadUrlExpiresAt: expiresAt.toISOString(),
  };
}

/** A page of the files the agent and a supervisor monitoring a session see, with fresh download URLs. */
export interface MediaPage {
  limit: number;
  /** The last file of the previous page (its `next`). */
  after?: string;
}

/**
 * A session's files as the agent and a supervisor monitoring it see them, with fresh download URLs,
 * a page at a time (a session may hold hundreds): `next` names the page's last file when more follow.
 */
export async function sessionMedia(deps: MediaDeps, sessionId: string, page: MediaPage) {
  const listed = await deps.records.list(sessionId, page.limit + 1, page.after);
  if (!listed)
    throw invalidRequest(
      `after: ${page.after} is not a file of this session; pass the next of the previous page.`,
    );
  const records = listed.slice(0, page.limit);
  const media = await Promise.all(
    records.map(async (record) => ({
      mediaId: record.id,
      requestId: record.requestId,
      purpose: record.purpose,
      state: record.state,
      reason: record.reason,
      format: record.format,
      sizeBytes: record.sizeBytes,
      issuedAt: record.issuedAt,
      finalizedAt: record.finalizedAt,
      ...(record.state === 'accepted' ? await downloadLink(deps, record) : {}),
    })),
  );
  return { media, next: listed.length > page.limit ? records.at(-1)!.id : null };
}

/**
 * A session's media for the agent it is assigned to, or for a supervisor monitoring it right now
 * (SMA-4): anyone else is refused as the session's details would refuse them, and a supervisor who
 * is not monitoring is told to start.
 */
export async function viewSessionMedia(
  deps: { media: MediaDeps; supervision: SupervisionDeps },
  actor: Actor,
  sessionId: string,
  page: MediaPage,
) {
  const session = await deps.media.sessions.getSession(sessionId);
  if (!session?.agent || session.agent.id !== actor.uid) {
    await visibleSession(deps.supervision, actor, sessionId, 'session.view');
    const monitor = await deps.supervision.monitors.get(sessionId, actor.uid);
    if (!monitor || monitor.stoppedAt !== null)
      throw conflict('not_monitoring', "Start monitoring the session to see its customer's files.");
  }
  return { sessionId, ...(await sessionMedia(deps.media, sessionId, page)) };
}
