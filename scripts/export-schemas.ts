import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SessionEvent } from '../functions/src/domain/sessions/events.js';
import { API_DESCRIPTION, apiRoutes } from '../functions/src/http/api.js';
import { openApiDocument } from '../functions/src/http/openapi.js';
import { PLATFORM_EVENTS_DESCRIPTION, platformEventsRoutes } from '../functions/src/http/platform-events.js';
import { recordingWorkerRoutes } from '../functions/src/http/recording-worker.js';
import type { Route } from '../functions/src/http/router.js';

/** The published contracts, as JSON Schema, generated from the zod schemas the code validates with. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The route tables as each function is built from them (the published contracts cover api and
 * platformEvents; the hostile-input suite drives all three). Their dependencies are only called by a
 * handler, never while a table is listed: any dependency, present or added later, refuses to be used.
 */
export function routeTables(): Record<'api' | 'platformEvents' | 'recordingWorker', Route[]> {
  const listedOnly = () => {
    throw new Error('route tables are only listed here');
  };
  const deps = new Proxy({}, { get: () => listedOnly }) as never;
  return {
    api: apiRoutes(deps),
    platformEvents: platformEventsRoutes(deps),
    recordingWorker: recordingWorkerRoutes(deps),
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function schemaFiles(): Record<string, string> {
  const sessionEvent = {
    $id: 'https://switchboard.example/schemas/session-event.v1.json',
    title: 'Switchboard session event, schema version 1',
    ...z.toJSONSchema(SessionEvent, { io: 'input', target: 'draft-2020-12' }),
  };
  const tables = routeTables();
  return {
    'schemas/session-event.v1.json': json(sessionEvent),
    'schemas/openapi.api.json': json(openApiDocument(API_DESCRIPTION, tables.api)),
    'schemas/openapi.platform-events.json': json(
      openApiDocument(PLATFORM_EVENTS_DESCRIPTION, tables.platformEvents),
    ),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [path, text] of Object.entries(schemaFiles())) {
    mkdirSync(dirname(resolve(ROOT, path)), { recursive: true });
    writeFileSync(resolve(ROOT, path), text);
    console.log(`wrote ${path}`);
  }
}
