import { describe, expect, it } from "vitest";
import { bearer, useServer } from "./helpers.js";

describe("task instance routes", () => {
  describe("with clear_on_success", () => {
    const h = useServer({ clearOnSuccess: true });

    it("succeeds, answering the state rows cleared with it; a second finish is 409", async () => {
      await h.store.client().setTaskState(h.ti.id, "k", "ref", { expiresAt: null, backend: "pkg.B" });
      const succeed = () =>
        h.app.inject({
          method: "POST",
          url: `/execution/task-instances/${h.ti.id}/succeed`,
          headers: bearer(h.token),
        });
      const answer = await succeed();
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({
        state: "success",
        cleared_state: [{ map_index: 0, key: "k", value: "ref", backend: "pkg.B" }],
      });
      expect((await h.store.getTaskInstance(h.ti.id))?.state).toBe("success");
      const again = await succeed();
      expect(again.statusCode).toBe(409);
      expect(again.json().reason).toBe("task_instance_finished");
    });
  });

  describe("without clear_on_success", () => {
    const h = useServer();

    it("fails the task instance and keeps its state", async () => {
      await h.store.client().setTaskState(h.ti.id, "k", "v", { expiresAt: null });
      const answer = await h.app.inject({
        method: "POST",
        url: `/execution/task-instances/${h.ti.id}/fail`,
        headers: bearer(h.token),
      });
      expect(answer.json()).toEqual({ state: "failed" });
      expect((await h.store.getTaskInstance(h.ti.id))?.state).toBe("failed");
      expect(await h.store.listTaskState()).toHaveLength(1);
    });

    it("succeeds with nothing cleared", async () => {
      await h.store.client().setTaskState(h.ti.id, "k", "v", { expiresAt: null });
      const answer = await h.app.inject({
        method: "POST",
        url: `/execution/task-instances/${h.ti.id}/succeed`,
        headers: bearer(h.token),
      });
      expect(answer.json()).toEqual({ state: "success", cleared_state: [] });
    });
  });
});
