// Shared set-up for the sdk's accessor and runner tests: a real SQLite store in a temp folder,
// a real memory backend, and a recorder around the store's client to see which calls were made.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStateBackend } from "@flowstate/backend-memory";
import type { ListStateRefsOptions, StateBackend, StateClient } from "@flowstate/shared-state";
import { openSqliteStateStore, type StateStore } from "@flowstate/store";
import { afterEach, beforeEach, vi } from "vitest";
import { Config, ORPHANED_OBJECTS_WARNING } from "../src/index.js";

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

/** Every reference `backend` holds (under `options.scope`, when given), sorted. */
export async function storedRefs(backend: StateBackend, options?: ListStateRefsOptions): Promise<string[]> {
  const refs: string[] = [];
  for await (const page of backend.listStateRefs(options)) refs.push(...page.map((entry) => entry.ref));
  return refs.sort();
}

/** The references the store's rows name (task and asset rows a worker backend wrote), sorted. */
export async function rowRefs(store: StateStore): Promise<string[]> {
  const rows = [...(await store.listTaskState()), ...(await store.listAssetState())];
  return rows.flatMap((row) => (row.backend === null ? [] : [row.value])).sort();
}

/** The FLOWSTATE_ORPHANED_OBJECTS warnings emitted during each test (kept off the console). */
export function useOrphanWarnings(): string[] {
  const warnings: string[] = [];
  beforeEach(() => {
    warnings.length = 0;
    vi.spyOn(process, "emitWarning").mockImplementation((warning, options) => {
      const code = typeof options === "object" ? options?.code : undefined;
      if (code === ORPHANED_OBJECTS_WARNING) warnings.push(String(warning));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return warnings;
}

/**
 * `client` with some methods replaced, each given the real client to call through: a fake only for
 * the injected fault.
 */
export function withFaults(
  client: StateClient,
  faults: {
    [M in keyof StateClient]?: (
      real: StateClient,
      ...args: Parameters<StateClient[M]>
    ) => ReturnType<StateClient[M]>;
  },
): StateClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const fault = faults[property as keyof StateClient] as
        | ((real: StateClient, ...args: unknown[]) => unknown)
        | undefined;
      if (fault) return (...args: unknown[]) => fault(target, ...args);
      const member = Reflect.get(target, property, receiver);
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
}

/** The references `backend`'s serialize hooks return from now on, in order. */
export function recordWrites(backend: StateBackend): string[] {
  const written: string[] = [];
  for (const hook of ["serializeTaskStateToRef", "serializeAssetStateToRef"] as const) {
    const real = backend[hook].bind(backend) as (args: never) => Promise<string>;
    Object.assign(backend, {
      [hook]: async (args: never) => {
        const ref = await real(args);
        written.push(ref);
        return ref;
      },
    });
  }
  return written;
}
