/**
 * Structured logs for Cloud Logging: one JSON object per line on stdout, with `severity` and `message`.
 * One named function per log event, so that what may be logged is reviewed in one place: identifiers,
 * types, counts and reason codes — never names, phone numbers, e-mail addresses or message bodies.
 */
type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const ORDER: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

let minimum: Severity = 'INFO';
let sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`);

export function configureLogs(options: { level?: Severity; sink?: (line: string) => void }) {
  if (options.level) minimum = options.level;
  if (options.sink) sink = options.sink;
}

export interface LogContext {
  /** `projects/<id>/traces/<trace>` when the request carried a trace header. */
  trace?: string;
}

function write(
  severity: Severity,
  event: string,
  message: string,
  fields: Record<string, unknown>,
  ctx?: LogContext,
) {
  if (ORDER[severity] < ORDER[minimum]) return;
  const entry: Record<string, unknown> = { severity, message, event, ...fields };
  if (ctx?.trace) entry['logging.googleapis.com/trace'] = ctx.trace;
  sink(JSON.stringify(entry));
}

/** The trace id from `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`, for log correlation. */
export function traceFrom(header: string | undefined, projectId: string): LogContext {
  const traceId = header?.split('/')[0];
  return traceId && /^[0-9a-f]{32}$/i.test(traceId)
    ? { trace: `projects/${projectId}/traces/${traceId}` }
    : {};
}

/** A failed part upload: identifiers and reason codes only. */
type UploadFailureFields = {
  planId: string;
  partIndex: number;
  partCount: number;
  kind: string;
  reason: string;
  /** Failed attempts in a row at this part for this reason. */
  attempts: number;
  crmRecordId?: string | undefined;
};

export const logs = {
  sessionEventIngested(
    f: {
      sessionId: string;
      eventId: string;
      eventType: string;
      outcome: string;
      status: string;
      anomaly?: string;
    },
    ctx?: LogContext,
  ) {
    write('INFO', 'session_event_ingested', `Session event ${f.eventType} ${f.outcome}`, f, ctx);
  },
  requestRejected(f: { code: string; status: number; reason?: string; path: string }, ctx?: LogContext) {
    write('WARNING', 'request_rejected', `Request rejected: ${f.code}`, f, ctx);
  },
  poisonMessageDropped(
    f: { messageId: string; subscription?: string; issues: { path: string; code: string }[] },
    ctx?: LogContext,
  ) {
    write(
      'ERROR',
      'poison_message_dropped',
      'Invalid Pub/Sub message acknowledged without processing',
      f,
      ctx,
    );
  },
  recordingPlanned(f: {
    planId: string;
    source: string;
    outcome: string;
    status: string;
    sizeBytes: number;
    partCount: number;
    crmRecordKnown: boolean;
  }) {
    write('INFO', 'recording_planned', `Recording upload plan ${f.outcome}`, f);
  },
  /** Smart-action media: ids, purpose and the verdict only; never a file name (it may say who uploaded). */
  mediaObjectIgnored(f: { reason: 'not_a_media_object' | 'not_an_object_finalized_event' | 'object_gone' }) {
    write('INFO', 'media_object_ignored', `Media object ignored: ${f.reason}`, f);
  },
  mediaChecked(f: { sessionId: string; mediaId: string; purpose: string; outcome: string; reason?: string }) {
    write(f.outcome === 'accepted' ? 'INFO' : 'WARNING', 'media_checked', `Media ${f.outcome}`, f);
  },
  mediaNotIssued(f: { sessionId: string; mediaId: string }) {
    write('WARNING', 'media_not_issued', 'Media object with no upload issued for it deleted', f);
  },
  recordingObjectIgnored(f: { source: string; reason: string }) {
    write('INFO', 'recording_object_ignored', `Recording announcement ignored: ${f.reason}`, f);
  },
  /** Anonymous consumers' CRM work: session and merge ids only (a merge id names no consumer). */
  anonymousTicketMade(f: { sessionId: string }) {
    write('INFO', 'anonymous_ticket_made', 'Anonymous consumer ticket made in the CRM', f);
  },
  /** The session id alone: the consumer's temporary id would identify a person. */
  anonymousTicketsCapped(f: { sessionId: string }) {
    write(
      'WARNING',
      'anonymous_tickets_capped',
      'Anonymous consumer has as many tickets as a merge can move: no ticket for this session',
      f,
    );
  },
  consumerCrmWillRetry(f: { task: 'ticket' | 'merge'; id: string; kind: string; reason: string }) {
    write(
      'WARNING',
      'consumer_crm_will_retry',
      `Consumer CRM work will be retried: ${f.kind} (${f.reason})`,
      f,
    );
  },
  /** A permanent failure: nothing retries it (alert on this event). */
  consumerCrmFailed(f: { task: 'ticket' | 'merge'; id: string; reason: string }) {
    write('ERROR', 'consumer_crm_failed', `Consumer CRM work failed for good: ${f.reason}`, f);
  },
  consumerMergeSettled(f: { mergeId: string; status: string; ticketsMoved: number }) {
    write('INFO', 'consumer_merge_settled', `Consumer merge ${f.status}`, f);
  },
  recordingTaskIgnored(f: { planId: string; why: string }) {
    write('INFO', 'recording_task_ignored', `Recording task had nothing to do: ${f.why}`, f);
  },
  recordingPartUploaded(f: {
    planId: string;
    partIndex: number;
    partCount: number;
    outcome: string;
    crmApiUsed?: number;
    crmApiMax?: number;
  }) {
    write(
      'INFO',
      'recording_part_uploaded',
      `Recording part ${f.partIndex + 1} of ${f.partCount} ${f.outcome}`,
      f,
    );
  },
  recordingUploadWillRetry(f: UploadFailureFields & { retryAfterSeconds?: number | undefined }) {
    write(
      'WARNING',
      'recording_upload_will_retry',
      `Recording upload will be retried: ${f.kind} (${f.reason})`,
      f,
    );
  },
  /** A permanent failure: nothing retries it until an admin does (alert on this event). */
  recordingUploadFailed(f: UploadFailureFields) {
    write('ERROR', 'recording_upload_failed', `Recording upload failed for good: ${f.reason}`, f);
  },
  recordingWaitingForCrmRecord(f: { planId: string; sessionKnown: boolean; nextCheckAt: string }) {
    write(
      'WARNING',
      'recording_waiting_for_crm_record',
      'Recording waits for its call to be linked to a CRM record',
      f,
    );
  },
  recordingPurgeNotDue(f: { planId: string; dueAt: string }) {
    write('INFO', 'recording_purge_not_due', 'Recording purge came early; it comes back when due', f);
  },
  recordingEmpty(f: { planId: string; objectWas: string }) {
    write('INFO', 'recording_empty', 'Empty recording deleted: nothing to send to the CRM', f);
  },
  recordingDeleted(f: { planId: string; partCount: number; objectWas: string }) {
    write('INFO', 'recording_deleted', 'Recording deleted after the CRM acknowledged every part', f);
  },
  /** For the CRM admin: a recording deleted before the CRM had all of it (REC-3 over REC-1). */
  recordingPurged(f: {
    planId: string;
    reason: string;
    partsAcknowledged: number;
    partCount: number;
    crmRecordId?: string | undefined;
    objectWas: string;
  }) {
    write(
      'ERROR',
      'recording_purged',
      `Recording purged (${f.reason}) with ${f.partsAcknowledged} of ${f.partCount} parts in the CRM`,
      f,
    );
  },
  sweepCompleted(f: Record<string, number | string>) {
    write('INFO', 'recordings_sweep_completed', 'Recordings sweep completed', f);
  },
  /** One step of a sweep failed; the sweep went on, and the next one tries again. */
  recordingSweepStepFailed(f: { planId: string; step: string; error: string }) {
    write('ERROR', 'recordings_sweep_step_failed', `Recordings sweep could not ${f.step}`, f);
  },
  recordingDownloaded(f: { planId: string; by: 'crm_key' | 'person'; uid?: string }) {
    write('INFO', 'recording_downloaded', 'Recording downloaded', f);
  },
  voicemailTaskIgnored(f: { voicemailId: string; why: string }) {
    write('INFO', 'voicemail_task_ignored', `Voicemail task had nothing to do: ${f.why}`, f);
  },
  voicemailDelivered(f: {
    voicemailId: string;
    outcome: string;
    attempts: number;
    crmApiUsed?: number;
    crmApiMax?: number;
  }) {
    write('INFO', 'voicemail_delivered', `Voicemail ${f.outcome} in the CRM`, f);
  },
  voicemailWaitingForCrmRecord(f: { voicemailId: string; nextCheckAt: string }) {
    write(
      'WARNING',
      'voicemail_waiting_for_crm_record',
      'Voicemail waits for its call to be linked to a CRM record',
      f,
    );
  },
  voicemailDeliveryWillRetry(f: {
    voicemailId: string;
    kind: string;
    reason: string;
    retryAfterSeconds?: number | undefined;
  }) {
    write(
      'WARNING',
      'voicemail_delivery_will_retry',
      `Voicemail delivery will be retried: ${f.kind} (${f.reason})`,
      f,
    );
  },
  /** A permanent failure: the voicemail waits for its purge (alert on this event). */
  voicemailDeliveryFailed(f: { voicemailId: string; kind: string; reason: string }) {
    write('ERROR', 'voicemail_delivery_failed', `Voicemail delivery failed for good: ${f.reason}`, f);
  },
  voicemailSettled(f: { voicemailId: string; status: string; objectWas: string }) {
    write('INFO', 'voicemail_settled', `Voicemail audio deleted: ${f.status}`, f);
  },
  /** The 7 days came before the CRM had the voicemail (REC-3 over delivery). */
  voicemailPurged(f: { voicemailId: string; reason: string | null; objectWas: string }) {
    write('ERROR', 'voicemail_purged', 'Voicemail purged before the CRM had it', f);
  },
  /** The voicemail sweep could not deal with one entry; it went on, and the next sweep tries again. */
  voicemailSweepStepFailed(f: { voicemailId: string; step: string; error: string }) {
    write('ERROR', 'voicemail_sweep_step_failed', `Voicemail sweep could not ${f.step}`, f);
  },
  /** The hourly sweeper's voicemail part failed after its recordings part had failed too. */
  voicemailSweepFailed(f: { error: string }) {
    write('ERROR', 'voicemail_sweep_failed', 'Voicemail sweep failed', f);
  },
  /** An outbox entry written before delivery existed, rebuilt from its voicemail. */
  voicemailEntryRebuilt(f: { voicemailId: string }) {
    write('INFO', 'voicemail_entry_rebuilt', 'Voicemail outbox entry rebuilt from its voicemail', f);
  },
  /** A tone's audio no tone names could not be deleted now: the next tone library sweep deletes it. */
  toneAudioLeft(f: { object: string; why: string }) {
    write('WARNING', 'tone_audio_left', 'Tone audio left for the next sweep', f);
  },
  /** Audio no tone names, left by failed writes or deletions, deleted by the tone library sweep. */
  toneAudioSwept(f: { deleted: number }) {
    write('INFO', 'tone_audio_swept', 'Tone audio no tone names deleted', f);
  },
  /** The tone library sweep failed; the next upload, replacement or deletion sweeps again. */
  toneAudioSweepFailed(f: { error: string }) {
    write('WARNING', 'tone_audio_sweep_failed', 'Tone library sweep failed', f);
  },
  /** A function's code cache did not fit the runtime: it started compiling from source. */
  notificationPlanned(
    f: { sessionId: string; notification: string; assignmentId?: string; sms: string; addsToWaitMs: number },
    ctx?: LogContext,
  ) {
    write('INFO', 'notification_planned', `Notification plan: ${f.notification}`, f, ctx);
  },
  /** The agent's SMS command could not be published; the next ask for the plan publishes it (same id). */
  notificationSmsWillRetry(f: { sessionId: string; assignmentId: string }, ctx?: LogContext) {
    write('WARNING', 'notification_sms_will_retry', 'Agent SMS not handed to the platform yet', f, ctx);
  },
  /** An agent asked a smart action (SMA-1, SMA-2): `created` false for a retry of the same ask. */
  smartActionRequested(
    f: { sessionId: string; requestId: string; action: string; created: boolean },
    ctx?: LogContext,
  ) {
    write('INFO', 'smart_action_requested', `Smart action requested: ${f.action}`, f, ctx);
  },
  /** A smart action's result came back: identifiers and outcome only, never what the consumer typed. */
  smartActionSettled(
    f: { sessionId: string; requestId: string; action: string; outcome: string; state: string },
    ctx?: LogContext,
  ) {
    write('INFO', 'smart_action_settled', `Smart action result: ${f.outcome}`, f, ctx);
  },
  /** What a smart action owes (a command, the verified flag) could not be done yet; the next attempt does it. */
  smartActionEffectWillRetry(f: { sessionId: string; requestId: string; effect: string }, ctx?: LogContext) {
    write('WARNING', 'smart_action_effect_will_retry', 'Smart action effect not done yet', f, ctx);
  },
  codeCacheRejected(f: { bundle: string }) {
    write('WARNING', 'code_cache_rejected', 'Code cache rejected: compiled from source', f);
  },
  unexpectedError(error: unknown, f: { operation: string }, ctx?: LogContext) {
    const e = error instanceof Error ? error : new Error(String(error));
    // Stack traces name our code only; error messages from client libraries carry no payload data.
    write(
      'ERROR',
      'unexpected_error',
      `${f.operation} failed: ${e.name}: ${e.message}`,
      { ...f, stack_trace: e.stack },
      ctx,
    );
  },
};
