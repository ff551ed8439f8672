import { conflict, notFound } from '../../domain/errors.js';
import {
  isMediaAction,
  type OwedEffect,
  type SmartActionOutcome,
} from '../../domain/smart-actions/actions.js';
import { logs, type LogContext } from '../../log.js';
import { finishOwed, viewAt, type SmartActionDeps, type SmartActionView } from './requests.js';

/** What the consumer's SDK answered, as the platform relays it. */
export type ResultInput =
  | { answer: 'declined' }
  | { answer: 'identity'; identity: 'verified' | 'failed'; sequence: number }
  | { answer: 'text'; text: string };

export type ResultOutcome = 'settled' | 'already_settled' | 'expired';

function outcomeOf(input: ResultInput): { outcome: SmartActionOutcome; effects: OwedEffect[] } {
  switch (input.answer) {
    case 'declined':
      return { outcome: { state: 'declined' }, effects: [] };
    case 'identity':
      return {
        outcome: {
          state: 'answered',
          result: { type: 'identity', outcome: input.identity, sequence: input.sequence },
        },
        effects: input.identity === 'verified' ? ['verified_flag'] : [],
      };
    case 'text':
      return { outcome: { state: 'answered', result: { type: 'text', text: input.text } }, effects: [] };
  }
}

/**
 * SMA-1, SMA-2: the consumer answered or declined a request. An identity verified sets the session's
 * verified-customer flag (RDP-2); a text is kept on the request for the agent. A result for a request
 * already settled or expired changes nothing and says which (what the first result still owed is
 * finished, so a retry after a failure completes it). Media arrive by upload, not here.
 */
export async function recordSmartActionResult(
  deps: SmartActionDeps,
  sessionId: string,
  requestId: string,
  input: ResultInput,
  log?: LogContext,
): Promise<{ outcome: ResultOutcome; request: SmartActionView }> {
  const request = await deps.requests.get(sessionId, requestId);
  if (!request) throw notFound('The smart action request');
  if (input.answer !== 'declined' && isMediaAction(request.action))
    throw conflict('answered_by_upload', 'Photos, screenshots and videos are answered by uploading them.');
  if (request.action === 'redact')
    throw conflict('not_a_prompt', 'A redaction asks nothing of the consumer: the agent resumes it.');
  const { outcome, effects } = outcomeOf(input);
  const now = deps.clock.now();
  const settled = await deps.requests.settle(sessionId, requestId, outcome, now, effects);
  if (!settled) throw notFound('The smart action request');
  if (!settled.changed && settled.reason === 'result_mismatch')
    throw conflict(
      'result_mismatch',
      `This request asked for ${request.action}: the answer does not fit it.`,
    );
  const result: ResultOutcome = settled.changed
    ? 'settled'
    : settled.reason === 'expired'
      ? 'expired'
      : 'already_settled';
  logs.smartActionSettled(
    { sessionId, requestId, action: request.action, outcome: result, state: settled.request.state },
    log,
  );
  const finished = await finishOwed(deps, settled.request, log);
  return { outcome: result, request: viewAt(finished, now) };
}
