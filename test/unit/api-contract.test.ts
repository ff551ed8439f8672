import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ROOT, routeTables } from '../../scripts/export-schemas.js';

/**
 * The API documents: made from the route tables, committed under schemas/ (published-schemas.test.ts
 * fails when they part ways with the code), valid OpenAPI 3.1.
 */
const DOCUMENTS = {
  api: 'schemas/openapi.api.json',
  platformEvents: 'schemas/openapi.platform-events.json',
} as const;

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
}

const committed = (path: string) =>
  JSON.parse(readFileSync(resolve(ROOT, path), 'utf8')) as Document & Record<string, unknown>;

describe('the API documents', () => {
  it('when a document is checked against the OpenAPI 3.1 schema, then it is a valid OpenAPI 3.1 document', async () => {
    for (const path of Object.values(DOCUMENTS)) {
      const validator = new Validator();
      const result = await validator.validate(committed(path));
      expect(result.errors ?? [], path).toEqual([]);
      expect(result.valid, path).toBe(true);
      expect(validator.version, path).toBe('3.1');
    }
  });

  it('when the route tables are listed, then every route is in its document and the document has no other', () => {
    const tables = routeTables();
    for (const [fn, path] of Object.entries(DOCUMENTS) as [keyof typeof DOCUMENTS, string][]) {
      const documented = Object.entries(committed(path).paths).flatMap(([p, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${p}`),
      );
      const routed = tables[fn].map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
      expect(documented.sort(), fn).toEqual(routed.sort());
      expect(routed, fn).toContain('GET /v1/openapi.json');
    }
  });

  it('when a route declares a success answer or refuses with an error, then the document has that answer', () => {
    const doc = committed(DOCUMENTS.api);
    expect(Object.keys(doc.paths['/v1/people/{uid}']!.put!.responses).sort()).toEqual(
      ['200', '201', '400', '401', '403', '409', '500'].sort(),
    );
    expect(doc.paths['/v1/sessions']!.get!.operationId).toBe('listSessions');
  });
});
