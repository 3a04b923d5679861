import { describe, expect, it } from "vitest";
import { assetStateUrl, bearer, ORDERS, taskStateUrl, tokenFor, useServer } from "./helpers.js";

describe("request validation", () => {
  const h = useServer({ maxValueBytes: 1024 });
  const put = (key: string, payload: string | object | undefined, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: "PUT",
      url: taskStateUrl(h.ti.id, key),
      headers: { ...bearer(h.token), ...headers },
      ...(payload === undefined ? {} : { payload }),
    });
  const nothingWritten = async () => {
    expect(await h.store.listTaskState()).toEqual([]);
    expect(await h.store.listAssetState()).toEqual([]);
  };

  it.each([
    ["a number value", { value: 42 }],
    ["a missing value", { expires_at: null }],
    ["an unknown field", { value: "v", extra: 1 }],
    ["an array body", [{ value: "v" }]],
    ["a string body", "just text"],
    ["an unparseable date", { value: "v", expires_at: "tomorrow" }],
    ["a numeric date", { value: "v", expires_at: 1 }],
    ["an empty backend", { value: "v", backend: "" }],
    ["a numeric backend", { value: "v", backend: 7 }],
    ["a null value", { value: null }],
  ])("answers 422 for %s and writes nothing", async (_, body) => {
    const answer = await put("k", typeof body === "string" ? JSON.stringify(body) : body, {
      "content-type": "application/json",
    });
    expect(answer.statusCode).toBe(422);
    expect(answer.json()).toEqual({ reason: "invalid_request", message: expect.any(String) });
    await nothingWritten();
  });

  it("answers 422 for invalid JSON, an empty body and no body", async () => {
    for (const raw of ['{"value": "v"', "", undefined]) {
      const answer = await put("k", raw, raw === undefined ? {} : { "content-type": "application/json" });
      expect(answer.statusCode, JSON.stringify(raw)).toBe(422);
      expect(answer.json().reason).toBe("invalid_request");
    }
    await nothingWritten();
  });

  it("answers 422 invalid_value for a lone surrogate", async () => {
    const answer = await put("k", '{"value": "\\ud800"}', { "content-type": "application/json" });
    expect(answer.statusCode).toBe(422);
    expect(answer.json().reason).toBe("invalid_value");
    await nothingWritten();
  });

  it.each([
    ["a control character", "bad\u0001key", "invalid_key"],
    ["DEL", "bad\u007fkey", "invalid_key"],
    ["a C1 control", "bad\u009bkey", "invalid_key"],
    ["251 characters", "k".repeat(251), "invalid_request"],
    ["5000 characters", "k".repeat(5000), "invalid_request"],
  ])("answers 422 for a key with %s and writes nothing", async (_, key, reason) => {
    const answer = await put(key, { value: "v" });
    expect(answer.statusCode).toBe(422);
    expect(answer.json().reason).toBe(reason);
    const read = await h.app.inject({
      method: "GET",
      url: taskStateUrl(h.ti.id, key),
      headers: bearer(h.token),
    });
    expect(read.statusCode).toBe(422);
    await nothingWritten();
  });

  it("answers 422 for a task instance id with a control character", async () => {
    const tiId = "ti\u0000x";
    const answer = await h.app.inject({
      method: "PUT",
      url: taskStateUrl(tiId, "k"),
      headers: bearer(await tokenFor(tiId)),
      payload: { value: "v" },
    });
    expect(answer.statusCode).toBe(422);
    await nothingWritten();
  });

  it("answers 422 for bad query strings", async () => {
    for (const url of [
      `${taskStateUrl(h.ti.id)}?all_map_indices=yes`,
      `${taskStateUrl(h.ti.id)}?unknown=1`,
      "/execution/asset-states/by-name/value?key=k",
      `/execution/asset-states/by-name/value?name=${ORDERS.name}&name=x&key=k`,
      assetStateUrl("value", { name: ORDERS.name, key: "bad\u0007" }),
      assetStateUrl("value", { name: ORDERS.name, key: "" }),
    ]) {
      const answer = await h.app.inject({ method: "DELETE", url, headers: bearer(h.token) });
      expect(answer.statusCode, url).toBe(422);
      expect(answer.json()).toMatchObject({ reason: expect.stringMatching(/^invalid_/) });
    }
  });

  describe("sizes", () => {
    it("accepts a plain value of exactly max_value_bytes", async () => {
      expect((await put("k", { value: "x".repeat(1024) })).statusCode).toBe(200);
    });

    it("answers 413 for a larger plain value, counting UTF-8 bytes, and names [workers] state_backend", async () => {
      for (const value of ["x".repeat(1025), "é".repeat(600)]) {
        const answer = await put("k", { value });
        expect(answer.statusCode).toBe(413);
        expect(answer.json()).toEqual({
          reason: "value_too_large",
          message: expect.stringContaining("[workers] state_backend"),
        });
      }
      const asset = await h.app.inject({
        method: "PUT",
        url: assetStateUrl("value", { name: ORDERS.name, key: "k" }),
        headers: bearer(h.token),
        payload: { value: "x".repeat(2000) },
      });
      expect(asset.statusCode).toBe(413);
      await nothingWritten();
    });

    it("answers 413 for a body above the body limit", async () => {
      const answer = await put("k", { value: "x".repeat(1_200_000) });
      expect(answer.statusCode).toBe(413);
      expect(answer.json().message).toContain("[workers] state_backend");
      await nothingWritten();
    });

    it("accepts a reference up to 4096 bytes and refuses a longer one as not a reference", async () => {
      expect((await put("k", { value: "r".repeat(4096), backend: "pkg.B" })).statusCode).toBe(200);
      const answer = await put("k", { value: "r".repeat(4097), backend: "pkg.B" });
      expect(answer.statusCode).toBe(413);
      expect(answer.json().message).toContain("not a reference");
      expect((await h.store.listTaskState())[0]?.value).toHaveLength(4096);
    });
  });
});
