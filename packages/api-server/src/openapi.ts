import type { RouteOptions } from "fastify";

declare module "fastify/types/schema.js" {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
  }
}

/** One registered route, as the generator needs it. */
export interface DocumentedRoute {
  method: string;
  url: string;
  schema: {
    summary?: string;
    params?: JsonObjectSchema;
    querystring?: JsonObjectSchema;
    body?: unknown;
    response?: Record<number, unknown>;
  };
  /** Whether the route needs a bearer token. */
  secured: boolean;
}

interface JsonObjectSchema {
  properties?: Record<string, unknown>;
  required?: readonly string[];
}

/** Collects routes from fastify's `onRoute` hook (HEAD routes fastify adds itself are skipped). */
export function routeCollector(routes: DocumentedRoute[]): (route: RouteOptions) => void {
  return (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD") continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema: (route.schema ?? {}) as DocumentedRoute["schema"],
        secured: route.onRequest !== undefined,
      });
    }
  };
}

/** An OpenAPI 3.0 document describing `routes`: parameters, bodies and responses from their schemas. */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  return {
    openapi: "3.0.3",
    info: { title: "flowstate execution API (task and asset state)", version },
    components: { securitySchemes: { taskToken: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    paths,
  };
}

function operation(route: DocumentedRoute): Record<string, unknown> {
  const { schema } = route;
  const parameters = [...parametersOf(schema.params, "path"), ...parametersOf(schema.querystring, "query")];
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(schema.response ?? { 200: {} })) {
    responses[status] = {
      description: status === "200" ? "OK" : "Error",
      content: { "application/json": { schema: toOpenApi(body) } },
    };
  }
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(route.secured ? { security: [{ taskToken: [] }] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: toOpenApi(schema.body) } },
          },
        }
      : {}),
    responses,
  };
}

function parametersOf(schema: JsonObjectSchema | undefined, location: "path" | "query"): unknown[] {
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (schema?.required ?? []).includes(name),
    schema: toOpenApi(property),
  }));
}

/** JSON schema → OpenAPI 3.0 schema: `type: [T, "null"]` becomes `type: T, nullable: true`. */
function toOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(schema)) {
    if (name === "type" && Array.isArray(value)) {
      const types = value.filter((type) => type !== "null");
      out.type = types.length === 1 ? types[0] : types;
      if (types.length < value.length) out.nullable = true;
    } else if (name === "anyOf" && Array.isArray(value) && value.some(isNullType)) {
      const rest = value.filter((entry) => !isNullType(entry));
      Object.assign(out, rest.length === 1 ? toOpenApi(rest[0]) : { anyOf: rest.map(toOpenApi) }, {
        nullable: true,
      });
    } else {
      out[name] = toOpenApi(value);
    }
  }
  return out;
}

function isNullType(schema: unknown): boolean {
  return typeof schema === "object" && schema !== null && (schema as { type?: unknown }).type === "null";
}
