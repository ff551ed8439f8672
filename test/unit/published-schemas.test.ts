import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, schemaFiles } from '../../scripts/export-schemas.js';

describe('published JSON Schemas', () => {
  it('match the zod schemas the code validates with (run npm run schema after a change)', () => {
    for (const [path, text] of Object.entries(schemaFiles())) {
      expect(readFileSync(resolve(ROOT, path), 'utf8'), path).toBe(text);
    }
  });

  it('describe every event type of the session event contract', () => {
    const schema = JSON.parse(schemaFiles()['schemas/session-event.v1.json']!) as {
      oneOf?: { properties: { type: { const: string } } }[];
      anyOf?: { properties: { type: { const: string } } }[];
    };
    const variants = schema.oneOf ?? schema.anyOf ?? [];
    expect(variants.map((v) => v.properties.type.const).sort()).toEqual([
      'crm.linked',
      'message.sent',
      'metadata.updated',
      'participant.joined',
      'participant.left',
      'recording.available',
      'session.assigned',
      'session.connected',
      'session.created',
      'session.ended',
      'session.held',
      'session.resumed',
      'session.transferred',
    ]);
  });
});
