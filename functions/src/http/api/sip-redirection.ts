import { z } from 'zod';
import {
  deleteSipRedirection,
  readSipRedirection,
  readVirtualAgentSettings,
  saveSipRedirection,
  saveVirtualAgentSettings,
} from '../../app/deflection/sip-redirection.js';
import {
  SipRedirection,
  VirtualAgentDataParameter,
  VirtualAgentSettings,
} from '../../domain/deflection/sip-redirection.js';
import { Identifier } from '../../domain/sessions/events.js';
import { onFirstUse, route, type Route } from '../router.js';
import type { AdminApiDeps } from './admin.js';
import { settingsEditor } from './callers.js';

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
const QueueParams = z.lazy(() => z.object({ queueId: Identifier }));

const SipRedirectionSaved = onFirstUse(() =>
  z.object({ version: z.number().int(), sipRedirection: SipRedirection }),
);

const SipRedirectionDeleted = onFirstUse(() => z.object({ version: z.number().int() }));

const Preview = z.lazy(() =>
  z.object({
    label: z.string().describe('The parameter as the admin reads it under Preview.'),
    dialogflowParameter: z.string().describe('How Dialogflow CX refers to it.'),
    example: z
      .record(z.string(), z.boolean())
      .describe('What the virtual agent is passed for a verified customer.'),
  }),
);
const VirtualAgentAnswer = onFirstUse(() =>
  z.object({ data_parameters: z.array(VirtualAgentDataParameter.unwrap().extend({ preview: Preview })) }),
);
const VirtualAgentSaved = onFirstUse(() => VirtualAgentAnswer().extend({ version: z.number().int() }));

/** A save: refused whole with every problem listed when the configuration it makes is invalid. */
const queueSectionSave = { security: ['idToken'], errors: [403, 404, 409] } as const;

/** A queue's SIP redirection (RDP-3) and its virtual agent's data parameters (RDP-4). */
export function sipRedirectionRoutes(deps: AdminApiDeps): Route[] {
  return [
    route(
      'GET',
      '/v1/settings/queues/:queueId/sip-redirection',
      {
        operationId: 'readSipRedirection',
        summary:
          "A queue's SIP redirection: its URI, data parameters and where their values are written (RDP-3).",
        security: ['idToken'],
        params: QueueParams,
        answers: { 200: () => SipRedirection },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        return { status: 200, body: await readSipRedirection(deps.admin(), actor, req.path().queueId) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/queues/:queueId/sip-redirection',
      {
        ...queueSectionSave,
        operationId: 'saveSipRedirection',
        summary: "Replace a queue's SIP redirection (RDP-3); audited.",
        params: QueueParams,
        body: SipRedirection,
        bodyName: 'The SIP redirection settings',
        answers: { 200: SipRedirectionSaved },
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { queueId } = req.path();
        const value = req.body();
        return { status: 200, body: await saveSipRedirection(deps.admin(), actor, queueId, value) };
      },
    ),
    route(
      'DELETE',
      '/v1/settings/queues/:queueId/sip-redirection',
      {
        operationId: 'deleteSipRedirection',
        summary:
          "Remove a queue's SIP redirection (RDP-3), so that its calls are no longer redirected; audited. Removing one that is not there changes nothing.",
        security: ['idToken'],
        params: QueueParams,
        answers: { 200: SipRedirectionDeleted },
        errors: [403, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        return { status: 200, body: await deleteSipRedirection(deps.admin(), actor, req.path().queueId) };
      },
    ),
    route(
      'GET',
      '/v1/settings/queues/:queueId/virtual-agent',
      {
        operationId: 'readVirtualAgentSettings',
        summary: "The data parameters a queue's virtual agent is passed, each with its preview (RDP-4).",
        security: ['idToken'],
        params: QueueParams,
        answers: { 200: VirtualAgentAnswer },
        errors: [403, 404, 409],
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        return { status: 200, body: await readVirtualAgentSettings(deps.admin(), actor, req.path().queueId) };
      },
    ),
    route(
      'PUT',
      '/v1/settings/queues/:queueId/virtual-agent',
      {
        ...queueSectionSave,
        operationId: 'saveVirtualAgentSettings',
        summary:
          "Replace the data parameters a queue's virtual agent is passed (RDP-4); answers their previews; audited.",
        params: QueueParams,
        body: VirtualAgentSettings,
        bodyName: 'The virtual agent settings',
        answers: { 200: VirtualAgentSaved },
      },
      async (req) => {
        const actor = await settingsEditor(deps.authenticate, req);
        const { queueId } = req.path();
        const value = req.body();
        return { status: 200, body: await saveVirtualAgentSettings(deps.admin(), actor, queueId, value) };
      },
    ),
  ];
}
