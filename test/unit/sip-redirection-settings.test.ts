import { describe, expect, it } from 'vitest';
import type { AdminDeps } from '../../functions/src/app/admin/directory.js';
import {
  saveSipRedirection,
  saveVirtualAgentSettings,
} from '../../functions/src/app/deflection/sip-redirection.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import type { DeflectionConfig } from '../../functions/src/domain/deflection/settings.js';
import { SipRedirection } from '../../functions/src/domain/deflection/sip-redirection.js';
import type { SettingsSection } from '../../functions/src/ports/deflection-settings.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';
import { deflectionConfig } from '../support/deflection-config.js';

/** Saving a queue's SIP redirection on in-memory ports: what a failure in the middle leaves. */
const roles = new Map(Object.entries(BUILT_IN_ROLES));
const admin = resolveActor({ uid: 'boss', name: 'Boss', roleIds: ['admin'], teamIds: [] }, roles);

const SIP = SipRedirection.parse({
  uri: 'sip:support@pbx.acme.example',
  data_parameters_enabled: true,
  data_parameters: [
    { field: 'order', type: 'dynamic', source: 'ujet_metadata', source_field: 'order_number' },
  ],
  data_records: { in_metadata: true, in_crm_record: false },
});

function admins(options: { auditFailsOnce?: boolean; storeFailsOnce?: boolean; notSetUp?: boolean } = {}) {
  let config: DeflectionConfig = deflectionConfig();
  const setUp = !options.notSetUp;
  let version = 1;
  let auditFails = options.auditFailsOnce ?? false;
  let storeFails = options.storeFailsOnce ?? false;
  const audit: AuditEntry[] = [];
  let ids = 0;
  const deps = {
    deflection: {
      load: async () => ({ config: setUp ? config : undefined, version }),
      save: async (change: SettingsSection, check: (next: DeflectionConfig) => void) => {
        if (change.section !== 'sipRedirection' && change.section !== 'virtualAgent')
          throw new Error('not used here');
        const next =
          change.section === 'sipRedirection'
            ? { ...config, sipRedirections: { ...config.sipRedirections, [change.id]: change.value } }
            : { ...config, virtualAgents: { ...config.virtualAgents, [change.id]: change.value } };
        check(next);
        if (storeFails) {
          storeFails = false;
          throw new Error('commit failed');
        }
        config = next;
        return ++version;
      },
      watchVersion: () => () => {},
    },
    audit: {
      record: async (entry: AuditEntry) => {
        if (auditFails) {
          auditFails = false;
          throw new Error('audit unavailable');
        }
        audit.push(entry);
      },
      list: async () => [],
    },
    clock: { now: () => new Date('2026-12-03T10:00:00.000Z') },
    newId: () => String(++ids),
  } as unknown as AdminDeps;
  return { deps, audit, config: () => config };
}

describe("saving a queue's SIP redirection and virtual agent settings", () => {
  it('when the whole configuration is not set up yet, then a save is refused with 409 not_configured and nothing is saved or audited', async () => {
    const { deps, audit, config } = admins({ notSetUp: true });
    await expect(saveSipRedirection(deps, admin, 'q-support', SIP)).rejects.toMatchObject({
      status: 409,
      details: { reason: 'not_configured' },
    });
    expect(config().sipRedirections).toEqual({});
    expect(audit).toEqual([]);
  });

  it('when the audit fails after the save, then the request fails, and its retry leaves the settings saved and audited', async () => {
    const { deps, audit, config } = admins({ auditFailsOnce: true });
    await expect(saveSipRedirection(deps, admin, 'q-support', SIP)).rejects.toThrow('audit unavailable');
    expect(await saveSipRedirection(deps, admin, 'q-support', SIP)).toEqual({
      version: 3,
      sipRedirection: SIP,
    });
    expect(config().sipRedirections).toEqual({ 'q-support': SIP });
    expect(audit.map((e) => [e.action, e.actorUid, e.subject])).toEqual([
      ['sip_redirection.changed', 'boss', { type: 'queue', id: 'q-support' }],
    ]);
  });

  it('when the save fails, then nothing is audited; when the settings are invalid, then 400 and nothing is saved or audited', async () => {
    const { deps, audit, config } = admins({ storeFailsOnce: true });
    await expect(saveSipRedirection(deps, admin, 'q-support', SIP)).rejects.toThrow('commit failed');
    await expect(saveSipRedirection(deps, admin, 'q-texts', SIP)).rejects.toMatchObject({
      status: 400,
      details: { issues: [{ path: 'sipRedirections.q-texts', code: 'channel_not_served' }] },
    });
    await expect(
      saveVirtualAgentSettings(deps, admin, 'q-night', {
        data_parameters: [
          {
            type: 'dynamic',
            source: 'session_metadata',
            incoming_field: 'verified_customer',
            destination_field: 'a',
          },
          {
            type: 'dynamic',
            source: 'session_metadata',
            incoming_field: 'verified_customer',
            destination_field: 'b',
          },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, details: { issues: [{ code: 'duplicate_incoming_field' }] } });
    expect([config().sipRedirections, config().virtualAgents, audit]).toEqual([{}, {}, []]);
  });
});
