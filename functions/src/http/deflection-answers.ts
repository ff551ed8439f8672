import { z } from 'zod';
import { onFirstUse } from './router.js';
import {
  CallSettings,
  ChatSettings,
  HoursScope,
  LanguageSettings,
  Prompt,
  PromptName,
  QueueSettings,
  SupportCenter,
} from '../domain/deflection/settings.js';
import { SipRedirection, VirtualAgentSettings } from '../domain/deflection/sip-redirection.js';

/** What a deflection decision answers, to the platform and to an admin's preview (AHD-2…9). */
const Offer = onFirstUse(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('queue'), queueId: z.string(), queueOpen: z.boolean() }),
    z.object({ type: z.literal('phone'), number: z.string() }),
    z.object({
      type: z.literal('voicemail'),
      greeting: Prompt.nullable(),
      prompts: z.partialRecord(PromptName, Prompt),
      deliverTo: z.union([z.object({ agentIds: z.array(z.string()) }), z.literal('crm')]),
    }),
    z.object({ type: z.literal('message'), prompt: Prompt.nullable(), then: z.literal('end_contact') }),
    z.object({ type: z.literal('scheduled_call'), slotMinutes: z.number(), horizonDays: z.number() }),
    z.object({
      type: z.literal('email'),
      address: z.string(),
      prompt: Prompt.nullable(),
      includeAppAndDevice: z.boolean(),
    }),
    z.object({ type: z.literal('sms_reply'), text: z.string() }),
  ]),
);

export const DecisionAnswer = onFirstUse(() =>
  z.object({
    open: z.boolean(),
    deflected: z.boolean(),
    offers: z.array(Offer()),
    nextOpening: z
      .object({
        at: z.string(),
        localDate: z.string(),
        localTime: z.string(),
        timeZone: z.string(),
        consumer: z.object({ date: z.string(), time: z.string(), timeZone: z.string() }).optional(),
      })
      .nullable(),
    nextClosing: z.string().nullable(),
    explanation: z.object({
      hours: z.union([HoursScope, z.literal('global')]),
      timeZone: z.string(),
      rule: z.unknown().describe('Which rule of the schedule decided, for people reading a preview.'),
      deflection: z.enum(['not_needed', 'off', 'global', 'queue']),
      because: z.string(),
    }),
  }),
);

export const DeflectionSettingsAnswer = onFirstUse(() =>
  z.object({
    config: z
      .object({
        supportCenter: SupportCenter,
        call: CallSettings,
        chat: ChatSettings,
        queues: z.record(z.string(), QueueSettings),
        languages: z.record(z.string(), LanguageSettings),
        sipRedirections: z.record(z.string(), SipRedirection).describe('Per queue id (RDP-3).'),
        virtualAgents: z.record(z.string(), VirtualAgentSettings).describe('Per queue id (RDP-4).'),
      })
      .optional()
      .describe('Absent until the support center, call and chat settings have all been saved once.'),
    version: z.number().int(),
  }),
);

export const SettingsVersion = onFirstUse(() => z.object({ version: z.number().int() }));

export const TransferTargets = onFirstUse(() =>
  z.object({
    targets: z.array(
      z.object({
        queueId: z.string(),
        name: z.string(),
        menuPath: z.array(z.string()),
        reason: z.enum([
          'inside_hours',
          'after_hours_deflection_on',
          'after_hours_agents_logged_in',
          'after_hours_virtual_agent_24h',
        ]),
      }),
    ),
  }),
);
