import { z } from 'zod';
import type { ChatDeps } from '../../app/chat/chats.js';
import { deleteQueue } from '../../app/chat/interruptions.js';
import type { DeflectionDeps } from '../../app/deflection/deps.js';
import { readSettings, saveSettings } from '../../app/deflection/settings.js';
import { notFound } from '../../domain/errors.js';
import { listTransferTargets } from '../../app/deflection/transfers.js';
import type { SupervisionDeps } from '../../app/supervision/deps.js';
import {
  CallSettings,
  ChatSettings,
  Language,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
} from '../../domain/deflection/settings.js';
import { Identifier } from '../../domain/sessions/events.js';
import {
  DecisionAnswer,
  DeflectionSettingsAnswer,
  SettingsVersion,
  TransferTargets,
} from '../deflection-answers.js';
import { contactQuestion, DeflectionQuestion } from '../deflection-question.js';
import { route, type Route } from '../router.js';
import { settingsEditor, type Authenticate } from './callers.js';
import { SessionParams } from './sessions.js';

export interface DeflectionApiDeps {
  authenticate: Authenticate;
  deflection: () => DeflectionDeps;
  supervision: () => SupervisionDeps;
  /** Live chat, whose chats a deleted queue interrupts; absent where live chat is not deployed. */
  chat?: () => ChatDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const QueueDeleted = z.lazy(() =>
  z.object({
    interruptedChats: z.number().int().describe('Live chats that came through the queue, now interrupted.'),
  }),
);

/** A settings save: refused whole with every problem listed when the configuration it makes is invalid. */
const settingsSave = {
  security: ['idToken'],
  answers: { 200: SettingsVersion },
  errors: [403, 409],
} as const;

/** After-hours deflection: its settings, a preview of a decision, and where a session may be transferred. */
export function deflectionRoutes(deps: DeflectionApiDeps): Route[] {
  const settings = () => deps.deflection().settings;
  return [
    route(
      'GET',
      '/v1/settings/deflection',
      {
        operationId: 'readDeflectionSettings',
        summary: 'The whole deflection configuration and its version (AHD-11).',
        security: ['idToken'],
        answers: { 200: DeflectionSettingsAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        return { status: 200, body: await readSettings(settings(), actor) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/support-center',
      {
        ...settingsSave,
        operationId: 'saveSupportCenter',
        summary: "The support center's details (AHD-11).",
        body: SupportCenter,
        bodyName: 'The support center details',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const value = req.body();
        return {
          status: 200,
          body: await saveSettings(settings(), actor, { section: 'supportCenter', value }),
        };
      },
    ),
    route(
      'PUT',
      '/v1/settings/call',
      {
        ...settingsSave,
        operationId: 'saveCallSettings',
        summary: 'Business hours and deflection for calls (AHD-11).',
        body: CallSettings,
        bodyName: 'The call settings',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const value = req.body();
        return { status: 200, body: await saveSettings(settings(), actor, { section: 'call', value }) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/chat',
      {
        ...settingsSave,
        operationId: 'saveChatSettings',
        summary: 'Business hours and deflection for chats (AHD-11).',
        body: ChatSettings,
        bodyName: 'The chat settings',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const value = req.body();
        return { status: 200, body: await saveSettings(settings(), actor, { section: 'chat', value }) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/queues/:queueId',
      {
        ...settingsSave,
        operationId: 'saveQueueSettings',
        summary: "One queue's hours and deflection (AHD-11).",
        params: z.object({ queueId: Identifier }),
        body: QueueSettings,
        bodyName: 'The queue settings',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { queueId } = req.path();
        const value = req.body();
        return {
          status: 200,
          body: await saveSettings(settings(), actor, { section: 'queue', id: queueId, value }),
        };
      },
    ),
    route(
      'DELETE',
      '/v1/settings/queues/:queueId',
      {
        operationId: 'deleteQueue',
        summary:
          'Delete a queue, refused while other settings refer to it; its live chats are interrupted and can only be ended (LCH-4).',
        security: ['idToken'],
        params: z.object({ queueId: Identifier }),
        answers: { 200: QueueDeleted },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        if (!deps.chat) throw notFound('Live chat');
        const { queueId } = req.path();
        return {
          status: 200,
          body: await deleteQueue({ chat: deps.chat(), settings: settings() }, actor, queueId),
        };
      },
    ),
    route(
      'PUT',
      '/v1/settings/languages/:tag',
      {
        ...settingsSave,
        operationId: 'saveLanguageSettings',
        summary: "One language's prompts (AHD-11).",
        params: z.object({ tag: Language }),
        body: LanguageSettings,
        bodyName: 'The language settings',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { tag } = req.path();
        const value = req.body();
        return {
          status: 200,
          body: await saveSettings(settings(), actor, { section: 'language', tag, value }),
        };
      },
    ),
    route(
      'GET',
      '/v1/sessions/:sessionId/transfer-targets',
      {
        operationId: 'listTransferTargets',
        summary: 'The queues a connected session may be transferred to now (AHD-4, AHD-7).',
        security: ['idToken'],
        params: SessionParams,
        answers: { 200: TransferTargets },
        errors: [404, 409],
      },
      async (req) => {
        const actor = await deps.authenticate(req);
        const { engine, presence } = deps.deflection();
        const { sessions, clock } = deps.supervision();
        return {
          status: 200,
          body: await listTransferTargets({ sessions, engine, presence, clock }, actor, req.path().sessionId),
        };
      },
    ),
    route(
      'POST',
      '/v1/deflection/preview',
      {
        operationId: 'previewDeflection',
        summary: 'The decision for a contact at any date and time, before a configuration goes live.',
        security: ['idToken'],
        body: DeflectionQuestion,
        bodyName: 'The question',
        answers: { 200: DecisionAnswer },
        errors: [403],
      },
      async (req) => {
        await settingsEditor(deps.authenticate, req);
        const question = contactQuestion(req.body(), deps.supervision().clock.now());
        return { status: 200, body: await deps.deflection().engine.decide(question) };
      },
    ),
  ];
}
