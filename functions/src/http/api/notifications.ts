import { z } from 'zod';
import type { NotificationDeps } from '../../app/notifications/deps.js';
import {
  deleteQueueWhisper,
  readNotificationSettings,
  saveCallNotifications,
  saveChatNotifications,
  saveQueueWhisper,
} from '../../app/notifications/settings.js';
import { CallNotifications, ChatNotifications, QueueWhisper } from '../../domain/notifications/settings.js';
import { Identifier } from '../../domain/sessions/events.js';
import { SettingsVersion } from '../deflection-answers.js';
import { onFirstUse, route, type Route } from '../router.js';
import { settingsEditor, type Authenticate } from './callers.js';

export interface NotificationApiDeps {
  authenticate: Authenticate;
  notifications: () => NotificationDeps;
}

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const QueueParams = z.lazy(() => z.object({ queueId: Identifier }));

const NotificationSettingsAnswer = onFirstUse(() =>
  z.object({
    calls: CallNotifications,
    chats: ChatNotifications,
    queues: z.array(
      z.object({
        queueId: z.string(),
        whisper: QueueWhisper,
        orphaned: z
          .enum(['unknown_queue', 'not_a_call_queue'])
          .optional()
          .describe(
            'Present when the whisper does not apply: its queue was deleted, or takes no IVR, mobile or web calls any more. The global whisper applies to that queue until this one is deleted.',
          ),
      }),
    ),
    tones: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          sizeBytes: z.number().int(),
          durationMs: z.number().int(),
          uploadedAt: z.string(),
          uploadedBy: z.string(),
          usedBy: z
            .array(z.string())
            .describe(
              'Every setting that uses the tone (such as `calls.incomingCallTone`): it cannot be deleted while any does.',
            ),
        }),
      )
      .describe('The tone library: uploaded tones and whisper recordings.'),
    version: z.number().int(),
  }),
);

/** A save: refused whole with every problem listed when the configuration it makes is invalid. */
const sectionSave = { security: ['idToken'], answers: { 200: SettingsVersion }, errors: [403] } as const;

/** Agent notifications' settings (NOT-1, NOT-2, NOT-3), for admins with Settings-Edit. */
export function notificationRoutes(deps: NotificationApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/settings/notifications',
      {
        operationId: 'readNotificationSettings',
        summary:
          'The call and chat notifications, every queue whisper, the tone library and the version (NOT-1, NOT-2, NOT-3); defaults for what was never saved.',
        security: ['idToken'],
        answers: { 200: NotificationSettingsAnswer },
        errors: [403],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        return { status: 200, body: await readNotificationSettings(deps.notifications(), actor) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/notifications/calls',
      {
        ...sectionSave,
        operationId: 'saveCallNotifications',
        summary:
          'Replace the call notifications: whisper and its speed, countdown, incoming-call tone, frequency, SMS (NOT-1).',
        body: CallNotifications,
        bodyName: 'The call notifications',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const value = req.body();
        return { status: 200, body: await saveCallNotifications(deps.notifications(), actor, value) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/notifications/chats',
      {
        ...sectionSave,
        operationId: 'saveChatNotifications',
        summary: 'Replace the chat notifications: new-chat tone, frequency, new-message tone (NOT-2).',
        body: ChatNotifications,
        bodyName: 'The chat notifications',
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const value = req.body();
        return { status: 200, body: await saveChatNotifications(deps.notifications(), actor, value) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/queues/:queueId/whisper',
      {
        ...sectionSave,
        operationId: 'saveQueueWhisper',
        summary:
          "Replace a queue's whisper announcement, which overrides the global whisper for its calls (NOT-3); the queue must take IVR, mobile or web calls. 409 not_configured until the deflection settings are set up.",
        params: QueueParams,
        body: QueueWhisper,
        bodyName: 'The whisper announcement',
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { queueId } = req.path();
        const value = req.body();
        return { status: 200, body: await saveQueueWhisper(deps.notifications(), actor, queueId, value) };
      },
    ),
    route(
      'DELETE',
      '/v1/settings/queues/:queueId/whisper',
      {
        operationId: 'deleteQueueWhisper',
        summary:
          "Remove a queue's whisper announcement, so the global whisper applies to its calls again (NOT-3). Removing one that is not there changes nothing.",
        security: ['idToken'],
        params: QueueParams,
        answers: { 200: SettingsVersion },
        errors: [403],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        return {
          status: 200,
          body: await deleteQueueWhisper(deps.notifications(), actor, req.path().queueId),
        };
      },
    ),
  ];
}
