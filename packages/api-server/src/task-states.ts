import type { FastifyInstance } from "fastify";
import { requireTaskInstance } from "./auth.js";
import { checkValueSize, type RouteContext, removedTaskBody, storedBody } from "./context.js";
import { ApiError, stateNotFound } from "./errors.js";
import {
  BACKEND_SCHEMA,
  KEY_SCHEMA,
  NULLABLE_STORED_STATE_SCHEMA,
  objectSchema,
  REMOVED_TASK_STATE_SCHEMA,
  responses,
  STORED_STATE_SCHEMA,
  TI_ID_SCHEMA,
} from "./schemas.js";

const KEY_PARAMS = objectSchema({ ti_id: TI_ID_SCHEMA, key: KEY_SCHEMA }, ["ti_id", "key"]);
const TI_PARAMS = objectSchema({ ti_id: TI_ID_SCHEMA }, ["ti_id"]);
const PUT_BODY = objectSchema(
  {
    value: {
      type: "string",
      description: "The value, or the worker backend's reference when backend is set.",
    },
    expires_at: { type: ["string", "null"], format: "date-time", description: "When the row may be purged." },
    backend: BACKEND_SCHEMA,
  },
  ["value"],
);

interface KeyParams {
  ti_id: string;
  key: string;
}
interface PutBody {
  value: string;
  expires_at?: string | null;
  backend?: string | null;
}

/** `/task-states/{ti_id}/{key}` (GET, PUT, DELETE) and `/task-states/{ti_id}` (DELETE: clear). */
export function registerTaskStateRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { client, auth } = ctx;
  app.get<{ Params: KeyParams }>(
    "/task-states/:ti_id/:key",
    {
      onRequest: auth,
      schema: {
        summary: "Read one task state key",
        params: KEY_PARAMS,
        response: responses(STORED_STATE_SCHEMA, [404]),
      },
    },
    async (request) => {
      const { ti_id, key } = request.params;
      requireTaskInstance(request, ti_id);
      const row = await client.getTaskState(ti_id, key);
      if (!row) throw stateNotFound(key);
      return storedBody(row);
    },
  );

  app.put<{ Params: KeyParams; Body: PutBody }>(
    "/task-states/:ti_id/:key",
    {
      onRequest: auth,
      schema: {
        summary: "Write one task state key; answers the row it replaced",
        params: KEY_PARAMS,
        body: PUT_BODY,
        response: responses(
          objectSchema({ replaced: NULLABLE_STORED_STATE_SCHEMA }, ["replaced"]),
          [404, 413],
        ),
      },
    },
    async (request) => {
      const { ti_id, key } = request.params;
      requireTaskInstance(request, ti_id);
      const { value, backend = null } = request.body;
      checkValueSize(value, backend, ctx.maxValueBytes);
      const expiresAt = parseExpiry(request.body.expires_at);
      const replaced = await client.setTaskState(ti_id, key, value, { expiresAt, backend });
      return { replaced: storedBody(replaced) };
    },
  );

  app.delete<{ Params: KeyParams }>(
    "/task-states/:ti_id/:key",
    {
      onRequest: auth,
      schema: {
        summary: "Delete one task state key; answers the row it removed",
        params: KEY_PARAMS,
        response: responses(objectSchema({ removed: NULLABLE_STORED_STATE_SCHEMA }, ["removed"]), [404]),
      },
    },
    async (request) => {
      const { ti_id, key } = request.params;
      requireTaskInstance(request, ti_id);
      return { removed: storedBody(await client.deleteTaskState(ti_id, key)) };
    },
  );

  app.delete<{ Params: { ti_id: string }; Querystring: { all_map_indices?: "true" | "false" } }>(
    "/task-states/:ti_id",
    {
      onRequest: auth,
      schema: {
        summary: "Clear the task instance's state (with all_map_indices, of every map index of its task)",
        params: TI_PARAMS,
        querystring: objectSchema({ all_map_indices: { type: "string", enum: ["true", "false"] } }),
        response: responses(
          objectSchema({ removed: { type: "array", items: REMOVED_TASK_STATE_SCHEMA } }, ["removed"]),
          [404],
        ),
      },
    },
    async (request) => {
      const { ti_id } = request.params;
      requireTaskInstance(request, ti_id);
      const allMapIndices = request.query.all_map_indices === "true";
      return { removed: removedTaskBody(await client.clearTaskState(ti_id, { allMapIndices })) };
    },
  );
}

function parseExpiry(value: string | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ApiError(422, "invalid_request", "expires_at must be an ISO 8601 date-time, or null.");
  }
  return date;
}
