import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Config } from "@flowstate/sdk";
import { ConfigError } from "@flowstate/shared-state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiServer, DEFAULT_MAX_VALUE_BYTES, startApiServer } from "../src/index.js";
import { SECRET, tokenFor } from "./helpers.js";

describe("configuration", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flowstate-api-conf-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const conf = (ini: string) => Config.fromString(ini, { baseDir: dir, env: {} });

  it("opens the store, secret and size limit named by the config, and closes the store with the server", async () => {
    const server = await startApiServer({
      conf: conf(
        `[database]\nsql_alchemy_conn = sqlite:///airflow.db\n[api_auth]\njwt_secret = ${SECRET}\n[state_store]\nmax_value_bytes = 10\n`,
      ),
      port: 0,
      logger: false,
    });
    try {
      expect(server.apiUrl).toBe(`http://127.0.0.1:${server.port}/execution`);
      const health = await fetch(`${server.apiUrl}/health`);
      expect(await health.json()).toEqual({ status: "ok" });
      const tooBig = await fetch(`${server.apiUrl}/task-states/ti/k`, {
        method: "PUT",
        headers: { authorization: `Bearer ${await tokenFor("ti")}`, "content-type": "application/json" },
        body: JSON.stringify({ value: "x".repeat(11) }),
      });
      expect(tooBig.status).toBe(413);
    } finally {
      await server.close();
    }
  });

  it("refuses to start without a secret of at least 32 bytes, naming [api_auth] jwt_secret", async () => {
    await expect(createApiServer({ conf: conf(""), logger: false })).rejects.toThrow(ConfigError);
    await expect(
      createApiServer({ conf: conf("[api_auth]\njwt_secret = short\n"), logger: false }),
    ).rejects.toThrow("[api_auth] jwt_secret");
  });

  it("refuses a bad max_value_bytes, and neither store nor conf", async () => {
    const bad = conf(`[api_auth]\njwt_secret = ${SECRET}\n[state_store]\nmax_value_bytes = 0\n`);
    await expect(createApiServer({ conf: bad, logger: false })).rejects.toThrow(
      "[state_store] max_value_bytes",
    );
    await expect(createApiServer({ jwtSecret: SECRET, logger: false })).rejects.toThrow(ConfigError);
    expect(DEFAULT_MAX_VALUE_BYTES).toBe(65_536);
  });
});
