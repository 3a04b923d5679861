import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { Config, HttpStateClient, stateClientFromConfig } from "../src/index.js";

const conf = (env: Record<string, string>, text = "") => Config.fromString(text, { env });

describe("stateClientFromConfig", () => {
  it("answers undefined when [core] execution_api_server_url is empty: the caller uses the store in-process", () => {
    expect(stateClientFromConfig(conf({}), { token: "t" })).toBeUndefined();
    expect(stateClientFromConfig(conf({}))).toBeUndefined();
  });

  it("needs the task instance's token once the URL is set, and names the key", () => {
    const withUrl = conf({ AIRFLOW__CORE__EXECUTION_API_SERVER_URL: "http://api:8080/execution" });
    for (const options of [undefined, {}, { token: " " }]) {
      let thrown: unknown;
      try {
        stateClientFromConfig(withUrl, options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ section: "core", key: "execution_api_server_url" });
      expect((thrown as Error).message).toContain("[core] execution_api_server_url");
    }
  });

  it("refuses a URL that is not http(s), naming the key", () => {
    const bad = conf({}, "[core]\nexecution_api_server_url = ftp://api/execution\n");
    expect(() => stateClientFromConfig(bad, { token: "t" })).toThrow(ConfigError);
  });

  it("builds an HttpStateClient that calls the configured server with the token", async () => {
    const seen: { url?: string; headers?: IncomingHttpHeaders } = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.headers = req.headers;
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ reason: "state_not_found", message: "no such key" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = stateClientFromConfig(
      conf({ AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://127.0.0.1:${port}/execution` }),
      { token: "the-token", retries: 0 },
    );
    try {
      expect(client).toBeInstanceOf(HttpStateClient);
      expect(await client?.getTaskState("ti-1", "job_id")).toBeUndefined();
      expect(seen.url).toBe("/execution/task-states/ti-1/job_id");
      expect(seen.headers?.authorization).toBe("Bearer the-token");
    } finally {
      await client?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
