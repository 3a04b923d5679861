// The loader's per-reader memo (the hot path every accessor call takes) is invalidated whenever
// the answer could differ: the options read differently (environment overrides are read at get
// time) or the cache was reset.
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  Config,
  getConfiguredStateBackend,
  getWorkerStateBackend,
  resetWorkerStateBackendCache,
} from "../src/index.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/loader/", import.meta.url));
const RECORDING = "./backends.mjs.RecordingBackend";

let tagCounter = 0;
const uniqueTag = (): string => `memo-tag-${++tagCounter}`;

afterEach(() => resetWorkerStateBackendCache());

describe("getWorkerStateBackend's per-reader memo", () => {
  it("follows an environment override that changes under the same Config", async () => {
    const env: Record<string, string | undefined> = {};
    const [a, b] = [uniqueTag(), uniqueTag()];
    const conf = Config.fromString(
      `[workers]\nstate_backend = ${RECORDING}\nstate_backend_kwargs = ${JSON.stringify({ tag: a })}`,
      { baseDir: FIXTURES, env },
    );
    const first = await getWorkerStateBackend(conf);
    expect(await getWorkerStateBackend(conf)).toBe(first);

    env.AIRFLOW__WORKERS__STATE_BACKEND_KWARGS = JSON.stringify({ tag: b });
    const second = (await getWorkerStateBackend(conf)) as unknown as { options: unknown };
    expect(second).not.toBe(first);
    expect(second.options).toEqual({ tag: b });

    env.AIRFLOW__WORKERS__STATE_BACKEND = "";
    expect(await getWorkerStateBackend(conf)).toBeUndefined();
    expect(await getConfiguredStateBackend(conf)).toBeUndefined();

    delete env.AIRFLOW__WORKERS__STATE_BACKEND;
    delete env.AIRFLOW__WORKERS__STATE_BACKEND_KWARGS;
    expect(await getWorkerStateBackend(conf)).toBe(first);
  });

  it("follows a $VARIABLE in the file's kwargs that changes", async () => {
    const env: Record<string, string | undefined> = { TAG: uniqueTag() };
    const conf = Config.fromString(
      `[workers]\nstate_backend = ${RECORDING}\nstate_backend_kwargs = {"tag": "$TAG"}`,
      { baseDir: FIXTURES, env },
    );
    const first = await getWorkerStateBackend(conf);
    env.TAG = uniqueTag();
    const second = (await getWorkerStateBackend(conf)) as unknown as { options: unknown };
    expect(second).not.toBe(first);
    expect(second.options).toEqual({ tag: env.TAG });
  });

  it("forgets the memo on reset, also when the reset comes while a load is under way", async () => {
    const conf = Config.fromString(
      `[workers]\nstate_backend = ${RECORDING}\nstate_backend_kwargs = ${JSON.stringify({ tag: uniqueTag() })}`,
      { baseDir: FIXTURES, env: {} },
    );
    const first = await getWorkerStateBackend(conf);
    await resetWorkerStateBackendCache();
    const second = await getWorkerStateBackend(conf);
    expect(second).not.toBe(first);

    await resetWorkerStateBackendCache();
    const loading = getWorkerStateBackend(conf);
    const reset = resetWorkerStateBackendCache();
    const during = await loading;
    await reset;
    // Loaded before the reset finished: not remembered, so the next call loads a fresh one.
    const after = await getWorkerStateBackend(conf);
    expect(after).not.toBe(during);
    expect(await getWorkerStateBackend(conf)).toBe(after);
  });

  it("shares one frozen answer between calls of getConfiguredStateBackend", async () => {
    const conf = Config.fromString(`[workers]\nstate_backend = ${RECORDING}`, { baseDir: FIXTURES, env: {} });
    const first = await getConfiguredStateBackend(conf);
    const second = await getConfiguredStateBackend(conf);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first?.classPath).toBe(RECORDING);
  });

  it("rejects (does not throw) when the options cannot be read", () => {
    const conf = Config.fromString(`[workers]\nstate_backend = ${RECORDING}`, {
      baseDir: FIXTURES,
      env: { AIRFLOW__WORKERS__STATE_BACKEND_KWARGS: "$LOOP", LOOP: "x$LOOP" },
    });
    const answer = getWorkerStateBackend(conf);
    expect(answer).toBeInstanceOf(Promise);
    return expect(answer).rejects.toThrow("state_backend");
  });
});
