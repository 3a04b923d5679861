import {
  ConfigError,
  type ConfigReader,
  type StateBackend,
  StateBackendError,
  StateBackendLoadError,
  stateBackendClassProblem,
  stateBackendProblem,
} from "@flowstate/shared-state";
import { Config } from "./config.js";
import { importString } from "./import-string.js";

/** A cached load: the class path it was for, and the backend once loaded. */
interface CachedLoad {
  classPath: string;
  backend: Promise<StateBackend>;
}

// One entry per (baseDir, class path, kwargs text): tests and programs with different configs do
// not share a backend. The promise is cached, so concurrent first calls share one construction.
const cache = new Map<string, CachedLoad>();

/**
 * The worker state backend configured by `[workers] state_backend`, constructed once per
 * configuration and cached; `undefined` when the option is empty. The class path is imported with
 * {@link importString} from `conf.baseDir`, must name a class that extends `BaseStateBackend`
 * (from any copy of `@flowstate/shared-state`: checked by brand and shape, not `instanceof`), and
 * is constructed as `new Backend(kwargs, { config: conf })` with `kwargs` the JSON object in
 * `[workers] state_backend_kwargs` (`{}` when empty). A failed load is not cached: the next call
 * tries again.
 * @throws StateBackendLoadError naming the class path, with the specific error as `cause`.
 */
export async function getWorkerStateBackend(conf: ConfigReader): Promise<StateBackend | undefined> {
  return (await getConfiguredStateBackend(conf))?.backend;
}

/** A loaded worker backend and the class path it was loaded from. */
export interface ConfiguredStateBackend {
  backend: StateBackend;
  /** `[workers] state_backend`, recorded with every row the backend's reference is stored in. */
  classPath: string;
}

/**
 * Like {@link getWorkerStateBackend}, with the class path it came from: the accessors record it
 * with each reference, so a row is never read back as a value once the configuration changes.
 */
export async function getConfiguredStateBackend(
  conf: ConfigReader,
): Promise<ConfiguredStateBackend | undefined> {
  const classPath = conf.get("workers", "state_backend", { fallback: "" }).trim();
  if (!classPath) return undefined;
  const kwargsText = readKwargsText(conf, classPath);
  const key = JSON.stringify([conf.baseDir, classPath, kwargsText]);
  const cached = cache.get(key);
  if (cached) return { backend: await cached.backend, classPath };
  const backend: Promise<StateBackend> = loadBackend(conf, classPath, kwargsText).catch((error: unknown) => {
    if (cache.get(key)?.backend === backend) cache.delete(key);
    throw new StateBackendLoadError(classPath, { cause: error, source: classPathSource(conf) });
  });
  cache.set(key, { classPath, backend });
  return { backend: await backend, classPath };
}

/**
 * Forgets every cached backend and closes (`backend.close()`) each that had loaded, for tests and
 * for shutdown. Every backend is closed even when one fails.
 * @throws StateBackendError (operation `close`) when a backend's `close()` failed; the cache is
 *   empty all the same.
 */
export async function resetWorkerStateBackendCache(): Promise<void> {
  const loads = [...cache.values()];
  cache.clear();
  const closes = loads.map(async ({ classPath, backend }) => {
    const loaded = await backend.catch(() => undefined);
    try {
      await loaded?.close();
    } catch (error) {
      throw new StateBackendError(`close() of the cached backend threw. Fix its close() method.`, {
        backend: classPath,
        operation: "close",
        cause: error,
      });
    }
  });
  const failures = (await Promise.allSettled(closes)).filter((result) => result.status === "rejected");
  if (failures.length > 0) throw failures[0]?.reason;
}

async function loadBackend(conf: ConfigReader, classPath: string, kwargsText: string): Promise<StateBackend> {
  const exported = await importString(classPath, { from: conf.baseDir });
  const classProblem = stateBackendClassProblem(exported);
  if (classProblem) {
    throw new ConfigError(
      `'${classPath}' is not a state backend class: ${classProblem}. Export a class that extends BaseStateBackend from @flowstate/shared-state.`,
      { section: "workers", key: "state_backend", value: classPath },
    );
  }
  const kwargs = parseKwargs(conf, kwargsText);
  const Backend = exported as new (
    options: Record<string, unknown>,
    context: { config: ConfigReader },
  ) => unknown;
  const backend = new Backend(kwargs, { config: conf });
  const problem = stateBackendProblem(backend);
  if (problem) {
    throw new ConfigError(`The object constructed from '${classPath}' is not a state backend: ${problem}.`, {
      section: "workers",
      key: "state_backend",
      value: classPath,
    });
  }
  return backend as StateBackend;
}

function readKwargsText(conf: ConfigReader, classPath: string): string {
  try {
    return conf.get("workers", "state_backend_kwargs", { fallback: "" }).trim();
  } catch (error) {
    throw new StateBackendLoadError(classPath, { cause: error, source: classPathSource(conf) });
  }
}

/**
 * Where `[workers] state_backend` was set (`/srv/airflow.cfg line 2`, `environment variable
 * AIRFLOW__WORKERS__STATE_BACKEND`), when `conf` can say: any reader with `describeSource`, not
 * only this package's own `Config` class (a program may hold another copy of the sdk).
 */
function classPathSource(conf: ConfigReader): string | undefined {
  const describe = (conf as Partial<Pick<Config, "describeSource">>).describeSource;
  if (typeof describe !== "function") return undefined;
  try {
    return describe.call(conf, "workers", "state_backend");
  } catch {
    return undefined; // the message is about the load; a reader that cannot say where is fine
  }
}

/** `[workers] state_backend_kwargs` as an object: `{}` when empty. */
function parseKwargs(conf: ConfigReader, text: string): Record<string, unknown> {
  if (!text) return {};
  // The text is never echoed (not in the message, `.value` or the cause): it may hold credentials.
  const where = { section: "workers", key: "state_backend_kwargs" };
  const source = conf instanceof Config ? conf.describeSource("workers", "state_backend_kwargs") : undefined;
  const from = source ? ` (from ${source})` : "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const at = jsonErrorPosition(text, error);
    throw new ConfigError(
      `[workers] state_backend_kwargs${from} is not valid JSON${at} (its text is not shown: it may hold credentials). Set it to a JSON object such as {"bucket": "my-bucket"}, or leave it empty.`,
      { ...where, source },
      { cause: new SyntaxError(`invalid JSON${at}`) },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const got = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`;
    throw new ConfigError(
      `[workers] state_backend_kwargs${from} must be a JSON object, got ${got}. Set it to an object such as {"bucket": "my-bucket"}, or leave it empty.`,
      { ...where, source },
    );
  }
  return parsed as Record<string, unknown>;
}

/** ` at line L, column C` of a JSON syntax error, from the position V8 reports; `""` when it reports none. */
function jsonErrorPosition(text: string, error: unknown): string {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
  if (position === undefined) return "";
  const before = text.slice(0, Number(position)).split("\n");
  return ` at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}
