import { z } from 'zod';
import type { ApiDescription, OpenApiDocument } from './openapi.js';
import { onFirstUse, route, type Route } from './router.js';

export const OPENAPI_PATH = '/v1/openapi.json';

const Document = onFirstUse(() =>
  z.looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string(), description: z.string() }),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
    components: z.record(z.string(), z.unknown()),
  }),
);

/**
 * `GET /v1/openapi.json`: the function's OpenAPI document, open to all. The generator is loaded and run
 * on the first request, never at a cold start, and its document is kept for the instance's life.
 */
export function contractRoute(api: ApiDescription, routes: () => readonly Route[]): Route {
  let document: Promise<OpenApiDocument> | undefined;
  const build = () =>
    import('./openapi.js')
      .then(({ openApiDocument }) => openApiDocument(api, routes()))
      .catch((error: unknown) => {
        document = undefined;
        throw error;
      });
  return route(
    'GET',
    OPENAPI_PATH,
    {
      operationId: 'readOpenApiDocument',
      summary: "This function's API: this document.",
      security: [],
      answers: { 200: Document },
    },
    async () => ({ status: 200, body: await (document ??= build()) }),
  );
}
