import type { FastifyInstance } from "fastify";
import { requireTaskInstance } from "./auth.js";
import { type RouteContext, removedTaskBody } from "./context.js";
import { ApiError, taskInstanceNotFound } from "./errors.js";
import { objectSchema, REMOVED_TASK_STATE_SCHEMA, responses, TI_ID_SCHEMA } from "./schemas.js";

const PARAMS = objectSchema({ ti_id: TI_ID_SCHEMA }, ["ti_id"]);

/**
 * `POST /task-instances/{ti_id}/succeed` and `/fail`. Succeeding answers the task state rows the
 * store cleared with it (`[state_store] clear_on_success`), so the worker deletes their objects.
 * Finishing a task instance that already finished is a 409.
 */
export function registerTaskInstanceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { client, store, auth } = ctx;
  const ensureRunnable = async (tiId: string): Promise<void> => {
    const ti = await store.getTaskInstance(tiId);
    if (!ti) throw taskInstanceNotFound(tiId);
    if (ti.state === "success" || ti.state === "failed") {
      throw new ApiError(
        409,
        "task_instance_finished",
        `Task instance '${tiId}' already finished (${ti.state}).`,
      );
    }
  };

  app.post<{ Params: { ti_id: string } }>(
    "/task-instances/:ti_id/succeed",
    {
      onRequest: auth,
      schema: {
        summary: "Mark the task instance succeeded; answers the task state rows cleared with it",
        params: PARAMS,
        response: responses(
          objectSchema(
            {
              state: { type: "string", enum: ["success"] },
              cleared_state: { type: "array", items: REMOVED_TASK_STATE_SCHEMA },
            },
            ["state", "cleared_state"],
          ),
          [404, 409],
        ),
      },
    },
    async (request) => {
      const { ti_id } = request.params;
      requireTaskInstance(request, ti_id);
      await ensureRunnable(ti_id);
      const { clearedState } = await client.succeedTask(ti_id);
      return { state: "success", cleared_state: removedTaskBody(clearedState) };
    },
  );

  app.post<{ Params: { ti_id: string } }>(
    "/task-instances/:ti_id/fail",
    {
      onRequest: auth,
      schema: {
        summary: "Mark the task instance failed; its state is kept for the retry",
        params: PARAMS,
        response: responses(
          objectSchema({ state: { type: "string", enum: ["failed"] } }, ["state"]),
          [404, 409],
        ),
      },
    },
    async (request) => {
      const { ti_id } = request.params;
      requireTaskInstance(request, ti_id);
      await ensureRunnable(ti_id);
      await client.failTask(ti_id);
      return { state: "failed" };
    },
  );
}
