import { describe, expect, it } from 'vitest';
import {
  demoDeflectionConfig,
  demoDirectory,
  demoNotifications,
  demoNotificationSections,
  demoPeople,
  demoRoles,
} from '../../scripts/seed/demo-data.js';

describe('demo data', () => {
  it('is a configuration an admin could have saved: every section parses and the whole is valid', () => {
    expect(Object.keys(demoDeflectionConfig().queues).length).toBeGreaterThan(3);
  });

  it('has people and roles the admin routes would accept: plain teams, existing roles, E.164 phones', () => {
    const { people, roles } = demoDirectory();
    expect(people.map((p) => p.uid)).toEqual(demoPeople.map((p) => p.uid));
    expect([...roles.keys()]).toEqual(Object.keys(demoRoles));
    expect(people.some((p) => p.phone !== null)).toBe(true);
  });

  it('has notification settings an admin could have saved: each section parses, each whisper is for a queue taking calls (NOT-1, NOT-2, NOT-3)', () => {
    expect(demoNotificationSections().map((s) => s.section)).toEqual([
      'calls',
      'chats',
      'queueWhisper',
      'queueWhisper',
    ]);
    const whispers = demoNotifications.queueWhispers as Record<string, unknown>;
    try {
      whispers['q-invoices-sms'] = { enabled: true, announcement: { type: 'queue_name' } };
      expect(() => demoNotificationSections()).toThrow(/q-invoices-sms/);
    } finally {
      delete whispers['q-invoices-sms'];
    }
  });

  it('refuses a person the routes would refuse', () => {
    const person = demoPeople[0]!;
    const saved = { ...person };
    try {
      Object.assign(person, { teamIds: ['*'] });
      expect(() => demoDirectory()).toThrow();
      Object.assign(person, saved, { roleIds: ['no-such-role'] });
      expect(() => demoDirectory()).toThrow(/do not exist/);
    } finally {
      Object.assign(person, saved);
    }
  });
});
