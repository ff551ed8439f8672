import { z } from 'zod';
import type { DeflectionDeps } from '../../app/deflection/deps.js';
import { readSettings, saveSettings } from '../../app/deflection/settings.js';
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
import type { SettingsSection } from '../../ports/deflection-settings.js';
import { contactQuestion, DeflectionQuestion } from '../deflection-question.js';
import { parseOrThrow } from '../errors.js';
import type { Route } from '../router.js';
import { settingsEditor, type Authenticate } from './callers.js';
import { sessionIdOf } from './sessions.js';

export interface DeflectionApiDeps {
  authenticate: Authenticate;
  deflection: () => DeflectionDeps;
  supervision: () => SupervisionDeps;
}

/** After-hours deflection: its settings, a preview of a decision, and where a session may be transferred. */
export function deflectionRoutes(deps: DeflectionApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/settings/deflection',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        return { status: 200, body: await readSettings(deps.deflection().settings, actor) };
      },
    },
    ...(
      [
        [
          '/v1/settings/support-center',
          (body: unknown) => ({
            section: 'supportCenter',
            value: parseOrThrow(SupportCenter, body, 'The support center details'),
          }),
        ],
        [
          '/v1/settings/call',
          (body: unknown) => ({
            section: 'call',
            value: parseOrThrow(CallSettings, body, 'The call settings'),
          }),
        ],
        [
          '/v1/settings/chat',
          (body: unknown) => ({
            section: 'chat',
            value: parseOrThrow(ChatSettings, body, 'The chat settings'),
          }),
        ],
      ] as const
    ).map(([path, parse]): Route => ({
      method: 'PUT',
      path,
      handle: async (ctx) => {
        const actor = await settingsEditor(deps.authenticate, ctx);
        return {
          status: 200,
          body: await saveSettings(deps.deflection().settings, actor, parse(ctx.json()) as SettingsSection),
        };
      },
    })),
    {
      method: 'PUT',
      path: '/v1/settings/queues/:queueId',
      handle: async (ctx) => {
        const actor = await settingsEditor(deps.authenticate, ctx);
        const { queueId } = parseOrThrow(z.object({ queueId: Identifier }), ctx.params, 'The path');
        const value = parseOrThrow(QueueSettings, ctx.json(), 'The queue settings');
        return {
          status: 200,
          body: await saveSettings(deps.deflection().settings, actor, {
            section: 'queue',
            id: queueId,
            value,
          }),
        };
      },
    },
    {
      method: 'PUT',
      path: '/v1/settings/languages/:tag',
      handle: async (ctx) => {
        const actor = await settingsEditor(deps.authenticate, ctx);
        const { tag } = parseOrThrow(z.object({ tag: Language }), ctx.params, 'The path');
        const value = parseOrThrow(LanguageSettings, ctx.json(), 'The language settings');
        return {
          status: 200,
          body: await saveSettings(deps.deflection().settings, actor, { section: 'language', tag, value }),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId/transfer-targets',
      handle: async (ctx) => {
        const actor = await deps.authenticate(ctx);
        const { engine, presence } = deps.deflection();
        const { sessions, clock } = deps.supervision();
        return {
          status: 200,
          body: await listTransferTargets(
            { sessions, engine, presence, now: () => clock.now() },
            actor,
            sessionIdOf(ctx),
          ),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/deflection/preview',
      handle: async (ctx) => {
        await settingsEditor(deps.authenticate, ctx);
        const q = parseOrThrow(DeflectionQuestion, ctx.json(), 'The question');
        const question = contactQuestion(q, deps.supervision().clock.now());
        return { status: 200, body: await deps.deflection().engine.decide(question) };
      },
    },
  ];
}
