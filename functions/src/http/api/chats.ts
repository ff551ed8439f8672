import { z } from 'zod';
import { acceptOffer, declineOffer, readDesk, setAgentState, type ChatDeps } from '../../app/chat/chats.js';
import { readThread, sendAgentMessage } from '../../app/chat/messages.js';
import { endChat, listWrapUpReasons, sendWrapUp } from '../../app/chat/wrap-up.js';
import { AgentState, CHOSEN_AGENT_STATES } from '../../domain/chat/agent-state.js';
import { CHAT_PHASES } from '../../domain/chat/chat.js';
import { notFound } from '../../domain/errors.js';
import { Identifier } from '../../domain/sessions/events.js';
import { route, type Route } from '../router.js';
import { ProfileFlags } from './answers.js';
import { settingsEditor, type Authenticate } from './callers.js';

export interface ChatsApiDeps {
  authenticate: Authenticate;
  /** Absent where live chat offers' timeouts are not set up: live chat's agent side is then off. */
  chat?: () => ChatDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const Desk = z.lazy(() =>
  z.object({
    agentId: z.string(),
    state: z.enum(AgentState),
    wrapUpsOwed: z
      .array(z.string())
      .describe(
        'Chats whose wrap-up the agent owes; while any is owed the agent is Busy and offered nothing.',
      ),
  }),
);

const StateInput = z.lazy(() =>
  z.strictObject({
    state: z
      .enum(CHOSEN_AGENT_STATES)
      .describe('RONA is set by the system; an agent leaves it by choosing Available.'),
  }),
);

export const ChatView = z.lazy(() =>
  z.object({
    sessionId: z.string(),
    status: z.enum([...CHAT_PHASES, 'transferred']),
    role: z.enum(['owner', 'guest', 'offered', 'former']),
    offer: z
      .object({
        offerId: z.string(),
        purpose: z.enum(['assignment', 'transfer', 'conference']),
        receivedAt: z.string().describe('When the offer reached the agent: the desktop counts from it.'),
        expiresAt: z.string(),
      })
      .nullable(),
    customerName: z.string(),
    customerInitials: z.string(),
    queueName: z.string(),
    agentName: z.string(),
    profileFlags: ProfileFlags(),
    date: z.string(),
    interruption: z.object({ warning: z.string(), at: z.string() }).nullable(),
    wrapUpOwed: z.boolean(),
    updatedAt: z.string(),
  }),
);

const ThreadMessage = z.lazy(() =>
  z.object({
    messageId: z.string(),
    author: z.enum(['customer', 'agent', 'system']),
    agentId: z.string().nullable(),
    initials: z.string().nullable().describe("The customer's initials, on customer messages."),
    text: z.string(),
    sentAt: z.string(),
    order: z.string(),
  }),
);

const ChatParams = z.lazy(() => z.object({ sessionId: Identifier }));
const OfferParams = z.lazy(() => z.object({ sessionId: Identifier, offerId: Identifier }));

/**
 * The text is checked by the use case (characters as a person counts them, reserved characters) so
 * that the refusal says which rule; the bound here only keeps absurd bodies out.
 */
const MessageInput = z.lazy(() =>
  z.strictObject({
    clientMessageId: Identifier.describe(
      'Chosen by the desktop for each message: a retry with the same id sends nothing new.',
    ),
    text: z
      .string()
      .max(16_000)
      .describe('At most 1000 characters as a person counts them; < and > are reserved.'),
  }),
);

export const ChatOfferSettings = z.lazy(() =>
  z.strictObject({
    offerTimeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .describe(
        'How long an offered chat waits for the agent before it is withdrawn and the agent goes to RONA.',
      ),
  }),
);

const WrapUpReason = z.lazy(() => z.object({ id: Identifier, label: z.string() }));
const WrapUpReasonInput = z.lazy(() => z.strictObject({ label: z.string().trim().min(1).max(100) }));
const WrapUpReasonParams = z.lazy(() => z.object({ reasonId: Identifier }));
const WrapUpReasonQuery = z.lazy(() => z.object({ q: z.string().min(1).max(100).optional() }));
const WrapUpInput = z.lazy(() => z.strictObject({ reasonId: Identifier }));

/** Live chat, the agent's side (LCH-1 … LCH-5, LCH-10): the caller is the agent. */
export function chatRoutes(deps: ChatsApiDeps): Route[] {
  const chat = () => {
    if (!deps.chat) throw notFound('Live chat');
    return deps.chat();
  };
  /** Accepting and declining an offer answer alike: the caller's view of the chat afterwards. */
  const answerOfferRoute = (
    answer: 'accept' | 'decline',
    operationId: string,
    summary: string,
    act: typeof acceptOffer,
  ) =>
    route(
      'POST',
      `/v1/chats/:sessionId/offers/:offerId/${answer}`,
      {
        operationId,
        summary,
        security: ['idToken'],
        params: OfferParams,
        answers: { 200: ChatView },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId, offerId } = req.path();
        const chatDeps = chat();
        await act(chatDeps, actor.uid, sessionId, offerId);
        return { status: 200, body: (await chatDeps.chats.getView(actor.uid, sessionId))! };
      },
    );
  return [
    route(
      'GET',
      '/v1/agent/desk',
      {
        operationId: 'readAgentDesk',
        summary: "The caller's agent state and the wrap-ups they owe.",
        security: ['idToken'],
        answers: { 200: Desk },
        errors: [404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 200, body: await readDesk(chat(), actor.uid) };
      },
    ),
    route(
      'PUT',
      '/v1/agent/state',
      {
        operationId: 'setAgentState',
        summary: 'The caller chooses their state (from RONA back to Available by hand).',
        security: ['idToken'],
        body: StateInput,
        bodyName: 'The state',
        answers: { 200: Desk },
        errors: [404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { state } = req.body();
        return { status: 200, body: await setAgentState(chat(), actor.uid, state) };
      },
    ),
    answerOfferRoute(
      'accept',
      'acceptChatOffer',
      'Accept a chat offered to the caller; only an Available agent can.',
      acceptOffer,
    ),
    answerOfferRoute(
      'decline',
      'declineChatOffer',
      'Decline a chat offered to the caller: the platform re-routes it.',
      declineOffer,
    ),
    route(
      'GET',
      '/v1/chats/:sessionId',
      {
        operationId: 'readChat',
        summary: "The caller's view of a chat offered to them, and its thread in order.",
        security: ['idToken'],
        params: ChatParams,
        answers: { 200: z.object({ chat: ChatView, messages: z.array(ThreadMessage) }) },
        errors: [404],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { view, messages } = await readThread(chat(), actor.uid, req.path().sessionId);
        return { status: 200, body: { chat: view, messages } };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/messages',
      {
        operationId: 'sendChatMessage',
        summary: 'Send a message in a chat the caller answers or shares (201; 200 for a retry of one sent).',
        security: ['idToken'],
        params: ChatParams,
        body: MessageInput,
        bodyName: 'The message',
        answers: { 200: ThreadMessage, 201: ThreadMessage },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const input = req.body();
        const { message, created } = await sendAgentMessage(chat(), actor.uid, sessionId, input);
        return { status: created ? 201 : 200, body: message };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/end',
      {
        operationId: 'endChat',
        summary:
          'End a chat the caller answers (a conference guest leaves it): a wrap-up is then owed, and the caller is Busy until it is sent.',
        security: ['idToken'],
        params: ChatParams,
        answers: { 200: ChatView },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const deps_ = chat();
        await endChat(deps_, actor.uid, sessionId);
        return { status: 200, body: (await deps_.chats.getView(actor.uid, sessionId))! };
      },
    ),
    route(
      'POST',
      '/v1/chats/:sessionId/wrap-up',
      {
        operationId: 'sendWrapUp',
        summary: "Send the wrap-up the caller owes for a chat, with one of the admins' reasons.",
        security: ['idToken'],
        params: ChatParams,
        body: WrapUpInput,
        bodyName: 'The wrap-up',
        answers: { 200: ChatView },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { sessionId } = req.path();
        const { reasonId } = req.body();
        const deps_ = chat();
        await sendWrapUp(deps_, actor.uid, sessionId, reasonId);
        return { status: 200, body: (await deps_.chats.getView(actor.uid, sessionId))! };
      },
    ),
    route(
      'GET',
      '/v1/wrap-up-reasons',
      {
        operationId: 'listWrapUpReasons',
        summary: 'The wrap-up reasons, by label; `q` keeps those whose label contains it.',
        security: ['idToken'],
        query: WrapUpReasonQuery,
        answers: { 200: z.object({ items: z.array(WrapUpReason) }) },
        errors: [404],
      },
      async (req) => {
        await deps.authenticate(req);
        const { q } = req.query();
        return { status: 200, body: { items: await listWrapUpReasons(chat(), q) } };
      },
    ),
    route(
      'PUT',
      '/v1/wrap-up-reasons/:reasonId',
      {
        operationId: 'saveWrapUpReason',
        summary: 'Create (201) or rename a wrap-up reason.',
        security: ['idToken'],
        params: WrapUpReasonParams,
        body: WrapUpReasonInput,
        bodyName: 'The wrap-up reason',
        answers: { 200: WrapUpReason, 201: WrapUpReason },
        errors: [403, 404, 409],
      },
      async (req) => {
        await settingsEditor(deps.authenticate, req);
        const { reasonId } = req.path();
        const { label } = req.body();
        const { created } = await chat().wrapUpReasons.save({ id: reasonId, label });
        return { status: created ? 201 : 200, body: { id: reasonId, label } };
      },
    ),
    route(
      'DELETE',
      '/v1/wrap-up-reasons/:reasonId',
      {
        operationId: 'deleteWrapUpReason',
        summary: 'Delete a wrap-up reason; wrap-ups already sent keep its id.',
        security: ['idToken'],
        params: WrapUpReasonParams,
        answers: { 204: null },
        errors: [403, 404],
      },
      async (req) => {
        await settingsEditor(deps.authenticate, req);
        if (!(await chat().wrapUpReasons.delete(req.path().reasonId))) throw notFound('The wrap-up reason');
        return { status: 204 };
      },
    ),
    route(
      'GET',
      '/v1/settings/chat-offers',
      {
        operationId: 'readChatOfferSettings',
        summary: 'How long an offered chat waits for the agent.',
        security: ['idToken'],
        answers: { 200: ChatOfferSettings },
        errors: [403, 404],
      },
      async (req) => {
        await settingsEditor(deps.authenticate, req);
        return { status: 200, body: await chat().settings.read() };
      },
    ),
    route(
      'PUT',
      '/v1/settings/chat-offers',
      {
        operationId: 'saveChatOfferSettings',
        summary: 'Change how long an offered chat waits for the agent (offers made from now on).',
        security: ['idToken'],
        body: ChatOfferSettings,
        bodyName: 'The chat offer settings',
        answers: { 200: ChatOfferSettings },
        errors: [403, 404],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const settings = req.body();
        const deps_ = chat();
        await deps_.settings.save(settings, actor, deps_.clock.now());
        return { status: 200, body: await deps_.settings.read() };
      },
    ),
  ];
}
