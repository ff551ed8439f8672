import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  agentsServing,
  compileDeflection,
  decide,
  hoursFor,
  type ContactQuestion,
} from '../../functions/src/domain/deflection/decide.js';
import {
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  validateDeflectionConfig,
  type DeflectionConfig,
} from '../../functions/src/domain/deflection/settings.js';
import { deflectionConfig } from '../support/deflection-config.js';
import { transferTargets } from '../../functions/src/domain/deflection/transfers.js';
import { freeSlots } from '../../functions/src/domain/deflection/scheduled-calls.js';

// Monday 23 November 2026: 10:00 in New York is 15:00Z; 20:00 in New York is Tuesday 01:00Z.
const MON_10_NY = Date.parse('2026-11-23T15:00:00Z');
const MON_20_NY = Date.parse('2026-11-24T01:00:00Z');
const SAT_NOON_NY = Date.parse('2026-11-28T17:00:00Z');

const ask = (q: Partial<ContactQuestion>, config: DeflectionConfig = deflectionConfig()) =>
  decide(compileDeflection(config), {
    kind: 'call',
    channel: 'ivr',
    queueId: 'q-billing',
    language: 'en',
    at: MON_20_NY,
    ...q,
  });

describe('deflection decisions', () => {
  it('when a call comes inside business hours, then it is not deflected and the decision says when it closes (AHD-2)', () => {
    const d = ask({ at: MON_10_NY });
    expect([d.open, d.deflected, d.offers]).toEqual([true, false, []]);
    expect(d.nextClosing).toBe('2026-11-23T23:00:00.000Z');
    expect(d.explanation).toMatchObject({
      hours: 'global',
      timeZone: 'America/New_York',
      deflection: 'not_needed',
    });
  });

  it('when an IVR call comes after hours with the message option, then the after-hours message plays in its language, then the call ends (AHD-6)', () => {
    expect(ask({}).offers).toEqual([
      { type: 'message', prompt: { type: 'tts', text: 'We are closed.' }, then: 'end_contact' },
    ]);
    expect(ask({ language: 'fr' }).offers).toEqual([
      { type: 'message', prompt: { type: 'tts', text: 'Nous sommes fermés.' }, then: 'end_contact' },
    ]);
    expect(ask({ language: 'de' }).offers[0]).toMatchObject({ prompt: { text: 'We are closed.' } }); // the default language
  });

  it("when the consumer's zone is known, then the next opening is also given on their clock", () => {
    expect(ask({ consumerTimeZone: 'Asia/Tokyo' }).nextOpening).toEqual({
      at: '2026-11-24T14:00:00.000Z',
      localDate: '2026-11-24',
      localTime: '09:00',
      timeZone: 'America/New_York',
      consumer: { date: '2026-11-24', time: '23:00', timeZone: 'Asia/Tokyo' },
    });
  });

  it('when closed, then the next opening is given in the zone of the hours that decided', () => {
    expect(ask({}).nextOpening).toEqual({
      at: '2026-11-24T14:00:00.000Z',
      localDate: '2026-11-24',
      localTime: '09:00',
      timeZone: 'America/New_York',
    });
    expect(ask({ at: SAT_NOON_NY }).nextOpening).toMatchObject({
      localDate: '2026-11-30',
      localTime: '09:00',
    });
  });

  it('when deflection is off for calls, then an after-hours call is not deflected and the reason says so (AHD-3)', () => {
    const config = deflectionConfig();
    config.call.afterHoursDeflection = false;
    const d = ask({}, config);
    expect([d.open, d.deflected]).toEqual([false, false]);
    expect(d.explanation.deflection).toBe('off');
  });

  it.each([
    ['queue', { type: 'queue', queueId: 'q-night' }, { type: 'queue', queueId: 'q-night', queueOpen: true }],
    ['phone number', { type: 'phone', number: '+15550177' }, { type: 'phone', number: '+15550177' }],
  ] as const)('when the global IVR option is %s, then that is what is offered (AHD-6)', (_, ivr, offer) => {
    const config = deflectionConfig();
    config.call.ivr = ivr;
    expect(ask({}, config).offers).toEqual([offer]);
  });

  it('when a leaf queue has custom IVR voicemail, then it overrides the global option and voicemails go to the nearest assigned agents (AHD-9, AHD-6)', () => {
    const d = ask({ queueId: 'q-refunds', language: 'fr' });
    expect(d.explanation.deflection).toBe('queue');
    expect(d.offers).toEqual([
      expect.objectContaining({
        type: 'voicemail',
        greeting: { type: 'recording', recordingId: 'rec-fr-voicemail' },
        deliverTo: { agentIds: ['u-agent-1'] },
      }),
    ]);
  });

  it('when the global option is voicemail on a root queue with nobody assigned, then the voicemail goes to the CRM (AHD-6)', () => {
    const config = deflectionConfig();
    config.call.ivr = { type: 'voicemail' };
    expect(
      ask({ queueId: 'q-support', at: Date.parse('2026-11-23T21:00:00Z') }, config).offers[0],
    ).toMatchObject({ type: 'voicemail', deliverTo: 'crm' });
  });

  it('when a mobile call comes after hours to a queue with custom mobile options, then exactly those are offered (AHD-9)', () => {
    const d = ask({ channel: 'mobile', queueId: 'q-mobile-app', at: Date.parse('2026-11-23T21:00:00Z') });
    expect(d.offers.map((o) => o.type)).toEqual(['email', 'phone', 'voicemail']);
    expect(d.offers[0]).toMatchObject({ address: 'support@acme.example', includeAppAndDevice: true });
  });

  it('when a web call comes after hours, then only scheduled call and e-mail are offered: phone and voicemail are mobile only (AHD-5)', () => {
    expect(ask({ channel: 'web', queueId: 'q-refunds' }).offers.map((o) => o.type)).toEqual([
      'scheduled_call',
      'email',
    ]);
    expect(ask({ channel: 'mobile', queueId: 'q-refunds' }).offers.map((o) => o.type)).toEqual([
      'scheduled_call',
      'email',
      'phone',
      'voicemail',
    ]);
    // No scheduled calls where the queue's channel settings have them off.
    expect(ask({ channel: 'web', queueId: 'q-billing' }).offers.map((o) => o.type)).toEqual(['email']);
  });

  it('when a chat comes after hours with chat deflection and the e-mail option, then e-mail is offered (AHD-7, AHD-8)', () => {
    const d = ask({ kind: 'chat', channel: 'web' });
    expect(d.offers).toEqual([
      {
        type: 'email',
        address: 'support@acme.example',
        prompt: { type: 'tts', text: 'Write to us.' },
        includeAppAndDevice: false,
      },
    ]);
  });

  it('when an SMS comes after hours to a queue with an after-hours message, then that text is the reply (AHD-9)', () => {
    expect(
      ask({ kind: 'chat', channel: 'sms', queueId: 'q-texts', at: Date.parse('2026-11-23T22:00:00Z') })
        .offers,
    ).toEqual([{ type: 'sms_reply', text: 'We are closed; we answer from 10:00.' }]);
  });

  it('when a queue has hours of its own, then they decide, for it and for its sub-queues (AHD-1, AHD-2)', () => {
    // 19:30 in Paris is 13:30 in New York: the global hours are open, the Support queue's are not... yet.
    const at = Date.parse('2026-11-23T18:30:00Z');
    expect(ask({ queueId: 'q-mobile-app', channel: 'mobile', at }).open).toBe(true);
    const late = Date.parse('2026-11-23T19:30:00Z'); // 20:30 in Paris, 14:30 in New York
    const d = ask({ queueId: 'q-mobile-app', channel: 'mobile', at: late });
    expect(d.open).toBe(false);
    expect(d.explanation).toMatchObject({ hours: { queueId: 'q-support' }, timeZone: 'Europe/Paris' });
    expect(ask({ queueId: 'q-billing', at: late }).open).toBe(true);
  });

  it('when queue-and-channel hours and queue hours both match, then the more specific wins; a channel alone loses to a queue', () => {
    const at = Date.parse('2026-11-23T13:00:00Z'); // 14:00 in Paris: the Support queue is open, its web hours closed at 12:00
    expect(ask({ queueId: 'q-mobile-app', channel: 'web', kind: 'chat', at }).explanation.hours).toEqual({
      queueId: 'q-support',
      channel: 'web',
    });
    expect(ask({ queueId: 'q-mobile-app', channel: 'mobile', at }).explanation.hours).toEqual({
      queueId: 'q-support',
    });
    expect(ask({ queueId: 'q-texts', channel: 'sms', kind: 'chat', at }).explanation.hours).toEqual({
      channel: 'sms',
    });
  });

  it('when a queue has a 24-hour virtual agent, then it is never deflected', () => {
    const d = ask({ queueId: 'q-night', at: SAT_NOON_NY });
    expect([d.open, d.deflected, d.explanation.because]).toEqual([
      true,
      false,
      'a 24-hour virtual agent answers this queue',
    ]);
  });
});

describe('deflection settings validation (AHD-9, AHD-10, AHD-11)', () => {
  const codes = (config: DeflectionConfig) =>
    validateDeflectionConfig(config).map((i) => `${i.path} ${i.code}`);

  it('the reference configuration is valid', () => {
    expect(codes(deflectionConfig())).toEqual([]);
  });

  it('when a mobile queue redirects to a queue and also offers options, then it is refused', () => {
    const config = deflectionConfig();
    config.queues['q-mobile-app']!.deflection = {
      mobile: { redirectQueueId: 'q-night', scheduledCall: false, email: true, voicemail: false },
    };
    expect(codes(config)).toEqual(['queues.q-mobile-app.deflection.mobile redirect_excludes_options']);
  });

  it("when a scheduled call is offered where the queue's channel has scheduled calls off, then it is refused", () => {
    const config = deflectionConfig();
    config.queues['q-mobile-app']!.deflection = {
      mobile: { scheduledCall: true, email: false, voicemail: false },
    };
    expect(codes(config)).toEqual([
      'queues.q-mobile-app.deflection.mobile.scheduledCall scheduled_calls_off',
    ]);
  });

  it('when an option is enabled without its prompt in an enabled language, then it is refused, naming the prompt and language', () => {
    const config = deflectionConfig();
    delete config.languages.fr!.prompts.voicemailAskNumber;
    config.call.ivr = { type: 'voicemail' };
    const issues = validateDeflectionConfig(config);
    // The global option, and Refunds' own voicemail: both ask for the caller's number.
    expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual([
      'call.ivr prompt_missing',
      'queues.q-refunds.deflection.ivr prompt_missing',
    ]);
    expect(issues[0]!.message).toContain('"voicemailAskNumber" prompt in fr');
    // A disabled language needs nothing.
    config.languages.fr!.enabled = false;
    expect(codes(config)).toEqual([]);
  });

  it('when a web queue is given custom deflection, then it is refused (AHD-9)', () => {
    const config = deflectionConfig();
    config.queues['q-billing']!.deflection = { web: { email: true } };
    expect(codes(config)).toContain('queues.q-billing.deflection.web not_for_web');
  });

  it('when custom deflection is set on a parent queue or targets a missing queue, then it is refused', () => {
    const config = deflectionConfig();
    config.queues['q-billing']!.deflection = { ivr: { type: 'queue', queueId: 'q-nowhere' } };
    expect(codes(config).sort()).toEqual([
      'queues.q-billing.deflection leaf_queues_only',
      'queues.q-billing.deflection.ivr.queueId invalid_target_queue',
    ]);
  });

  it('when two custom hours have the same scope, or name a missing queue, then it is refused', () => {
    const config = deflectionConfig();
    config.supportCenter.customHours.push({ ...config.supportCenter.customHours[0]! });
    config.supportCenter.customHours.push({
      scope: { queueId: 'q-gone' },
      hours: config.supportCenter.hours,
    });
    expect(codes(config).sort()).toEqual([
      'supportCenter.customHours.3.scope duplicate_scope',
      'supportCenter.customHours.4.scope.queueId unknown_queue',
    ]);
  });
});

describe('deflection settings validation: queue trees, voicemail prompts, ids that are not queues', () => {
  const codes = (config: DeflectionConfig) =>
    validateDeflectionConfig(config).map((i) => `${i.path} ${i.code}`);

  it('when a queue is its own parent, or parents loop through two or many queues, then each queue on the loop is refused', () => {
    const self = deflectionConfig();
    self.queues['q-support']!.parentId = 'q-support';
    expect(codes(self)).toEqual(['queues.q-support.parentId parent_cycle']);

    const two = deflectionConfig();
    two.queues['q-billing']!.parentId = 'q-refunds';
    two.queues['q-refunds']!.deflection = undefined;
    expect(codes(two)).toEqual([
      'queues.q-billing.parentId parent_cycle',
      'queues.q-refunds.parentId parent_cycle',
    ]);
    expect(validateDeflectionConfig(two)[0]!.message).toContain('q-billing > q-refunds > q-billing');

    const long = deflectionConfig();
    const ids = Array.from({ length: 400 }, (_, i) => `q-loop-${i}`);
    ids.forEach((id, i) => {
      long.queues[id] = { ...long.queues['q-night']!, parentId: ids[(i + 1) % ids.length]! };
    });
    // A queue under the loop is not on it: only the loop's queues are named.
    long.queues['q-under'] = { ...long.queues['q-night']!, parentId: 'q-loop-7' };
    expect(codes(long)).toEqual(ids.map((id) => `queues.${id}.parentId parent_cycle`));

    const chain = deflectionConfig();
    ids.forEach((id, i) => {
      chain.queues[id] = { ...chain.queues['q-night']!, parentId: i + 1 < ids.length ? ids[i + 1]! : null };
    });
    expect(codes(chain)).toEqual([]);
  });

  it("when a queue's own voicemail misses a follow-up prompt in an enabled language, then it is refused, with or without its own greeting", () => {
    for (const missing of [
      'voicemailBlockedNumber',
      'voicemailAskNumber',
      'voicemailNumberEntered',
    ] as const) {
      for (const greeting of [undefined, { type: 'tts' as const, text: 'Bonjour.' }]) {
        const config = deflectionConfig();
        config.call.ivr = { type: 'message' };
        delete config.languages.fr!.prompts[missing];
        config.queues['q-refunds']!.deflection = {
          ivr: { type: 'voicemail', ...(greeting && { greeting }) },
        };
        const issues = validateDeflectionConfig(config);
        expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual([
          'queues.q-refunds.deflection.ivr prompt_missing',
        ]);
        expect(issues[0]!.message).toContain(`"${missing}" prompt in fr`);
      }
    }
    // Its own greeting replaces the voicemail prompt, not the follow-ups.
    const greeted = deflectionConfig();
    greeted.call.ivr = { type: 'message' };
    delete greeted.languages.fr!.prompts.voicemail;
    greeted.queues['q-refunds']!.deflection = {
      ivr: { type: 'voicemail', greeting: { type: 'tts', text: 'Bonjour.' } },
    };
    expect(codes(greeted)).toEqual([]);
  });

  it('when a setting names a queue such as "constructor" or "toString" that does not exist, then it is refused as unknown', () => {
    for (const id of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const config = deflectionConfig();
      config.call.ivr = { type: 'queue', queueId: id };
      config.supportCenter.customHours[0]!.scope = { queueId: id };
      config.queues['q-night']!.parentId = id;
      config.queues['q-mobile-app']!.deflection = {
        mobile: { redirectQueueId: id, scheduledCall: false, email: false, voicemail: false },
      };
      expect(codes(config).sort()).toEqual([
        'call.ivr.queueId unknown_queue',
        'queues.q-mobile-app.deflection.mobile.redirectQueueId invalid_target_queue',
        'queues.q-night.parentId unknown_queue',
        'supportCenter.customHours.0.scope.queueId unknown_queue',
      ]);
    }
  });

  it('when queues really are called "constructor" and "toString", then they are ordinary queues', () => {
    const config = deflectionConfig();
    // Set through a variable: typed as an index, not as Object's own "constructor".
    const named = (id: string, queue: QueueSettings) => (config.queues[id] = queue);
    named('constructor', { ...config.queues['q-billing']!, name: 'Constructor' });
    named('toString', { ...config.queues['q-refunds']!, parentId: 'constructor' });
    expect(codes(config)).toEqual([]);
    const decision = ask({ queueId: 'toString' }, config);
    expect(decision.offers).toEqual([
      expect.objectContaining({ type: 'voicemail', deliverTo: { agentIds: ['u-agent-1'] } }),
    ]);
    expect(
      hoursFor(compileDeflection(config), { queueId: 'toString', channel: 'ivr', language: 'en' }).scope,
    ).toBe('global');
  });

  it('when asked about a queue or language that is not configured, such as "constructor", then nothing of the prototype is used', () => {
    const compiled = compileDeflection(deflectionConfig());
    for (const id of ['constructor', 'toString', '__proto__']) {
      expect(compiled.queues.has(id)).toBe(false);
      const decision = decide(compiled, {
        kind: 'call',
        channel: 'mobile',
        queueId: id,
        language: id,
        at: MON_20_NY,
      });
      // No scheduled call: an unknown queue has no scheduled calls of its own.
      expect(decision.offers.map((o) => o.type)).toEqual(['email', 'phone', 'voicemail']);
      expect(agentsServing(compiled, id)).toEqual([]);
    }
  });
});

describe('deflection settings bounds', () => {
  it('when text has a lone surrogate, or lists are too long or repeat an item, then the section is refused', () => {
    const queue = deflectionConfig().queues['q-billing']!;
    expect(QueueSettings.safeParse({ ...queue, name: 'Bad \ud800 name' }).success).toBe(false);
    expect(QueueSettings.safeParse({ ...queue, name: 'Good \ud83d\ude00 name' }).success).toBe(true);
    expect(QueueSettings.safeParse({ ...queue, menuPath: Array(11).fill('Level') }).success).toBe(false);
    expect(
      QueueSettings.safeParse({ ...queue, teamIds: Array.from({ length: 101 }, (_, i) => `t-${i}`) }).success,
    ).toBe(false);
    expect(QueueSettings.safeParse({ ...queue, teamIds: ['team-a', 'team-a'] }).success).toBe(false);
    expect(QueueSettings.safeParse({ ...queue, channels: ['ivr', 'ivr'] }).success).toBe(false);
    expect(
      QueueSettings.safeParse({
        ...queue,
        assignedAgentIds: Array.from({ length: 1001 }, (_, i) => `u-${i}`),
      }).success,
    ).toBe(false);
    const fr = deflectionConfig().languages.fr!;
    expect(
      LanguageSettings.safeParse({ ...fr, prompts: { afterHours: { type: 'tts', text: '\udc00' } } }).success,
    ).toBe(false);
    const center = deflectionConfig().supportCenter;
    expect(SupportCenter.safeParse({ ...center, name: '\udfff' }).success).toBe(false);
    const holiday = (name: string) => ({
      ...center,
      hours: { ...center.hours, exceptions: [{ date: '2026-12-25', hours: 'closed', name }] },
    });
    expect(SupportCenter.safeParse(holiday('Christmas \ud800')).success).toBe(false);
    expect(SupportCenter.safeParse(holiday('Noël 🎄')).success).toBe(true);
    expect(SupportCenter.safeParse({ ...center, email: `${'a'.repeat(250)}@acme.example` }).success).toBe(
      false,
    );
  });

  it('when prompts are sent in any order, then they are kept in one order, so a read-back matches what was checked', () => {
    const en = deflectionConfig().languages.en!;
    const reversed = Object.fromEntries(Object.entries(en.prompts).reverse());
    expect(JSON.stringify(LanguageSettings.parse({ enabled: true, prompts: reversed }))).toBe(
      JSON.stringify(LanguageSettings.parse(en)),
    );
  });
});

describe('transfer lists (AHD-4, AHD-7)', () => {
  const at = MON_20_NY; // 20:00 in New York, 02:00 in Paris: every queue is after hours but the night line
  const withQueues = (config = deflectionConfig()) => {
    config.queues['q-va-hours'] = {
      ...config.queues['q-support']!,
      name: 'Bot in hours',
      menuPath: ['Bot in hours'],
      virtualAgent: 'queue_hours',
    };
    return config;
  };
  const list = (
    config: DeflectionConfig,
    kind: 'call' | 'chat',
    loggedIn: Record<string, number> = {},
    when = at,
  ) =>
    transferTargets(
      compileDeflection(config),
      { kind, channel: kind === 'call' ? 'ivr' : 'web', language: 'en', at: when },
      (q) => loggedIn[q] ?? 0,
    ).map((t) => `${t.queueId} ${t.reason}`);

  it('when calls may be transferred outside hours with deflection on, then after-hours queues show, but never one whose virtual agent keeps queue hours', () => {
    expect(list(withQueues(), 'call')).toEqual([
      'q-billing after_hours_deflection_on',
      'q-refunds after_hours_deflection_on',
      'q-night after_hours_virtual_agent_24h',
      'q-support after_hours_deflection_on',
    ]);
  });

  it('when call deflection is off, then an after-hours queue shows only while agents are logged in to it', () => {
    const config = withQueues();
    config.call.afterHoursDeflection = false;
    expect(list(config, 'call', { 'q-refunds': 2, 'q-va-hours': 5 })).toEqual([
      'q-refunds after_hours_agents_logged_in',
      'q-night after_hours_virtual_agent_24h',
    ]);
  });

  it('when transfers outside hours are not allowed, then only open queues show; inside hours, all of them', () => {
    const config = withQueues();
    config.call.allowTransfersOutsideHours = false;
    expect(list(config, 'call')).toEqual([]);
    expect(list(config, 'call', {}, MON_10_NY)).toEqual([
      'q-billing inside_hours',
      'q-refunds inside_hours',
      'q-va-hours inside_hours',
      'q-night inside_hours',
      'q-support inside_hours',
    ]);
  });

  it('when chat deflection is off and transfers outside hours are allowed, then the AHD-7 list; with chat deflection on, none after hours', () => {
    const config = withQueues();
    config.chat.afterHoursDeflection = false;
    config.chat.allowTransfersOutsideHoursWhenOff = true;
    expect(list(config, 'chat', { 'q-mobile-app': 1, 'q-va-hours': 3 })).toEqual([
      'q-night after_hours_virtual_agent_24h',
      'q-mobile-app after_hours_agents_logged_in',
    ]);
    config.chat.afterHoursDeflection = true;
    expect(list(config, 'chat', { 'q-mobile-app': 1 })).toEqual([]);
  });
});

describe('scheduled call slots (AHD-5)', () => {
  const compiled = compileDeflection(deflectionConfig());
  const hours = hoursFor(compiled, { queueId: 'q-refunds', channel: 'mobile', language: 'en' });
  const iso = (slots: { start: number }[]) => slots.map((s) => new Date(s.start).toISOString());

  it('when asked on a weekday morning, then slots follow the local half hours inside the hours, until closing', () => {
    const slots = freeSlots(hours, {
      from: Date.parse('2026-11-23T15:10:00Z'),
      horizonDays: 1,
      slotMinutes: 30,
      booked: new Set(),
    });
    // 10:10 in New York: the first slot is 10:30, the last 17:30 (it ends at 18:00), then Tuesday from 09:00.
    expect(iso(slots).slice(0, 2)).toEqual(['2026-11-23T15:30:00.000Z', '2026-11-23T16:00:00.000Z']);
    expect(iso(slots)).toContain('2026-11-23T22:30:00.000Z');
    expect(iso(slots)).not.toContain('2026-11-23T23:00:00.000Z');
    expect(iso(slots)).toContain('2026-11-24T14:00:00.000Z');
    expect(slots.every((s) => s.end - s.start === 30 * 60_000)).toBe(true);
  });

  it('when a slot is booked, then it is not offered again; a weekend gives Monday', () => {
    const from = Date.parse('2026-11-28T17:00:00Z'); // Saturday
    const first = freeSlots(hours, { from, horizonDays: 3, slotMinutes: 30, booked: new Set() })[0]!;
    expect(new Date(first.start).toISOString()).toBe('2026-11-30T14:00:00.000Z');
    const next = freeSlots(hours, {
      from,
      horizonDays: 3,
      slotMinutes: 30,
      booked: new Set([first.start]),
    })[0]!;
    expect(new Date(next.start).toISOString()).toBe('2026-11-30T14:30:00.000Z');
  });

  it('when the clocks change, then slots stay on the local half hours', () => {
    // New York falls back on Sunday 1 November 2026; Monday 09:00 is 14:00Z, as on the Friday before it was 13:00Z.
    const slots = freeSlots(hours, {
      from: Date.parse('2026-10-30T12:00:00Z'),
      horizonDays: 4,
      slotMinutes: 30,
      booked: new Set(),
    });
    expect(iso(slots)).toContain('2026-10-30T13:00:00.000Z');
    expect(iso(slots)).toContain('2026-11-02T14:00:00.000Z');
    expect(iso(slots)).not.toContain('2026-11-02T13:30:00.000Z');
  });
});

describe('decisions over time (property)', () => {
  it('a decision agrees with its own next opening and closing, at any instant, for any queue and channel', () => {
    const compiled = compileDeflection(deflectionConfig());
    const queues = Object.keys(compiled.config.queues).filter(
      (id) => compiled.config.queues[id]!.virtualAgent !== 'always',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        fc.constantFrom(...queues),
        fc.constantFrom('ivr' as const, 'mobile' as const, 'web' as const, 'sms' as const),
        fc.constantFrom('call' as const, 'chat' as const),
        (at, queueId, channel, kind) => {
          const at_ = (t: number) => decide(compiled, { kind, channel, queueId, language: 'en', at: t });
          const d = at_(at);
          const change = d.open ? d.nextClosing : d.nextOpening?.at;
          if (!change) return;
          const t = Date.parse(change);
          expect(t).toBeGreaterThan(at);
          expect(at_(t).open).toBe(!d.open);
          if (t - 60_000 > at) expect(at_(t - 60_000).open).toBe(d.open);
        },
      ),
      { numRuns: 500 },
    );
  });
});
