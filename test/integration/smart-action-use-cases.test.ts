import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreSmartActionRequests } from '../../functions/src/adapters/firestore/smart-actions.js';
import { ingestSessionEvent } from '../../functions/src/app/ingest-session-event.js';
import {
  askSmartAction,
  listSmartActions,
  resumeRecording,
  type SmartActionDeps,
} from '../../functions/src/app/smart-actions/requests.js';
import { recordSmartActionResult } from '../../functions/src/app/smart-actions/results.js';
import { AppError } from '../../functions/src/domain/errors.js';
import { REQUEST_TTL_MS } from '../../functions/src/domain/smart-actions/actions.js';
import { SessionEvent } from '../../functions/src/domain/sessions/events.js';
import { configureLogs } from '../../functions/src/log.js';
import type { PlatformCommand } from '../../functions/src/ports/platform-commands.js';
import { composedIngest } from '../support/ingest.js';
import { testFirestore, testProjectId } from '../support/projects.js';

/**
 * Asking, resuming and results through the use cases, on the Firestore emulator, with the platform's
 * command topic failing when a test says so: each command reaches the platform once, whatever fails.
 */
const projectId = testProjectId('smart-use');
const db = testFirestore(projectId);
const t0 = Date.UTC(2026, 11, 3, 10, 0, 0);
let nowMs = t0;
const clock = { now: () => new Date(nowMs) };
const ingest = composedIngest(projectId, { clock });
const logged: string[] = [];
configureLogs({ sink: (line) => logged.push(line) });

/** The platform's topic: what it took, and whether the next publishes fail. */
const published: PlatformCommand[] = [];
let failNext = 0;
const commands = {
  publish: async (command: PlatformCommand) => {
    if (failNext > 0) {
      failNext -= 1;
      throw new Error('topic unavailable');
    }
    published.push(command);
  },
};
let ids = 0;
const deps: SmartActionDeps = {
  sessions: ingest.sessions,
  requests: new FirestoreSmartActionRequests(db),
  commands,
  clock,
  newId: () => `req-${++ids}`,
  ingest,
};

afterAll(() => db.terminate());

let sequence = 0;
async function event(sessionId: string, type: string, fields: Record<string, unknown> = {}) {
  const parsed = SessionEvent.parse({
    schemaVersion: 1,
    eventId: `${sessionId}-${sequence}`,
    sessionId,
    sequence: sequence++,
    occurredAt: new Date(nowMs).toISOString(),
    type,
    ...fields,
  });
  await ingestSessionEvent(ingest, parsed);
}

async function connected(sessionId: string, kind: 'call' | 'chat', channel: 'mobile' | 'web' | 'ivr') {
  await event(sessionId, 'session.created', {
    kind,
    channel,
    queue: { id: 'q-1', menuPath: ['Help'] },
    language: 'en',
    consumer: { id: 'c-1' },
  });
  await event(sessionId, 'session.connected', { agent: { id: 'agent-1' } });
}

const refusal = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const { status, details } = error as AppError;
  return { status, reason: (details as { reason?: string } | undefined)?.reason };
};

describe('smart actions through the use cases', () => {
  it('when the agent asks, then the platform gets one command named by the request; the same ask again answers it and sends nothing', async () => {
    await connected('S-ask', 'call', 'mobile');
    const first = await askSmartAction(deps, 'agent-1', 'S-ask', {
      action: 'photos',
      clientRequestId: 'c-1',
    });
    expect(first).toMatchObject({
      created: true,
      request: { action: 'photos', state: 'requested', maxFiles: 4, sentToPlatform: true },
    });
    const again = await askSmartAction(deps, 'agent-1', 'S-ask', {
      action: 'photos',
      clientRequestId: 'c-1',
    });
    expect(again).toEqual({ created: false, request: first.request });
    expect(published.filter((c) => c.sessionId === 'S-ask')).toEqual([
      {
        type: 'smart_action.request',
        commandId: first.request.id,
        sessionId: 'S-ask',
        requestId: first.request.id,
        action: 'photos',
        maxFiles: 4,
        expiresAt: new Date(t0 + REQUEST_TTL_MS).toISOString(),
      },
    ]);
    expect(
      await refusal(askSmartAction(deps, 'agent-1', 'S-ask', { action: 'video', clientRequestId: 'c-1' })),
    ).toEqual({ status: 409, reason: 'client_request_id_reused' });
  });

  it('when the topic fails, then the ask is a 503 and the request is kept; asked again, the same command id goes once', async () => {
    await connected('S-flaky', 'call', 'mobile');
    failNext = 1;
    expect(
      await refusal(
        askSmartAction(deps, 'agent-1', 'S-flaky', { action: 'text_input', clientRequestId: 'c-9' }),
      ),
    ).toEqual({ status: 503, reason: undefined });
    const [kept] = await listSmartActions(deps, 'agent-1', 'S-flaky');
    expect(kept).toMatchObject({ action: 'text_input', sentToPlatform: false });
    expect(published.filter((c) => c.sessionId === 'S-flaky')).toEqual([]);
    const retried = await askSmartAction(deps, 'agent-1', 'S-flaky', {
      action: 'text_input',
      clientRequestId: 'c-9',
    });
    expect(retried).toMatchObject({ created: false, request: { id: kept!.id, sentToPlatform: true } });
    expect(published.filter((c) => c.sessionId === 'S-flaky').map((c) => c.commandId)).toEqual([kept!.id]);
    expect(logged.join('\n')).toContain('smart_action_effect_will_retry');
  });

  it('when someone else asks (a supervisor), or the session does not allow it, then it is refused by name and nothing is written', async () => {
    await connected('S-web', 'chat', 'web');
    await connected('S-ivr', 'call', 'ivr');
    await connected('S-mchat', 'chat', 'mobile');
    const ask = (sessionId: string, agent: string, action: 'photos' | 'text_input' | 'redact') =>
      refusal(askSmartAction(deps, agent, sessionId, { action, clientRequestId: `c-${sessionId}` }));
    expect(await ask('S-ask', 'supervisor-1', 'photos')).toEqual({
      status: 403,
      reason: 'not_session_agent',
    });
    expect(await ask('S-web', 'agent-1', 'photos')).toEqual({ status: 409, reason: 'web_chat_attachments' });
    expect(await ask('S-ivr', 'agent-1', 'photos')).toEqual({ status: 409, reason: 'not_mobile' });
    expect(await ask('S-mchat', 'agent-1', 'text_input')).toEqual({ status: 409, reason: 'not_for_chats' });
    expect(await ask('S-mchat', 'agent-1', 'redact')).toEqual({ status: 409, reason: 'not_for_chats' });
    for (const id of ['S-web', 'S-ivr', 'S-mchat'])
      expect((await db.collection(`sessions/${id}/smartActions`).get()).size).toBe(0);
    expect((await db.collection('sessions/S-ask/smartActions').get()).size).toBe(1);
    expect(await refusal(listSmartActions(deps, 'supervisor-1', 'S-ask'))).toEqual({
      status: 403,
      reason: 'not_session_agent',
    });
    expect(
      await refusal(askSmartAction(deps, 'agent-1', 'S-none', { action: 'photos', clientRequestId: 'x' })),
    ).toEqual({ status: 404, reason: undefined });
  });

  it("when the identity is verified, then the session's verified-customer flag is set from the smart action; a later result changes nothing", async () => {
    await connected('S-verify', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-verify', {
      action: 'verify_identity',
      clientRequestId: 'c-v',
    });
    nowMs += 20_000;
    const answered = await recordSmartActionResult(deps, 'S-verify', request.id, {
      answer: 'identity',
      identity: 'verified',
      sequence: 50,
    });
    expect(answered).toMatchObject({ outcome: 'settled', request: { state: 'answered' } });
    const session = await ingest.sessions.getSession('S-verify');
    expect(session?.profile.verifiedCustomer).toEqual({
      value: true,
      source: 'smart_action',
      sequence: 50,
      at: new Date(nowMs).toISOString(),
    });
    const before = (await db.doc(`sessions/S-verify/smartActions/${request.id}`).get()).updateTime!;
    const late = await recordSmartActionResult(deps, 'S-verify', request.id, { answer: 'declined' });
    expect(late).toMatchObject({ outcome: 'already_settled', request: { state: 'answered' } });
    expect(
      (await db.doc(`sessions/S-verify/smartActions/${request.id}`).get()).updateTime!.isEqual(before),
    ).toBe(true);
  });

  it('when the identity check failed, then the flag is left as it was', async () => {
    await connected('S-failed', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-failed', {
      action: 'verify_identity',
      clientRequestId: 'c-f',
    });
    const failed = await recordSmartActionResult(deps, 'S-failed', request.id, {
      answer: 'identity',
      identity: 'failed',
      sequence: 50,
    });
    expect(failed.request.result).toEqual({ type: 'identity', outcome: 'failed', sequence: 50 });
    expect((await ingest.sessions.getSession('S-failed'))?.profile.verifiedCustomer).toBeUndefined();
  });

  it('when setting the flag fails after the result is stored, then the next copy of the result sets it, once', async () => {
    await connected('S-flag-retry', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-flag-retry', {
      action: 'verify_identity',
      clientRequestId: 'c-r',
    });
    const broken: SmartActionDeps = {
      ...deps,
      ingest: {
        ...ingest,
        sessions: {
          ...ingest.sessions,
          getSession: ingest.sessions.getSession.bind(ingest.sessions),
          inTransaction: () => Promise.reject(new Error('firestore unavailable')),
        },
      },
    };
    const result = { answer: 'identity', identity: 'verified', sequence: 60 } as const;
    expect(await refusal(recordSmartActionResult(broken, 'S-flag-retry', request.id, result))).toEqual({
      status: 503,
      reason: undefined,
    });
    expect((await ingest.sessions.getSession('S-flag-retry'))?.profile.verifiedCustomer).toBeUndefined();
    const again = await recordSmartActionResult(deps, 'S-flag-retry', request.id, result);
    expect(again.outcome).toBe('already_settled');
    expect((await ingest.sessions.getSession('S-flag-retry'))?.profile.verifiedCustomer?.value).toBe(true);
    expect((await deps.requests.get('S-flag-retry', request.id))?.owed).toEqual([]);
    const history = (await ingest.sessions.getSession('S-flag-retry'))?.profileHistory ?? [];
    expect(history.filter((h) => h.source === 'smart_action')).toHaveLength(1);
  });

  it('when a text comes back, then it is kept on the request for the agent and never logged', async () => {
    await connected('S-text', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-text', {
      action: 'text_input',
      clientRequestId: 'c-t',
    });
    logged.length = 0;
    const text = 'melissa@gmail.com 1Z999AA10123456784';
    await recordSmartActionResult(deps, 'S-text', request.id, { answer: 'text', text });
    const [shown] = await listSmartActions(deps, 'agent-1', 'S-text');
    expect(shown).toMatchObject({ state: 'answered', result: { type: 'text', text } });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain('melissa');
  });

  it('when a result comes after the expiry, then it changes nothing and the request reads expired', async () => {
    await connected('S-expired', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-expired', {
      action: 'text_input',
      clientRequestId: 'c-e',
    });
    nowMs += REQUEST_TTL_MS;
    const late = await recordSmartActionResult(deps, 'S-expired', request.id, {
      answer: 'text',
      text: 'late',
    });
    expect(late).toMatchObject({ outcome: 'expired', request: { state: 'expired', result: null } });
    expect((await deps.requests.get('S-expired', request.id))?.state).toBe('requested');
  });

  it('when a photo request gets an answer here, or a redaction does, then it is refused: those are uploads and resumes', async () => {
    const photos = (await listSmartActions(deps, 'agent-1', 'S-ask'))[0]!;
    expect(
      await refusal(recordSmartActionResult(deps, 'S-ask', photos.id, { answer: 'text', text: 'x' })),
    ).toEqual({ status: 409, reason: 'answered_by_upload' });
    expect(await refusal(recordSmartActionResult(deps, 'S-ask', 'nope', { answer: 'declined' }))).toEqual({
      status: 404,
      reason: undefined,
    });
  });

  it('when the agent redacts and resumes, then the platform is told to pause then resume, once each; resuming twice is refused', async () => {
    await connected('S-redact', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-redact', {
      action: 'redact',
      clientRequestId: 'c-redact',
    });
    expect(request).toMatchObject({ state: 'requested', expiresAt: null });
    expect(
      await refusal(
        askSmartAction(deps, 'agent-1', 'S-redact', { action: 'redact', clientRequestId: 'c-2' }),
      ),
    ).toEqual({ status: 409, reason: 'already_redacting' });
    expect(await refusal(resumeRecording(deps, 'supervisor-1', 'S-redact'))).toEqual({
      status: 403,
      reason: 'not_session_agent',
    });
    nowMs += 30_000;
    failNext = 1;
    expect(await refusal(resumeRecording(deps, 'agent-1', 'S-redact'))).toEqual({
      status: 503,
      reason: undefined,
    });
    const resumed = await resumeRecording(deps, 'agent-1', 'S-redact');
    expect(resumed).toMatchObject({
      id: request.id,
      state: 'answered',
      settledAt: new Date(nowMs).toISOString(),
      result: { type: 'redaction', resumedBy: 'agent-1' },
    });
    expect(published.filter((c) => c.sessionId === 'S-redact')).toEqual([
      { type: 'recording.pause', commandId: request.id, sessionId: 'S-redact', requestId: request.id },
      {
        type: 'recording.resume',
        commandId: `${request.id}.resume`,
        sessionId: 'S-redact',
        requestId: request.id,
      },
    ]);
    expect(await refusal(resumeRecording(deps, 'agent-1', 'S-redact'))).toEqual({
      status: 409,
      reason: 'not_redacting',
    });
  });

  it('when the same ask comes twice at once, then one request is made and the platform gets its command once', async () => {
    await connected('S-twice', 'call', 'mobile');
    const both = await Promise.all(
      [1, 2].map(() =>
        askSmartAction(deps, 'agent-1', 'S-twice', { action: 'screenshot', clientRequestId: 'c-twice' }),
      ),
    );
    expect(both.map((b) => b.created).sort()).toEqual([false, true]);
    expect(both[0]!.request.id).toBe(both[1]!.request.id);
    expect(await listSmartActions(deps, 'agent-1', 'S-twice')).toHaveLength(1);
    expect(published.filter((c) => c.sessionId === 'S-twice').map((c) => c.commandId)).toEqual([
      both[0]!.request.id,
    ]);
  });

  it('when the agent resumes twice at once, then one resume ends the span, the other is refused, and the platform is told once', async () => {
    await connected('S-resume-race', 'call', 'mobile');
    const { request } = await askSmartAction(deps, 'agent-1', 'S-resume-race', {
      action: 'redact',
      clientRequestId: 'c-race',
    });
    nowMs += 10_000;
    const outcomes = await Promise.allSettled([
      resumeRecording(deps, 'agent-1', 'S-resume-race'),
      resumeRecording(deps, 'agent-1', 'S-resume-race'),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected');
    expect(refused && (refused.reason as AppError).details).toMatchObject({ reason: 'not_redacting' });
    expect(
      published.filter((c) => c.sessionId === 'S-resume-race').map((c) => [c.type, c.commandId]),
    ).toEqual([
      ['recording.pause', request.id],
      ['recording.resume', `${request.id}.resume`],
    ]);
  });
});
