import { z } from 'zod';
import { GATEWAY_ROUTES, HealthzReply, pathParamsOf, ProblemDetails, ROLES_FOR_ACCESS, type GatewayRoute } from '@baton/contracts';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a contract schema. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

/** The schema of what a route takes (query string or body): its own, else its message's data. */
function inputSchema(route: GatewayRoute): z.ZodType | undefined {
  return route.input ?? (route.message === undefined ? undefined : route.message.versions[route.message.latestVersion]);
}

function outputSchema(route: GatewayRoute): z.ZodType {
  return route.output ?? route.message?.reply ?? z.unknown();
}

/** The object schema without the fields the path carries. */
function withoutFields(schema: JsonSchema, names: readonly string[]): JsonSchema {
  const properties = { ...((schema['properties'] as Record<string, unknown> | undefined) ?? {}) };
  for (const n of names) delete properties[n];
  const required = ((schema['required'] as string[] | undefined) ?? []).filter((n) => !names.includes(n));
  return { ...schema, properties, ...(required.length > 0 ? { required } : { required: undefined }) };
}

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

function operation(route: GatewayRoute): Record<string, unknown> {
  const pathNames = pathParamsOf(route.path);
  const input = inputSchema(route);
  const inputJson = input === undefined ? undefined : jsonSchema(input, 'input');
  const props = (inputJson?.['properties'] as Record<string, JsonSchema> | undefined) ?? {};
  const required = (inputJson?.['required'] as string[] | undefined) ?? [];
  const parameters: unknown[] = pathNames.map((name) => ({ name, in: 'path', required: true, schema: props[name] ?? { type: 'string' } }));
  if (route.method === 'GET') {
    for (const [name, schema] of Object.entries(props)) {
      if (!pathNames.includes(name)) parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
  } else {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Retrying with the same key returns the first result and changes nothing more (per caller).',
      schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
    });
  }
  const roles = ROLES_FOR_ACCESS[route.access].join(', ');
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: `Roles: ${roles}.${route.message ? ` Forwards \`${route.message.subject}\`.` : ''} Rate class: ${route.rateClass}.`,
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.method === 'POST' && inputJson !== undefined
      ? { requestBody: { required: true, content: { 'application/json': { schema: route.input ? inputJson : withoutFields(inputJson, pathNames) } } } }
      : {}),
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: jsonSchema(outputSchema(route), 'output') } } },
      '400': problemResponse('The request is malformed or fails the schema; nothing was changed.'),
      '401': problemResponse('No credentials, or invalid ones.'),
      '403': problemResponse('The caller may not do this.'),
      ...(pathNames.length > 0 ? { '404': problemResponse('Not found.') } : {}),
      ...(route.method === 'POST' ? { '409': problemResponse('Conflicts with the current state.'), '413': problemResponse('The body is too large.') } : {}),
      '429': problemResponse('Too many requests (see Retry-After), or too many active runs.'),
      '503': problemResponse('A service that answers this is not running.'),
      '504': problemResponse('The service did not answer in time.'),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and the same zod
 * schemas the services validate with: there is no second copy to drift.
 *
 * @example
 * res.json(openApiDocument('0.1.0'));
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of GATEWAY_ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  paths['/healthz'] = {
    get: {
      operationId: 'healthz',
      summary: 'Whether the gateway can reach NATS',
      tags: ['health'],
      security: [],
      responses: {
        '200': { description: 'Ready', content: { 'application/json': { schema: jsonSchema(HealthzReply, 'output') } } },
        '503': { description: 'Not ready', content: { 'application/json': { schema: jsonSchema(HealthzReply, 'output') } } },
      },
    },
  };
  const tags = [...new Set([...GATEWAY_ROUTES.map((r) => r.tag), 'health'])];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton API',
      version,
      description:
        'The REST API of Baton, the control plane for teams of AI agents. Every command carries the authenticated caller as its actor. Errors are RFC 9457 problem details with Baton\'s error code in `code`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'this gateway' }],
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    tags: tags.map((name) => ({ name, description: `${name[0]!.toUpperCase()}${name.slice(1)}` })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An OIDC access token from the configured issuer.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A service account key.' },
      },
      schemas: { Problem: jsonSchema(ProblemDetails, 'output') },
    },
  };
}
