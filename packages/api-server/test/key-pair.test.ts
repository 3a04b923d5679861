// Tokens signed with an Ed25519 key pair: the server holds only what it needs to check them, and
// accepts no other algorithm (an HS256 token, even one signed with the secret, is refused).
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Config } from "@flowstate/sdk";
import { openSqliteStateStore, type StateStore, type TaskInstanceRecord } from "@flowstate/store";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiServer, issueTaskToken } from "../src/index.js";
import { bearer, SECRET, taskStateUrl } from "./helpers.js";

const pem = () =>
  generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

describe("an Ed25519 key pair", () => {
  let dir: string;
  let store: StateStore;
  let app: FastifyInstance;
  let ti: TaskInstanceRecord;
  const privateKey = pem();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flowstate-api-keys-"));
    store = await openSqliteStateStore({ path: join(dir, "airflow.db") });
    ti = await store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "task" });
    const keyFile = join(dir, "jwt.pem");
    await writeFile(keyFile, privateKey);
    const conf = Config.fromString(
      `[api_auth]\njwt_private_key_path = ${keyFile}\njwt_secret = ${SECRET}\n`,
      {
        env: {},
      },
    );
    app = await createApiServer({ store, conf, logger: false });
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const put = (token: string) =>
    app.inject({
      method: "PUT",
      url: taskStateUrl(ti.id, "k"),
      headers: bearer(token),
      payload: { value: "v" },
    });

  it("accepts a token signed with the private key named by [api_auth] jwt_private_key_path", async () => {
    const answer = await put(await issueTaskToken({ privateKey, tiId: ti.id }));
    expect(answer.statusCode).toBe(200);
    expect((await store.listTaskState()).map((row) => row.value)).toEqual(["v"]);
  });

  it("refuses an HS256 token, even one signed with the configured secret, and one of another key pair", async () => {
    for (const token of [
      await issueTaskToken({ secret: SECRET, tiId: ti.id }),
      await issueTaskToken({ privateKey: pem(), tiId: ti.id }),
    ]) {
      const answer = await put(token);
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toMatchObject({ reason: "unauthorized" });
    }
    expect(await store.listTaskState()).toEqual([]);
  });

  it("refuses a key that is not Ed25519, and a path that cannot be read, naming the config key", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    await expect(createApiServer({ store, jwtPrivateKey: rsa, logger: false })).rejects.toMatchObject({
      code: "FLOWSTATE_CONFIG",
      message: expect.stringContaining("[api_auth] jwt_private_key_path must name an Ed25519 private key"),
    });
    await expect(createApiServer({ store, jwtPrivateKey: "not a key", logger: false })).rejects.toMatchObject(
      {
        code: "FLOWSTATE_CONFIG",
      },
    );
    const conf = Config.fromString(`[api_auth]\njwt_private_key_path = ${join(dir, "missing.pem")}\n`, {
      env: {},
    });
    await expect(createApiServer({ store, conf, logger: false })).rejects.toMatchObject({
      code: "FLOWSTATE_CONFIG",
      message: expect.stringContaining("cannot be read: ENOENT"),
    });
  });
});
