import { z } from 'zod';
import { CRM_KEY_HEADER } from './api/recordings.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './platform-signature.js';
import type { Answer, Route, RouteContract, SecurityScheme } from './router.js';

/**
 * The OpenAPI 3.1 document of an HTTP function, made from its route table: every schema in it is one
 * the code parses requests with (or types its answers against). Built only when first asked for.
 */
export interface ApiDescription {
  title: string;
  description: string;
}

type JsonSchema = Record<string, unknown>;

export const ErrorAnswer = z.object({
  error: z.object({
    code: z.string().describe('Stable: clients may switch on it (invalid_request, forbidden, not_found…).'),
    message: z.string().describe('Safe to show to the caller.'),
    details: z
      .unknown()
      .optional()
      .describe(
        'Structured detail, such as `issues` (path, message, code) for invalid_request or a `reason`.',
      ),
  }),
});

const STATUS_TEXT = new Map<number, string>([
  [200, 'OK'],
  [201, 'Created'],
  [204, 'No content'],
  [400, 'Invalid request: the issues are listed in error.details.issues'],
  [401, 'Not authenticated: error.details.reason says why'],
  [403, 'Forbidden'],
  [404, 'Not found'],
  [409, 'Conflict: error.details.reason says which'],
  [413, 'Payload too large'],
  [415, 'Unsupported media type: the body is not of the media type described'],
  [416, 'Range not satisfiable'],
  [500, 'Unexpected failure; reveals nothing'],
]);

const describedStatus = (status: number) => STATUS_TEXT.get(status) ?? `HTTP ${status}`;

/**
 * A schema as JSON Schema. A transform only normalizes what it was given (sorted intervals, UTC times),
 * so an answer that went through one is described by what the transform accepts.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: json }) => {
      const def = (zodSchema as unknown as z.ZodPipe)._zod.def;
      if (io === 'output' && def.type === 'pipe' && def.out._zod.def.type === 'transform') {
        for (const key of Object.keys(json)) delete json[key];
        Object.assign(json, jsonSchema(def.in as z.ZodType, 'input'));
      }
    },
  }) as JsonSchema;
  return rest;
}

const SECURITY_SCHEMES = {
  idToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Firebase ID token of a person of the directory.',
  },
  crmKey: {
    type: 'apiKey',
    in: 'header',
    name: CRM_KEY_HEADER,
    description: "The CRM's download key (the current one, or the previous one while it is rotated out).",
  },
  platformSignature: {
    type: 'apiKey',
    in: 'header',
    name: SIGNATURE_HEADER,
    description:
      '`v2=<hex HMAC-SHA256(secret, "<timestamp>\\n<METHOD>\\n<path and query>\\n<raw body>")>`, sent with the timestamp header.',
  },
  platformTimestamp: {
    type: 'apiKey',
    in: 'header',
    name: TIMESTAMP_HEADER,
    description: 'The signing time in Unix seconds; refused outside the allowed skew.',
  },
  tasksOidc: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A Google OIDC token of the recordings queue's service account.",
  },
} as const;

const requirementOf = (scheme: SecurityScheme): Record<string, string[]> =>
  scheme === 'platformSignature' ? { platformSignature: [], platformTimestamp: [] } : { [scheme]: [] };

/** Statuses every route of this kind may answer besides its own: its inputs, its security, a failure. */
export function errorStatuses(contract: RouteContract): number[] {
  const statuses = new Set(contract.errors ?? []);
  if (contract.params || contract.query || contract.body || contract.rawBody) statuses.add(400);
  if (contract.security.length > 0) statuses.add(401);
  statuses.add(500);
  return [...statuses].sort((a, b) => a - b);
}

function answerOf(given: Answer, status: number) {
  const answer = typeof given === 'function' ? given() : given;
  if (answer === null) return { description: describedStatus(status) };
  if ('bytes' in answer)
    return {
      description: describedStatus(status),
      content: { [answer.bytes]: { schema: { type: 'string', contentMediaType: answer.bytes } } },
    };
  return {
    description: describedStatus(status),
    content: { 'application/json': { schema: jsonSchema(answer, 'output') } },
  };
}

function parametersOf(contract: RouteContract) {
  const parameters: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', contract.params],
    ['query', contract.query],
  ] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema, 'input') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(object.properties ?? {}))
      parameters.push({
        name,
        in: where,
        required: where === 'path' || (object.required ?? []).includes(name),
        schema: property,
      });
  }
  return parameters;
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function operationOf(route: Route, contract: RouteContract) {
  const parameters = parametersOf(contract);
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(contract.answers))
    responses[status] = answerOf(answer, Number(status));
  for (const status of errorStatuses(contract))
    responses[String(status)] = {
      description: describedStatus(status),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  return {
    operationId: contract.operationId,
    summary: contract.summary,
    security: contract.security.map(requirementOf),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(contract.body, 'input') } },
          },
        }
      : {}),
    ...(contract.rawBody
      ? {
          requestBody: {
            required: true,
            content: {
              [contract.rawBody.mediaType]: {
                schema: { type: 'string', contentMediaType: contract.rawBody.mediaType },
              },
            },
          },
        }
      : {}),
    responses,
  };
}

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
};

/** The document of a route table; a route without a contract has no place in a function's API. */
export function openApiDocument(api: ApiDescription, routes: readonly Route[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const used = new Set<string>();
  for (const route of routes) {
    if (!route.contract) throw new Error(`${route.method} ${route.path} has no contract to describe it.`);
    for (const scheme of route.contract.security)
      for (const name of Object.keys(requirementOf(scheme))) used.add(name);
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operationOf(route, route.contract);
  }
  return {
    openapi: '3.1.1',
    info: { title: api.title, version: 'v1', description: api.description },
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorAnswer, 'output') },
      securitySchemes: Object.fromEntries(
        Object.entries(SECURITY_SCHEMES).filter(([name]) => used.has(name)),
      ),
    },
  };
}
