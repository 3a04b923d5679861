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
 * The last successful answer for one reader, and the config text it was for. Every call still
 * reads `[workers] state_backend` and `state_backend_kwargs` (environment overrides are read at
 * get time, so the text can change under the same reader); when both read as before and the
 * cache has not been reset since, the answer is the same settled promise: no cache key is built,
 * no map is searched and nothing is allocated. Keyed by reader identity (weakly: a dropped Config
 * takes its entry with it).
 */
interface LastAnswer {
  classPath: string;
  kwargsText: string;
  /** {@link generation} when the load began: a reset since then makes the answer stale. */
  generation: number;
  configured: Promise<ConfiguredStateBackend>;
  backend: Promise<StateBackend>;
}
const lastAnswers = new WeakMap<ConfigReader, LastAnswer>();
/** Bumped by {@link resetWorkerStateBackendCache}: every {@link LastAnswer} before it is stale. */
let generation = 0;
const NO_BACKEND: Promise<undefined> = Promise.resolve(undefined);

/**
 * The worker state backend configured by `[workers] state_backend`, constructed once per
 * configuration and cached; `undefined` when the option is empty. The class path is imported with
 * {@link importString} from `conf.baseDir`, must name a class that extends `BaseStateBackend`
 * (from any copy of `@flowstate/shared-state`: checked by brand and shape, not `instanceof`), and
 * is constructed as `new Backend(kwargs, { config: conf })` with `kwargs` the JSON object in
 * `[workers] state_backend_kwargs` (`{}` when empty). A failed load is not cached: the next call
 * tries again. The options are read on every call, so a changed environment override loads (or
 * finds) the backend of the new configuration.
 * @throws StateBackendLoadError naming the class path, with the specific error as `cause`.
 */
export function getWorkerStateBackend(conf: ConfigReader): Promise<StateBackend | undefined> {
  try {
    const options = readOptions(conf);
    if (options === undefined) return NO_BACKEND;
    const last = lastAnswer(conf, options);
    if (last) return last.backend;
    return load(conf, options).then(({ backend }) => backend);
  } catch (error) {
    return Promise.reject(error);
  }
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
 * The answer is frozen: callers share it.
 */
export function getConfiguredStateBackend(conf: ConfigReader): Promise<ConfiguredStateBackend | undefined> {
  try {
    const options = readOptions(conf);
    if (options === undefined) return NO_BACKEND;
    return lastAnswer(conf, options)?.configured ?? load(conf, options);
  } catch (error) {
    return Promise.reject(error);
  }
}

interface BackendOptions {
  classPath: string;
  kwargsText: string;
}

/** The two options a load depends on (with `baseDir`, fixed per reader); `undefined`: no backend. */
function readOptions(conf: ConfigReader): BackendOptions | undefined {
  const classPath = conf.get("workers", "state_backend", { fallback: "" }).trim();
  if (!classPath) return undefined;
  return { classPath, kwargsText: readKwargsText(conf, classPath) };
}

function lastAnswer(conf: ConfigReader, { classPath, kwargsText }: BackendOptions): LastAnswer | undefined {
  const last = lastAnswers.get(conf);
  if (last?.generation !== generation || last.classPath !== classPath || last.kwargsText !== kwargsText)
    return undefined;
  return last;
}

/** The cached load for these options (started if there is none), remembered for `conf` once it succeeds. */
async function load(
  conf: ConfigReader,
  { classPath, kwargsText }: BackendOptions,
): Promise<ConfiguredStateBackend> {
  const startedIn = generation;
  const key = JSON.stringify([conf.baseDir, classPath, kwargsText]);
  let backend = cache.get(key)?.backend;
  if (backend === undefined) {
    const loading: Promise<StateBackend> = loadBackend(conf, classPath, kwargsText).catch(
      (error: unknown) => {
        if (cache.get(key)?.backend === loading) cache.delete(key);
        throw new StateBackendLoadError(classPath, { cause: error, source: classPathSource(conf) });
      },
    );
    cache.set(key, { classPath, backend: loading });
    backend = loading;
  }
  const configured = Object.freeze({ backend: await backend, classPath });
  // Loaded before a reset that came while it loaded: the next call looks again.
  if (startedIn === generation) {
    lastAnswers.set(conf, {
      classPath,
      kwargsText,
      generation: startedIn,
      configured: Promise.resolve(configured),
      backend: Promise.resolve(configured.backend),
    });
  }
  return configured;
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
  generation += 1;
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
