/**
 * Checks of everything handed to the store, before anything is written. Ids and names reuse the
 * shared-state rules, so the store accepts exactly what a backend's scopes accept.
 */
import { randomUUID } from "node:crypto";
import {
  InvalidScopeError,
  MAX_ASSET_REF_LENGTH,
  StateValidationError,
  TaskScope,
  validateScopeId,
} from "@flowstate/shared-state";
import type { AssetLookup } from "./database.js";
import type {
  AssetInit,
  AssetStateFilter,
  TaskInstanceInit,
  TaskInstanceRecord,
  TaskStateFilter,
} from "./types.js";

/** @throws `InvalidScopeError` when `id` is not a usable task instance id. */
export function validateTaskInstanceId(id: unknown): asserts id is string {
  validateScopeId("task instance id", id);
}

/** The record a new task instance gets, in state `queued`. */
export function newTaskInstanceRecord(init: TaskInstanceInit): TaskInstanceRecord {
  requireObject("task instance", init);
  const scope = new TaskScope(init);
  const id = init.id ?? randomUUID();
  validateTaskInstanceId(id);
  const tryNumber = init.tryNumber ?? 1;
  if (!Number.isSafeInteger(tryNumber) || tryNumber < 0) {
    throw new StateValidationError(
      `Invalid tryNumber ${String(tryNumber)}: expected an integer ≥ 0 (Airflow counts tries from 1).`,
    );
  }
  const { dagId, runId, taskId, mapIndex } = scope;
  return { id, dagId, runId, taskId, mapIndex, tryNumber, state: "queued" };
}

/** Checks an asset to register: both name and uri, like an Airflow `Asset`. */
export function validateAssetInit(asset: AssetInit): void {
  requireObject("asset", asset);
  validateScopeId("asset name", asset.name, MAX_ASSET_REF_LENGTH);
  validateScopeId("asset uri", asset.uri, MAX_ASSET_REF_LENGTH);
}

/** Which column and value a worker's `{ name }` or `{ uri }` addresses. */
export function assetLookup(asset: unknown): AssetLookup {
  requireObject("asset", asset);
  const { name, uri } = asset as { name?: unknown; uri?: unknown };
  if ((name === undefined) === (uri === undefined)) {
    throw new InvalidScopeError(
      "Invalid asset: give exactly one of { name } or { uri } (the name and the uri identify the same asset).",
    );
  }
  if (name !== undefined) {
    validateScopeId("asset name", name, MAX_ASSET_REF_LENGTH);
    return { column: "name", value: name };
  }
  validateScopeId("asset uri", uri, MAX_ASSET_REF_LENGTH);
  return { column: "uri", value: uri as string };
}

/** `options.expiresAt` as epoch milliseconds, or `null` for no expiry. */
export function expiresAtMs(options: unknown): number | null {
  const expiresAt = (options as { expiresAt?: unknown } | null | undefined)?.expiresAt;
  if (expiresAt === null) return null;
  if (expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime())) return expiresAt.getTime();
  throw new StateValidationError(
    `Invalid expiresAt ${describe(expiresAt)}: expected a valid Date, or null for a value that never expires.`,
  );
}

/** A `Date` given to `purgeExpired`, as epoch milliseconds. */
export function dateMs(name: string, value: unknown): number {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  throw new StateValidationError(`Invalid ${name} ${describe(value)}: expected a valid Date.`);
}

/** Checks the fields of a task state filter that are present. */
export function validateTaskStateFilter(filter: TaskStateFilter | undefined): TaskStateFilter {
  const checked = optionalObject("task state filter", filter) as TaskStateFilter;
  for (const field of ["dagId", "runId", "taskId"] as const) {
    if (checked[field] !== undefined) validateScopeId(field, checked[field]);
  }
  const { mapIndex } = checked;
  if (mapIndex !== undefined && (!Number.isSafeInteger(mapIndex) || mapIndex < -1)) {
    throw new InvalidScopeError(`Invalid mapIndex ${String(mapIndex)}: expected an integer ≥ -1.`);
  }
  return checked;
}

/** Checks the fields of an asset state filter that are present. */
export function validateAssetStateFilter(filter: AssetStateFilter | undefined): AssetStateFilter {
  const checked = optionalObject("asset state filter", filter) as AssetStateFilter;
  if (checked.name !== undefined) validateScopeId("asset name", checked.name, MAX_ASSET_REF_LENGTH);
  if (checked.uri !== undefined) validateScopeId("asset uri", checked.uri, MAX_ASSET_REF_LENGTH);
  return checked;
}

function requireObject(what: string, value: unknown): asserts value is object {
  if (typeof value !== "object" || value === null) {
    throw new StateValidationError(`Invalid ${what}: expected an object, got ${describe(value)}.`);
  }
}

function optionalObject(what: string, value: unknown): object {
  if (value === undefined || value === null) return {};
  requireObject(what, value);
  return value;
}

function describe(value: unknown): string {
  if (value instanceof Date) return "Invalid Date";
  if (value === null || value === undefined) return String(value);
  return typeof value === "string" ? JSON.stringify(value) : `(${typeof value})`;
}
