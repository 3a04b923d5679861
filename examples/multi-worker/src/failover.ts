// A StateClient over several state API servers: each call goes to the current server and moves
// on to the next one when a server cannot be reached (or answers 502/503/504 after its retries).
// A write that lands on the first server and whose answer is lost comes back from the second
// one as "replaced: <what was just sent>": that is this write, not an older version, so it is
// reported as replacing nothing and the live object is never deleted (as HttpStateClient does for
// its own retries).
import { type HttpStateClient, StateApiError } from "@flowstate/sdk";
import {
  type AssetRef,
  type SetAssetStateOptions,
  type SetTaskStateOptions,
  type StateClient,
  StateStoreError,
  type StoredState,
} from "@flowstate/shared-state";

export class FailoverStateClient implements StateClient {
  #current = 0;
  readonly #clients: HttpStateClient[];
  readonly #urls: string[];

  /** `servers`: each server's URL and the client for it, the preferred one first. */
  constructor(servers: readonly { url: string; client: HttpStateClient }[]) {
    this.#clients = servers.map((server) => server.client);
    this.#urls = servers.map((server) => server.url);
  }

  /** The URL that answered the last call. */
  get url(): string {
    return this.#urls[this.#current] as string;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.close()));
  }

  /** Runs `call` on the current server, then on the others while they are unreachable. */
  async #each<T>(call: (client: HttpStateClient, movedOn: boolean) => Promise<T>): Promise<T> {
    for (let tried = 0; ; tried += 1) {
      try {
        return await call(this.#clients[this.#current] as HttpStateClient, tried > 0);
      } catch (error) {
        if (tried + 1 >= this.#clients.length || !unreachable(error)) throw error;
        this.#current = (this.#current + 1) % this.#clients.length;
      }
    }
  }

  #write(
    value: string,
    backend: string | null | undefined,
    call: (client: HttpStateClient) => Promise<StoredState | undefined>,
  ): Promise<StoredState | undefined> {
    return this.#each(async (client, movedOn) => {
      const replaced = await call(client);
      const ownWrite = movedOn && backend && replaced?.value === value && replaced.backend === backend;
      return ownWrite ? undefined : replaced;
    });
  }

  getTaskState = (tiId: string, key: string) => this.#each((c) => c.getTaskState(tiId, key));
  setTaskState = (tiId: string, key: string, value: string, options: SetTaskStateOptions) =>
    this.#write(value, options?.backend, (c) => c.setTaskState(tiId, key, value, options));
  deleteTaskState = (tiId: string, key: string) => this.#each((c) => c.deleteTaskState(tiId, key));
  clearTaskState = (tiId: string, options?: { allMapIndices?: boolean }) =>
    this.#each((c) => c.clearTaskState(tiId, options));
  getAsset = (asset: AssetRef) => this.#each((c) => c.getAsset(asset));
  getAssetState = (asset: AssetRef, key: string) => this.#each((c) => c.getAssetState(asset, key));
  setAssetState = (asset: AssetRef, key: string, value: string, options?: SetAssetStateOptions) =>
    this.#write(value, options?.backend, (c) => c.setAssetState(asset, key, value, options));
  deleteAssetState = (asset: AssetRef, key: string) => this.#each((c) => c.deleteAssetState(asset, key));
  clearAssetState = (asset: AssetRef) => this.#each((c) => c.clearAssetState(asset));
  // Finishing a task instance twice is refused (409): after moving on, that means the first
  // server finished it before it went away. (With clear_on_success, the rows it cleared are not
  // known here: their objects are orphans for sweepOrphanedState.)
  succeedTask = (tiId: string) =>
    this.#each((c, movedOn) => c.succeedTask(tiId).catch(finishedBefore(movedOn, { clearedState: [] })));
  failTask = (tiId: string) =>
    this.#each((c, movedOn) => c.failTask(tiId).catch(finishedBefore(movedOn, undefined)));
}

function finishedBefore<T>(movedOn: boolean, result: T): (error: unknown) => T {
  return (error) => {
    if (movedOn && error instanceof StateApiError && error.reason === "task_instance_finished") return result;
    throw error;
  };
}

/** A server that could not be reached, or that answered 502/503/504 after its retries. */
function unreachable(error: unknown): boolean {
  if (error instanceof StateApiError) return [502, 503, 504].includes(error.status);
  return error instanceof StateStoreError && error.constructor === StateStoreError;
}
