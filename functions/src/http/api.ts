import { z } from 'zod';
import type { PeopleDeps } from '../app/authenticate.js';
import type { AdminDeps } from '../app/admin/directory.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import type { DownloadDeps } from '../app/recordings/download.js';
import type { SupervisionDeps } from '../app/supervision/deps.js';
import { adminRoutes } from './api/admin.js';
import { agentRoutes } from './api/agents.js';
import { auditRoutes } from './api/audit.js';
import { byIdToken } from './api/callers.js';
import { deflectionRoutes } from './api/deflection.js';
import { meRoutes } from './api/me.js';
import { privacySettingsRoutes } from './api/privacy.js';
import { recordingRoutes } from './api/recordings.js';
import { sessionRoutes } from './api/sessions.js';
import { contractRoute } from './contract-route.js';
import { route, type Route } from './router.js';

/** The REST API for people: supervisors, managers and admins (agents' own routes come with live chat). */
export interface ApiDeps {
  people: () => PeopleDeps;
  supervision: () => SupervisionDeps;
  deflection: () => DeflectionDeps;
  /** Recordings (REC-4 and the CRM admin's view); absent where recordings are not configured. */
  downloads?: () => DownloadDeps;
  recordings?: () => RecordingPipelineDeps;
  crmDownloadKeys?: readonly string[];
  /** People, roles, queue teams and stuck thresholds, as admins configure them. */
  admin: () => AdminDeps;
}

export const API_DESCRIPTION = {
  title: 'Switchboard api',
  description:
    'The REST API for people (supervisors, managers and admins) signed in with a Firebase ID token, and for the CRM, which downloads recordings with its key.',
};

/** The api function's routes, resource by resource (see api/). */
export function apiRoutes(deps: ApiDeps): Route[] {
  const authenticate = byIdToken(deps.people);
  const { supervision, deflection, downloads, recordings, admin } = deps;
  const routes: Route[] = [
    ...adminRoutes({ admin, authenticate }),
    ...privacySettingsRoutes({ admin, authenticate }),
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
    ...deflectionRoutes({ authenticate, deflection, supervision }),
    ...auditRoutes({ authenticate, supervision }),
  ];
  routes.push(contractRoute(API_DESCRIPTION, () => routes));
  return routes;
}
