import { formatTime } from '../hours/calendar.js';
import { compileSchedule, explainAt, isOpen, nextChange, type CompiledSchedule } from '../hours/evaluate.js';
import { localTime } from '../hours/zone-clock.js';
import type { Channel, Kind } from '../sessions/events.js';
import type {
  DeflectionConfig,
  HoursScope,
  LanguageSettings,
  Prompt,
  PromptName,
  QueueSettings,
} from './settings.js';

/**
 * The after-hours decision the platform asks for on every contact (AHD-2 … AHD-9): open or deflected,
 * and if deflected exactly what to offer, when it opens next, and which hours and rule decided.
 * Everything here is pure; `compileDeflection` does the work that does not depend on the contact once
 * per configuration, so that a decision is a few lookups.
 */
export interface CompiledHours {
  scope: HoursScope | 'global';
  timeZone: string;
  schedule: CompiledSchedule;
}

export interface CompiledDeflection {
  config: DeflectionConfig;
  /** The queues and languages by id: Maps, because the ids asked about come from callers. */
  queues: ReadonlyMap<string, QueueSettings>;
  languages: ReadonlyMap<string, LanguageSettings>;
  global: CompiledHours;
  custom: CompiledHours[];
  /** Each queue's ancestors, itself first, up to its root. */
  ancestry: Map<string, string[]>;
}

export function compileDeflection(config: DeflectionConfig): CompiledDeflection {
  const queues = new Map(Object.entries(config.queues));
  const ancestry = new Map<string, string[]>();
  for (const id of queues.keys()) {
    const chain: string[] = [];
    for (
      let at: string | null = id;
      at !== null && !chain.includes(at);
      at = queues.get(at)?.parentId ?? null
    )
      chain.push(at);
    ancestry.set(id, chain);
  }
  return {
    config,
    queues,
    languages: new Map(Object.entries(config.languages)),
    global: {
      scope: 'global',
      timeZone: config.supportCenter.hours.timeZone,
      schedule: compileSchedule(config.supportCenter.hours),
    },
    custom: config.supportCenter.customHours.map((c) => ({
      scope: c.scope,
      timeZone: c.hours.timeZone,
      schedule: compileSchedule(c.hours),
    })),
    ancestry,
  };
}

export interface ContactQuestion {
  kind: Kind;
  channel: Channel;
  queueId: string;
  language: string;
  /** Epoch milliseconds: now for the platform, any instant for an admin's preview. */
  at: number;
  /** The consumer's IANA zone, when the SDK knows it: the next opening is also given on their clock. */
  consumerTimeZone?: string;
}

/**
 * Most specific hours win (AHD-2): a queue's own hours beat its parent's, which beat hours without a
 * queue; then a channel beats none; then a language beats none. Custom hours of a queue apply to its
 * sub-queues that have none of their own.
 */
export function hoursFor(
  compiled: CompiledDeflection,
  question: Pick<ContactQuestion, 'queueId' | 'channel' | 'language'>,
): CompiledHours {
  const chain = compiled.ancestry.get(question.queueId) ?? [];
  let best: CompiledHours = compiled.global;
  let bestScore = -1;
  for (const hours of compiled.custom) {
    const scope = hours.scope as HoursScope;
    if (scope.channel && scope.channel !== question.channel) continue;
    if (scope.language && scope.language !== question.language) continue;
    let queueRank = 0;
    if (scope.queueId) {
      const depth = chain.indexOf(scope.queueId);
      if (depth < 0) continue;
      queueRank = 100 - depth; // the queue itself (depth 0) ranks above its parent
    }
    const score = queueRank * 4 + (scope.channel ? 2 : 0) + (scope.language ? 1 : 0);
    if (score > bestScore) {
      best = hours;
      bestScore = score;
    }
  }
  return best;
}

export type Offer =
  | { type: 'queue'; queueId: string; queueOpen: boolean }
  | { type: 'phone'; number: string }
  | {
      type: 'voicemail';
      greeting: Prompt | null;
      prompts: Partial<Record<PromptName, Prompt>>;
      deliverTo: { agentIds: string[] } | 'crm';
    }
  | { type: 'message'; prompt: Prompt | null; then: 'end_contact' }
  | { type: 'scheduled_call'; slotMinutes: number; horizonDays: number }
  | { type: 'email'; address: string; prompt: Prompt | null; includeAppAndDevice: boolean }
  | { type: 'sms_reply'; text: string };

export interface Decision {
  open: boolean;
  deflected: boolean;
  offers: Offer[];
  nextOpening: {
    at: string;
    localDate: string;
    localTime: string;
    timeZone: string;
    /** The same instant on the consumer's clock ("we reopen Monday 15:00" for them). */
    consumer?: { date: string; time: string; timeZone: string };
  } | null;
  nextClosing: string | null;
  explanation: {
    hours: HoursScope | 'global';
    timeZone: string;
    rule: ReturnType<typeof explainAt>;
    deflection: 'not_needed' | 'off' | 'global' | 'queue';
    because: string;
  };
}

function prompt(compiled: CompiledDeflection, language: string, name: PromptName): Prompt | null {
  return (
    compiled.languages.get(language)?.prompts[name] ??
    compiled.languages.get(compiled.config.supportCenter.defaultLanguage)?.prompts[name] ??
    null
  );
}

/** The agents who serve a queue: those assigned to it, or to its nearest ancestor that has any. */
export function agentsServing(compiled: CompiledDeflection, queueId: string): string[] {
  for (const id of compiled.ancestry.get(queueId) ?? []) {
    const agents = compiled.queues.get(id)?.assignedAgentIds ?? [];
    if (agents.length > 0) return agents;
  }
  return [];
}

/** Voicemails go to the agents who serve the queue; nobody up to the root: the CRM (AHD-6). */
function voicemailRecipients(compiled: CompiledDeflection, queueId: string): { agentIds: string[] } | 'crm' {
  const agentIds = agentsServing(compiled, queueId);
  return agentIds.length > 0 ? { agentIds } : 'crm';
}

function queueOpen(compiled: CompiledDeflection, queueId: string, q: ContactQuestion): boolean {
  const queue = compiled.queues.get(queueId);
  if (queue?.virtualAgent === 'always') return true;
  return isOpen(hoursFor(compiled, { ...q, queueId }).schedule, q.at);
}

const voicemailPrompts = (compiled: CompiledDeflection, language: string) => ({
  voicemail: prompt(compiled, language, 'voicemail') ?? undefined,
  voicemailBlockedNumber: prompt(compiled, language, 'voicemailBlockedNumber') ?? undefined,
  voicemailAskNumber: prompt(compiled, language, 'voicemailAskNumber') ?? undefined,
  voicemailNumberEntered: prompt(compiled, language, 'voicemailNumberEntered') ?? undefined,
});

function offersFor(
  compiled: CompiledDeflection,
  queue: QueueSettings | undefined,
  q: ContactQuestion,
): { offers: Offer[]; source: 'global' | 'queue' } {
  const { config } = compiled;
  const custom = queue?.deflection;
  const email = (withApp: boolean): Offer => ({
    type: 'email',
    address: config.supportCenter.email,
    prompt: prompt(compiled, q.language, 'emailDeflection'),
    includeAppAndDevice: withApp,
  });

  /** A queue's own IVR option may carry a custom greeting; the global one never does. */
  const greetingOf = (option: object): Prompt | undefined =>
    'greeting' in option ? (option as { greeting?: Prompt }).greeting : undefined;

  if (q.channel === 'ivr') {
    const ivr = custom?.ivr ?? config.call.ivr;
    const source = custom?.ivr ? 'queue' : 'global';
    switch (ivr.type) {
      case 'queue':
        return {
          offers: [{ type: 'queue', queueId: ivr.queueId, queueOpen: queueOpen(compiled, ivr.queueId, q) }],
          source,
        };
      case 'phone':
        return { offers: [{ type: 'phone', number: ivr.number }], source };
      case 'voicemail':
        return {
          offers: [
            {
              type: 'voicemail',
              greeting: greetingOf(ivr) ?? prompt(compiled, q.language, 'voicemail'),
              prompts: voicemailPrompts(compiled, q.language),
              deliverTo: voicemailRecipients(compiled, q.queueId),
            },
          ],
          source,
        };
      case 'message':
        return {
          offers: [
            {
              type: 'message',
              prompt: greetingOf(ivr) ?? prompt(compiled, q.language, 'afterHours'),
              then: 'end_contact',
            },
          ],
          source,
        };
    }
  }

  if (q.channel === 'sms') {
    const sms = custom?.sms;
    return sms?.enabled && sms.text
      ? { offers: [{ type: 'sms_reply', text: sms.text }], source: 'queue' }
      : { offers: [], source: 'global' };
  }

  if (q.channel === 'mobile' && custom?.mobile) {
    const m = custom.mobile;
    if (m.redirectQueueId)
      return {
        offers: [
          { type: 'queue', queueId: m.redirectQueueId, queueOpen: queueOpen(compiled, m.redirectQueueId, q) },
        ],
        source: 'queue',
      };
    const offers: Offer[] = [];
    if (m.scheduledCall && queue?.scheduledCalls.enabled)
      offers.push({
        type: 'scheduled_call',
        slotMinutes: queue.scheduledCalls.slotMinutes,
        horizonDays: queue.scheduledCalls.horizonDays,
      });
    if (m.email) offers.push(email(true));
    if (m.phone) offers.push({ type: 'phone', number: m.phone.number });
    if (m.voicemail)
      offers.push({
        type: 'voicemail',
        greeting: prompt(compiled, q.language, 'voicemail'),
        prompts: voicemailPrompts(compiled, q.language),
        deliverTo: voicemailRecipients(compiled, q.queueId),
      });
    return { offers, source: 'queue' };
  }

  // Mobile and web SDKs: the call settings' SDK options for calls (phone and voicemail are mobile
  // only, AHD-5); the chat settings' e-mail option for chats (AHD-8).
  const offers: Offer[] = [];
  if (q.kind === 'chat') {
    if (config.chat.email) offers.push(email(q.channel === 'mobile'));
    return { offers, source: 'global' };
  }
  const sdk = config.call.sdk;
  if (sdk.scheduledCall && queue?.scheduledCalls.enabled)
    offers.push({
      type: 'scheduled_call',
      slotMinutes: queue.scheduledCalls.slotMinutes,
      horizonDays: queue.scheduledCalls.horizonDays,
    });
  if (sdk.email) offers.push(email(q.channel === 'mobile'));
  if (q.channel === 'mobile' && sdk.phone) offers.push({ type: 'phone', number: sdk.phone.number });
  if (q.channel === 'mobile' && sdk.voicemail)
    offers.push({
      type: 'voicemail',
      greeting: prompt(compiled, q.language, 'voicemail'),
      prompts: voicemailPrompts(compiled, q.language),
      deliverTo: voicemailRecipients(compiled, q.queueId),
    });
  return { offers, source: 'global' };
}

function onClockOf(timeZone: string, at: number) {
  const local = localTime(timeZone, at);
  return { date: local.date, time: formatTime(local.minuteOfDay), timeZone };
}

export function decide(compiled: CompiledDeflection, q: ContactQuestion): Decision {
  const hours = hoursFor(compiled, q);
  const change = nextChange(hours.schedule, q.at);
  const queue = compiled.queues.get(q.queueId);
  const explanation = (
    deflection: Decision['explanation']['deflection'],
    because: string,
  ): Decision['explanation'] => ({
    hours: hours.scope,
    timeZone: hours.timeZone,
    rule: explainAt(hours.schedule, q.at),
    deflection,
    because,
  });
  const nextOpening =
    change.nextOpening === null
      ? null
      : (() => {
          const local = explainAt(hours.schedule, change.nextOpening);
          return {
            at: new Date(change.nextOpening).toISOString(),
            localDate: local.localDate,
            localTime: local.localTime,
            timeZone: hours.timeZone,
            ...(q.consumerTimeZone ? { consumer: onClockOf(q.consumerTimeZone, change.nextOpening) } : {}),
          };
        })();
  const base = {
    nextOpening,
    nextClosing: change.nextClosing === null ? null : new Date(change.nextClosing).toISOString(),
  };

  if (change.open)
    return {
      open: true,
      deflected: false,
      offers: [],
      ...base,
      explanation: explanation('not_needed', 'inside business hours'),
    };
  if (queue?.virtualAgent === 'always')
    return {
      open: true,
      deflected: false,
      offers: [],
      ...base,
      explanation: explanation('not_needed', 'a 24-hour virtual agent answers this queue'),
    };
  const enabled =
    q.kind === 'call' ? compiled.config.call.afterHoursDeflection : compiled.config.chat.afterHoursDeflection;
  if (!enabled)
    return {
      open: false,
      deflected: false,
      offers: [],
      ...base,
      explanation: explanation('off', `after-hours deflection is off for ${q.kind}s`),
    };
  const { offers, source } = offersFor(compiled, queue, q);
  return {
    open: false,
    deflected: offers.length > 0,
    offers,
    ...base,
    explanation: explanation(
      source,
      offers.length > 0
        ? 'outside business hours'
        : 'outside business hours, and no option is set for this channel',
    ),
  };
}
