import { FlowstateError, StateStoreError } from "@flowstate/shared-state";
import type { StoreDatabase } from "./database.js";
import { storeMessage, wrapDriverError } from "./failures.js";

/** How a store behaves, whatever the dialect. */
export interface StoreSettings {
  /** `[state_store] clear_on_success`. */
  clearOnSuccess: boolean;
  /** The clock used for `updated_at` and expiry. */
  now: () => Date;
}

/**
 * What the store and its embedded client share: the database, the settings, and the guard that
 * every operation runs through so that no driver error escapes unwrapped.
 */
export class StoreRuntime {
  readonly db: StoreDatabase;
  readonly settings: StoreSettings;
  #closed = false;

  constructor(db: StoreDatabase, settings: StoreSettings) {
    this.db = db;
    this.settings = settings;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The store's clock, in epoch milliseconds. */
  nowMs(operation: string): number {
    const now = this.settings.now();
    const ms = now instanceof Date ? now.getTime() : Number.NaN;
    if (Number.isNaN(ms)) {
      throw new StateStoreError(
        storeMessage(operation, this.db.location, "the store's `now` option did not return a valid Date."),
      );
    }
    return ms;
  }

  /** Runs `work`: refused once closed; flowstate errors pass through, driver errors are wrapped. */
  async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new StateStoreError(
        storeMessage(
          operation,
          this.db.location,
          "the store is closed. Open it again (openStateStore) to use it.",
        ),
      );
    }
    try {
      return await work();
    } catch (error) {
      if (error instanceof FlowstateError) throw error;
      throw wrapDriverError(operation, this.db.location, error, this.db.adviceFor(error));
    }
  }

  /** Closes the database once; later calls to {@link run} are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.db.close();
    } catch (error) {
      throw wrapDriverError("close", this.db.location, error, this.db.adviceFor(error));
    }
  }
}
