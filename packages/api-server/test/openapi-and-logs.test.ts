import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { assetStateUrl, bearer, ORDERS, taskStateUrl, useServer } from "./helpers.js";

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
    done();
  },
});

describe("OpenAPI document", () => {
  const h = useServer();

  it("lists every route with its parameters, body and error responses", async () => {
    const doc = (await h.app.inject({ method: "GET", url: "/execution/openapi.json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = [
      "GET /execution/task-states/{ti_id}/{key}",
      "PUT /execution/task-states/{ti_id}/{key}",
      "DELETE /execution/task-states/{ti_id}/{key}",
      "DELETE /execution/task-states/{ti_id}",
      "POST /execution/task-instances/{ti_id}/succeed",
      "POST /execution/task-instances/{ti_id}/fail",
      "GET /execution/health",
      "GET /execution/openapi.json",
      ...["name", "uri"].flatMap((by) => [
        `GET /execution/asset-states/by-${by}/value`,
        `PUT /execution/asset-states/by-${by}/value`,
        `DELETE /execution/asset-states/by-${by}/value`,
        `DELETE /execution/asset-states/by-${by}/clear`,
        `GET /execution/asset-states/by-${by}/all`,
        `GET /execution/assets/by-${by}`,
      ]),
    ];
    expect(operations.sort()).toEqual(expected.sort());
    for (const operation of expected) {
      const [method, path] = operation.split(" ") as [string, string];
      const url = path.replace(/\{(\w+)\}/g, ":$1");
      expect(h.app.hasRoute({ method: method as "GET", url }), operation).toBe(true);
    }
    const put = doc.paths["/execution/task-states/{ti_id}/{key}"].put;
    expect(put.security).toEqual([{ taskToken: [] }]);
    expect(put.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "path:ti_id",
      "path:key",
    ]);
    expect(put.requestBody.content["application/json"].schema.required).toEqual(["value"]);
    expect(put.requestBody.content["application/json"].schema.properties.backend).toMatchObject({
      type: "string",
      nullable: true,
    });
    expect(Object.keys(put.responses).sort()).toEqual(["200", "401", "403", "404", "413", "422"]);
    const value = doc.paths["/execution/asset-states/by-uri/value"].get;
    expect(value.parameters).toContainEqual(
      expect.objectContaining({ name: "uri", in: "query", required: true }),
    );
  });
});

describe("logs", () => {
  const h = useServer({ logger: pino({ level: "debug" }, sink) });

  it("carry a request id on every line, and never a token or a value", async () => {
    lines.length = 0;
    const secretValue = "VALUE-MARKER-7f3a";
    await h.app.inject({
      method: "PUT",
      url: taskStateUrl(h.ti.id, "k"),
      headers: bearer(h.token),
      payload: { value: secretValue },
    });
    await h.app.inject({ method: "GET", url: taskStateUrl(h.ti.id, "k"), headers: bearer(h.token) });
    await h.app.inject({ method: "GET", url: taskStateUrl(h.ti.id, "k"), headers: bearer("garbage") });
    await h.app.inject({
      method: "PUT",
      url: assetStateUrl("value", { name: ORDERS.name, key: "k" }),
      headers: bearer(h.token),
      payload: { value: 5 },
    });
    await h.store.close(); // the store fails: a 503 logged with its error
    const failed = await h.app.inject({
      method: "GET",
      url: taskStateUrl(h.ti.id, "k"),
      headers: bearer(h.token),
    });
    expect(failed.statusCode).toBe(503);
    expect(failed.json().reason).toBe("store_unavailable");
    expect(failed.headers["x-request-id"]).toEqual(expect.any(String));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
      const text = JSON.stringify(line);
      expect(text).not.toContain(h.token.split(".")[2]);
      expect(text).not.toContain(secretValue);
      expect(text).not.toContain("garbage");
    }
    expect(lines.some((line) => line.level === 50)).toBe(true);
  });
});
