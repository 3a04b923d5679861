// Shared set-up for the sdk's accessor and runner tests: a real SQLite store in a temp folder,
// a real memory backend, and a recorder around the store's client to see which calls were made.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import type { StateClient } from "@flowstate/shared-state";
import { openSqliteStateStore, type StateStore } from "@flowstate/store";
import { afterEach, beforeEach } from "vitest";
import { Config } from "../src/index.js";

export interface Harness {
  dir: string;
  store: StateStore;
  backend: MemoryStateBackend;
  /** Names of the client methods called, in order. */
  calls: string[];
  client: StateClient;
}

/** Registers before/after hooks and returns a handle filled in before each test. */
export function useHarness(options: { clearOnSuccess?: boolean } = {}): Harness {
  const harness = {} as Harness;
  beforeEach(async () => {
    harness.dir = await mkdtemp(join(tmpdir(), "flowstate-sdk-"));
    harness.store = await openSqliteStateStore({
      path: join(harness.dir, "airflow.db"),
      clearOnSuccess: options.clearOnSuccess ?? false,
    });
    harness.backend = new MemoryStateBackend({ namespace: `sdk-${Math.random().toString(36).slice(2)}` });
    harness.calls = [];
    harness.client = recordCalls(harness.store.client(), harness.calls);
  });
  afterEach(async () => {
    await harness.store.close();
    await rm(harness.dir, { recursive: true, force: true });
  });
  return harness;
}

/** Wraps a client so every method call is recorded by name before it runs. */
export function recordCalls(client: StateClient, calls: string[]): StateClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return member.apply(target, args);
      };
    },
  });
}

/** A config from INI text, isolated from the machine's environment. */
export function config(ini = "", baseDir = tmpdir()): Config {
  return Config.fromString(ini, { baseDir, env: {} });
}
