/**
 * What task code touches: `context.taskState` and `context.assetState`. Every call routes
 * through the worker state backend when one is configured, as Airflow's AIP-103 does, and keeps
 * the promises of the README's operator guide:
 *
 * - **Atomic set.** The backend writes a new version and returns its reference; the store then
 *   switches the row to it in one statement and answers with the row it replaced, whose version
 *   is deleted after the commit. A set that fails at any step leaves the previous value readable
 *   (a version written for it is deleted again, or swept later).
 * - **No reference to nothing.** `delete` and `clear` remove rows first and delete exactly the
 *   versions the removed rows named, never one a concurrent set is about to reference.
 * - **Refs are never values.** Each row records the class path of the backend that wrote it; a
 *   reference is never handed back as a value when the configuration changed.
 * - **One identity per asset.** Asset state reached by name or by uri goes to one scope, the
 *   asset's name and uri as the store resolves them.
 */
import {
  AssetNotFoundError,
  type AssetRef,
  AssetScope,
  type ConfigReader,
  InvalidStateValueError,
  type RemovedTaskState,
  type StateBackend,
  StateBackendError,
  StateBackendMismatchError,
  type StateClient,
  type StateScope,
  StateValidationError,
  type StoredState,
  TaskScope,
  validateStateKey,
  validateStateValue,
} from "@flowstate/shared-state";
import {
  deleteRemovedObjects,
  directBackend,
  type RemovedRow,
  type ResolvedBackend,
  resolveBackend,
  warnOrphans,
} from "./state-objects.js";

/** Pass as `retention` to keep a value until it is deleted, whatever the configured default. */
export const NEVER_EXPIRE: unique symbol = Symbol.for("flowstate.NEVER_EXPIRE");

/** How long a task state value is kept: a positive duration, or {@link NEVER_EXPIRE}. */
export type Retention =
  | { days?: number; hours?: number; minutes?: number; seconds?: number; milliseconds?: number }
  | typeof NEVER_EXPIRE;

/** Options of {@link TaskStateAccessor.set}. */
export interface SetTaskStateOptions {
  /** @default `[state_store] default_retention_days` (30); `<= 0` there means no expiry. */
  retention?: Retention;
}

/** What the accessors share: where the store is, the config, and (optionally) a backend to use. */
interface AccessorDeps {
  client: StateClient;
  conf: ConfigReader;
  /**
   * A backend to use instead of the one `[workers] state_backend` names. Leave unset in tasks;
   * it serves embedding and tests.
   */
  backend?: StateBackend | undefined;
  /**
   * The name rows written through {@link backend} record as their backend.
   * @default the configured class path when it loads the same backend, else the backend's class name
   */
  backendClassPath?: string | undefined;
  /** Clock for expiry. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** Construction arguments of {@link TaskStateAccessor}. */
export interface TaskStateAccessorInit extends AccessorDeps {
  /** The task instance id of this try. */
  tiId: string;
  /** The task's state namespace, shared by every try. */
  scope: TaskScope;
}

/** Task state of the running task instance: `context.taskState`. Survives retries. */
export class TaskStateAccessor {
  readonly #init: TaskStateAccessorInit;
  // Whether the store knows this task instance: checked once before the first object is written.
  #knownTaskInstance = false;
  // `[state_store] default_retention_days`, read at the first set that needs it: the
  // configuration does not change under a running task, and reading it costs more than a set.
  #defaultRetentionDays: number | undefined;
  // A backend handed over directly needs no lookup on each set.
  readonly #direct: ResolvedBackend | undefined;

  constructor(init: TaskStateAccessorInit) {
    this.#init = init;
    this.#direct = directBackend(init);
  }

  /** The task's scope (dag, run, task, map index). */
  get scope(): TaskScope {
    return this.#init.scope;
  }

  /** The value of `key`, or `undefined` when it was never set, was deleted, or expired. */
  async get(key: string): Promise<string | undefined> {
    validateStateKey(key);
    const { client, tiId, scope } = this.#init;
    const row = await client.getTaskState(tiId, key);
    if (row === undefined || row.backend === null) return row?.value; // no backend involved
    // `return await`: an async function returning a promise takes two more microtask turns.
    return await readStored(row, {
      key,
      readRow: () => client.getTaskState(tiId, key),
      direct: this.#direct,
      resolve: () => resolveBackend(this.#init),
      deserialize: (backend, stored) => backend.deserializeTaskStateFromRef(stored, { key, scope }),
    });
  }

  /** Stores `value` under `key`. With a worker backend the value goes there and the store keeps its reference. */
  async set(key: string, value: string, options: SetTaskStateOptions = {}): Promise<void> {
    validateStateKey(key);
    validateStateValue(value, key);
    const expiresAt = expiryFor(options.retention, this.#init, () => {
      this.#defaultRetentionDays ??= this.#init.conf.getInt("state_store", "default_retention_days");
      return this.#defaultRetentionDays;
    });
    const { client, tiId, scope } = this.#init;
    const resolved = this.#direct ?? (await resolveBackend(this.#init));
    if (resolved && !this.#knownTaskInstance) {
      await client.getTaskState(tiId, key); // an unknown task instance fails here, before any write
      this.#knownTaskInstance = true;
    }
    await writeStored({
      key,
      value,
      scope,
      resolved,
      what: `set of task state key '${key}'`,
      serialize: (backend) => backend.serializeTaskStateToRef({ value, key, tiId, scope, expiresAt }),
      record: (stored, backend) => client.setTaskState(tiId, key, stored, { expiresAt, backend }),
      readRow: () => client.getTaskState(tiId, key),
    });
  }

  /** Deletes `key`. No-op when it does not exist. */
  async delete(key: string): Promise<void> {
    validateStateKey(key);
    const { client, tiId, scope } = this.#init;
    const removed = await client.deleteTaskState(tiId, key);
    if (removed) await this.#deleteObjects([{ ...removed, scope, key }], `delete of task state key '${key}'`);
  }

  /** Deletes every key of this task instance; with `allMapIndices`, of every map index of the task. */
  async clear(options: { allMapIndices?: boolean } = {}): Promise<void> {
    const allMapIndices = options.allMapIndices ?? false;
    const { client, tiId } = this.#init;
    const removed = await client.clearTaskState(tiId, { allMapIndices });
    await this.deleteObjectsOf(removed, "clear of task state");
  }

  /**
   * Deletes the objects of task state rows the store removed, e.g. those `succeedTask` cleared
   * with `[state_store] clear_on_success`. Never throws: objects left behind are reported as a
   * warning and swept later.
   * @returns how many objects were left behind.
   * @internal
   */
  async deleteObjectsOf(removed: readonly RemovedTaskState[], what: string): Promise<number> {
    const scope = this.#init.scope;
    const rows = removed.map((row) => ({
      ...row,
      scope: row.mapIndex === scope.mapIndex ? scope : new TaskScope({ ...scope, mapIndex: row.mapIndex }),
    }));
    return this.#deleteObjects(rows, what);
  }

  async #deleteObjects(rows: readonly RemovedRow[], what: string): Promise<number> {
    if (!rows.some((row) => row.backend !== null)) return 0;
    return deleteRemovedObjects(await resolveBackend(this.#init), rows, what);
  }
}

/** An asset as a task declares it in its inlets: an Asset (name and uri), or a reference by one of them. */
export type AssetInlet =
  | { name: string; uri: string }
  | { name: string; uri?: undefined }
  | { uri: string; name?: undefined };

/** Construction arguments of {@link AssetStateAccessor}: the asset by name or by uri. */
export type AssetStateAccessorInit = AccessorDeps &
  ({ name: string; uri?: undefined } | { uri: string; name?: undefined });

/** State of one asset (a watermark, a cursor), shared by every task that has it as an inlet. */
export class AssetStateAccessor {
  readonly #init: AssetStateAccessorInit;
  readonly #scope: AssetScope;
  readonly #asset: AssetRef;
  #identity: Promise<AssetScope | undefined> | undefined;

  constructor(init: AssetStateAccessorInit) {
    this.#init = init;
    this.#scope =
      init.name !== undefined ? new AssetScope({ name: init.name }) : new AssetScope({ uri: init.uri });
    this.#asset = init.name !== undefined ? { name: init.name } : { uri: init.uri as string };
  }

  /**
   * The asset as this task declared it (by name, or by uri). Backend objects live under the
   * asset's whole identity (name and uri, as the store resolves them), whichever was declared.
   */
  get scope(): AssetScope {
    return this.#scope;
  }

  async get(key: string): Promise<string | undefined> {
    validateStateKey(key);
    const client = this.#init.client;
    return await readStored(await client.getAssetState(this.#asset, key), {
      key,
      readRow: () => client.getAssetState(this.#asset, key),
      resolve: () => resolveBackend(this.#init),
      deserialize: async (backend, stored) =>
        backend.deserializeAssetStateFromRef(stored, { key, scope: await this.#canonicalScope() }),
    });
  }

  async set(key: string, value: string): Promise<void> {
    validateStateKey(key);
    validateStateValue(value, key);
    const client = this.#init.client;
    const resolved = await resolveBackend(this.#init);
    // With a backend the object is named after the asset's whole identity: resolve it first (an
    // unknown asset fails here, before any write).
    const scope = resolved ? await this.#canonicalScope() : this.#scope;
    await writeStored({
      key,
      value,
      scope,
      resolved,
      what: `set of asset state key '${key}'`,
      serialize: (backend) =>
        backend.serializeAssetStateToRef({
          value,
          key,
          assetRef: scope.assetRef,
          scope: scope as AssetScope,
        }),
      record: (stored, backend) => client.setAssetState(this.#asset, key, stored, { backend }),
      readRow: () => client.getAssetState(this.#asset, key),
    });
  }

  /** Deletes `key`. No-op when it does not exist. */
  async delete(key: string): Promise<void> {
    validateStateKey(key);
    const removed = await this.#init.client.deleteAssetState(this.#asset, key);
    if (removed) await this.#deleteObjects([{ ...removed, key }], `delete of asset state key '${key}'`);
  }

  /** Deletes every key of this asset. */
  async clear(): Promise<void> {
    const removed = await this.#init.client.clearAssetState(this.#asset);
    await this.#deleteObjects(removed, "clear of asset state");
  }

  /**
   * Deletes the objects of asset state rows the store removed (the CLI removes rows itself to
   * print them). Never throws: objects left behind are reported as a warning and swept later.
   * @returns how many objects were left behind.
   * @internal
   */
  async deleteObjectsOf(removed: readonly (StoredState & { key: string })[], what: string): Promise<number> {
    return this.#deleteObjects(removed, what);
  }

  async #deleteObjects(rows: readonly (StoredState & { key: string })[], what: string): Promise<number> {
    if (!rows.some((row) => row.backend !== null)) return 0;
    const scope = (await this.#canonicalScope().catch(() => undefined)) ?? this.#scope;
    return deleteRemovedObjects(
      await resolveBackend(this.#init),
      rows.map((row) => ({ ...row, scope })),
      what,
    );
  }

  /** The asset's whole identity from the store, once; an unknown asset is not cached (it may be registered later). */
  async #canonicalScope(): Promise<AssetScope> {
    this.#identity ??= this.#init.client
      .getAsset(this.#asset)
      .then((found) => (found ? new AssetScope({ name: found.name, uri: found.uri }) : undefined));
    const identity = await this.#identity.catch((error: unknown) => {
      this.#identity = undefined;
      throw error;
    });
    if (identity) return identity;
    this.#identity = undefined;
    const [field, value] =
      this.#asset.name !== undefined ? ["name", this.#asset.name] : ["uri", this.#asset.uri];
    throw new AssetNotFoundError(
      `[flowstate] asset with ${field} '${value}' is not registered in the metadata store: register it (store.registerAsset({ name, uri })) before using its state.`,
    );
  }
}

/**
 * `context.assetState`: one {@link AssetStateAccessor} per inlet, looked up by the inlet object,
 * its name, or its uri. An Asset declared with both is addressed by name, as Airflow does.
 */
export class AssetStateAccessors {
  readonly #byName = new Map<string, AssetStateAccessor>();
  readonly #byUri = new Map<string, AssetStateAccessor>();
  readonly #all: AssetStateAccessor[] = [];

  constructor(inlets: readonly AssetInlet[], deps: AccessorDeps) {
    for (const inlet of inlets) {
      const accessor =
        inlet.name !== undefined
          ? new AssetStateAccessor({ ...deps, name: inlet.name })
          : new AssetStateAccessor({ ...deps, uri: inlet.uri });
      this.#all.push(accessor);
      if (inlet.name !== undefined) this.#byName.set(inlet.name, accessor);
      if (inlet.uri !== undefined) this.#byUri.set(inlet.uri, accessor);
    }
  }

  /** How many inlet assets have state accessors. */
  get size(): number {
    return this.#all.length;
  }

  /**
   * The accessor of an inlet: pass the inlet itself, or its name or uri as a string.
   * @throws {@link StateValidationError} when the asset is not an inlet of this task.
   */
  get(asset: AssetInlet | string): AssetStateAccessor {
    // A string may be either a name or a uri; an inlet object says which it has.
    const { name, uri } = typeof asset === "string" ? { name: asset, uri: asset } : asset;
    const found =
      (name !== undefined ? this.#byName.get(name) : undefined) ??
      (uri !== undefined ? this.#byUri.get(uri) : undefined);
    if (found) return found;
    const shown = name ?? uri;
    throw new StateValidationError(
      `Asset '${shown}' is not an inlet of this task. Add it to the task's inlets to use its state.`,
    );
  }

  [Symbol.iterator](): Iterator<AssetStateAccessor> {
    return this.#all[Symbol.iterator]();
  }
}

/**
 * How often a read follows a row that other workers keep switching to new versions (each switch
 * deletes the version the read was about to fetch) before it gives up with a retryable error.
 */
const READ_ATTEMPTS = 50;

interface StoredRead {
  key: string;
  readRow: () => Promise<StoredState | undefined>;
  /** A backend handed over directly: used as is, without {@link resolve}. */
  direct?: ResolvedBackend | undefined;
  resolve: () => Promise<ResolvedBackend | undefined>;
  deserialize: (backend: StateBackend, stored: string) => Promise<string>;
}

/**
 * The value behind `row` (as just read): the row's value, or what its reference names in the
 * backend. When the version is gone, the row is read again: deleted since → `undefined`; switched
 * to another version → that one is read; still naming the missing version → `StateObjectMissingError`.
 */
async function readStored(
  first: StoredState | undefined,
  { key, readRow, direct, resolve, deserialize }: StoredRead,
): Promise<string | undefined> {
  let row = first;
  for (let attempt = 1; row !== undefined; attempt += 1) {
    if (row.backend === null) return row.value;
    const resolved = direct ?? (await resolve());
    if (resolved === undefined) throw backendMismatch(key, row.backend, undefined);
    try {
      return await deserialize(resolved.backend, row.value);
    } catch (error) {
      // Another class, or the same class with other options (bucket, prefix, namespace).
      if (hasCode(error, "FLOWSTATE_BAD_REFERENCE")) {
        throw backendMismatch(key, row.backend, resolved.classPath, error);
      }
      if (!hasCode(error, "FLOWSTATE_OBJECT_MISSING")) throw error;
      // A concurrent set or delete replaced the row (and deleted the version it named) since it was read.
      const again = await readRow();
      if (again?.value === row.value && again.backend === row.backend) throw error;
      if (again !== undefined && attempt >= READ_ATTEMPTS)
        throw keptReplacing(key, resolved.classPath, error);
      row = again;
      await pause(attempt);
    }
  }
  return undefined;
}

function keptReplacing(key: string, backend: string, cause: unknown): StateBackendError {
  return new StateBackendError(
    `key '${key}' was replaced ${READ_ATTEMPTS} times while it was being read: other workers keep writing it. Retry the read.`,
    { backend, operation: "get", cause },
  );
}

/** A short, growing (up to 50 ms), jittered pause, so readers do not chase writers in lock step. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10) * 5));
}

interface StoredWrite {
  key: string;
  value: string;
  scope: StateScope;
  resolved: ResolvedBackend | undefined;
  /** For warnings, e.g. `set of task state key 'k'`. */
  what: string;
  serialize: (backend: StateBackend) => Promise<string>;
  /** Records the value or reference; returns the row it replaced. */
  record: (stored: string, backend: string | null) => Promise<StoredState | undefined>;
  readRow: () => Promise<StoredState | undefined>;
}

/** Writes the new version, switches the row to it, then deletes the version the row named before. */
async function writeStored(write: StoredWrite): Promise<void> {
  const { key, value, scope, resolved, what } = write;
  if (resolved === undefined) {
    const replaced = await write.record(value, null);
    if (replaced?.backend) await deleteRemovedObjects(undefined, [removedRow(replaced, scope, key)], what);
    return;
  }
  const hook = scope.kind === "task" ? "serializeTaskStateToRef" : "serializeAssetStateToRef";
  const ref = checkedReference(await write.serialize(resolved.backend), hook);
  let replaced: StoredState | undefined;
  try {
    replaced = await write.record(ref, resolved.classPath);
  } catch (error) {
    await discardUnrecorded(write, resolved, ref, error);
    throw error;
  }
  if (replaced) await deleteRemovedObjects(resolved, [removedRow(replaced, scope, key)], what);
}

/** The replaced row, to delete its object. (Fields copied by name: a spread of a driver's row is slower.) */
function removedRow(row: StoredState, scope: StateScope, key: string): RemovedRow {
  return { value: row.value, backend: row.backend, scope, key };
}

// Failures that say the store refused the write outright: it certainly recorded nothing.
const REFUSALS = ["FLOWSTATE_TI_NOT_FOUND", "FLOWSTATE_ASSET_NOT_FOUND"];

/**
 * After the store failed to record `ref`, deletes the version written for it — unless the store
 * may have recorded it after all (the row then names it) or cannot tell (the sweep decides later).
 */
async function discardUnrecorded(write: StoredWrite, resolved: ResolvedBackend, ref: string, error: unknown) {
  const { scope, key, what } = write;
  const refused = error instanceof StateValidationError || REFUSALS.some((code) => hasCode(error, code));
  // (async: a client that throws synchronously counts as one that cannot say.)
  const row = refused ? undefined : await (async () => write.readRow())().catch(() => "unknown" as const);
  if (row === "unknown") {
    warnOrphans(1, what, "the store failed and could not say whether it recorded the new version");
    return;
  }
  if (row?.value === ref) return; // recorded after all: the row names it
  await deleteRemovedObjects(resolved, [{ value: ref, backend: resolved.classPath, scope, key }], what);
}

function hasCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

function backendMismatch(
  key: string,
  writtenBy: string,
  configured: string | undefined,
  cause?: unknown,
): StateBackendMismatchError {
  const problem =
    configured === undefined
      ? `key '${key}' holds a reference written by worker backend '${writtenBy}', but no [workers] state_backend is configured on this worker, so the value cannot be read.`
      : `key '${key}' was written by worker backend '${writtenBy}', and the backend configured here ('${configured}', with its state_backend_kwargs) does not accept its reference.`;
  return new StateBackendMismatchError(
    `${problem} Set [workers] state_backend = ${writtenBy} (with the state_backend_kwargs it was written with) on this worker, or delete the key and set it again.`,
    { backend: writtenBy, operation: "deserialize", cause, writtenBy, configured },
  );
}

/** A plugin's serialize hook must hand back a string, or the store would record garbage. */
function checkedReference(ref: unknown, hook: string): string {
  if (typeof ref === "string") return ref;
  throw new StateBackendError(
    `${hook} returned ${ref === null ? "null" : typeof ref}; it must return a string reference.`,
    {
      backend: "worker backend",
      operation: "serialize",
    },
  );
}

const MS = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1 } as const;
/** The latest time a JS Date holds. */
const MAX_DATE_MS = 8.64e15;

/** When a value set now expires: `null` for never. Checked before anything is written. */
function expiryFor(
  retention: Retention | undefined,
  deps: AccessorDeps,
  defaultRetentionDays: () => number,
): Date | null {
  if (retention === NEVER_EXPIRE) return null;
  const now = deps.now ? deps.now().getTime() : Date.now();
  if (retention === undefined) {
    const days = defaultRetentionDays();
    if (days <= 0) return null;
    return expiryAt(now + days * MS.days, `[state_store] default_retention_days = ${days}`);
  }
  return expiryAt(now + retentionMs(retention), `retention ${describe(retention)}`);
}

function expiryAt(ms: number, what: string): Date {
  if (Number.isFinite(ms) && ms <= MAX_DATE_MS) return new Date(ms);
  throw new InvalidStateValueError(
    `Invalid ${what}: it ends after the latest date JavaScript can hold (year 275760). Use a shorter retention, or NEVER_EXPIRE to keep the value until deleted.`,
  );
}

function retentionMs(retention: unknown): number {
  const bad = (why: string) =>
    new InvalidStateValueError(
      `Invalid retention ${describe(retention)}: ${why}. Pass e.g. { days: 7 }, or NEVER_EXPIRE to keep the value until deleted.`,
    );
  if (typeof retention !== "object" || retention === null) throw bad("expected a duration object");
  let total = 0;
  for (const [unit, amount] of Object.entries(retention)) {
    const factor = MS[unit as keyof typeof MS];
    if (factor === undefined) throw bad(`unknown unit '${unit}' (use ${Object.keys(MS).join(", ")})`);
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
      throw bad(`'${unit}' must be a finite number ≥ 0`);
    }
    total += amount * factor;
  }
  if (total <= 0) throw bad("it must be longer than zero");
  return total;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
