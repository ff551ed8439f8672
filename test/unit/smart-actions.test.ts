import { describe, expect, it } from 'vitest';
import {
  actionsAllowed,
  describePausedSpans,
  MAX_DESCRIPTION_LENGTH,
  MAX_REQUESTS_PER_SESSION,
  maxFilesFor,
  newRequest,
  pausedSpans,
  REQUEST_TTL_MS,
  requestRefusal,
  settleRequest,
  SMART_ACTIONS,
  stateAt,
  withEffectsDone,
  type SessionForActions,
  type SmartAction,
  type SmartActionRequest,
} from '../../functions/src/domain/smart-actions/actions.js';

/** SMA-1, SMA-2: which sessions take which smart actions, and how a request lives. */
const t0 = new Date(Date.UTC(2026, 11, 3, 10, 0, 0));
const after = (ms: number) => new Date(t0.getTime() + ms);

const session = (over: Partial<SessionForActions> = {}): SessionForActions => ({
  kind: 'call',
  channel: 'mobile',
  status: 'connected',
  agentId: 'agent-1',
  ...over,
});

const request = (
  action: SmartAction,
  over: Partial<SmartActionRequest> = {},
  now = t0,
): SmartActionRequest => ({
  ...newRequest({
    id: `r-${action}`,
    sessionId: 'S',
    kind: 'call',
    action,
    agentId: 'agent-1',
    clientRequestId: `c-${action}`,
    now,
  }),
  ...over,
});

describe('which actions a session allows', () => {
  it('when the session is a mobile SDK call, then all six actions are allowed, as the seed lists them', () => {
    expect(actionsAllowed({ kind: 'call', channel: 'mobile' })).toEqual([
      'verify_identity',
      'photos',
      'screenshot',
      'video',
      'text_input',
      'redact',
    ]);
    for (const action of SMART_ACTIONS)
      expect(requestRefusal(session(), 'agent-1', action, [])).toBeUndefined();
  });

  it('when the session is a mobile SDK chat, then verify, photos, screenshots and videos only; text input and redact are refused as not for chats', () => {
    const chat = session({ kind: 'chat' });
    expect(actionsAllowed(chat)).toEqual(['verify_identity', 'photos', 'screenshot', 'video']);
    expect(requestRefusal(chat, 'agent-1', 'text_input', [])).toBe('not_for_chats');
    expect(requestRefusal(chat, 'agent-1', 'redact', [])).toBe('not_for_chats');
    expect(requestRefusal(chat, 'agent-1', 'photos', [])).toBeUndefined();
  });

  it('when the session is a web chat, then nothing is allowed and the reason says web chats use attachments', () => {
    const web = session({ kind: 'chat', channel: 'web' });
    expect(actionsAllowed(web)).toEqual([]);
    for (const action of SMART_ACTIONS)
      expect(requestRefusal(web, 'agent-1', action, [])).toBe('web_chat_attachments');
  });

  it('when the session is a phone, web or SMS call or an SMS chat, then nothing is allowed: not mobile', () => {
    for (const [kind, channel] of [
      ['call', 'ivr'],
      ['call', 'web'],
      ['call', 'sms'],
      ['chat', 'sms'],
      ['chat', 'ivr'],
    ] as const) {
      expect(actionsAllowed({ kind, channel })).toEqual([]);
      expect(requestRefusal(session({ kind, channel }), 'agent-1', 'verify_identity', [])).toBe('not_mobile');
    }
  });

  it('when someone other than the session agent asks (a supervisor), then it is refused first, before any state', () => {
    expect(requestRefusal(session(), 'supervisor-1', 'photos', [])).toBe('not_session_agent');
    expect(requestRefusal(session({ status: 'ended' }), 'supervisor-1', 'photos', [])).toBe(
      'not_session_agent',
    );
    expect(requestRefusal(session({ agentId: null, status: 'queued' }), 'agent-1', 'photos', [])).toBe(
      'not_session_agent',
    );
  });

  it('when the session has ended or is not connected yet, then it is refused with that reason; on hold is fine', () => {
    expect(requestRefusal(session({ status: 'ended' }), 'agent-1', 'photos', [])).toBe('session_ended');
    expect(requestRefusal(session({ status: 'assigned' }), 'agent-1', 'photos', [])).toBe('not_connected');
    expect(requestRefusal(session({ status: 'on_hold' }), 'agent-1', 'photos', [])).toBeUndefined();
  });

  it('when a redaction is open, then a second one is refused; once resumed, another may start', () => {
    const open = request('redact');
    expect(requestRefusal(session(), 'agent-1', 'redact', [open])).toBe('already_redacting');
    const resumed = settleRequest(
      open,
      { state: 'answered', result: { type: 'redaction', resumedBy: 'agent-1' } },
      after(1000),
    );
    expect(resumed.changed).toBe(true);
    expect(requestRefusal(session(), 'agent-1', 'redact', [resumed.request])).toBeUndefined();
  });

  it('when the session holds its bound of requests, then one more is refused', () => {
    const many = Array.from({ length: MAX_REQUESTS_PER_SESSION }, () => request('photos'));
    expect(requestRefusal(session(), 'agent-1', 'photos', many)).toBe('too_many_requests');
    expect(requestRefusal(session(), 'agent-1', 'photos', many.slice(1))).toBeUndefined();
  });

  it('files per media request: four photos, one screenshot, one video, none for the rest', () => {
    expect(Object.fromEntries(SMART_ACTIONS.map((a) => [a, maxFilesFor(a)]))).toEqual({
      verify_identity: 0,
      photos: 4,
      screenshot: 1,
      video: 1,
      text_input: 0,
      redact: 0,
    });
    expect(request('photos').maxFiles).toBe(4);
  });
});

describe('a request from requested to answered, declined or expired', () => {
  it('when nothing comes back, then the request is requested until its expiry and expired from then on, without being written', () => {
    const r = request('photos');
    expect(r.expiresAt).toBe(after(REQUEST_TTL_MS).toISOString());
    expect(stateAt(r, after(REQUEST_TTL_MS - 1))).toBe('requested');
    expect(stateAt(r, after(REQUEST_TTL_MS))).toBe('expired');
    expect(r.state).toBe('requested');
  });

  it('when a redaction is never resumed, then it never expires', () => {
    const r = request('redact');
    expect(r.expiresAt).toBeNull();
    expect(stateAt(r, after(100 * REQUEST_TTL_MS))).toBe('requested');
  });

  it('when answered in time, then it is answered with its result and owes what it was given', () => {
    const settled = settleRequest(
      request('verify_identity'),
      { state: 'answered', result: { type: 'identity', outcome: 'verified', sequence: 7 } },
      after(5000),
      ['verified_flag'],
    );
    expect(settled).toMatchObject({
      changed: true,
      request: {
        state: 'answered',
        settledAt: after(5000).toISOString(),
        result: { type: 'identity', outcome: 'verified', sequence: 7 },
        owed: ['platform_request', 'verified_flag'],
      },
    });
    expect(withEffectsDone(settled.request, ['platform_request', 'verified_flag']).owed).toEqual([]);
  });

  it('when declined, then it is declined with no result', () => {
    const settled = settleRequest(request('video'), { state: 'declined' }, after(1));
    expect(settled).toMatchObject({ changed: true, request: { state: 'declined', result: null } });
  });

  it('when a result comes after the expiry, then nothing changes and it says expired', () => {
    const r = request('text_input');
    const late = settleRequest(
      r,
      { state: 'answered', result: { type: 'text', text: 'X' } },
      after(REQUEST_TTL_MS),
    );
    expect(late).toEqual({ changed: false, request: r, reason: 'expired' });
  });

  it('when a second result comes for a settled request, then nothing changes and it says already settled', () => {
    const first = settleRequest(request('text_input'), { state: 'declined' }, after(1));
    const second = settleRequest(
      first.request,
      { state: 'answered', result: { type: 'text', text: 'X' } },
      after(2),
    );
    expect(second).toEqual({ changed: false, request: first.request, reason: 'already_settled' });
  });

  it('when the result does not fit the action, then nothing changes: result mismatch', () => {
    const r = request('photos');
    expect(settleRequest(r, { state: 'answered', result: { type: 'text', text: 'X' } }, after(1))).toEqual({
      changed: false,
      request: r,
      reason: 'result_mismatch',
    });
    const redaction = request('redact');
    expect(settleRequest(redaction, { state: 'declined' }, after(1))).toMatchObject({
      changed: false,
      reason: 'result_mismatch',
    });
  });
});

describe('paused spans of a recording', () => {
  it('when redactions were resumed and one was left open at the end, then each spans its pause to its resume, the open one to the end', () => {
    const first = settleRequest(
      request('redact', { id: 'r-1' }, after(60_000)),
      { state: 'answered', result: { type: 'redaction', resumedBy: 'agent-1' } },
      after(90_000),
    ).request;
    const second = request('redact', { id: 'r-2' }, after(120_000));
    const photos = request('photos');
    const spans = pausedSpans([second, photos, first], after(150_000).toISOString());
    expect(spans).toEqual([
      { requestId: 'r-1', from: after(60_000).toISOString(), to: after(90_000).toISOString() },
      { requestId: 'r-2', from: after(120_000).toISOString(), to: after(150_000).toISOString() },
    ]);
    expect(describePausedSpans(spans)).toBe(
      'Recording paused for redaction (2 spans, UTC): 2026-12-03T10:01:00Z to 2026-12-03T10:01:30Z; 2026-12-03T10:02:00Z to 2026-12-03T10:02:30Z.',
    );
    expect(pausedSpans([second], null)).toEqual([
      { requestId: 'r-2', from: after(120_000).toISOString(), to: null },
    ]);
    expect(describePausedSpans(pausedSpans([second], null))).toContain('to the end of the call');
  });

  it('when the recording was never paused, then there is nothing to say', () => {
    expect(describePausedSpans([])).toBeNull();
  });

  it('when there are more spans than the description holds, then it stays within the bound and counts the rest', () => {
    const spans = Array.from({ length: 60 }, (_, i) => ({
      requestId: `r-${i}`,
      from: after(i * 10_000).toISOString(),
      to: after(i * 10_000 + 5000).toISOString(),
    }));
    const text = describePausedSpans(spans)!;
    expect(text.length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
    const shown = text.split(' to ').length - 1;
    expect(text).toMatch(new RegExp(`; and ${60 - shown} more\\.$`));
    expect(shown).toBeGreaterThan(10);
  });
});
