import { describe, expect, it } from 'vitest';
import type { AdminDeps } from '../../functions/src/app/admin/directory.js';
import { readPrivacySettings, savePrivacySettings } from '../../functions/src/app/admin/privacy.js';
import { BUILT_IN_ROLES, resolveActor } from '../../functions/src/domain/access/permissions.js';
import { AppError } from '../../functions/src/domain/errors.js';
import type { PrivacySettings } from '../../functions/src/domain/privacy/settings.js';
import type { AuditEntry } from '../../functions/src/ports/supervision.js';

/** Turning masking on or off, on in-memory ports: who may, and what a failure in the middle leaves. */
const roles = new Map(Object.entries(BUILT_IN_ROLES));
const admin = resolveActor({ uid: 'boss', name: 'Boss', roleIds: ['admin'], teamIds: [] }, roles);
const manager = resolveActor({ uid: 'mona', name: 'Mona', roleIds: ['manager'], teamIds: ['team-a'] }, roles);

function admins(options: { auditFailsOnce?: boolean } = {}) {
  let stored: PrivacySettings = { maskSensitiveData: false };
  let failNext = options.auditFailsOnce ?? false;
  const audit: AuditEntry[] = [];
  let ids = 0;
  const deps = {
    privacy: {
      read: async () => stored,
      save: async (settings: PrivacySettings) => void (stored = settings),
    },
    audit: {
      record: async (entry: AuditEntry) => {
        if (failNext) {
          failNext = false;
          throw new Error('audit unavailable');
        }
        audit.push(entry);
      },
      list: async () => [],
    },
    clock: { now: () => new Date('2026-12-03T10:00:00.000Z') },
    newId: () => String(++ids),
  } as unknown as AdminDeps;
  return { deps, audit, stored: () => stored };
}

describe('the privacy setting', () => {
  it('when someone without Settings-Edit reads or saves it, then 403 and nothing is saved or audited', async () => {
    const { deps, audit, stored } = admins();
    for (const attempt of [
      () => readPrivacySettings(deps, manager),
      () => savePrivacySettings(deps, manager, { maskSensitiveData: true }),
    ])
      await expect(attempt()).rejects.toMatchObject({
        status: 403,
        details: { permission: 'Settings-Edit' },
      });
    expect([stored(), audit]).toEqual([{ maskSensitiveData: false }, []]);
  });

  it('when an admin saves it, then it reads back as saved and the change is audited with who did it', async () => {
    const { deps, audit } = admins();
    expect(await savePrivacySettings(deps, admin, { maskSensitiveData: true })).toEqual({
      maskSensitiveData: true,
    });
    expect(await readPrivacySettings(deps, admin)).toEqual({ maskSensitiveData: true });
    expect(audit.map((e) => [e.action, e.actorUid, e.subject])).toEqual([
      ['privacy_settings.changed', 'boss', { type: 'settings', id: 'privacy' }],
    ]);
  });

  it('when the audit fails after the save, then the request fails, and its retry leaves the setting saved and audited', async () => {
    const { deps, audit, stored } = admins({ auditFailsOnce: true });
    const first = savePrivacySettings(deps, admin, { maskSensitiveData: true });
    await expect(first).rejects.toThrow('audit unavailable');
    await expect(first).rejects.not.toBeInstanceOf(AppError);
    expect(await savePrivacySettings(deps, admin, { maskSensitiveData: true })).toEqual({
      maskSensitiveData: true,
    });
    expect(stored()).toEqual({ maskSensitiveData: true });
    expect(audit.map((e) => e.action)).toEqual(['privacy_settings.changed']);
  });
});
