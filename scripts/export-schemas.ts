import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SessionEvent } from '../functions/src/domain/sessions/events.js';

/** The published contracts, as JSON Schema, generated from the zod schemas the code validates with. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function schemaFiles(): Record<string, string> {
  const sessionEvent = {
    $id: 'https://switchboard.example/schemas/session-event.v1.json',
    title: 'Switchboard session event, schema version 1',
    ...z.toJSONSchema(SessionEvent, { io: 'input', target: 'draft-2020-12' }),
  };
  return { 'schemas/session-event.v1.json': `${JSON.stringify(sessionEvent, null, 2)}\n` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [path, text] of Object.entries(schemaFiles())) {
    mkdirSync(dirname(resolve(ROOT, path)), { recursive: true });
    writeFileSync(resolve(ROOT, path), text);
    console.log(`wrote ${path}`);
  }
}
