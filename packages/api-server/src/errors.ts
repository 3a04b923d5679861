import {
  AssetNotFoundError,
  FlowstateError,
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  StateValidationError,
  TaskInstanceNotFoundError,
} from "@flowstate/shared-state";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The `reason` of every error body the API answers; clients branch on it, never on `message`. */
export type ApiErrorReason =
  | "unauthorized"
  | "forbidden"
  | "task_instance_not_found"
  | "asset_not_found"
  | "state_not_found"
  | "route_not_found"
  | "task_instance_finished"
  | "value_too_large"
  | "invalid_key"
  | "invalid_value"
  | "invalid_scope"
  | "invalid_request"
  | "unsupported_media_type"
  | "store_unavailable"
  | "internal_error";

/** Every error body: `{ reason, message }`. */
export interface ApiErrorBody {
  reason: ApiErrorReason;
  message: string;
}

/** JSON schema of {@link ApiErrorBody}, for route responses and the OpenAPI document. */
export const ERROR_BODY_SCHEMA = {
  type: "object",
  required: ["reason", "message"],
  properties: { reason: { type: "string" }, message: { type: "string" } },
} as const;

/** An error a route throws on purpose: its status and body are what the client receives. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: ApiErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** 404 for a task instance the store does not know. */
export function taskInstanceNotFound(tiId: string): ApiError {
  return new ApiError(404, "task_instance_not_found", `Task instance '${tiId}' does not exist.`);
}

/** 404 for an asset no active asset of the store has. */
export function assetNotFound(field: "name" | "uri", value: string): ApiError {
  return new ApiError(404, "asset_not_found", `No registered asset has ${field} '${value}'.`);
}

/** 404 for a key that holds no state. */
export function stateNotFound(key: string): ApiError {
  return new ApiError(404, "state_not_found", `Key '${key}' holds no state.`);
}

/**
 * Fastify's error handler: every failure becomes `{ reason, message }` with its status. Store
 * failures other than validation and not-found are logged with the request id and answered
 * without the store's message (it names the database's location).
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { statusCode, body } = toErrorBody(error);
  if (statusCode >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ reason: body.reason, statusCode }, "request refused");
  return reply.status(statusCode).send(body);
}

/** 404 for a path no route has. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body: ApiErrorBody = {
    reason: "route_not_found",
    message: `No route ${request.method} ${request.url.split("?")[0]}.`,
  };
  return reply.status(404).send(body);
}

function toErrorBody(error: FastifyError): { statusCode: number; body: ApiErrorBody } {
  if (error instanceof ApiError) return answer(error.statusCode, error.reason, error.message);
  if (error.validation) {
    return answer(422, "invalid_request", `Invalid request: ${error.message}.`);
  }
  if (error instanceof FlowstateError) return fromFlowstateError(error);
  return fromFastifyError(error);
}

function fromFlowstateError(error: FlowstateError): { statusCode: number; body: ApiErrorBody } {
  if (error instanceof TaskInstanceNotFoundError) {
    return answer(404, "task_instance_not_found", "The task instance does not exist.");
  }
  if (error instanceof AssetNotFoundError) {
    return answer(404, "asset_not_found", "The asset is not registered in the metadata store.");
  }
  if (error instanceof InvalidStateKeyError) return answer(422, "invalid_key", error.message);
  if (error instanceof InvalidStateValueError) return answer(422, "invalid_value", error.message);
  if (error instanceof InvalidScopeError) return answer(422, "invalid_scope", error.message);
  if (error instanceof StateValidationError) return answer(422, "invalid_request", error.message);
  return answer(
    503,
    "store_unavailable",
    "The metadata store failed; the server log has the details under this request's id.",
  );
}

function fromFastifyError(error: FastifyError): { statusCode: number; body: ApiErrorBody } {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return answer(413, "value_too_large", tooLargeMessage());
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return answer(415, "unsupported_media_type", "Send the body as application/json.");
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return answer(422, "invalid_request", `Invalid request: ${error.message}`);
      }
      return answer(500, "internal_error", "Internal error; the server log has the details.");
  }
}

/** What a plain value above the limit is told: move values to a worker backend. */
export function tooLargeMessage(bytes?: number, limit?: number): string {
  const size = bytes === undefined ? "The request body is too large" : `The value is ${bytes} bytes`;
  const bound = limit === undefined ? "" : `; the limit is ${limit} bytes ([state_store] max_value_bytes)`;
  return `${size}${bound}. Configure a worker-side state backend ([workers] state_backend) so large values stay in worker storage and only a reference is sent.`;
}

function answer(
  statusCode: number,
  reason: ApiErrorReason,
  message: string,
): { statusCode: number; body: ApiErrorBody } {
  return { statusCode, body: { reason, message } };
}
