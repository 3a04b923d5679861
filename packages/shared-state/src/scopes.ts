import { InvalidScopeError } from "./errors.js";
import { MAX_ASSET_REF_LENGTH, validateScopeId } from "./validation.js";

// Scopes made by the constructors below (in this copy of the package): validated when built and
// frozen, so still valid whenever they are handed back. validateScope and the path functions
// skip re-checking and re-encoding them. A WeakSet: it never keeps a scope alive.
const CONSTRUCTED = new WeakSet<object>();

/**
 * Whether `scope` was built by this copy's {@link TaskScope} or {@link AssetScope} constructor
 * (so it is valid and immutable). Not exported from the package.
 * @internal
 */
export function isConstructedScope(scope: unknown): scope is StateScope {
  return typeof scope === "object" && scope !== null && CONSTRUCTED.has(scope);
}

/** What identifies one task's state: the same for every try of a task instance. */
export interface TaskScopeInit {
  dagId: string;
  runId: string;
  taskId: string;
  /** The map index of a mapped task; `-1` (the default) for an unmapped one. */
  mapIndex?: number;
}

/** The state namespace of one task instance (all its tries share it). Immutable. */
export class TaskScope {
  readonly kind = "task" as const;
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly mapIndex: number;

  /** @throws {@link InvalidScopeError} when an id is empty, too long, or the map index is not an integer ≥ -1. */
  constructor(init: TaskScopeInit) {
    validateScopeId("dagId", init?.dagId);
    validateScopeId("runId", init.runId);
    validateScopeId("taskId", init.taskId);
    const mapIndex = init.mapIndex ?? -1;
    if (!Number.isSafeInteger(mapIndex) || mapIndex < -1) {
      throw new InvalidScopeError(
        `Invalid mapIndex ${String(mapIndex)}: expected an integer ≥ -1 (-1 means unmapped).`,
      );
    }
    this.dagId = init.dagId;
    this.runId = init.runId;
    this.taskId = init.taskId;
    this.mapIndex = mapIndex;
    Object.freeze(this);
    CONSTRUCTED.add(this);
  }
}

/** What identifies one asset's state. At least one field is required. */
export interface AssetScopeInit {
  /** The metadata store's id: server-side backends get it; workers do not know it. */
  assetId?: number | undefined;
  name?: string | undefined;
  uri?: string | undefined;
}

/**
 * The state namespace of an asset. Worker-side backends receive `name` or `uri`; state written
 * by name and state written by uri are separate namespaces. Immutable.
 */
export class AssetScope {
  readonly kind = "asset" as const;
  readonly assetId: number | undefined;
  readonly name: string | undefined;
  readonly uri: string | undefined;

  /** @throws {@link InvalidScopeError} when none of assetId, name or uri is given, or one is malformed. */
  constructor(init: AssetScopeInit) {
    const { assetId, name, uri } = init ?? {};
    if (assetId === undefined && name === undefined && uri === undefined) {
      throw new InvalidScopeError("AssetScope requires at least one of: assetId, name, or uri");
    }
    if (assetId !== undefined && (!Number.isSafeInteger(assetId) || assetId < 0)) {
      throw new InvalidScopeError(`Invalid assetId ${String(assetId)}: expected a non-negative integer.`);
    }
    if (name !== undefined) validateScopeId("asset name", name, MAX_ASSET_REF_LENGTH);
    if (uri !== undefined) validateScopeId("asset uri", uri, MAX_ASSET_REF_LENGTH);
    this.assetId = assetId;
    this.name = name;
    this.uri = uri;
    Object.freeze(this);
    CONSTRUCTED.add(this);
  }

  /** The string a worker backend's asset hooks receive: the name if known, else the uri. */
  get assetRef(): string {
    return this.name ?? this.uri ?? String(this.assetId);
  }
}

/** Either kind of state namespace. Narrow on `scope.kind`. */
export type StateScope = TaskScope | AssetScope;

/**
 * The one check every backend runs on a scope it is handed, before any I/O. It checks the shape
 * (not `instanceof`: the sdk may hold another copy of this package) and every id by the same
 * rules as the {@link TaskScope} and {@link AssetScope} constructors, then returns a scope
 * rebuilt from those fields, so a hand-made object with a bad map index or a missing dag id is
 * refused whichever backend receives it.
 * @param kind when given, the scope must be of this kind (a task hook called with an asset scope is refused).
 * @throws {@link InvalidScopeError} saying what is wrong.
 */
export function validateScope<K extends StateScope["kind"] = StateScope["kind"]>(
  scope: unknown,
  kind?: K,
): Extract<StateScope, { kind: K }> {
  const actual = (scope as { kind?: unknown } | null | undefined)?.kind;
  // Built (so checked) by a constructor and frozen since: the same fields would rebuild the same scope.
  if (isConstructedScope(scope) && (kind === undefined || actual === kind)) {
    return scope as Extract<StateScope, { kind: K }>;
  }
  if (actual !== "task" && actual !== "asset") {
    const got = scope === null ? "null" : typeof scope;
    throw new InvalidScopeError(
      `Invalid scope: expected a TaskScope or an AssetScope from @flowstate/shared-state, got ${got === "object" ? "an object without kind 'task' or 'asset'" : got}.`,
    );
  }
  if (kind !== undefined && actual !== kind) {
    throw new InvalidScopeError(`Invalid scope: expected a ${kind} scope here, got a ${actual} scope.`);
  }
  const rebuilt =
    actual === "task" ? new TaskScope(scope as TaskScopeInit) : new AssetScope(scope as AssetScopeInit);
  return rebuilt as Extract<StateScope, { kind: K }>;
}
