import type { DeflectionConfig, QueueSettings } from '../../functions/src/domain/deflection/settings.js';

const weekdays = (open: string, close: string) => ({
  mon: [{ open, close }],
  tue: [{ open, close }],
  wed: [{ open, close }],
  thu: [{ open, close }],
  fri: [{ open, close }],
});

const queue = (q: Partial<QueueSettings> & Pick<QueueSettings, 'name' | 'menuPath'>): QueueSettings => ({
  parentId: null,
  channels: ['ivr', 'mobile', 'web', 'sms'],
  teamIds: [],
  assignedAgentIds: [],
  virtualAgent: 'none',
  scheduledCalls: { enabled: false, slotMinutes: 30, horizonDays: 7 },
  ...q,
});

/**
 * A support center in New York, open on weekdays 09:00–18:00, with a Paris queue, a queue answered
 * around the clock by a virtual agent, voicemail on Refunds, mobile options on the mobile app queue,
 * and prompts in English and French.
 */
export function deflectionConfig(): DeflectionConfig {
  return {
    supportCenter: {
      name: 'Acme Support',
      email: 'support@acme.example',
      phone: '+15550100',
      defaultLanguage: 'en',
      hours: { timeZone: 'America/New_York', weekly: weekdays('09:00', '18:00') },
      customHours: [
        {
          scope: { queueId: 'q-support' },
          hours: { timeZone: 'Europe/Paris', weekly: weekdays('08:00', '20:00') },
        },
        {
          scope: { channel: 'sms' },
          hours: { timeZone: 'America/New_York', weekly: weekdays('10:00', '16:00') },
        },
        {
          scope: { queueId: 'q-support', channel: 'web' },
          hours: { timeZone: 'Europe/Paris', weekly: weekdays('08:00', '12:00') },
        },
      ],
    },
    call: {
      afterHoursDeflection: true,
      allowTransfersOutsideHours: true,
      ivr: { type: 'message' },
      sdk: { scheduledCall: true, email: true, phone: { number: '+15550199' }, voicemail: true },
    },
    chat: { afterHoursDeflection: true, allowTransfersOutsideHoursWhenOff: false, email: true },
    queues: {
      'q-billing': queue({ name: 'Billing', menuPath: ['Billing'], assignedAgentIds: ['u-agent-1'] }),
      'q-refunds': queue({
        name: 'Refunds',
        parentId: 'q-billing',
        menuPath: ['Billing', 'Refunds'],
        deflection: { ivr: { type: 'voicemail' } },
        scheduledCalls: { enabled: true, slotMinutes: 30, horizonDays: 7 },
      }),
      'q-support': queue({ name: 'Support', menuPath: ['Support'] }),
      'q-mobile-app': queue({
        name: 'Mobile app',
        parentId: 'q-support',
        menuPath: ['Support', 'Mobile app'],
        channels: ['mobile', 'web'],
        deflection: {
          mobile: { scheduledCall: false, email: true, phone: { number: '+15550142' }, voicemail: true },
        },
      }),
      'q-texts': queue({
        name: 'Texts',
        menuPath: ['Texts'],
        channels: ['sms'],
        deflection: { sms: { enabled: true, text: 'We are closed; we answer from 10:00.' } },
      }),
      'q-night': queue({ name: 'Night line', menuPath: ['Night line'], virtualAgent: 'always' }),
    },
    languages: {
      en: {
        enabled: true,
        prompts: {
          afterHours: { type: 'tts', text: 'We are closed.' },
          voicemail: { type: 'tts', text: 'Leave a message after the tone.' },
          voicemailBlockedNumber: { type: 'tts', text: 'Your number is hidden.' },
          voicemailAskNumber: { type: 'tts', text: 'Enter your phone number.' },
          voicemailNumberEntered: { type: 'tts', text: 'Thank you.' },
          emailDeflection: { type: 'tts', text: 'Write to us.' },
        },
      },
      fr: {
        enabled: true,
        prompts: {
          afterHours: { type: 'tts', text: 'Nous sommes fermés.' },
          voicemail: { type: 'recording', recordingId: 'rec-fr-voicemail' },
          voicemailBlockedNumber: { type: 'tts', text: 'Votre numéro est masqué.' },
          voicemailAskNumber: { type: 'tts', text: 'Composez votre numéro.' },
          voicemailNumberEntered: { type: 'tts', text: 'Merci.' },
          emailDeflection: { type: 'tts', text: 'Écrivez-nous.' },
        },
      },
    },
    sipRedirections: {},
    virtualAgents: {},
  };
}
