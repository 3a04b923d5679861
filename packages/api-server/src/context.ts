import type { RemovedTaskState, StateClient, StoredState } from "@flowstate/shared-state";
import type { StateStore } from "@flowstate/store";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError, tooLargeMessage } from "./errors.js";

/** Longest accepted reference (a write with `backend` set), in UTF-8 bytes. */
export const MAX_REFERENCE_BYTES = 4096;

/** What every route module needs. */
export interface RouteContext {
  store: StateStore;
  /** The store's embedded client: every route goes through it, as a worker on one machine would. */
  client: StateClient;
  /** Largest plain value accepted, in UTF-8 bytes. */
  maxValueBytes: number;
  /** The `onRequest` hook that verifies the task token. */
  auth: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * Refuses a value the store must not hold: a plain value above `maxValueBytes`, or a "reference"
 * (with `backend` set) longer than {@link MAX_REFERENCE_BYTES}.
 * @throws 413 with a message that says what to change.
 */
export function checkValueSize(value: string, backend: string | null, maxValueBytes: number): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (backend === null && bytes > maxValueBytes) {
    throw new ApiError(413, "value_too_large", tooLargeMessage(bytes, maxValueBytes));
  }
  if (backend !== null && bytes > MAX_REFERENCE_BYTES) {
    throw new ApiError(
      413,
      "value_too_large",
      `The value is ${bytes} bytes, but with backend set it must be the backend's reference (at most ${MAX_REFERENCE_BYTES} bytes): this is not a reference. Send the value to the worker backend and record only its reference.`,
    );
  }
}

/** A stored row as the API answers it. */
export function storedBody(row: StoredState | undefined): StoredState | null {
  return row ? { value: row.value, backend: row.backend } : null;
}

/** Removed task state rows as the API answers them (snake_case). */
export function removedTaskBody(rows: readonly RemovedTaskState[]) {
  return rows.map((row) => ({
    map_index: row.mapIndex,
    key: row.key,
    value: row.value,
    backend: row.backend,
  }));
}
