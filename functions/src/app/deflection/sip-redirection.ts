import type { Actor } from '../../domain/access/permissions.js';
import {
  sipRedirectionAnswer,
  virtualAgentParameterPreview,
  type SipRedirection,
  type VirtualAgentSettings,
} from '../../domain/deflection/sip-redirection.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { SessionRepository } from '../../ports/session-repository.js';
import type { SettingsSection } from '../../ports/deflection-settings.js';
import { audit, type AdminDeps } from '../admin/directory.js';
import type { DeflectionEngine } from './engine.js';
import { savedConfig, saveSettings } from './settings.js';

/**
 * Saves one of a queue's sections like every deflection setting (refused whole, every problem listed,
 * nothing written), then audits it. Saving the same value again is harmless, so a request retried
 * after a failure saves and audits again: the change is never left unaudited.
 */
async function saveQueueSection(
  deps: AdminDeps,
  actor: Actor,
  change: Extract<SettingsSection, { section: 'sipRedirection' | 'virtualAgent' }>,
) {
  // Refused until the whole configuration exists, so that what is saved can always be read back (the
  // read needs it too); once set up, the configuration never goes back, so checking first is enough.
  await savedConfig(deps.deflection, actor);
  const { version } = await saveSettings(deps.deflection, actor, change);
  await audit(
    deps,
    actor,
    change.section === 'sipRedirection' ? 'sip_redirection.changed' : 'virtual_agent.changed',
    { type: 'queue', id: change.id },
  );
  return version;
}

const own = <T>(record: Record<string, T>, id: string): T | undefined =>
  Object.hasOwn(record, id) ? record[id] : undefined;

/** RDP-3: where a queue's calls are redirected over SIP, and which session data goes along. */
export async function saveSipRedirection(
  deps: AdminDeps,
  actor: Actor,
  queueId: string,
  value: SipRedirection,
) {
  const version = await saveQueueSection(deps, actor, { section: 'sipRedirection', id: queueId, value });
  return { version, sipRedirection: value };
}

/**
 * Removes a queue's SIP redirection, so that its calls are no longer redirected and the queue may stop
 * taking calls. Removing one that is not there changes nothing, so a retry after a failed audit
 * removes (nothing) and audits again.
 */
export async function deleteSipRedirection(deps: AdminDeps, actor: Actor, queueId: string) {
  const { version } = await saveSettings(deps.deflection, actor, {
    section: 'sipRedirectionDeleted',
    id: queueId,
  });
  await audit(deps, actor, 'sip_redirection.removed', { type: 'queue', id: queueId });
  return { version };
}

export async function readSipRedirection(deps: AdminDeps, actor: Actor, queueId: string) {
  const sip = own((await savedConfig(deps.deflection, actor)).sipRedirections, queueId);
  if (!sip) throw notFound(`The SIP redirection of queue ${queueId}`);
  return sip;
}

/** Each data parameter with the preview the admin sees under it. */
const withPreviews = (settings: VirtualAgentSettings) => ({
  data_parameters: settings.data_parameters.map((parameter) => ({
    ...parameter,
    preview: virtualAgentParameterPreview(parameter),
  })),
});

/** RDP-4: the data parameters a queue's virtual agent is passed, with their previews. */
export async function saveVirtualAgentSettings(
  deps: AdminDeps,
  actor: Actor,
  queueId: string,
  value: VirtualAgentSettings,
) {
  const version = await saveQueueSection(deps, actor, { section: 'virtualAgent', id: queueId, value });
  return { version, ...withPreviews(value) };
}

export async function readVirtualAgentSettings(deps: AdminDeps, actor: Actor, queueId: string) {
  const settings = own((await savedConfig(deps.deflection, actor)).virtualAgents, queueId);
  if (!settings) throw notFound(`The virtual agent settings of queue ${queueId}`);
  return withPreviews(settings);
}

/**
 * What the platform sends when it redirects a session's call over SIP: the headers, from the session's
 * profile flags and metadata, and the records to write, per its queue's settings as they are now.
 */
export async function answerSipRedirection(
  deps: { engine: DeflectionEngine; sessions: Pick<SessionRepository, 'getSession'> },
  sessionId: string,
) {
  const session = await deps.sessions.getSession(sessionId);
  if (!session) throw notFound('The session');
  if (session.kind === 'chat')
    throw conflict('not_a_call', 'The session is a chat: there is no call to redirect over SIP.');
  const queueId = session.queue?.id;
  if (!queueId) throw conflict('no_queue', 'The session is in no queue: no SIP redirection applies to it.');
  const { config } = await deps.engine.compiled();
  const sip = own(config.sipRedirections, queueId);
  const virtualAgent = own(config.virtualAgents, queueId);
  if (!sip && !virtualAgent) throw notFound(`The SIP redirection of queue ${queueId}`);
  return sipRedirectionAnswer(queueId, sip, virtualAgent, session);
}
