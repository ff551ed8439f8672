import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDeflectionConfig } from '../../functions/src/domain/deflection/settings.js';
import {
  encodeSipHeaderValue,
  MAX_SIP_HEADER_VALUE,
  SipRedirection,
  sipRedirectionAnswer,
  sipUriProblem,
  VirtualAgentSettings,
  virtualAgentParameterPreview,
  type SipSessionData,
} from '../../functions/src/domain/deflection/sip-redirection.js';
import { deflectionConfig } from '../support/deflection-config.js';

const parameter = (field: string, source_field: string) => ({
  field,
  type: 'dynamic' as const,
  source: 'ujet_metadata' as const,
  source_field,
});

const sip = (over: Partial<SipRedirection> = {}): SipRedirection =>
  SipRedirection.parse({
    uri: 'sip:support@pbx.acme.example;transport=tls',
    data_parameters_enabled: true,
    data_parameters: [
      parameter('verified_customer', 'reserved_verified_customer'),
      parameter('bad_actor', 'reserved_bad_actor'),
      parameter('order', 'order_number'),
    ],
    data_records: { in_metadata: true, in_crm_record: false },
    ...over,
  });

const flag = (value: boolean) => ({ value, source: 'sdk', sequence: 3, at: '2026-11-23T15:00:00Z' });

const session: SipSessionData = {
  id: 's-1',
  profile: { verifiedCustomer: flag(true), badActor: flag(false) },
  metadata: { order_number: 'A-1042', plan: 'gold' },
};

const verifiedToCrm = VirtualAgentSettings.parse({
  data_parameters: [
    {
      type: 'dynamic',
      source: 'session_metadata',
      incoming_field: 'verified_customer',
      destination_field: 'Verified_Customer__c',
    },
  ],
});

describe('SIP redirection settings (RDP-3)', () => {
  it.each([
    'sip:support@pbx.acme.example',
    'sips:pbx.acme.example:5061',
    'sip:+15551234567@203.0.113.7;user=phone',
    'sip:agent%20desk@[2001:db8::1]:5060;transport=tcp;lr',
  ])('when the URI is %s, then it is a SIP URI a queue may redirect to', (uri) => {
    expect(sipUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['https://pbx.acme.example', 'must start with sip: or sips:'],
    ['sip:support@pbx.acme.example\r\nVia: evil', 'must not contain spaces or control characters'],
    ['sip:support@pbx.acme.example?Subject=hi', 'must not carry headers (?…): use the data parameters'],
    ['sip:user:secret@pbx.acme.example', 'must not carry a password'],
    ['sip:support@', 'must name a host: a domain name, an IPv4 address or an [IPv6] address'],
    ['sip:support@pbx.acme.example:70000', 'must have a port from 1 to 65535'],
    ['sip:support@pbx..example', 'must name a host: a domain name, an IPv4 address or an [IPv6] address'],
    ['sip:sup"port@pbx.acme.example', 'has a user part with characters a SIP URI cannot hold'],
    ['sip:pbx.acme.example;a=b=c', 'has a ;parameter a SIP URI cannot hold'],
  ])('when the URI is %j, then it is refused: %s', (uri, problem) => {
    expect(sipUriProblem(uri)).toBe(problem);
  });

  it('when a field is no header name, is listed twice (in any case) or the lists are too long, then every problem is listed with its path', () => {
    const bad = SipRedirection.safeParse({
      uri: 'sip:pbx.acme.example',
      data_parameters_enabled: true,
      data_parameters: [parameter('bad field:\r\n', 'x'), parameter('ok', 'Incoming Field')],
      data_records: { in_metadata: true, in_crm_record: true },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual([
      'data_parameters.0.field',
      'data_parameters.1.source_field',
    ]);
    const tooMany = SipRedirection.safeParse({
      ...sip(),
      data_parameters: Array.from({ length: 21 }, (_, i) => parameter(`f${i}`, 'x')),
    });
    expect(tooMany.success).toBe(false);

    const config = deflectionConfig();
    config.sipRedirections = {
      'q-support': sip({
        data_parameters: [parameter('Verified', 'a'), parameter('verified', 'b'), parameter('other', 'c')],
      }),
      'q-texts': sip(),
      'q-gone': sip(),
      'q-billing': sip({ data_parameters: [] }),
    };
    expect(validateDeflectionConfig(config)).toEqual([
      {
        path: 'sipRedirections.q-support.data_parameters.1.field',
        code: 'duplicate_field',
        message: 'The field verified is already sent by data parameter 0 (SIP header names ignore case).',
      },
      {
        path: 'sipRedirections.q-texts',
        code: 'channel_not_served',
        message: 'Queue q-texts takes no calls (IVR or mobile): there is nothing to redirect over SIP.',
      },
      { path: 'sipRedirections.q-gone', code: 'unknown_queue', message: 'There is no queue q-gone.' },
      {
        path: 'sipRedirections.q-billing.data_parameters',
        code: 'no_parameter',
        message: 'Data parameters are enabled: add at least one, or turn them off.',
      },
    ]);
  });
});

describe('virtual agent data parameters (RDP-4)', () => {
  it('when a queue passes verified customer to its virtual agent, then the preview names the destination field as Dialogflow CX reads it', () => {
    expect(virtualAgentParameterPreview(verifiedToCrm.data_parameters[0]!)).toEqual({
      label: 'Dynamic · Session metadata · Verified customer → Verified_Customer__c',
      dialogflowParameter: '$session.params.Verified_Customer__c',
      example: { Verified_Customer__c: true },
    });
  });

  it('when the queue has no virtual agent, passes the field twice or names a bad destination, then each is refused', () => {
    const config = deflectionConfig();
    config.virtualAgents = {
      'q-billing': verifiedToCrm,
      'q-night': { data_parameters: [verifiedToCrm.data_parameters[0]!, verifiedToCrm.data_parameters[0]!] },
    };
    expect(validateDeflectionConfig(config)).toEqual([
      {
        path: 'virtualAgents.q-billing',
        code: 'no_virtual_agent',
        message:
          'Queue q-billing has no virtual agent assigned: assign one before passing it data parameters.',
      },
      {
        path: 'virtualAgents.q-night.data_parameters.1',
        code: 'duplicate_incoming_field',
        message: 'Verified customer is already passed by data parameter 0: a field is passed once.',
      },
    ]);
    for (const destination_field of ['', '1st', 'a b', 'x'.repeat(65), '$session'])
      expect(
        VirtualAgentSettings.safeParse({
          data_parameters: [{ ...verifiedToCrm.data_parameters[0], destination_field }],
        }).success,
      ).toBe(false);
  });
});

describe('what the platform sends on a SIP redirection (RDP-3)', () => {
  it('when the session carries the source fields, then each becomes an X- header, the profile flags answering the reserved keys, and the records say where to write', () => {
    expect(sipRedirectionAnswer('q-support', sip(), verifiedToCrm, session)).toEqual({
      queueId: 'q-support',
      uri: 'sip:support@pbx.acme.example;transport=tls',
      headers: [
        { name: 'X-verified_customer', value: 'true' },
        { name: 'X-bad_actor', value: 'false' },
        { name: 'X-order', value: 'A-1042' },
      ],
      notSent: [],
      records: {
        metadata: { verified_customer: true, bad_actor: false, order: 'A-1042' },
        crmRecord: null,
      },
      virtualAgent: {
        verifiedCustomerField: 'Verified_Customer__c',
        parameters: { Verified_Customer__c: true },
      },
    });
  });

  it('when the session lacks a source field, then it is said, and no header or record is made up for it', () => {
    const answer = sipRedirectionAnswer(
      'q-support',
      sip({
        data_parameters: [
          parameter('repeat', 'reserved_repeat_customer'),
          parameter('inherited', 'constructor'),
          parameter('proto', 'toString'),
          parameter('plan', 'plan'),
        ],
        data_records: { in_metadata: false, in_crm_record: true },
      }),
      undefined,
      session,
    );
    expect(answer.headers).toEqual([{ name: 'X-plan', value: 'gold' }]);
    expect(answer.notSent).toEqual([
      { field: 'repeat', sourceField: 'reserved_repeat_customer', reason: 'not_in_session' },
      { field: 'inherited', sourceField: 'constructor', reason: 'not_in_session' },
      { field: 'proto', sourceField: 'toString', reason: 'not_in_session' },
    ]);
    expect(answer.records).toEqual({ metadata: null, crmRecord: { plan: 'gold' } });
    expect(answer.virtualAgent).toBeNull();
    expect(sipRedirectionAnswer('q-support', sip(), undefined, { id: 's-bare' }).notSent).toHaveLength(3);
  });

  it('when data parameters are off, then nothing is sent and nothing is written', () => {
    const answer = sipRedirectionAnswer(
      'q-support',
      sip({ data_parameters_enabled: false }),
      undefined,
      session,
    );
    expect([answer.headers, answer.notSent, answer.records]).toEqual([
      [],
      [],
      { metadata: null, crmRecord: null },
    ]);
  });

  it('when a metadata value carries CR, LF or SIP separators, then its header value cannot break out of the header', () => {
    const hostile = 'x\r\nVia: SIP/2.0/UDP evil;branch=1\n"quoted", a;b=c é\u0000';
    const answer = sipRedirectionAnswer(
      'q-support',
      sip({ data_parameters: [parameter('order', 'order_number')] }),
      undefined,
      {
        id: 's-2',
        metadata: { order_number: hostile },
      },
    );
    const value = answer.headers[0]!.value;
    expect(value).toMatch(/^[A-Za-z0-9\-._~%]*$/);
    expect(decodeURIComponent(value)).toBe(hostile);
    expect(answer.records.metadata).toEqual({ order: hostile });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const encoded = encodeSipHeaderValue(text);
        return /^[A-Za-z0-9\-._~%]*$/.test(encoded) && decodeURIComponent(encoded) === text;
      }),
    );
  });

  it('when a value would make a header longer than any PBX takes, then it is said to be too long, not cut', () => {
    const answer = sipRedirectionAnswer(
      'q-support',
      sip({ data_parameters: [parameter('note', 'note')] }),
      undefined,
      {
        id: 's-3',
        metadata: { note: 'é'.repeat(MAX_SIP_HEADER_VALUE) },
      },
    );
    expect(answer.headers).toEqual([]);
    expect(answer.notSent).toEqual([{ field: 'note', sourceField: 'note', reason: 'too_long' }]);
    expect(answer.records.metadata).toEqual({});
  });
});
