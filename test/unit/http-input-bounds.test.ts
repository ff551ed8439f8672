import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/src/domain/errors.js';
import { Language } from '../../functions/src/domain/deflection/settings.js';
import { VoicemailLeft } from '../../functions/src/domain/deflection/voicemail.js';
import { parseJsonBody } from '../../functions/src/http/errors.js';
import { DeflectionQuestion } from '../../functions/src/http/deflection-question.js';
import { platformEventsRoutes } from '../../functions/src/http/platform-events.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { PartTask, PlanTask } from '../../functions/src/http/recording-worker.js';
import type { RouteContext } from '../../functions/src/http/router.js';

/** Values a caller controls are refused with a 400 once they leave what the rest of the system can take. */
const NOW = new Date('2026-12-03T10:00:00Z');

describe('the recordings queue’s tasks', () => {
  const plan = (object: string, generation?: string) =>
    PlanTask.safeParse({
      bucket: 'acme-recordings',
      object,
      ...(generation !== undefined ? { generation } : {}),
      sessionId: 'call-1',
      recordingId: 'rec-1',
    }).success;

  it('when an object name is one Cloud Storage refuses, then the task is refused rather than failing on the service', () => {
    for (const name of [
      '.',
      '..',
      'a\nb',
      'a\rb',
      '.well-known/acme-challenge/x',
      'a\ud800b',
      'é'.repeat(513),
    ])
      expect(plan(name), JSON.stringify(name)).toBe(false);
    for (const name of ['call-1.wav', 'é'.repeat(512), 'a/./b', '...', '😀.wav'])
      expect(plan(name), JSON.stringify(name)).toBe(true);
  });

  it('when a generation is longer than a 64-bit number, then the task is refused', () => {
    expect(plan('call-1.wav', '1'.repeat(19))).toBe(true);
    expect(plan('call-1.wav', '1'.repeat(20))).toBe(false);
  });

  it('when a part or a round is beyond any recording, then the task is refused', () => {
    const part = (round: number, partIndex: number) =>
      PartTask.safeParse({ planId: 'call-1-wav-abc', round, partIndex }).success;
    expect(part(0, 0)).toBe(true);
    expect(part(10_000, 100_000)).toBe(true);
    expect(part(10_001, 0)).toBe(false);
    expect(part(0, 100_001)).toBe(false);
    expect(part(0, 2 ** 53)).toBe(false);
  });
});

describe('JSON bodies', () => {
  const body = (text: string) => () => parseJsonBody(Buffer.from(text));

  it('when a string or a key holds a lone surrogate, then 400 before any route sees it, since Firestore cannot store it', () => {
    for (const text of ['{"object":"\\udfff"}', '{"a":["x\\ud800y"]}', '{"\\ud83d":1}', '"\\ud800"'])
      expect(body(text), text).toThrow(
        expect.objectContaining({ status: 400, message: expect.stringContaining('lone surrogate') }),
      );
  });

  it('when surrogates come in pairs, or a backslash is only followed by u, then the body reads as sent', () => {
    expect(body('{"name":"\\ud83d\\ude00"}')()).toEqual({ name: '😀' });
    expect(body('{"path":"C:\\\\ud800"}')()).toEqual({ path: 'C:\\ud800' });
    expect(body('{"name":"😀"}')()).toEqual({ name: '😀' });
  });
});

describe('language tags in paths', () => {
  it('when a tag is longer than any BCP 47 tag in use, then it is refused rather than becoming a document id', () => {
    const tag = (n: number) => `en${'-fr'.repeat(n)}`;
    expect(Language.safeParse('fr-CA').success).toBe(true);
    expect(Language.safeParse(tag(11)).success).toBe(true); // 35 characters
    expect(Language.safeParse(tag(12)).success).toBe(false);
    expect(Language.safeParse(tag(600)).success).toBe(false);
  });
});

describe('instants in questions and presence reports', () => {
  const question = (at: string) =>
    DeflectionQuestion.safeParse({ kind: 'call', channel: 'ivr', queueId: 'q-1', language: 'en', at });

  it('when a preview asks about another era, then it is refused naming `at`; any date from 1970 to 2199 is answered', () => {
    for (const at of ['2199-06-01T12:00:00Z', '1970-06-01T12:00:00Z'])
      expect(question(at).success).toBe(true);
    for (const at of ['9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '1950-06-01T12:00:00Z']) {
      const parsed = question(at);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['at']);
    }
  });

  const SECRET = 'unit-test-platform-secret-0123456789abcdef';
  async function report(at: string) {
    const reported: Date[] = [];
    const routes = platformEventsRoutes({
      signing: { secrets: [SECRET], maxSkewSeconds: 300, acceptV1: false },
      signedRequests: () => ({ claim: async () => true, release: async () => {} }),
      ingest: () => {
        throw new Error('not used');
      },
      deflection: () =>
        ({
          presence: {
            report: async (_agentId: string, _state: string, when: Date) => {
              reported.push(when);
              return { applied: true };
            },
          },
        }) as never,
      clock: { now: () => NOW },
    });
    const route = routes.find((r) => r.path === '/v1/agents/:agentId/presence')!;
    const body = Buffer.from(JSON.stringify({ state: 'available', at }));
    const path = '/v1/agents/agent-1/presence';
    const timestamp = Math.floor(NOW.getTime() / 1000);
    const headers: Record<string, string> = {
      'x-switchboard-timestamp': String(timestamp),
      'x-switchboard-signature': signPlatformRequest(SECRET, timestamp, { method: 'PUT', path, body }),
    };
    const ctx = {
      req: {
        rawBody: body,
        method: 'PUT',
        originalUrl: path,
        header: (name: string) => headers[name.toLowerCase()],
      },
      params: { agentId: 'agent-1' },
      json: () => JSON.parse(body.toString()) as unknown,
    } as unknown as RouteContext;
    try {
      return { status: (await route.handle(ctx)).status, reported };
    } catch (error) {
      return { status: (error as AppError).status, reported };
    }
  }

  it('when a presence report is stamped ahead of now, then 400 and nothing is reported, since it would outrank every later report', async () => {
    expect(await report('2026-12-03T11:00:00Z')).toEqual({ status: 400, reported: [] });
    expect(await report('9999-12-31T23:59:59Z')).toEqual({ status: 400, reported: [] });
  });

  it('when a presence report is stamped now, a little ahead or in the past, then it is reported as stamped', async () => {
    for (const at of ['2026-12-03T10:00:00Z', '2026-12-03T10:04:00Z', '2020-01-01T00:00:00Z'])
      expect(await report(at)).toEqual({ status: 200, reported: [new Date(at)] });
  });
});

describe('a voicemail’s recording', () => {
  const left = (recording: Record<string, unknown>) =>
    VoicemailLeft.safeParse({
      voicemailId: 'vm-1',
      channel: 'ivr',
      queueId: 'q-support',
      language: 'en',
      recording: { bucket: 'voicemails', object: 'vm-1.wav', durationSeconds: 42, ...recording },
      leftAt: '2026-12-03T09:00:00Z',
    }).success;

  it('when it names its place in Cloud Storage as a session event would, then it is taken, and what an event would refuse is refused', () => {
    expect(left({})).toBe(true);
    expect(left({ generation: '1733216400000000' })).toBe(true);
    expect(left({ bucket: 'Bad bucket\0' })).toBe(false);
    expect(left({ object: 'vm\u0007.wav' })).toBe(false);
    expect(left({ generation: '9'.repeat(5000) })).toBe(false);
  });
});
