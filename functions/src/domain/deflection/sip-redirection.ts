import { z } from 'zod';
import { RESERVED_PROPERTIES } from '../sessions/profile.js';

/**
 * A queue's SIP redirection (RDP-3) and its virtual agent's data parameters (RDP-4): what an admin
 * saves, and what the platform is told to send when it redirects a session's call.
 */

const SIP_URI_MAX = 512;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})+$/;
const URI_PARAMETER = /^(?:[A-Za-z0-9\-_.!~*'+]|%[0-9A-Fa-f]{2})+$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isHost(host: string): boolean {
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return false;
    const inner = host.slice(1, -1);
    return /^[0-9A-Fa-f:.]{2,45}$/.test(inner) && inner.includes(':');
  }
  if (IPV4.test(host)) return true;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  return host.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/**
 * Why `uri` is no SIP URI a redirection may target (RFC 3261: `sip:` or `sips:`, an optional user, a
 * host, an optional port, optional `;parameters`), or undefined. Headers in the URI (`?…`) and
 * passwords are refused: what is sent along is decided by the data parameters, never by the URI.
 */
export function sipUriProblem(uri: string): string | undefined {
  const scheme = /^(sips?):/i.exec(uri);
  if (!scheme) return 'must start with sip: or sips:';
  if (/[\s\p{Cc}]/u.test(uri)) return 'must not contain spaces or control characters';
  if (uri.includes('?')) return 'must not carry headers (?…): use the data parameters';
  const [address = '', ...parameters] = uri.slice(scheme[0].length).split(';');
  const at = address.lastIndexOf('@');
  const user = at >= 0 ? address.slice(0, at) : undefined;
  const hostPort = at >= 0 ? address.slice(at + 1) : address;
  if (user !== undefined && user.includes(':')) return 'must not carry a password';
  if (user !== undefined && !USER.test(user)) return 'has a user part with characters a SIP URI cannot hold';
  const port = /^(.*?)(?::(\d{1,5}))?$/.exec(hostPort)!;
  const host = port[1]!;
  if (!isHost(host)) return 'must name a host: a domain name, an IPv4 address or an [IPv6] address';
  if (port[2] !== undefined && (Number(port[2]) < 1 || Number(port[2]) > 65535))
    return 'must have a port from 1 to 65535';
  for (const parameter of parameters) {
    const [name = '', value, ...rest] = parameter.split('=');
    if (!URI_PARAMETER.test(name) || rest.length > 0 || (value !== undefined && !URI_PARAMETER.test(value)))
      return 'has a ;parameter a SIP URI cannot hold';
  }
  return undefined;
}

export const SipUri = z.lazy(() =>
  z
    .string()
    .min(1)
    .max(SIP_URI_MAX)
    .superRefine((uri, ctx) => {
      const problem = sipUriProblem(uri);
      if (problem)
        ctx.addIssue({ code: 'custom', message: `${problem} (for example sip:support@pbx.example.com)` });
    }),
);

/** The prefix of every header a data parameter becomes: never a header SIP itself defines. */
export const SIP_HEADER_PREFIX = 'X-';

/**
 * A data parameter's field: the SIP header's name after `X-`, so only letters, digits, `-` and `_`
 * (a token no SIP parser splits or folds), and short enough for any PBX.
 */
export const SipField = z.lazy(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/,
      'must be 1-63 letters, digits, - or _, starting with a letter or digit (it names a SIP header)',
    ),
);

/**
 * The session metadata key the value is read from, as the SDK may send one (the reserved keys read the
 * profile flags): a field no session can carry would never be sent, so it is refused when saved.
 */
export const SourceField = z.lazy(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
      'must be a session metadata key: 1-64 letters, digits, _ or - (starting with a letter or digit)',
    ),
);

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const SipDataParameter = z.lazy(() =>
  z.strictObject({
    field: SipField,
    type: z.literal('dynamic'),
    source: z.literal('ujet_metadata'),
    source_field: SourceField,
  }),
);
export type SipDataParameter = z.infer<typeof SipDataParameter>;

export const MAX_SIP_DATA_PARAMETERS = 20;

/** A queue's SIP redirection settings, in the platform's own shape. */
export const SipRedirection = z.lazy(() =>
  z.strictObject({
    uri: SipUri,
    data_parameters_enabled: z.boolean(),
    data_parameters: z.array(SipDataParameter).max(MAX_SIP_DATA_PARAMETERS).default([]),
    data_records: z.strictObject({ in_metadata: z.boolean(), in_crm_record: z.boolean() }),
  }),
);
export type SipRedirection = z.infer<typeof SipRedirection>;

/**
 * A virtual agent's data parameter: Dynamic, from Session metadata, incoming field Verified customer,
 * to the destination field the CRM and Dialogflow CX know it by.
 */
export const VirtualAgentDataParameter = z.lazy(() =>
  z.strictObject({
    type: z.literal('dynamic'),
    source: z.literal('session_metadata'),
    incoming_field: z.literal('verified_customer'),
    destination_field: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
        'must be 1-64 letters, digits, - or _, starting with a letter (a Dialogflow CX parameter id)',
      ),
  }),
);
export type VirtualAgentDataParameter = z.infer<typeof VirtualAgentDataParameter>;

export const VirtualAgentSettings = z.lazy(() =>
  z.strictObject({
    data_parameters: z.array(VirtualAgentDataParameter).max(10),
  }),
);
export type VirtualAgentSettings = z.infer<typeof VirtualAgentSettings>;

/** What the admin sees under "Preview" for a virtual agent's data parameter. */
export function virtualAgentParameterPreview(parameter: VirtualAgentDataParameter) {
  return {
    label: `Dynamic · Session metadata · Verified customer → ${parameter.destination_field}`,
    dialogflowParameter: `$session.params.${parameter.destination_field}`,
    example: { [parameter.destination_field]: true },
  };
}

export interface IntegrationIssue {
  path: string;
  code: string;
  message: string;
}

/** What a queue's SIP redirection may never hold, whatever the rest of the configuration says. */
export function ownSipRedirectionIssues(queueId: string, sip: SipRedirection): IntegrationIssue[] {
  const path = `sipRedirections.${queueId}`;
  const issues: IntegrationIssue[] = [];
  const seen = new Map<string, number>();
  sip.data_parameters.forEach((parameter, i) => {
    // Header names are case-insensitive: two fields differing only in case would be one header.
    const name = parameter.field.toLowerCase();
    const first = seen.get(name);
    if (first !== undefined)
      issues.push({
        path: `${path}.data_parameters.${i}.field`,
        code: 'duplicate_field',
        message: `The field ${parameter.field} is already sent by data parameter ${first} (SIP header names ignore case).`,
      });
    else seen.set(name, i);
  });
  if (sip.data_parameters_enabled && sip.data_parameters.length === 0)
    issues.push({
      path: `${path}.data_parameters`,
      code: 'no_parameter',
      message: 'Data parameters are enabled: add at least one, or turn them off.',
    });
  return issues;
}

export function ownVirtualAgentIssues(queueId: string, settings: VirtualAgentSettings): IntegrationIssue[] {
  // Verified customer is the only incoming field: any parameter after the first passes it again.
  return settings.data_parameters.slice(1).map((_, i) => ({
    path: `virtualAgents.${queueId}.data_parameters.${i + 1}`,
    code: 'duplicate_incoming_field',
    message: 'Verified customer is already passed by data parameter 0: a field is passed once.',
  }));
}

/** Queue facts the settings are checked against. */
export interface QueueFacts {
  exists: boolean;
  takesCalls: boolean;
  hasVirtualAgent: boolean;
}

/** The rules that tie these settings to their queue. */
export function queueIntegrationIssues(
  sipRedirections: ReadonlyMap<string, SipRedirection>,
  virtualAgents: ReadonlyMap<string, VirtualAgentSettings>,
  queueFacts: (queueId: string) => QueueFacts,
): IntegrationIssue[] {
  const issues: IntegrationIssue[] = [];
  for (const [queueId, sip] of sipRedirections) {
    const facts = queueFacts(queueId);
    const path = `sipRedirections.${queueId}`;
    if (!facts.exists) issues.push({ path, code: 'unknown_queue', message: `There is no queue ${queueId}.` });
    else if (!facts.takesCalls)
      issues.push({
        path,
        code: 'channel_not_served',
        message: `Queue ${queueId} takes no calls (IVR or mobile): there is nothing to redirect over SIP.`,
      });
    issues.push(...ownSipRedirectionIssues(queueId, sip));
  }
  for (const [queueId, settings] of virtualAgents) {
    const facts = queueFacts(queueId);
    const path = `virtualAgents.${queueId}`;
    if (!facts.exists) issues.push({ path, code: 'unknown_queue', message: `There is no queue ${queueId}.` });
    else if (!facts.hasVirtualAgent && settings.data_parameters.length > 0)
      issues.push({
        path,
        code: 'no_virtual_agent',
        message: `Queue ${queueId} has no virtual agent assigned: assign one before passing it data parameters.`,
      });
    issues.push(...ownVirtualAgentIssues(queueId, settings));
  }
  return issues;
}

/** A profile flag as the session carries it; only its value is sent. */
interface FlagValue {
  value: boolean;
}

/** What a SIP answer reads of a session: its profile flags and the SDK's other metadata. */
export interface SipSessionData {
  id: string;
  profile?: {
    verifiedCustomer?: FlagValue | undefined;
    badActor?: FlagValue | undefined;
    repeatCustomer?: FlagValue | undefined;
  };
  metadata?: Readonly<Record<string, string | number | boolean>>;
}

/** The longest header value sent: a longer value is said to be left out, never cut. */
export const MAX_SIP_HEADER_VALUE = 1024;

export type SipValue = string | number | boolean;

/**
 * A header value no SIP parser can misread: booleans and numbers as written, text percent-encoded as
 * UTF-8 (every byte but letters, digits and `-._~`), so that no CR, LF, quote, comma or `;` ever
 * reaches the header.
 */
export function encodeSipHeaderValue(value: SipValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  let encoded = '';
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

export interface SipRedirectionAnswer {
  queueId: string;
  /** Null when the queue has no SIP redirection, only virtual agent settings. */
  uri: string | null;
  headers: { name: string; value: string }[];
  /** The data parameters with no header: the session lacks the source field, or its value is too long. */
  notSent: { field: string; sourceField: string; reason: 'not_in_session' | 'too_long' }[];
  records: {
    /** The values to write into the session's metadata, or null when the settings say not to. */
    metadata: Record<string, SipValue> | null;
    /** The values to write onto the CRM record, or null when the settings say not to. */
    crmRecord: Record<string, SipValue> | null;
  };
  /**
   * Where the virtual agent passes *verified customer*, when a destination field is set, and the data
   * parameters it receives: the session's verified customer flag, left out when the session has none.
   */
  virtualAgent: { verifiedCustomerField: string; parameters: Record<string, boolean> } | null;
}

function sourceValue(session: SipSessionData, sourceField: string): SipValue | undefined {
  const flag = RESERVED_PROPERTIES.get(sourceField);
  if (flag) return session.profile?.[flag]?.value;
  const metadata = session.metadata;
  return metadata && Object.hasOwn(metadata, sourceField) ? metadata[sourceField] : undefined;
}

/**
 * The exact headers to send when `session`'s call is redirected over SIP, and the records to write,
 * from the queue's settings: a source field the session does not carry is listed, never made up.
 */
export function sipRedirectionAnswer(
  queueId: string,
  sip: SipRedirection | undefined,
  virtualAgent: VirtualAgentSettings | undefined,
  session: SipSessionData,
): SipRedirectionAnswer {
  const headers: SipRedirectionAnswer['headers'] = [];
  const notSent: SipRedirectionAnswer['notSent'] = [];
  const values = new Map<string, SipValue>();
  const sendsData = sip?.data_parameters_enabled ?? false;
  if (sip && sendsData)
    for (const parameter of sip.data_parameters) {
      const value = sourceValue(session, parameter.source_field);
      if (value === undefined) {
        notSent.push({
          field: parameter.field,
          sourceField: parameter.source_field,
          reason: 'not_in_session',
        });
        continue;
      }
      const encoded = encodeSipHeaderValue(value);
      if (encoded.length > MAX_SIP_HEADER_VALUE) {
        notSent.push({ field: parameter.field, sourceField: parameter.source_field, reason: 'too_long' });
        continue;
      }
      headers.push({ name: `${SIP_HEADER_PREFIX}${parameter.field}`, value: encoded });
      values.set(parameter.field, value);
    }
  const record = () => Object.fromEntries(values);
  const verified = virtualAgent?.data_parameters[0];
  const verifiedValue = session.profile?.verifiedCustomer?.value;
  return {
    queueId,
    uri: sip?.uri ?? null,
    headers,
    notSent,
    records: {
      metadata: sendsData && sip?.data_records.in_metadata ? record() : null,
      crmRecord: sendsData && sip?.data_records.in_crm_record ? record() : null,
    },
    virtualAgent: verified
      ? {
          verifiedCustomerField: verified.destination_field,
          parameters: verifiedValue === undefined ? {} : { [verified.destination_field]: verifiedValue },
        }
      : null,
  };
}
