import { z } from 'zod';
import { undoMerge, type ConsumerDeps } from '../../app/consumers/anonymous-consumers.js';
import { authorizeOrThrow } from '../../app/supervision/deps.js';
import { notFound } from '../../domain/errors.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import type { Authenticate } from './callers.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const MergeParams = z.lazy(() => z.object({ mergeId: Identifier }));

const MergeUndone = onFirstUse(() =>
  z.object({
    outcome: z
      .enum(['undoing', 'already_undone'])
      .describe('undoing: the tickets are on their way back to the anonymous contact in the CRM.'),
    mergeId: z.string(),
    ticketsMoved: z.number().int().describe('Tickets the merge had moved, which go back.'),
  }),
);

/** Anonymous consumers (UNA-4): an admin undoes a merge found in the audit trail (`consumer.merged`). */
export function consumerRoutes(deps: {
  authenticate: Authenticate;
  consumers?: () => ConsumerDeps;
}): Route[] {
  return [
    route(
      'POST',
      '/v1/consumers/merges/:mergeId/undo',
      {
        operationId: 'undoConsumerMerge',
        summary:
          'Undo a merge of an anonymous consumer into a logged-in identity (needs Users-Edit): every ticket it moved goes back to the anonymous contact, in the CRM too; audited.',
        security: ['idToken'],
        params: MergeParams,
        answers: { 200: MergeUndone },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        authorizeOrThrow(actor, { type: 'people.edit' });
        if (!deps.consumers) throw notFound('Anonymous consumers');
        const { mergeId } = req.path();
        return { status: 200, body: await undoMerge(deps.consumers(), actor, mergeId) };
      },
    ),
  ];
}
