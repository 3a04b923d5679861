// What every integrity test stands on: a fixture (a SQLite store file in a temp dir, an S3 backend
// under a prefix of its own, task instances of three map indices of one task, one asset), the
// invariant check that lists every row and every object, the exact sweep, and the tally a group
// prints when it is done.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { S3StateBackend, type S3StateBackendOptions } from "@flowstate/backend-s3";
import { AssetStateAccessor, Config, sweepOrphanedState, TaskStateAccessor } from "@flowstate/sdk";
import { AssetScope, type StateBackend, type StateClient, TaskScope } from "@flowstate/shared-state";
import { openSqliteStateStore, type StateStore, type TaskInstanceRecord } from "@flowstate/store";
import { createTestS3Client } from "@flowstate/test-support";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { killChildren, S3rverProcess } from "./processes.js";
import { makeValue, parseValue, scopeLabel, type ValueSpec } from "./shared.mjs";

export const MIB = 1024 * 1024;
export const BUCKET = "integrity";
export const conf = Config.fromString("", { env: {} });
const TASK = { dagId: "integrity", runId: "manual__2024-01-01", taskId: "task" };
const MAP_INDICES = [0, 1, 2];
export const ASSET = { name: "orders", uri: "s3://warehouse/orders" };

/** An S3-compatible server the backends talk to. */
export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `"when_required"` for s3rver; unset for servers that need no special client settings. */
  checksums?: "when_required" | undefined;
}

/** One test's world: a store file, a prefix in the bucket, three task instances and an asset. */
export interface Fixture {
  dir: string;
  db: string;
  prefix: string;
  server: S3Server;
  store: StateStore;
  /** A backend straight to the server, for the checks and the sweep. */
  backend: S3StateBackend;
  /** Task instances of map indices 0, 1 and 2 of one task. */
  tis: TaskInstanceRecord[];
  /** Environment of a worker process: the server's credentials. */
  workerEnv: Record<string, string>;
  /** Options of a backend on this fixture's prefix (through `endpoint`, e.g. a proxy). */
  backendOptions(endpoint?: string): S3StateBackendOptions;
  /** A new backend on this fixture's prefix; closed after the test. */
  newBackend(endpoint?: string): S3StateBackend;
  /** A raw S3 client for listings; destroyed after the test. */
  raw: S3Client;
}

/** Options of a fixture's store. */
export interface FixtureOptions {
  /** @default 200 — short, so a test that locks the store from another process fails fast. */
  busyTimeoutMs?: number;
  clearOnSuccess?: boolean;
  /**
   * Opens the fixture's store instead of the SQLite file in its dir (e.g. on a throwaway
   * PostgreSQL). `onCleanup` registers what to undo after the test, after the store is closed.
   */
  openStore?: (onCleanup: (cleanup: () => Promise<void>) => void) => Promise<StateStore>;
}

let fixtureCount = 0;

/**
 * Returns a maker of fixtures. After each test it kills every child process still running, closes
 * the fixture's backends and store, and removes its temp dir.
 */
export function useFixtures(): (
  server: S3Server,
  label: string,
  options?: FixtureOptions,
) => Promise<Fixture> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await killChildren();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (server, label, options = {}) => {
    const dir = await mkdtemp(join(tmpdir(), `flowstate-integrity-${label}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    fixtureCount += 1;
    const prefix = `it/${process.pid}-${Date.now().toString(36)}-${fixtureCount}-${label}`;
    const db = join(dir, "airflow.db");
    const store = options.openStore
      ? await options.openStore((cleanup) => cleanups.push(cleanup))
      : await openSqliteStateStore({
          path: db,
          busyTimeoutMs: options.busyTimeoutMs ?? 200,
          clearOnSuccess: options.clearOnSuccess ?? false,
        });
    cleanups.push(() => store.close());
    const raw = createTestS3Client(server);
    cleanups.push(async () => raw.destroy());
    const backendOptions = (endpoint = server.endpoint): S3StateBackendOptions => ({
      bucket: BUCKET,
      prefix,
      endpoint,
      region: server.region,
      forcePathStyle: true,
      multipartThreshold: 5 * MIB,
      partSize: 5 * MIB,
      queueSize: 1,
      ...(server.checksums ? { checksums: server.checksums } : {}),
    });
    const newBackend = (endpoint?: string) => {
      const backend = new S3StateBackend(backendOptions(endpoint));
      cleanups.push(() => backend.close());
      return backend;
    };
    const tis = [];
    for (const mapIndex of MAP_INDICES) tis.push(await store.createTaskInstance({ ...TASK, mapIndex }));
    await store.registerAsset(ASSET);
    return {
      dir,
      db,
      prefix,
      server,
      store,
      backend: newBackend(),
      tis,
      workerEnv: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey },
      backendOptions,
      newBackend,
      raw,
    };
  };
}

/**
 * An s3rver started (with the bucket) before the file's tests and stopped after them; the AWS SDK's
 * default credentials point at it.
 */
export function useS3rver(): S3rverProcess {
  const server = new S3rverProcess();
  beforeAll(async () => {
    await server.start(BUCKET);
    useCredentials(server);
  });
  afterAll(() => server.stop());
  return server;
}

/** Points the AWS SDK's default credential chain (which the backends use) at the server's test keys. */
export function useCredentials(server: Pick<S3Server, "accessKeyId" | "secretAccessKey">): void {
  process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
}

/** The scope of map index `mapIndex` of the fixtures' task. */
export function taskScope(mapIndex: number): TaskScope {
  return new TaskScope({ ...TASK, mapIndex });
}

/** The fixture's task instance of `mapIndex`. */
export function tiOf(fx: Fixture, mapIndex: number): TaskInstanceRecord {
  const ti = fx.tis.find((candidate) => candidate.mapIndex === mapIndex);
  if (!ti) throw new Error(`no task instance of map index ${mapIndex}`);
  return ti;
}

/** Task state of map index `mapIndex`, through the fixture's store and backend unless others are given. */
export function taskState(
  fx: Fixture,
  mapIndex = 0,
  deps: { client?: StateClient; backend?: StateBackend } = {},
): TaskStateAccessor {
  return new TaskStateAccessor({
    tiId: tiOf(fx, mapIndex).id,
    scope: taskScope(mapIndex),
    client: deps.client ?? fx.store.client(),
    backend: deps.backend ?? fx.backend,
    conf,
  });
}

/** Asset state of the fixtures' asset reached by its name or its uri, through the fixture's store and backend unless others are given. */
export function assetState(
  fx: Fixture,
  by: "name" | "uri",
  deps: { client?: StateClient; backend?: StateBackend } = {},
): AssetStateAccessor {
  const common = { client: deps.client ?? fx.store.client(), backend: deps.backend ?? fx.backend, conf };
  return by === "name"
    ? new AssetStateAccessor({ ...common, name: ASSET.name })
    : new AssetStateAccessor({ ...common, uri: ASSET.uri });
}

/** A value that says it was written for `key` of the fixtures' asset by `writer` as its `seq`th. */
export function assetValue(key: string, writer: string, seq: number, size = 200): string {
  return makeValue({ scope: scopeLabel({ name: ASSET.name }), key, writer, seq, size });
}

/** The spec of a value written for `key` of map index `mapIndex` by `writer` as its `seq`th. */
export function taskValueSpec(
  mapIndex: number,
  key: string,
  writer: string,
  seq: number,
  size = 200,
): ValueSpec {
  return { scope: scopeLabel({ ...TASK, mapIndex }), key, writer, seq, size };
}

/** A value that says it was written for `key` of map index `mapIndex` by `writer` as its `seq`th. */
export function taskValue(mapIndex: number, key: string, writer: string, seq: number, size = 200): string {
  return makeValue(taskValueSpec(mapIndex, key, writer, seq, size));
}

/** What {@link inspectIntegrity} found. */
export interface IntegrityReport {
  /** Broken promises, in words: empty when invariant 2 holds. */
  problems: string[];
  /** Rows naming an object. */
  rows: number;
  /** References the rows name. */
  named: string[];
  /** References the backend lists. */
  listed: string[];
  /** Listed references no row names. */
  orphans: string[];
}

/** {@link inspectIntegrity}, failing the test when it found a problem. */
export async function checkIntegrity(fx: Fixture): Promise<IntegrityReport> {
  const report = await inspectIntegrity(fx);
  expect(
    report.problems,
    "invariant 2: every row names a whole object; the bucket holds only listed versions",
  ).toEqual([]);
  return report;
}

/**
 * Invariant 2, checked from both sides: every row names an object the backend lists, the bucket
 * holds, and that reads back whole as a value written for that row's scope and key; every object
 * in the bucket is one the backend lists (no partial or stray object). Returns what it saw.
 */
export async function inspectIntegrity(fx: Fixture): Promise<IntegrityReport> {
  const problems: string[] = [];
  const rows: Array<{ scope: TaskScope | AssetScope; label: string; key: string; ref: string }> = [];
  for (const row of await fx.store.listTaskState()) {
    if (row.backend === null) continue;
    rows.push({ scope: new TaskScope(row), label: scopeLabel(row), key: row.key, ref: row.value });
  }
  for (const row of await fx.store.listAssetState()) {
    if (row.backend === null) continue;
    const scope = new AssetScope({ name: row.assetName, uri: row.assetUri });
    rows.push({ scope, label: scopeLabel({ name: row.assetName }), key: row.key, ref: row.value });
  }
  for (const { scope, label, key, ref } of rows) {
    try {
      const value =
        scope.kind === "task"
          ? await fx.backend.deserializeTaskStateFromRef(ref, { key, scope })
          : await fx.backend.deserializeAssetStateFromRef(ref, { key, scope });
      const spec = parseValue(value);
      if (!spec) problems.push(`${label} '${key}' -> ${ref}: not a whole value (${value.length} chars)`);
      else if (spec.scope !== label || spec.key !== key) {
        problems.push(`${label} '${key}' -> ${ref}: holds the value of ${spec.scope} '${spec.key}'`);
      }
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      problems.push(`${label} '${key}' -> ${ref}: ${code ?? "error"} ${message ?? String(error)}`);
    }
  }
  const listed = await listRefs(fx.backend);
  const listedSet = new Set(listed);
  const named = rows.map((row) => row.ref);
  for (const ref of named)
    if (!listedSet.has(ref)) problems.push(`a row names ${ref}, which the backend does not list`);
  const keyOf = (ref: string) => ref.slice(`s3://${BUCKET}/`.length);
  const objects = new Set(await listObjectKeys(fx));
  for (const ref of listed) if (!objects.has(keyOf(ref))) problems.push(`listed ${ref} is not in the bucket`);
  const listedKeys = new Set(listed.map(keyOf));
  for (const key of objects)
    if (!listedKeys.has(key)) problems.push(`the bucket holds ${key}, which is no listed reference`);
  const namedSet = new Set(named);
  return { problems, rows: rows.length, named, listed, orphans: listed.filter((ref) => !namedSet.has(ref)) };
}

/** Every reference the backend lists, all pages. */
export async function listRefs(backend: StateBackend): Promise<string[]> {
  const refs: string[] = [];
  for await (const page of backend.listStateRefs()) refs.push(...page.map((entry) => entry.ref));
  return refs;
}

/** Every object key under the fixture's prefix, by a raw ListObjectsV2. */
async function listObjectKeys(fx: Fixture): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await fx.raw.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${fx.prefix}/`, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Checks the invariants, then sweeps with no grace (the writers are done) and checks that the
 * bucket holds exactly the objects the rows name. `orphans`: how many the sweep must remove.
 */
export async function checkAndSweep(fx: Fixture, tally: Tally, orphans?: number): Promise<IntegrityReport> {
  const before = await checkIntegrity(fx);
  const swept = await sweepOrphanedState({ store: fx.store, backend: fx.backend, olderThanMs: 0 });
  expect(new Set(swept.orphans), "the sweep removes exactly the unnamed objects").toEqual(
    new Set(before.orphans),
  );
  if (orphans !== undefined) expect(swept.orphans, "orphans swept").toHaveLength(orphans);
  tally.orphansSwept += swept.orphans.length;
  const after = await checkIntegrity(fx);
  expect(after.orphans, "after the sweep the bucket holds exactly what rows name").toEqual([]);
  expect(new Set(after.listed)).toEqual(new Set(after.named));
  return after;
}

/** Orphan warnings the sdk emitted (process warnings with code FLOWSTATE_ORPHANED_OBJECTS) during a test. */
export interface OrphanWarnings {
  /** How many were emitted so far in this test (process warnings arrive on a later tick). */
  count(): Promise<number>;
}

export function useOrphanWarnings(): OrphanWarnings {
  let seen = 0;
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === "FLOWSTATE_ORPHANED_OBJECTS") seen += 1;
  };
  process.on("warning", listener);
  afterEach(() => {
    seen = 0;
  });
  afterAll(() => {
    process.off("warning", listener);
  });
  return {
    count: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return seen;
    },
  };
}

/** What a group of tests did, printed as one line when the group is done. */
export interface Tally {
  cases: number;
  faults: number;
  orphansSwept: number;
  /** Extra figures for the summary line. */
  notes: string[];
}

/** A tally printed with console.log after all tests of the file (or describe) ran. */
export function useTally(group: string): Tally {
  const tally: Tally = { cases: 0, faults: 0, orphansSwept: 0, notes: [] };
  const started = Date.now();
  afterAll(() => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const notes = tally.notes.length > 0 ? `; ${tally.notes.join("; ")}` : "";
    console.log(
      `[integrity] ${group}: ${tally.cases} cases, ${tally.faults} faults injected, ${tally.orphansSwept} orphans swept, ${seconds} s${notes}`,
    );
  });
  return tally;
}

/** Rejection of `promise` (or `undefined` when it resolved), for assertions on typed errors. */
export async function failureOf(promise: Promise<unknown>): Promise<(Error & { code?: string }) | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Error & { code?: string };
  }
}
