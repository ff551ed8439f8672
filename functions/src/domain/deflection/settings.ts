import { z } from 'zod';
import { Channel, Identifier } from '../sessions/events.js';
import { Schedule } from '../hours/schedule.js';
import { queueIntegrationIssues, type SipRedirection, type VirtualAgentSettings } from './sip-redirection.js';

/**
 * After-hours deflection settings, as admins edit them (AHD-1 … AHD-11). Each section is a document;
 * `validateDeflectionConfig` checks the rules that span sections, so that a save is refused whole
 * when the combination it would make is invalid.
 */
/**
 * Text an admin types. A lone surrogate cannot be stored as UTF-8 (it would come back as U+FFFD), so it
 * is refused: what is read back must be exactly what was checked.
 */
export const Text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !/\p{Cs}/u.test(text), 'must be well-formed Unicode text (no lone surrogate)');

export const PhoneNumber = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567');
/** At most 35 characters: longer than any tag in use, and short enough to be a document id. */
export const Language = z
  .string()
  .max(35, 'must be at most 35 characters')
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as en or fr-CA');

const EARLIEST_QUESTION = Date.UTC(1970, 0, 1);
const LATEST_QUESTION = Date.UTC(2200, 0, 1);

/**
 * An instant a contact or a booking is asked about, with its offset: from 1970 to 2199, far beyond any
 * preview an admin needs, and far inside what dates and zones can represent.
 */
export const QuestionTime = z.lazy(() =>
  z.iso.datetime({ offset: true }).refine((text) => {
    const at = Date.parse(text);
    return at >= EARLIEST_QUESTION && at < LATEST_QUESTION;
  }, 'must be a date and time from 1970 to 2199'),
);

/** Custom hours for a queue (and its sub-queues), a channel and/or a language (AHD-1). */
export const HoursScope = z.lazy(() =>
  z
    .object({ queueId: Identifier.optional(), channel: Channel.optional(), language: Language.optional() })
    .refine((s) => s.queueId || s.channel || s.language, 'name at least one of queueId, channel, language'),
);
export type HoursScope = z.infer<typeof HoursScope>;

// The schemas in z.lazy are built on their first parse, not when a function starts: most functions
// never parse them, or not before their first answer.
export const SupportCenter = z.lazy(() =>
  z.object({
    name: Text(200),
    email: z.string().max(254).pipe(z.email()),
    phone: PhoneNumber.optional(),
    defaultLanguage: Language,
    hours: Schedule,
    customHours: z
      .array(z.object({ scope: HoursScope, hours: Schedule }))
      .max(500)
      .default([]),
  }),
);
export type SupportCenter = z.infer<typeof SupportCenter>;

/** AHD-6: exactly one global IVR option. */
export const IvrOption = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('queue'), queueId: Identifier }),
    z.object({ type: z.literal('phone'), number: PhoneNumber }),
    z.object({ type: z.literal('voicemail') }),
    z.object({ type: z.literal('message') }),
  ]),
);
export type IvrOption = z.infer<typeof IvrOption>;

/** AHD-5: what the mobile and web SDKs offer after hours (phone and voicemail are mobile only). */
export const SdkOptions = z.lazy(() =>
  z.object({
    scheduledCall: z.boolean().default(false),
    email: z.boolean().default(false),
    phone: z.object({ number: PhoneNumber }).optional(),
    voicemail: z.boolean().default(false),
  }),
);

export const CallSettings = z.lazy(() =>
  z.object({
    afterHoursDeflection: z.boolean(),
    allowTransfersOutsideHours: z.boolean().default(false),
    ivr: IvrOption.default({ type: 'message' }),
    sdk: SdkOptions.default({ scheduledCall: false, email: false, voicemail: false }),
  }),
);
export type CallSettings = z.infer<typeof CallSettings>;

export const ChatSettings = z.lazy(() =>
  z.object({
    afterHoursDeflection: z.boolean(),
    /** AHD-7: only meaningful when deflection is off. */
    allowTransfersOutsideHoursWhenOff: z.boolean().default(false),
    email: z.boolean().default(false),
  }),
);
export type ChatSettings = z.infer<typeof ChatSettings>;

/** A prompt: a recording (a reference to an uploaded file) or text-to-speech text. */
export const Prompt = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('tts'), text: Text(2000) }),
    z.object({ type: z.literal('recording'), recordingId: Identifier }),
  ]),
);
export type Prompt = z.infer<typeof Prompt>;

export const PromptName = z.enum([
  'afterHours',
  'voicemail',
  'voicemailBlockedNumber',
  'voicemailAskNumber',
  'voicemailNumberEntered',
  'emailDeflection',
  'smsAfterHours',
]);
export type PromptName = z.infer<typeof PromptName>;

export const LanguageSettings = z.lazy(() =>
  z.object({
    enabled: z.boolean(),
    // In a fixed order, so that the prompts read back exactly as they were checked, whatever order they
    // were sent or stored in.
    prompts: z
      .partialRecord(PromptName, Prompt)
      .default({})
      .transform(
        (prompts) =>
          Object.fromEntries(
            PromptName.options.flatMap((name) => (prompts[name] ? [[name, prompts[name]]] : [])),
          ) as Partial<Record<PromptName, Prompt>>,
      ),
  }),
);
export type LanguageSettings = z.infer<typeof LanguageSettings>;

/** AHD-9: per-queue custom deflection for IVR, mobile and SMS queues; never web. */
export const QueueDeflection = z.lazy(() =>
  z
    .object({
      ivr: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('message'), greeting: Prompt.optional() }),
          z.object({ type: z.literal('queue'), queueId: Identifier }),
          z.object({ type: z.literal('phone'), number: PhoneNumber }),
          z.object({ type: z.literal('voicemail'), greeting: Prompt.optional() }),
        ])
        .optional(),
      /** Either a queue to redirect to, and nothing else, or one or more options. */
      mobile: z
        .object({
          redirectQueueId: Identifier.optional(),
          scheduledCall: z.boolean().default(false),
          email: z.boolean().default(false),
          phone: z.object({ number: PhoneNumber }).optional(),
          voicemail: z.boolean().default(false),
        })
        .strict()
        .optional(),
      sms: z.object({ enabled: z.boolean(), text: Text(1600).optional() }).optional(),
      web: z.unknown().optional(),
    })
    .strict(),
);
export type QueueDeflection = z.infer<typeof QueueDeflection>;

/** A list of distinct items, at most `max`. */
const DistinctList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((items) => new Set(items).size === items.length, 'must not list the same item twice');

/**
 * A queue: every field is this section, and a save replaces the whole stored queue with it. The teams
 * (read by supervision to scope who sees the queue's sessions) are changed through a save of this
 * section too, so that nothing else writes queue documents.
 */
export const QueueSettings = z.lazy(() =>
  z.object({
    name: Text(200),
    parentId: Identifier.nullable().default(null),
    menuPath: z.array(Text(100)).min(1).max(10),
    channels: DistinctList(Channel, Channel.options.length).default(['ivr', 'mobile', 'web', 'sms']),
    teamIds: DistinctList(Identifier, 100).default([]),
    /** Agents assigned to the queue receive its voicemails (AHD-5, AHD-6). */
    assignedAgentIds: DistinctList(Identifier, 1000).default([]),
    virtualAgent: z.enum(['none', 'always', 'queue_hours']).default('none'),
    scheduledCalls: z
      .object({
        enabled: z.boolean(),
        slotMinutes: z.number().int().min(5).max(240).default(30),
        horizonDays: z.number().int().min(1).max(30).default(7),
      })
      .default({ enabled: false, slotMinutes: 30, horizonDays: 7 }),
    deflection: QueueDeflection.optional(),
  }),
);
export type QueueSettings = z.infer<typeof QueueSettings>;

export interface DeflectionConfig {
  supportCenter: SupportCenter;
  call: CallSettings;
  chat: ChatSettings;
  queues: Record<string, QueueSettings>;
  languages: Record<string, LanguageSettings>;
  /** Per queue id: where and with which data its calls are redirected over SIP (RDP-3). */
  sipRedirections: Record<string, SipRedirection>;
  /** Per queue id: the data parameters its virtual agent is passed (RDP-4). */
  virtualAgents: Record<string, VirtualAgentSettings>;
}

export interface ConfigIssue {
  path: string;
  message: string;
  code: string;
}

/**
 * The rules that span sections (AHD-5, 6, 8, 9, 10, 11). An empty list means the configuration may be
 * saved; otherwise every problem is listed with the path an admin would fix.
 */
export function validateDeflectionConfig(config: DeflectionConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, code: string, message: string) => issues.push({ path, code, message });
  // Keyed by ids an admin typed: a Map, so that "constructor" is no queue.
  const queues = new Map(Object.entries(config.queues));
  const languages = new Map(Object.entries(config.languages));
  const queueExists = (id: string) => queues.has(id);
  const enabledLanguages = [...languages].filter(([, l]) => l.enabled).map(([tag]) => tag);
  if (!enabledLanguages.includes(config.supportCenter.defaultLanguage))
    issue(
      'supportCenter.defaultLanguage',
      'default_language_disabled',
      'The default language must be an enabled language.',
    );

  /** AHD-10: an enabled option needs its prompt in every enabled language. */
  const needPrompt = (prompt: PromptName, because: string, path: string) => {
    for (const tag of enabledLanguages)
      if (!languages.get(tag)?.prompts[prompt])
        issue(
          path,
          'prompt_missing',
          `${because} needs the "${prompt}" prompt in ${tag} (Languages & messages).`,
        );
  };
  /** A voicemail greets (unless a queue has its own greeting), then asks for a number it cannot see. */
  const needVoicemailPrompts = (because: string, path: string, hasGreeting: boolean) => {
    if (!hasGreeting) needPrompt('voicemail', because, path);
    needPrompt('voicemailBlockedNumber', because, path);
    needPrompt('voicemailAskNumber', because, path);
    needPrompt('voicemailNumberEntered', because, path);
  };

  for (const [i, custom] of config.supportCenter.customHours.entries()) {
    if (custom.scope.queueId && !queueExists(custom.scope.queueId))
      issue(
        `supportCenter.customHours.${i}.scope.queueId`,
        'unknown_queue',
        `There is no queue ${custom.scope.queueId}.`,
      );
    if (custom.scope.language && !languages.has(custom.scope.language))
      issue(
        `supportCenter.customHours.${i}.scope.language`,
        'unknown_language',
        `There is no language ${custom.scope.language}.`,
      );
  }
  const scopes = config.supportCenter.customHours.map((c) =>
    JSON.stringify([c.scope.queueId ?? null, c.scope.channel ?? null, c.scope.language ?? null]),
  );
  const firstOfScope = new Map<string, number>();
  scopes.forEach((scope, i) => {
    if (firstOfScope.has(scope))
      issue(
        `supportCenter.customHours.${i}.scope`,
        'duplicate_scope',
        'Two custom hours have the same scope.',
      );
    else firstOfScope.set(scope, i);
  });

  if (config.call.afterHoursDeflection) {
    const ivr = config.call.ivr;
    if (ivr.type === 'queue' && !queueExists(ivr.queueId))
      issue('call.ivr.queueId', 'unknown_queue', `There is no queue ${ivr.queueId}.`);
    if (ivr.type === 'voicemail') needVoicemailPrompts('IVR voicemail deflection', 'call.ivr', false);
    if (ivr.type === 'message') needPrompt('afterHours', 'IVR message deflection', 'call.ivr');
  }
  if (config.chat.afterHoursDeflection && config.chat.email)
    needPrompt('emailDeflection', 'Chat e-mail deflection', 'chat.email');
  if (config.call.afterHoursDeflection && config.call.sdk.email)
    needPrompt('emailDeflection', 'SDK e-mail deflection', 'call.sdk.email');

  const parents = new Set<string>();
  for (const queue of queues.values()) if (queue.parentId !== null) parents.add(queue.parentId);
  for (const [id, cycle] of parentCycles(queues))
    issue(
      `queues.${id}.parentId`,
      'parent_cycle',
      `Queue ${id} would be its own ancestor (${[...cycle, id].join(' > ')}): choose another parent.`,
    );

  for (const [id, queue] of queues) {
    const path = `queues.${id}`;
    if (queue.parentId !== null && !queueExists(queue.parentId))
      issue(`${path}.parentId`, 'unknown_queue', `There is no queue ${queue.parentId}.`);
    issues.push(...ownQueueIssues(id, queue));
    const d = queue.deflection;
    if (!d) continue;
    const isLeaf = !parents.has(id);
    if (!isLeaf && (d.ivr || d.mobile || d.sms))
      issue(`${path}.deflection`, 'leaf_queues_only', 'Custom deflection applies to leaf queues only.');
    if (d.ivr && !queue.channels.includes('ivr'))
      issue(`${path}.deflection.ivr`, 'channel_not_served', 'This queue does not take IVR calls.');
    if (d.mobile && !queue.channels.includes('mobile'))
      issue(`${path}.deflection.mobile`, 'channel_not_served', 'This queue does not take mobile contacts.');
    if (d.sms && !queue.channels.includes('sms'))
      issue(`${path}.deflection.sms`, 'channel_not_served', 'This queue does not take SMS.');
    if (d.ivr?.type === 'queue' && (!queueExists(d.ivr.queueId) || d.ivr.queueId === id))
      issue(
        `${path}.deflection.ivr.queueId`,
        'invalid_target_queue',
        'The target must be another existing queue.',
      );
    if (d.ivr?.type === 'voicemail')
      needVoicemailPrompts(
        `Queue ${id} voicemail deflection`,
        `${path}.deflection.ivr`,
        d.ivr.greeting !== undefined,
      );
    if (d.ivr?.type === 'message' && !d.ivr.greeting)
      needPrompt('afterHours', `Queue ${id} message deflection`, `${path}.deflection.ivr`);
    const mobileOptions = d.mobile
      ? [d.mobile.scheduledCall, d.mobile.email, d.mobile.phone !== undefined, d.mobile.voicemail].filter(
          Boolean,
        ).length
      : 0;
    if (d.mobile?.redirectQueueId !== undefined) {
      if (!queueExists(d.mobile.redirectQueueId) || d.mobile.redirectQueueId === id)
        issue(
          `${path}.deflection.mobile.redirectQueueId`,
          'invalid_target_queue',
          'The target must be another existing queue.',
        );
      if (mobileOptions > 0)
        issue(
          `${path}.deflection.mobile`,
          'redirect_excludes_options',
          'Redirecting to a queue excludes every other option.',
        );
    } else if (d.mobile) {
      if (d.mobile.scheduledCall && !queue.scheduledCalls.enabled)
        issue(
          `${path}.deflection.mobile.scheduledCall`,
          'scheduled_calls_off',
          "Scheduled calls are off in this queue's channel settings.",
        );
      if (mobileOptions === 0)
        issue(
          `${path}.deflection.mobile`,
          'no_option',
          'Choose a queue to redirect to, or at least one option.',
        );
      if (d.mobile.email)
        needPrompt('emailDeflection', `Queue ${id} e-mail deflection`, `${path}.deflection.mobile.email`);
    }
    if (d.sms?.enabled && !d.sms.text)
      issue(`${path}.deflection.sms.text`, 'text_missing', 'An after-hours SMS needs its text.');
  }
  issues.push(
    ...queueIntegrationIssues(
      new Map(Object.entries(config.sipRedirections)),
      new Map(Object.entries(config.virtualAgents)),
      (queueId) => {
        const queue = queues.get(queueId);
        return {
          exists: queue !== undefined,
          takesCalls: queue?.channels.some((c) => c === 'ivr' || c === 'mobile') ?? false,
          hasVirtualAgent: queue !== undefined && queue.virtualAgent !== 'none',
        };
      },
    ),
  );
  return issues;
}

/**
 * What a queue section may never hold, whatever the rest of the configuration says: checked on every
 * save, also during the first set-up, before there is a whole to check against.
 */
export function ownQueueIssues(id: string, queue: QueueSettings): ConfigIssue[] {
  return queue.deflection?.web !== undefined
    ? [
        {
          path: `queues.${id}.deflection.web`,
          code: 'not_for_web',
          message: 'Web queues have no custom deflection: they follow the chat and call settings.',
        },
      ]
    : [];
}

/**
 * The queues that are their own ancestor (self-parent included), each with the chain that leads back to
 * it, in the order the queues are listed. Linear in the number of queues.
 */
function parentCycles(queues: ReadonlyMap<string, QueueSettings>): [string, string[]][] {
  const onCycle = new Set<string>();
  const done = new Set<string>();
  for (const start of queues.keys()) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at: string | null = start;
    while (at !== null && queues.has(at) && !done.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = queues.get(at)!.parentId;
    }
    if (at !== null && onPath.has(at)) for (const id of path.slice(path.indexOf(at))) onCycle.add(id);
    for (const id of path) done.add(id);
  }
  return [...queues.keys()]
    .filter((id) => onCycle.has(id))
    .map((id) => {
      const chain = [id];
      for (let at = queues.get(id)!.parentId!; at !== id; at = queues.get(at)!.parentId!) chain.push(at);
      return [id, chain];
    });
}
