import { z } from 'zod';
import { revealMessage, type RevealDeps } from '../../app/chat/reveal.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import { Instant } from './answers.js';
import type { Authenticate } from './callers.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const RevealParams = z.lazy(() => z.object({ sessionId: Identifier, messageId: Identifier }));

const RevealedMessage = onFirstUse(() =>
  z.object({
    messageId: z.string(),
    author: z.enum(['consumer', 'agent', 'virtual_agent', 'system']),
    sentAt: Instant(),
    text: z.string().describe('The original text, as the platform reported it, before masking.'),
    revealedAt: Instant(),
  }),
);

/** Revealing the original text of one masked chat message (LCH-6): a permission, and an audit entry. */
export function chatRevealRoutes(deps: { authenticate: Authenticate; reveal: () => RevealDeps }): Route[] {
  return [
    route(
      'POST',
      '/v1/chats/:sessionId/messages/:messageId/reveal',
      {
        operationId: 'revealChatMessage',
        summary:
          "One message's original text when masking hides part of it (needs Sensitive-Data-Reveal on the chat's teams); every reveal is audited.",
        security: ['idToken'],
        params: RevealParams,
        answers: { 200: RevealedMessage },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId, messageId } = req.path();
        return { status: 200, body: await revealMessage(deps.reveal(), actor, sessionId, messageId) };
      },
    ),
  ];
}
