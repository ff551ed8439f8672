import { formatTime } from '../hours/calendar.js';
import { compileSchedule, explainAt, isOpen, nextChange, type CompiledSchedule } from '../hours/evaluate.js';
import { localTime } from '../hours/zone-clock.js';
import type { Channel, Kind } from '../sessions/events.js';
import type {
  CallSettings,
  DeflectionConfig,
  HoursScope,
  IvrOption,
  LanguageSettings,
  Prompt,
  PromptName,
  QueueDeflection,
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

function queueOffer(compiled: CompiledDeflection, queueId: string, q: ContactQuestion): Offer {
  return { type: 'queue', queueId, queueOpen: queueOpen(compiled, queueId, q) };
}

/** A queue's own greeting, when it has one, instead of the language's voicemail prompt (AHD-9). */
function voicemailOffer(
  compiled: CompiledDeflection,
  q: ContactQuestion,
  greeting: Prompt | undefined,
): Offer {
  return {
    type: 'voicemail',
    greeting: greeting ?? prompt(compiled, q.language, 'voicemail'),
    prompts: voicemailPrompts(compiled, q.language),
    deliverTo: voicemailRecipients(compiled, q.queueId),
  };
}

/** Only the mobile SDK can attach the app and device details to the e-mail it opens. */
function emailOffer(compiled: CompiledDeflection, q: ContactQuestion): Offer {
  return {
    type: 'email',
    address: compiled.config.supportCenter.email,
    prompt: prompt(compiled, q.language, 'emailDeflection'),
    includeAppAndDevice: q.channel === 'mobile',
  };
}

/** The global IVR option, or a queue's own, which alone may carry a custom greeting (AHD-6, AHD-9). */
type IvrChoice = IvrOption | NonNullable<QueueDeflection['ivr']>;

function ivrOffer(compiled: CompiledDeflection, q: ContactQuestion, ivr: IvrChoice): Offer {
  const greeting = 'greeting' in ivr ? ivr.greeting : undefined;
  switch (ivr.type) {
    case 'queue':
      return queueOffer(compiled, ivr.queueId, q);
    case 'phone':
      return { type: 'phone', number: ivr.number };
    case 'voicemail':
      return voicemailOffer(compiled, q, greeting);
    case 'message':
      return {
        type: 'message',
        prompt: greeting ?? prompt(compiled, q.language, 'afterHours'),
        then: 'end_contact',
      };
  }
}

/** An SDK's options, the global ones or a mobile queue's own: phone and voicemail are mobile only (AHD-5). */
function sdkOffers(
  compiled: CompiledDeflection,
  queue: QueueSettings | undefined,
  q: ContactQuestion,
  options: CallSettings['sdk'],
): Offer[] {
  const offers: Offer[] = [];
  const mobile = q.channel === 'mobile';
  if (options.scheduledCall && queue?.scheduledCalls.enabled)
    offers.push({
      type: 'scheduled_call',
      slotMinutes: queue.scheduledCalls.slotMinutes,
      horizonDays: queue.scheduledCalls.horizonDays,
    });
  if (options.email) offers.push(emailOffer(compiled, q));
  if (mobile && options.phone) offers.push({ type: 'phone', number: options.phone.number });
  if (mobile && options.voicemail) offers.push(voicemailOffer(compiled, q, undefined));
  return offers;
}

/** A queue's own options for its channel win over the global ones (AHD-9). */
function offersFor(
  compiled: CompiledDeflection,
  queue: QueueSettings | undefined,
  q: ContactQuestion,
): { offers: Offer[]; source: 'global' | 'queue' } {
  const custom = queue?.deflection;
  switch (q.channel) {
    case 'ivr':
      return custom?.ivr
        ? { offers: [ivrOffer(compiled, q, custom.ivr)], source: 'queue' }
        : { offers: [ivrOffer(compiled, q, compiled.config.call.ivr)], source: 'global' };
    case 'sms':
      return custom?.sms?.enabled && custom.sms.text
        ? { offers: [{ type: 'sms_reply', text: custom.sms.text }], source: 'queue' }
        : { offers: [], source: 'global' };
    case 'mobile':
      if (custom?.mobile) {
        const { redirectQueueId } = custom.mobile;
        return {
          offers: redirectQueueId
            ? [queueOffer(compiled, redirectQueueId, q)]
            : sdkOffers(compiled, queue, q, custom.mobile),
          source: 'queue',
        };
      }
      break;
    case 'web':
      break;
  }
  // The SDKs without options of the queue's own: the call settings' for calls (AHD-5), the chat
  // settings' e-mail option for chats (AHD-8).
  if (q.kind === 'chat')
    return { offers: compiled.config.chat.email ? [emailOffer(compiled, q)] : [], source: 'global' };
  return { offers: sdkOffers(compiled, queue, q, compiled.config.call.sdk), source: 'global' };
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
