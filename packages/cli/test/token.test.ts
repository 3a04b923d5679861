import { createApiServer } from "@flowstate/api-server";
import { beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_USAGE } from "../src/index.js";
import { makeProject, openStore, type Project, SECRET } from "./fixture.js";
import { flowstate } from "./support.js";

let project: Project;
let bare: Project;

beforeAll(async () => {
  project = makeProject({ backend: false, extra: `[api_auth]\njwt_secret = ${SECRET}` });
  bare = makeProject({ backend: false });
  for (const p of [project, bare]) {
    const store = await openStore(p);
    await store.createTaskInstance({ dagId: "etl", runId: "r", taskId: "t", id: "ti-token" });
    await store.registerAsset({ name: "orders", uri: "s3://lake/orders" });
    await store.close();
  }
});

/** What the state API server, keyed with the same secret, answers to `path` with `token`. */
async function ask(path: string, token: string): Promise<{ status: number; reason?: string }> {
  const store = await openStore(project);
  const app = await createApiServer({ store, jwtSecret: SECRET, logger: false });
  try {
    const response = await app.inject({
      method: "GET",
      url: path,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.statusCode, reason: response.json().reason };
  } finally {
    await app.close();
    await store.close();
  }
}

describe("flowstate token issue", () => {
  it("prints a token the state API server accepts for that task instance and its assets", async () => {
    const run = await flowstate(
      [
        "token",
        "issue",
        "--dag",
        "etl",
        "--run",
        "r",
        "--task",
        "t",
        "--asset",
        "orders",
        "--ttl",
        "5m",
        "--json",
      ],
      { cwd: project.dir },
    );
    expect(run.code).toBe(EXIT_OK);
    const { token, expiresAt } = JSON.parse(run.stdout);
    const minutes = (Date.parse(expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(4.9);
    expect(minutes).toBeLessThanOrEqual(5);
    // Authenticated and allowed: the key is simply not set (404), not 401/403.
    expect(await ask("/execution/task-states/ti-token/k", token)).toEqual({
      status: 404,
      reason: "state_not_found",
    });
    expect(await ask("/execution/assets/by-name?name=orders", token)).toMatchObject({ status: 200 });
    expect(await ask("/execution/task-states/other-ti/k", token)).toMatchObject({ status: 403 });
  });

  it("prints just the token with --ti", async () => {
    const run = await flowstate(["token", "issue", "--ti", "ti-token"], { cwd: project.dir });
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(await ask("/execution/task-states/ti-token/k", run.stdout.trim())).toMatchObject({ status: 404 });
  });

  it("exits 2 naming both keys when no signing key is configured", async () => {
    const run = await flowstate(["token", "issue", "--ti", "ti-token"], { cwd: bare.dir });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain("[api_auth] jwt_secret");
    expect(run.stderr).toContain("jwt_private_key_path");
  });
});
