/**
 * What task code touches: `context.taskState` and `context.assetState`. Every call routes
 * through the worker state backend when one is configured, exactly as Airflow's AIP-103 does:
 * serialize to a reference before the metadata store is written, resolve it after a read, and on
 * delete/clear remove the metadata row first and the backend object second — a failure between
 * the two leaves an orphan object that the next `set` overwrites, never a row that points at
 * nothing.
 */
import {
  AssetScope,
  type ConfigReader,
  InvalidStateValueError,
  type StateBackend,
  StateBackendError,
  type StateClient,
  StateValidationError,
  type TaskScope,
  validateStateKey,
  validateStateValue,
} from "@flowstate/shared-state";
import { getWorkerStateBackend } from "./backend-loader.js";

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

  constructor(init: TaskStateAccessorInit) {
    this.#init = init;
  }

  /** The task's scope (dag, run, task, map index). */
  get scope(): TaskScope {
    return this.#init.scope;
  }

  /** The value of `key`, or `undefined` when it was never set, was deleted, or expired. */
  async get(key: string): Promise<string | undefined> {
    validateStateKey(key);
    const { client, tiId, scope } = this.#init;
    const stored = await client.getTaskState(tiId, key);
    if (stored === undefined) return undefined;
    const backend = await resolveBackend(this.#init);
    return backend ? backend.deserializeTaskStateFromRef(stored, { key, scope }) : stored;
  }

  /** Stores `value` under `key`. With a worker backend the value goes there and the store keeps its reference. */
  async set(key: string, value: string, options: SetTaskStateOptions = {}): Promise<void> {
    validateStateKey(key);
    validateStateValue(value, key);
    const expiresAt = expiryFor(options.retention, this.#init);
    const { client, tiId, scope } = this.#init;
    const backend = await resolveBackend(this.#init);
    const stored = backend
      ? checkedReference(
          await backend.serializeTaskStateToRef({ value, key, tiId, scope }),
          "serializeTaskStateToRef",
        )
      : value;
    await client.setTaskState(tiId, key, stored, { expiresAt });
  }

  /** Deletes `key`. No-op when it does not exist. */
  async delete(key: string): Promise<void> {
    validateStateKey(key);
    const { client, tiId, scope } = this.#init;
    await client.deleteTaskState(tiId, key);
    const backend = await resolveBackend(this.#init);
    await backend?.delete(scope, key);
  }

  /** Deletes every key of this task instance; with `allMapIndices`, of every map index of the task. */
  async clear(options: { allMapIndices?: boolean } = {}): Promise<void> {
    const allMapIndices = options.allMapIndices ?? false;
    const { client, tiId, scope } = this.#init;
    await client.clearTaskState(tiId, { allMapIndices });
    const backend = await resolveBackend(this.#init);
    await backend?.clear(scope, { allMapIndices });
  }

  /**
   * Clears the backend's objects without asking the store: used on success with
   * `[state_store] clear_on_success`, where the store clears its rows as part of `succeedTask`.
   * @internal
   */
  async clearBackendOnly(): Promise<void> {
    const backend = await resolveBackend(this.#init);
    await backend?.clear(this.#init.scope);
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

  constructor(init: AssetStateAccessorInit) {
    this.#init = init;
    this.#scope =
      init.name !== undefined ? new AssetScope({ name: init.name }) : new AssetScope({ uri: init.uri });
  }

  /** The asset's state namespace (by name, or by uri). */
  get scope(): AssetScope {
    return this.#scope;
  }

  async get(key: string): Promise<string | undefined> {
    validateStateKey(key);
    const stored = await this.#init.client.getAssetState(this.#asset(), key);
    if (stored === undefined) return undefined;
    const backend = await resolveBackend(this.#init);
    return backend ? backend.deserializeAssetStateFromRef(stored, { key, scope: this.#scope }) : stored;
  }

  async set(key: string, value: string): Promise<void> {
    validateStateKey(key);
    validateStateValue(value, key);
    const scope = this.#scope;
    const backend = await resolveBackend(this.#init);
    const stored = backend
      ? checkedReference(
          await backend.serializeAssetStateToRef({ value, key, assetRef: scope.assetRef, scope }),
          "serializeAssetStateToRef",
        )
      : value;
    await this.#init.client.setAssetState(this.#asset(), key, stored);
  }

  /** Deletes `key`. No-op when it does not exist. */
  async delete(key: string): Promise<void> {
    validateStateKey(key);
    await this.#init.client.deleteAssetState(this.#asset(), key);
    const backend = await resolveBackend(this.#init);
    await backend?.delete(this.#scope, key);
  }

  /** Deletes every key of this asset. */
  async clear(): Promise<void> {
    await this.#init.client.clearAssetState(this.#asset());
    const backend = await resolveBackend(this.#init);
    await backend?.clear(this.#scope);
  }

  #asset() {
    const { name, uri } = this.#scope;
    return name !== undefined ? { name } : { uri: uri as string };
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

async function resolveBackend(deps: AccessorDeps): Promise<StateBackend | undefined> {
  return deps.backend ?? getWorkerStateBackend(deps.conf);
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

/** When a value set now expires: `null` for never. */
function expiryFor(retention: Retention | undefined, deps: AccessorDeps): Date | null {
  if (retention === NEVER_EXPIRE) return null;
  const now = (deps.now ?? (() => new Date()))().getTime();
  if (retention === undefined) {
    const days = deps.conf.getInt("state_store", "default_retention_days");
    return days <= 0 ? null : new Date(now + days * MS.days);
  }
  return new Date(now + retentionMs(retention));
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
