import { z } from 'zod';
import type { PeopleDeps } from '../app/authenticate.js';
import type { AdminDeps } from '../app/admin/directory.js';
import type { RevealDeps } from '../app/chat/reveal.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import type { NotificationDeps } from '../app/notifications/deps.js';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import type { DownloadDeps } from '../app/recordings/download.js';
import type { SupervisionDeps } from '../app/supervision/deps.js';
import { adminRoutes } from './api/admin.js';
import { agentRoutes } from './api/agents.js';
import { chatRoutes } from './api/chats.js';
import type { ChatDeps } from '../app/chat/chats.js';
import { auditRoutes } from './api/audit.js';
import { byIdToken } from './api/callers.js';
import { chatRevealRoutes } from './api/chat-reveal.js';
import { consumerRoutes } from './api/consumers.js';
import type { ConsumerDeps } from '../app/consumers/anonymous-consumers.js';
import { chatCollaborationRoutes } from './api/chat-collaboration.js';
import type { CollaborationDeps } from '../app/chat/collaboration.js';
import { deflectionRoutes } from './api/deflection.js';
import { meRoutes } from './api/me.js';
import { notificationToneRoutes, type ToneApiDeps } from './api/notification-tones.js';
import { notificationRoutes } from './api/notifications.js';
import { privacySettingsRoutes } from './api/privacy.js';
import { recordingRoutes } from './api/recordings.js';
import { sessionRoutes } from './api/sessions.js';
import { sipRedirectionRoutes } from './api/sip-redirection.js';
import { smartActionRoutes } from './api/smart-actions.js';
import type { SmartActionDeps } from '../app/smart-actions/requests.js';
import type { MediaDeps } from '../app/smart-actions/media.js';
import { mediaRoutes } from './api/media.js';
import { contractRoute } from './contract-route.js';
import { route, type Route } from './router.js';

/** The REST API for people: supervisors, managers, admins, and agents answering live chats. */
export interface ApiDeps {
  people: () => PeopleDeps;
  supervision: () => SupervisionDeps;
  deflection: () => DeflectionDeps;
  /** Agent notifications' settings and the tone library. */
  notifications: () => NotificationDeps;
  /** Recordings (REC-4 and the CRM admin's view); absent where recordings are not configured. */
  downloads?: () => DownloadDeps;
  recordings?: () => RecordingPipelineDeps;
  crmDownloadKeys?: readonly string[];
  /** People, roles, queue teams and stuck thresholds, as admins configure them. */
  admin: () => AdminDeps;
  /** Revealing a masked chat message's original text, audited. */
  reveal: () => RevealDeps;
  /** Live chat's agent side; absent where its offers' timeouts are not set up. */
  chat?: () => ChatDeps;
  /** Transfers and conferences of live chats; present with `chat`. */
  collaboration?: () => CollaborationDeps;
  /** Anonymous consumers' merges (UNA-4); absent where the CRM worker's queue is not configured. */
  consumers?: () => ConsumerDeps;
  /** Uploaded notification tones and whisper recordings (NOT-3, NOT-4); absent where their bucket is not configured. */
  notificationTones?: () => ToneApiDeps;
  /** Smart actions agents ask of mobile SDK consumers (SMA-1, SMA-2). */
  smartActions?: () => SmartActionDeps;
  /** Smart-action media (SMA-2 … SMA-4); absent where the media bucket is not configured. */
  media?: () => MediaDeps;
}

export const API_DESCRIPTION = {
  title: 'Switchboard api',
  description:
    'The REST API for people (supervisors, managers, admins, and agents answering live chats) signed in with a Firebase ID token, and for the CRM, which downloads recordings with its key.',
};

/** The api function's routes, resource by resource (see api/). */
export function apiRoutes(deps: ApiDeps): Route[] {
  const authenticate = byIdToken(deps.people);
  const { supervision, deflection, downloads, recordings, admin } = deps;
  const routes: Route[] = [
    ...adminRoutes({ admin, authenticate }),
    ...privacySettingsRoutes({ admin, authenticate }),
    ...sipRedirectionRoutes({ admin, authenticate }),
    ...(downloads && recordings
      ? recordingRoutes({ authenticate, downloads, recordings, crmKeys: deps.crmDownloadKeys ?? [] })
      : []),
    route(
      'GET',
      '/healthz',
      {
        operationId: 'apiHealth',
        summary: 'Whether the function answers.',
        security: [],
        answers: { 200: () => z.object({ status: z.literal('ok') }) },
      },
      () => ({ status: 200, body: { status: 'ok' as const } }),
    ),
    ...meRoutes({ authenticate }),
    ...sessionRoutes({ authenticate, supervision }),
    ...agentRoutes({ authenticate, supervision }),
    ...deflectionRoutes({ authenticate, deflection, supervision, ...(deps.chat ? { chat: deps.chat } : {}) }),
    ...notificationRoutes({ authenticate, notifications: deps.notifications }),
    ...auditRoutes({ authenticate, supervision }),
    ...chatRevealRoutes({ authenticate, reveal: deps.reveal }),
    ...consumerRoutes({ authenticate, ...(deps.consumers ? { consumers: deps.consumers } : {}) }),
    ...chatRoutes({ authenticate, ...(deps.chat ? { chat: deps.chat } : {}) }),
    ...chatCollaborationRoutes({
      authenticate,
      ...(deps.collaboration ? { collaboration: deps.collaboration } : {}),
    }),
    ...(deps.notificationTones
      ? notificationToneRoutes({ authenticate, tones: deps.notificationTones })
      : []),
    ...smartActionRoutes({ authenticate, ...(deps.smartActions ? { smartActions: deps.smartActions } : {}) }),
    ...mediaRoutes({ authenticate, supervision, ...(deps.media ? { media: deps.media } : {}) }),
  ];
  routes.push(contractRoute(API_DESCRIPTION, () => routes));
  return routes;
}
