/**
 * `flowstate backend check` and the check a worker runs at start: load the backend named by
 * `[workers] state_backend` exactly as a worker would, say where it came from, and write, read
 * back and delete one small value in a scratch scope no real task uses.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ConfigReader,
  type ImportStringError,
  type ImportStringFailure,
  redactSecrets,
  type StateBackend,
  StateBackendError,
  StateBackendLoadError,
  type StateBackendOperation,
  TaskScope,
} from "@flowstate/shared-state";
import { getConfiguredStateBackend } from "./backend-loader.js";
import { resolveImportString } from "./import-string.js";

/** The dag id of the probe's scratch scope: no real dag is named like this. */
export const STATE_BACKEND_CHECK_DAG_ID = "__flowstate_check__";
const PROBE_TASK_ID = "probe";
const PROBE_KEY = "probe";
/** The probe's object expires (where the backend sets native expiry) a day after it is written. */
const PROBE_RETENTION_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_CAUSES = 5;

/** Options of {@link checkStateBackend}. */
export interface CheckStateBackendOptions {
  /**
   * Write, read back and delete a value in a scratch scope. `false`: only load the backend.
   * @default true
   */
  probe?: boolean;
  /**
   * Milliseconds each probe step may take before it counts as failed.
   * @default 30000
   */
  timeoutMs?: number;
}

/** A step of the probe: `set` (serializeTaskStateToRef), `get` (deserializeTaskStateFromRef), `delete` (deleteStateRefs). */
export type StateBackendProbeStepName = "set" | "get" | "delete";

/** An error as the report shows it: already redacted, with the messages of its causes. */
export interface CheckedError {
  name: string;
  /** The flowstate error code, e.g. `FLOWSTATE_BACKEND_LOAD`, when the error has one. */
  code?: string;
  message: string;
  /** The messages of its `cause` chain, outermost first (at most 5). */
  causes: string[];
}

/** One timed step of the probe. */
export interface StateBackendProbeStep {
  step: StateBackendProbeStepName;
  ok: boolean;
  /** How long the backend took, in milliseconds. */
  ms: number;
  error?: CheckedError;
}

/** What the probe did, and where. */
export interface StateBackendProbe {
  /** The scratch scope: dag `__flowstate_check__`, a run id no other check uses, task `probe`. */
  dagId: string;
  runId: string;
  taskId: string;
  key: string;
  /** The steps run, in order; the first failed step is the last. */
  steps: StateBackendProbeStep[];
}

/** Where the backend class was loaded from. */
export interface StateBackendModule {
  /** The module file the class path resolved to. */
  file: string;
  /** The `name` of the nearest package.json above that file, when there is one. */
  packageName?: string;
  /** The `version` of that package.json. */
  packageVersion?: string;
}

/** What failed and what to do about it. */
export interface StateBackendCheckFailure {
  /** `load`: the class path did not give a backend; else the probe step that failed. */
  step: "load" | StateBackendProbeStepName;
  error: CheckedError;
  /** What to change. */
  fix: string;
}

/** What {@link checkStateBackend} found. Plain data: `JSON.stringify` shows all of it. */
export interface StateBackendCheckReport {
  /** True when the backend loaded and every probe step passed, or when none is configured. */
  ok: boolean;
  /** False when `[workers] state_backend` is empty: values are kept in the metadata store. */
  configured: boolean;
  /** `[workers] state_backend`. */
  classPath?: string;
  /** Where the class path was set: `/path/airflow.cfg line 2`, `environment variable AIRFLOW__WORKERS__STATE_BACKEND`. */
  source?: string;
  module?: StateBackendModule;
  /** Milliseconds the load took (a cached backend loads in no time). */
  loadMs?: number;
  probe?: StateBackendProbe;
  failure?: StateBackendCheckFailure;
  /** One sentence for people. */
  summary: string;
}

/** A report and, when it failed, the error itself (for {@link checkStateBackendOnStart} to throw). */
interface CheckOutcome {
  report: StateBackendCheckReport;
  thrown?: unknown;
}

/**
 * Loads the worker backend `[workers] state_backend` names, exactly as a worker does
 * (`getConfiguredStateBackend`: same resolution from `conf.baseDir`, same kwargs, same cache),
 * reports where the class path was set, the module file and package it came from, then probes it
 * in a scratch scope that cannot collide with task state (dag `__flowstate_check__`, a random run
 * id): `set` (serializeTaskStateToRef of a small value), `get` (deserializeTaskStateFromRef,
 * compared with what was written), `delete` (deleteStateRefs of that reference), each timed. The
 * first failed step ends the probe (after a `get` failure the value is still deleted, quietly).
 * The backend stays in the loader's cache, as a worker's would.
 *
 * Never throws: every failure is in the report, its error redacted, with what to fix. No backend
 * configured is not a failure: values are then kept in the metadata store.
 */
export async function checkStateBackend(
  conf: ConfigReader,
  options: CheckStateBackendOptions = {},
): Promise<StateBackendCheckReport> {
  return (await runCheck(conf, options)).report;
}

/**
 * The check a worker runs once at start, before it takes a task, so that a broken backend fails
 * the worker instead of the first task that touches state. With
 * `[workers] state_backend_check_on_start = True` it runs {@link checkStateBackend} (load and
 * probe); otherwise it does nothing. Call it right after `loadConfig()`:
 *
 * ```ts
 * const conf = await loadConfig();
 * await checkStateBackendOnStart(conf); // throws: the worker exits with the error and its fix
 * ```
 * @returns the report when the check ran, `undefined` when the option is off.
 * @throws StateBackendLoadError when the class path does not load (the specific error is its `cause`).
 * @throws StateBackendError (operation `set`, `get` or `delete`) when the probe fails, naming the step and the fix.
 * @throws ConfigError when the option or `[workers] state_backend` cannot be read.
 */
export async function checkStateBackendOnStart(
  conf: ConfigReader,
  options: CheckStateBackendOptions = {},
): Promise<StateBackendCheckReport | undefined> {
  if (!conf.getBoolean("workers", "state_backend_check_on_start", { fallback: false })) return undefined;
  const { report, thrown } = await runCheck(conf, options);
  if (report.ok) return report;
  throw startFailure(report, thrown);
}

async function runCheck(conf: ConfigReader, options: CheckStateBackendOptions): Promise<CheckOutcome> {
  let classPath: string;
  try {
    classPath = conf.get("workers", "state_backend", { fallback: "" }).trim();
  } catch (error) {
    return failed(
      { configured: true },
      "load",
      error,
      "Fix the [workers] state_backend value the error names.",
    );
  }
  if (!classPath) return { report: notConfigured() };
  const source = sourceOf(conf);
  const base: Omit<StateBackendCheckReport, "ok" | "summary"> = { configured: true, classPath, source };
  const started = performance.now();
  let backend: StateBackend;
  try {
    backend = (await getConfiguredStateBackend(conf))?.backend as StateBackend;
  } catch (error) {
    return failed(base, "load", error, loadFix(error, conf.baseDir));
  }
  const loaded = {
    ...base,
    loadMs: performance.now() - started,
    module: await locateModule(classPath, conf),
  };
  if (options.probe === false) {
    return { report: { ...loaded, ok: true, summary: `${classPath} loaded (not probed).` } };
  }
  return probeBackend(backend, classPath, loaded, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

function notConfigured(): StateBackendCheckReport {
  return {
    ok: true,
    configured: false,
    summary:
      "No worker state backend is configured ([workers] state_backend is empty): task and asset state values are kept in the metadata store.",
  };
}

function failed(
  base: Omit<StateBackendCheckReport, "ok" | "summary">,
  step: StateBackendCheckFailure["step"],
  error: unknown,
  fix: string,
): CheckOutcome {
  const what = step === "load" ? "could not be loaded" : `failed its probe at step '${step}'`;
  const failure = { step, error: checkedError(error), fix };
  const summary = `${base.classPath ? `'${base.classPath}'` : "The worker state backend"} ${what}.`;
  return { report: { ...base, ok: false, failure, summary }, thrown: error };
}

/** Where `[workers] state_backend` was set, when the reader can say (a `Config` from this or another copy of the sdk). */
function sourceOf(conf: ConfigReader): string | undefined {
  const describe = (conf as { describeSource?: unknown }).describeSource;
  if (typeof describe !== "function") return undefined;
  return (describe as (section: string, key: string) => string | undefined).call(
    conf,
    "workers",
    "state_backend",
  );
}

// --- the probe ---------------------------------------------------------------------------------

async function probeBackend(
  backend: StateBackend,
  classPath: string,
  loaded: Omit<StateBackendCheckReport, "ok" | "summary">,
  timeoutMs: number,
): Promise<CheckOutcome> {
  const suffix = randomBytes(6).toString("hex");
  const runId = `check__${new Date().toISOString()}__${suffix}`;
  const scope = new TaskScope({ dagId: STATE_BACKEND_CHECK_DAG_ID, runId, taskId: PROBE_TASK_ID });
  const probe: StateBackendProbe = { ...scratchOf(scope), key: PROBE_KEY, steps: [] };
  const key = PROBE_KEY;
  const value = `flowstate backend check ✓ ${suffix}`;
  const step = <T>(name: StateBackendProbeStepName, work: () => Promise<T>) =>
    timedStep(probe, name, classPath, timeoutMs, work);

  const set = await step("set", async () => {
    const expiresAt = new Date(Date.now() + PROBE_RETENTION_MS);
    const ref = await backend.serializeTaskStateToRef({ value, key, tiId: `${runId}__ti`, scope, expiresAt });
    if (typeof ref !== "string") throw notAString(classPath, ref);
    return ref;
  });
  if (!set.ok) return failed({ ...loaded, probe }, "set", set.error, SET_FIX);
  const ref = set.value;
  const get = await step("get", async () => {
    const read = await backend.deserializeTaskStateFromRef(ref, { key, scope });
    if (read !== value) throw mismatch(classPath, value, read);
  });
  if (!get.ok) {
    await backend.deleteStateRefs([{ ref, scope, key }]).catch(() => undefined); // leave nothing behind
    return failed({ ...loaded, probe }, "get", get.error, getFix(get.error));
  }
  const removed = await step("delete", () => backend.deleteStateRefs([{ ref, scope, key }]));
  if (!removed.ok) return failed({ ...loaded, probe }, "delete", removed.error, DELETE_FIX);
  const summary = `${classPath} loaded, and wrote, read back and deleted a value.`;
  return { report: { ...loaded, probe, ok: true, summary } };
}

function scratchOf(scope: TaskScope): Pick<StateBackendProbe, "dagId" | "runId" | "taskId"> {
  return { dagId: scope.dagId, runId: scope.runId, taskId: scope.taskId };
}

type StepResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs one step with a deadline, and records it (with its time) in `probe.steps`. */
async function timedStep<T>(
  probe: StateBackendProbe,
  step: StateBackendProbeStepName,
  classPath: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<StepResult<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut(classPath, step, timeoutMs)), timeoutMs);
  });
  try {
    const value = await Promise.race([work(), deadline]);
    probe.steps.push({ step, ok: true, ms: performance.now() - started });
    return { ok: true, value };
  } catch (error) {
    probe.steps.push({ step, ok: false, ms: performance.now() - started, error: checkedError(error) });
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

const OPERATION: Record<StateBackendProbeStepName, StateBackendOperation> = {
  set: "serialize",
  get: "deserialize",
  delete: "delete",
};

function timedOut(classPath: string, step: StateBackendProbeStepName, ms: number): StateBackendError {
  return new StateBackendError(
    `the backend did not answer within ${ms} ms. Check that its storage is reachable from this machine.`,
    { backend: classPath, operation: OPERATION[step] },
  );
}

function notAString(classPath: string, ref: unknown): StateBackendError {
  return new StateBackendError(
    `serializeTaskStateToRef returned ${ref === null ? "null" : typeof ref}, not a string reference.`,
    { backend: classPath, operation: "serialize" },
  );
}

/** The errors {@link mismatch} made, so that {@link getFix} tells them from the backend's own. */
const mismatches = new WeakSet<object>();

/** The error for a read-back that differs from what was written; says where, not the values. */
function mismatch(classPath: string, wrote: string, read: unknown): StateBackendError {
  const what =
    typeof read !== "string"
      ? `${read === null ? "null" : typeof read} instead of a string`
      : `${read.length} characters, where ${wrote.length} were written, differing from offset ${firstDifference(wrote, read)}`;
  const error = new StateBackendError(
    `deserializeTaskStateFromRef returned a different value than serializeTaskStateToRef was given: ${what}.`,
    { backend: classPath, operation: "deserialize" },
  );
  mismatches.add(error);
  return error;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}

// --- what to fix -------------------------------------------------------------------------------

const SET_FIX =
  "The backend loaded but could not write: check that its storage is reachable from this machine, its credentials and permissions, and [workers] state_backend_kwargs.";
const DELETE_FIX =
  "The backend wrote and read the value but could not delete it: check delete permissions on its storage. The probe's object is left behind; the orphan sweep removes it.";

function getFix(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (mismatches.has(error as object)) {
    return "Its serialize and deserialize hooks do not round-trip a value: run @flowstate/backend-test-suite against the backend and fix what it reports.";
  }
  if (code === "FLOWSTATE_BAD_REFERENCE") {
    return "deserializeTaskStateFromRef refused the reference serializeTaskStateToRef returned: the backend must accept every reference it writes. Run @flowstate/backend-test-suite against it.";
  }
  return "The backend wrote the value but could not read it back: check read permissions on its storage, and that what it writes is readable at once (no eventual consistency).";
}

const IMPORT_FIXES: Record<ImportStringFailure, string> = {
  "invalid-path":
    "Write [workers] state_backend as <module>.<ExportName>, e.g. @flowstate/backend-s3.S3StateBackend or ./backends/mine.js.MyBackend.",
  "module-not-found":
    "Install the package in the project that holds airflow.cfg, or correct the module part of [workers] state_backend.",
  "export-not-found":
    "Correct the name after the last '.' of [workers] state_backend: it must be one of the module's exports (listed above).",
  "module-threw": "Fix the module, or a package it imports, so that it loads: see the cause above.",
};

/** What to change when the load failed, from the most specific error in the chain. */
function loadFix(error: unknown, baseDir: string): string {
  const chain = [error, (error as { cause?: unknown })?.cause];
  // By name and reason, not instanceof: the error may come from another copy of shared-state.
  const importError = chain.find(
    (e): e is ImportStringError =>
      (e as { name?: unknown })?.name === "ImportStringError" &&
      Object.hasOwn(IMPORT_FIXES, String((e as { reason?: unknown }).reason)),
  );
  if (importError) {
    const installHere = importError.reason === "module-not-found" ? ` Plugins resolve from ${baseDir}.` : "";
    return `${IMPORT_FIXES[importError.reason]}${installHere}`;
  }
  const configKey = chain.map((e) => (e as { key?: unknown })?.key).find((k) => typeof k === "string");
  if (configKey === "state_backend_kwargs") {
    return "Fix [workers] state_backend_kwargs: it must be a JSON object of the backend's options (see its README).";
  }
  if (configKey === "state_backend") {
    return "Point [workers] state_backend at a class that extends BaseStateBackend from @flowstate/shared-state.";
  }
  return "The backend's constructor refused its options: check [workers] state_backend_kwargs and the backend's own config section (see its README).";
}

/** The error {@link checkStateBackendOnStart} throws for a failed report. */
function startFailure(report: StateBackendCheckReport, thrown: unknown): Error {
  const failure = report.failure as StateBackendCheckFailure;
  if (failure.step === "load") {
    if (thrown instanceof StateBackendLoadError || report.classPath === undefined) return thrown as Error;
    return new StateBackendLoadError(report.classPath, { cause: thrown });
  }
  return new StateBackendError(
    `the worker start-up check ([workers] state_backend_check_on_start) failed at step '${failure.step}': ${failure.error.message} Fix: ${failure.fix}`,
    { backend: report.classPath ?? "", operation: OPERATION[failure.step], cause: thrown },
  );
}

// --- where the class came from -----------------------------------------------------------------

/** The module file the class path resolves to and its package; `undefined` if it cannot be told. */
async function locateModule(classPath: string, conf: ConfigReader): Promise<StateBackendModule | undefined> {
  let file: string;
  try {
    file = fileURLToPath(await resolveImportString(classPath, { from: conf.baseDir }));
  } catch {
    return undefined; // it loaded, so this does not happen; the report just has no file then
  }
  return { file, ...(await nearestPackage(dirname(file))) };
}

/** The name and version of the nearest package.json with a name, from `folder` upward. */
async function nearestPackage(folder: string): Promise<Omit<StateBackendModule, "file">> {
  for (let dir = folder; ; dir = dirname(dir)) {
    const manifest = await readFile(join(dir, "package.json"), "utf8").then(parseManifest, () => undefined);
    // A nested package.json without a name (e.g. dist/package.json with only "type") is not the package.
    if (typeof manifest?.name === "string") {
      const version = typeof manifest.version === "string" ? { packageVersion: manifest.version } : {};
      return { packageName: manifest.name, ...version };
    }
    if (dirname(dir) === dir) return {};
  }
}

function parseManifest(text: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(text) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

// --- errors as data ----------------------------------------------------------------------------

/** An error as the report shows it. Messages are redacted again: a plugin's own errors may not be. */
function checkedError(error: unknown): CheckedError {
  const record = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const name = typeof record.name === "string" ? record.name : "Error";
  const message = redactSecrets(typeof record.message === "string" ? record.message : String(error));
  const code = typeof record.code === "string" ? { code: record.code } : {};
  return { name, ...code, message, causes: causesOf(error) };
}

function causesOf(error: unknown): string[] {
  const out: string[] = [];
  let current = (error as { cause?: unknown } | undefined)?.cause;
  while (current !== undefined && current !== null && out.length < MAX_CAUSES) {
    out.push(redactSecrets(current instanceof Error ? current.message : String(current)));
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}
