/**
 * The JSON schemas the routes share. Fastify validates every param, query and body against them
 * (without type coercion), and the OpenAPI document is generated from them.
 */
import { MAX_ASSET_REF_LENGTH, MAX_ID_LENGTH, MAX_STATE_KEY_LENGTH } from "@flowstate/shared-state";
import { ERROR_BODY_SCHEMA } from "./errors.js";

/** Longest accepted worker backend class path. */
export const MAX_BACKEND_LENGTH = 1024;

/** A state key (control characters are refused by the store's one validation). */
export const KEY_SCHEMA = { type: "string", minLength: 1, maxLength: MAX_STATE_KEY_LENGTH } as const;
/** A task instance id. */
export const TI_ID_SCHEMA = { type: "string", minLength: 1, maxLength: MAX_ID_LENGTH } as const;
/** An asset name or uri. */
export const ASSET_REF_SCHEMA = { type: "string", minLength: 1, maxLength: MAX_ASSET_REF_LENGTH } as const;
/** The `backend` of a write: the worker backend's class path, or null for a plain value. */
export const BACKEND_SCHEMA = {
  type: ["string", "null"],
  minLength: 1,
  maxLength: MAX_BACKEND_LENGTH,
  description: "Class path of the worker backend whose reference `value` is; null for a plain value.",
} as const;

/** One stored row: `{ value, backend }`. */
export const STORED_STATE_SCHEMA = {
  type: "object",
  required: ["value", "backend"],
  properties: { value: { type: "string" }, backend: { type: ["string", "null"] } },
} as const;

/** A stored row, or null. */
export const NULLABLE_STORED_STATE_SCHEMA = { anyOf: [STORED_STATE_SCHEMA, { type: "null" }] } as const;

/** A removed task state row: which map index and key, and what it held. */
export const REMOVED_TASK_STATE_SCHEMA = {
  type: "object",
  required: ["map_index", "key", "value", "backend"],
  properties: {
    map_index: { type: "integer" },
    key: { type: "string" },
    value: { type: "string" },
    backend: { type: ["string", "null"] },
  },
} as const;

/** A removed (or listed) asset state row. */
export const ASSET_STATE_ROW_SCHEMA = {
  type: "object",
  required: ["key", "value", "backend"],
  properties: { key: { type: "string" }, value: { type: "string" }, backend: { type: ["string", "null"] } },
} as const;

/** A JSON object schema with these required properties and no others. */
export function objectSchema(properties: Record<string, unknown>, required: readonly string[] = []) {
  return { type: "object", additionalProperties: false, required: [...required], properties } as const;
}

/** Response schemas: `ok` for 200, and the error body for each listed error status. */
export function responses(ok: unknown, errorStatuses: readonly number[]): Record<number, unknown> {
  const all: Record<number, unknown> = { 200: ok };
  for (const status of [401, 403, 422, ...errorStatuses]) all[status] = ERROR_BODY_SCHEMA;
  return all;
}
