import { describe, expect, it } from 'vitest';
import {
  CallSettings,
  ChatSettings,
  LanguageSettings,
  QueueSettings,
  SupportCenter,
  validateDeflectionConfig,
} from '../../functions/src/domain/deflection/settings.js';
import { demoDocuments } from '../../scripts/seed/demo-data.js';

describe('demo data', () => {
  it('is a configuration an admin could have saved: every section parses and the whole is valid', () => {
    const under = (prefix: string) =>
      Object.entries(demoDocuments)
        .filter(([path]) => path.startsWith(prefix))
        .map(([path, data]) => [path.slice(prefix.length), data] as const);
    const config = {
      supportCenter: SupportCenter.parse(demoDocuments['settings/supportCenter']),
      call: CallSettings.parse(demoDocuments['settings/call']),
      chat: ChatSettings.parse(demoDocuments['settings/chat']),
      queues: Object.fromEntries(under('queues/').map(([id, data]) => [id, QueueSettings.parse(data)])),
      languages: Object.fromEntries(
        under('languages/').map(([tag, data]) => [tag, LanguageSettings.parse(data)]),
      ),
    };
    expect(Object.keys(config.queues).length).toBeGreaterThan(3);
    expect(validateDeflectionConfig(config)).toEqual([]);
  });
});
