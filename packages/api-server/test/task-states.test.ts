import { describe, expect, it } from "vitest";
import { bearer, taskStateUrl, tokenFor, useServer } from "./helpers.js";

describe("task state routes", () => {
  const h = useServer();
  const put = (key: string, body: unknown, tiId = h.ti.id) =>
    h.app.inject({
      method: "PUT",
      url: taskStateUrl(tiId, key),
      headers: bearer(h.token),
      payload: body as object,
    });
  const get = (key: string, tiId = h.ti.id) =>
    h.app.inject({ method: "GET", url: taskStateUrl(tiId, key), headers: bearer(h.token) });

  it("writes, reads and answers the row each write replaced", async () => {
    const first = await put("job_id", { value: "app_1" });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ replaced: null });
    const second = await put("job_id", {
      value: "ref-2",
      backend: "pkg.Backend",
      expires_at: "2099-01-01T00:00:00Z",
    });
    expect(second.json()).toEqual({ replaced: { value: "app_1", backend: null } });
    expect((await get("job_id")).json()).toEqual({ value: "ref-2", backend: "pkg.Backend" });
    const [row] = await h.store.listTaskState({ mapIndex: 0 });
    expect(row?.expiresAt).toEqual(new Date("2099-01-01T00:00:00Z"));
  });

  it("keeps keys with slashes, spaces and unicode in one path segment", async () => {
    const key = "a/b c?d#é🙂";
    expect((await put(key, { value: "v" })).statusCode).toBe(200);
    expect((await get(key)).json()).toEqual({ value: "v", backend: null });
    expect((await h.store.listTaskState()).map((row) => row.key)).toEqual([key]);
  });

  it("answers 404 state_not_found for a missing key and task_instance_not_found for a missing task instance", async () => {
    const missing = await get("nothing");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ reason: "state_not_found" });
    const ghost = await tokenFor("ghost");
    const answer = await h.app.inject({
      method: "GET",
      url: taskStateUrl("ghost", "k"),
      headers: bearer(ghost),
    });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({ reason: "task_instance_not_found", message: expect.any(String) });
    expect(answer.json().message).not.toContain("airflow.db");
  });

  it("deletes a key and answers the row removed, or null", async () => {
    await put("k", { value: "v" });
    const del = () =>
      h.app.inject({ method: "DELETE", url: taskStateUrl(h.ti.id, "k"), headers: bearer(h.token) });
    expect((await del()).json()).toEqual({ removed: { value: "v", backend: null } });
    expect((await del()).json()).toEqual({ removed: null });
    expect(await h.store.listTaskState()).toEqual([]);
  });

  it("clears the task instance's keys, and with all_map_indices those of its mapped siblings", async () => {
    await put("a", { value: "1" });
    await h.store.client().setTaskState(h.sibling.id, "b", "2", { expiresAt: null });
    await h.store.client().setTaskState(h.stranger.id, "c", "3", { expiresAt: null });
    const clear = (query: string) =>
      h.app.inject({ method: "DELETE", url: `${taskStateUrl(h.ti.id)}${query}`, headers: bearer(h.token) });
    expect((await clear("")).json()).toEqual({
      removed: [{ map_index: 0, key: "a", value: "1", backend: null }],
    });
    expect((await clear("?all_map_indices=true")).json()).toEqual({
      removed: [{ map_index: 1, key: "b", value: "2", backend: null }],
    });
    expect((await h.store.listTaskState()).map((row) => row.key)).toEqual(["c"]);
  });
});
