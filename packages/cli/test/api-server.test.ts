import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeProject, openStore, SECRET } from "./fixture.js";
import { flowstate } from "./support.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const URL_LINE = /^flowstate api-server listening on (http:\/\/\S+) \(Execution API: (\S+)\)$/;

/** Reads the child's stdout until the URL line (other lines are the server's JSON logs). */
function urlOf(child: ChildProcess): Promise<{ url: string; apiUrl: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no URL line within 20 s")), 20_000);
    child.once("exit", (code) => reject(new Error(`api-server exited (${code}) before printing its URL`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      const match = URL_LINE.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: match[1] as string, apiUrl: match[2] as string });
    });
  });
}

describe("flowstate api-server", () => {
  it("serves the configured store, answers real HTTP requests, and exits 0 on SIGTERM", async () => {
    const project = makeProject({ backend: false, extra: `[api_auth]\njwt_secret = ${SECRET}` });
    const store = await openStore(project);
    await store.createTaskInstance({ dagId: "etl", runId: "r", taskId: "t", id: "ti-http" });
    await store.close();
    const env = { PATH: process.env.PATH, HOME: project.dir };
    const child = spawn(process.execPath, [BIN, "api-server", "--port", "0"], { cwd: project.dir, env });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, "exit");
    try {
      const { url, apiUrl } = await urlOf(child);
      expect(apiUrl).toBe(`${url}/execution`);
      const health = await fetch(`${apiUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      expect((await fetch(`${apiUrl}/task-states/ti-http/k`)).status).toBe(401);
      const token = (
        await flowstate(["token", "issue", "--ti", "ti-http"], { cwd: project.dir })
      ).stdout.trim();
      const withToken = await fetch(`${apiUrl}/task-states/ti-http/k`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(withToken.status).toBe(404); // authenticated: the key is just not set
    } finally {
      child.kill("SIGTERM");
    }
    const [code, signal] = await exited;
    expect({ code, signal, stderr }).toMatchObject({ code: 0, signal: null });
    expect(stderr).toContain("SIGTERM, stopping");
  }, 30_000);

  it("exits 2 without a signing key, naming [api_auth] jwt_secret", async () => {
    const project = makeProject({ backend: false });
    const run = await flowstate(["api-server", "--port", "0"], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[api_auth] jwt_secret");
  });
});
