import { ERROR_CODES } from '@loopgate/shared';
import { z } from 'zod';
import type { AnyRouteSpec } from './route.js';

type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

/** Converts every schema registered with an id (in @loopgate/shared) into an OpenAPI component. */
function components(io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `${COMPONENT_PREFIX}${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  const result: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    if (id.startsWith('__')) continue;
    const { $schema: _schema, $id: _id, ...rest } = schema;
    result[id] = rest;
  }
  // zod expresses "any JSON" as a recursive union; in JSON Schema that is simply the empty schema.
  result.JsonValue = { description: 'Any JSON value' };
  return result;
}

function schemaRef(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT_PREFIX}${id}` };
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'query' | 'path'): JsonSchema[] {
  if (!schema) return [];
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(converted.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (converted.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; switch on `code`, it is stable',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

export function buildOpenApiDocument(routes: AnyRouteSpec[], serverUrl: string): JsonSchema {
  const inputIds = new Set(
    routes.flatMap((route) => (route.body ? [z.globalRegistry.get(route.body)?.id].filter(Boolean) : [])),
  );
  const outputComponents = components('output');
  const inputComponents = components('input');
  const schemas: Record<string, JsonSchema> = { Problem: problemSchema };
  for (const [id, schema] of Object.entries(outputComponents)) {
    schemas[id] = inputIds.has(id) ? (inputComponents[id] ?? schema) : schema;
  }

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const contentType = response.contentType ?? 'application/json';
      const schema = response.schema
        ? schemaRef(response.schema, 'output')
        : contentType.includes('problem')
          ? { $ref: `${COMPONENT_PREFIX}Problem` }
          : undefined;
      responses[status] = {
        description: response.description,
        ...(route.carriesSecret && Number(status) < 300
          ? { headers: { 'Cache-Control': { description: 'Never stored by a cache', schema: { const: 'no-store' } } } }
          : {}),
        ...(schema ? { content: { [contentType]: { schema } } } : {}),
      };
    }
    const operation: JsonSchema = {
      summary: route.summary,
      tags: route.tags,
      operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...(route.headers ?? []).map((h) => ({
          name: h.name,
          in: 'header',
          required: false,
          description: h.description,
          schema: { type: 'string' },
        })),
      ],
      responses,
      security: route.permission === null ? [] : [{ bearerAuth: [] }],
      ...(route.permission ? { 'x-loopgate-permission': route.permission } : {}),
    };
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaRef(route.body, 'input') } },
      };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Loopgate API',
      version: '1',
      description:
        'Human-in-the-loop approvals for automations and AI agents. Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key, lg_…' } },
    },
    paths,
  };
}
