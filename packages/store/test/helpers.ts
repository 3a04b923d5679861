import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoredState } from "@flowstate/shared-state";
import Database from "better-sqlite3";
import { afterEach } from "vitest";
import { type OpenSqliteStateStoreOptions, openSqliteStateStore, type StateStore } from "../src/index.js";

/** A clock the test moves by hand. */
export interface TestClock {
  now: () => Date;
  set(iso: string): void;
}

/** A clock starting at `iso`. */
export function testClock(iso = "2030-01-01T00:00:00.000Z"): TestClock {
  let current = new Date(iso);
  return {
    now: () => current,
    set: (next) => {
      current = new Date(next);
    },
  };
}

const openStores: StateStore[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(openStores.splice(0).map((store) => store.close()));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flowstate-store-"));
  tempDirs.push(dir);
  return dir;
}

/** Opens a store (closed after the test) on `path`, or on a new file in a temp folder. */
export async function openTestStore(options: Partial<OpenSqliteStateStoreOptions> = {}): Promise<StateStore> {
  const path = options.path ?? join(await tempDir(), "metadata.db");
  const store = await openSqliteStateStore({ ...options, path });
  openStores.push(store);
  return store;
}

/** The task most tests use. */
export const TASK = { dagId: "etl", runId: "manual__2030-01-01", taskId: "extract" } as const;

/** How many rows `table` of the store's file holds, read through a separate connection. */
export function countRows(store: StateStore, table: string): number {
  const db = new Database(store.location, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A row holding a plain value (no worker backend wrote it), as reads return it. */
export function plain(value: string): StoredState {
  return { value, backend: null };
}
