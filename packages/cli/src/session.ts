/**
 * What the state and db commands share: the config a worker would read, the metadata store it
 * names, and the worker backend (loaded on first use, as on a worker). The CLI talks to the
 * store directly, as `airflow` commands talk to the database.
 */
import { type Config, resetWorkerStateBackendCache } from "@flowstate/sdk";
import type { StateClient } from "@flowstate/shared-state";
import { openStateStore, type StateStore } from "@flowstate/store";
import type { Command } from "commander";
import { loadCliConfig } from "./context.js";
import type { CliIo } from "./io.js";

/** An open store and the config it came from. */
export interface Session {
  conf: Config;
  store: StateStore;
  client: StateClient;
}

/**
 * Runs `work` with the config and an open store, then closes the store and the cached worker
 * backend (whether `work` succeeded or not), so the process can exit and nothing is held open.
 */
export async function withSession<T>(
  command: Command,
  io: CliIo,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const conf = await loadCliConfig(command, io);
  const store = await openStateStore(conf);
  try {
    return await work({ conf, store, client: store.client() });
  } finally {
    await store.close();
    await resetWorkerStateBackendCache();
  }
}
