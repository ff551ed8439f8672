import { z } from 'zod';
import { authenticate, type PeopleDeps } from '../app/authenticate.js';
import type { SupervisionDeps } from '../app/supervision/deps.js';
import { confirmEnd, readAudit, requestEnd } from '../app/supervision/ending.js';
import { listAgents, listSessions } from '../app/supervision/lists.js';
import {
  barge,
  getSessionDetails,
  readChatThread,
  startMonitoring,
  stopMonitoring,
} from '../app/supervision/monitoring.js';
import { Channel, Identifier, Kind } from '../domain/sessions/events.js';
import { MAX_CURSOR_LENGTH } from '../domain/supervision/cursors.js';
import { readSettings, saveSettings } from '../app/deflection/settings.js';
import { require } from '../app/supervision/deps.js';
import {
  CallSettings,
  ChatSettings,
  Language,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
} from '../domain/deflection/settings.js';
import type { SettingsSection } from '../ports/deflection-settings.js';
import type { DeflectionDeps } from '../app/deflection/deps.js';
import { listTransferTargets } from '../app/deflection/transfers.js';
import { contactQuestion, DeflectionQuestion } from './deflection-question.js';
import { parseOrThrow } from './errors.js';
import type { Route, RouteContext } from './router.js';
import type { DownloadDeps } from '../app/recordings/download.js';
import { recordingRoutes } from './recordings-api.js';
import type { RecordingPipelineDeps } from '../app/recordings/deps.js';
import type { AdminDeps } from '../app/admin/directory.js';
import { adminRoutes } from './admin-api.js';

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

const PageSize = z.coerce.number().int().min(1).max(100).default(25);
const Cursor = z.string().min(1).max(MAX_CURSOR_LENGTH).optional();

const SessionListQuery = z.object({
  kind: Kind,
  state: z.enum(['queued', 'connected']),
  channel: Channel.optional(),
  queueId: Identifier.optional(),
  agentId: Identifier.optional(),
  teamId: Identifier.optional(),
  q: z.string().min(1).max(100).optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

const AgentListQuery = z.object({
  teamId: Identifier.optional(),
  q: z.string().min(1).max(100).optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

const AuditQuery = z.object({
  sessionId: Identifier.optional(),
  actorUid: Identifier.optional(),
  pageSize: PageSize,
  cursor: Cursor,
});

const ThreadQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(200) });
const EndBody = z.object({ confirmationId: z.uuid() });
const SessionParams = z.object({ sessionId: Identifier });

/** A language's tag names its settings document: as long as BCP 47 tags get in practice, no longer. */

const defined = <T extends Record<string, unknown>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };

export function apiRoutes(deps: ApiDeps): Route[] {
  /** Every route below but health needs a person with an ID token. */
  const asPerson =
    (
      handle: (
        ctx: RouteContext,
        actor: Awaited<ReturnType<typeof authenticate>>,
      ) => Promise<{ status: number; body?: unknown }>,
    ) =>
    async (ctx: RouteContext) =>
      handle(ctx, await authenticate(deps.people(), ctx.req.header('authorization')));
  /** Settings routes: the permission is checked before the body is read, so a refusal reveals nothing of it. */
  const asSettingsEditor = (handle: Parameters<typeof asPerson>[0]) =>
    asPerson(async (ctx, actor) => {
      require(actor, { type: 'settings.edit' });
      return handle(ctx, actor);
    });
  const sessionId = (ctx: RouteContext) => parseOrThrow(SessionParams, ctx.params, 'The path').sessionId;

  const { downloads, recordings, admin } = deps;
  return [
    ...adminRoutes({
      admin,
      authenticate: (ctx) => authenticate(deps.people(), ctx.req.header('authorization')),
    }),
    ...(downloads && recordings
      ? recordingRoutes({ people: deps.people, downloads, recordings, crmKeys: deps.crmDownloadKeys ?? [] })
      : []),
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/v1/me',
      handle: asPerson(async (_ctx, actor) => ({
        status: 200,
        body: {
          uid: actor.uid,
          name: actor.name,
          teamIds: actor.teamIds,
          multiFactor: actor.multiFactor,
          permissions: Object.fromEntries(
            [...actor.grants].map(([p, g]) => [p, g === 'all' ? 'all_teams' : [...g].sort()]),
          ),
        },
      })),
    },
    {
      method: 'GET',
      path: '/v1/sessions',
      handle: asPerson(async (ctx, actor) => {
        const q = parseOrThrow(SessionListQuery, ctx.req.query, 'The query');
        const filters = defined({
          kind: q.kind,
          state: q.state,
          channel: q.channel,
          queueId: q.queueId,
          agentId: q.agentId,
          teamId: q.teamId,
          search: q.q,
        });
        const page = defined({ size: q.pageSize, cursor: q.cursor });
        return { status: 200, body: await listSessions(deps.supervision(), actor, filters, page) };
      }),
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId',
      handle: asPerson(async (ctx, actor) => ({
        status: 200,
        body: await getSessionDetails(deps.supervision(), actor, sessionId(ctx)),
      })),
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId/messages',
      handle: asPerson(async (ctx, actor) => {
        const { limit } = parseOrThrow(ThreadQuery, ctx.req.query, 'The query');
        return { status: 200, body: await readChatThread(deps.supervision(), actor, sessionId(ctx), limit) };
      }),
    },
    {
      method: 'PUT',
      path: '/v1/sessions/:sessionId/monitors/me',
      handle: asPerson(async (ctx, actor) => ({
        status: 200,
        body: await startMonitoring(deps.supervision(), actor, sessionId(ctx)),
      })),
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/:sessionId/monitors/me',
      handle: asPerson(async (ctx, actor) => {
        await stopMonitoring(deps.supervision(), actor, sessionId(ctx));
        return { status: 204 };
      }),
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/barge',
      handle: asPerson(async (ctx, actor) => ({
        status: 200,
        body: await barge(deps.supervision(), actor, sessionId(ctx)),
      })),
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/end-requests',
      handle: asPerson(async (ctx, actor) => ({
        status: 201,
        body: await requestEnd(deps.supervision(), actor, sessionId(ctx)),
      })),
    },
    {
      method: 'POST',
      path: '/v1/sessions/:sessionId/end',
      handle: asPerson(async (ctx, actor) => {
        const { confirmationId } = parseOrThrow(EndBody, ctx.json(), 'The body');
        return {
          status: 200,
          body: await confirmEnd(deps.supervision(), actor, sessionId(ctx), confirmationId),
        };
      }),
    },
    {
      method: 'GET',
      path: '/v1/agents',
      handle: asPerson(async (ctx, actor) => {
        const q = parseOrThrow(AgentListQuery, ctx.req.query, 'The query');
        const page = defined({ size: q.pageSize, cursor: q.cursor });
        return {
          status: 200,
          body: await listAgents(deps.supervision(), actor, defined({ teamId: q.teamId, search: q.q }), page),
        };
      }),
    },
    {
      method: 'GET',
      path: '/v1/settings/deflection',
      handle: asPerson(async (_ctx, actor) => ({
        status: 200,
        body: await readSettings(deps.deflection().settings, actor),
      })),
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
      handle: asSettingsEditor(async (ctx, actor) => ({
        status: 200,
        body: await saveSettings(deps.deflection().settings, actor, parse(ctx.json()) as SettingsSection),
      })),
    })),
    {
      method: 'PUT',
      path: '/v1/settings/queues/:queueId',
      handle: asSettingsEditor(async (ctx, actor) => {
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
      }),
    },
    {
      method: 'PUT',
      path: '/v1/settings/languages/:tag',
      handle: asSettingsEditor(async (ctx, actor) => {
        const { tag } = parseOrThrow(z.object({ tag: Language }), ctx.params, 'The path');
        const value = parseOrThrow(LanguageSettings, ctx.json(), 'The language settings');
        return {
          status: 200,
          body: await saveSettings(deps.deflection().settings, actor, { section: 'language', tag, value }),
        };
      }),
    },
    {
      method: 'GET',
      path: '/v1/sessions/:sessionId/transfer-targets',
      handle: asPerson(async (ctx, actor) => {
        const { engine, presence } = deps.deflection();
        const { sessions, clock } = deps.supervision();
        return {
          status: 200,
          body: await listTransferTargets(
            { sessions, engine, presence, now: () => clock.now() },
            actor,
            sessionId(ctx),
          ),
        };
      }),
    },
    {
      method: 'POST',
      path: '/v1/deflection/preview',
      handle: asSettingsEditor(async (ctx) => {
        const q = parseOrThrow(DeflectionQuestion, ctx.json(), 'The question');
        const question = contactQuestion(q, deps.supervision().clock.now());
        return { status: 200, body: await deps.deflection().engine.decide(question) };
      }),
    },
    {
      method: 'GET',
      path: '/v1/audit',
      handle: asPerson(async (ctx, actor) => {
        const q = parseOrThrow(AuditQuery, ctx.req.query, 'The query');
        const filter = defined({ sessionId: q.sessionId, actorUid: q.actorUid });
        return {
          status: 200,
          body: await readAudit(
            deps.supervision(),
            actor,
            filter,
            defined({ size: q.pageSize, cursor: q.cursor }),
          ),
        };
      }),
    },
  ];
}
