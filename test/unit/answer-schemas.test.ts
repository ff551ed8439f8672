import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../functions/src/http/openapi.js';
import { onFirstUse, route, type Answer } from '../../functions/src/http/router.js';

/** A route table of one route answering `answer`, and the answer its document describes. */
function documentedAnswer(answer: Answer) {
  const routes = [
    route(
      'GET',
      '/v1/things',
      { operationId: 'listThings', summary: 'Things.', security: [], answers: { 200: answer } },
      () => ({ status: 200 }),
    ),
  ];
  const document = openApiDocument({ title: 'things', description: 'Things.' }, routes);
  return (document.paths['/v1/things']!.get as { responses: Record<string, unknown> }).responses['200'];
}

const Thing = () =>
  z.object({
    id: z.string(),
    at: z.string().describe('An ISO 8601 date-time.'),
    size: z.number().int().nullable(),
  });

describe('answer schemas, built on first use', () => {
  it('when an answer schema is declared, then it is built only once asked for, and the same one every time', () => {
    let built = 0;
    const answer = onFirstUse(() => {
      built += 1;
      return Thing();
    });
    expect(built).toBe(0);
    const first = answer();
    expect(answer()).toBe(first);
    expect(built).toBe(1);
    expect(first.parse({ id: 't-1', at: '2026-01-01T00:00:00Z', size: null, extra: 1 })).toEqual({
      id: 't-1',
      at: '2026-01-01T00:00:00Z',
      size: null,
    });
  });

  it('when a route gives its answer as a builder, then the document describes it exactly as the schema given as such', () => {
    const eager = documentedAnswer(Thing());
    expect(documentedAnswer(onFirstUse(Thing))).toEqual(eager);
    expect(documentedAnswer(Thing)).toEqual(eager);
    expect(JSON.stringify(eager)).toContain('An ISO 8601 date-time.');
  });
});
