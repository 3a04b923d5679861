// Shared set-up of the api-server tests: a real SQLite store in a temp folder, a server built on
// it, task instances and assets, and tokens for them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStateStore, type StateStore, type TaskInstanceRecord } from "@flowstate/store";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach } from "vitest";
import { type ApiServerOptions, createApiServer, type GrantedAsset, issueTaskToken } from "../src/index.js";

export const SECRET = "test-secret-0123456789abcdef0123456789";
export const ORDERS = { name: "orders", uri: "s3://bucket/orders" };
export const OTHER_ASSET = { name: "other", uri: "s3://bucket/other" };

export interface Harness {
  dir: string;
  store: StateStore;
  app: FastifyInstance;
  /** Task instance `task` map index 0, and its mapped sibling (index 1) and an unrelated one. */
  ti: TaskInstanceRecord;
  sibling: TaskInstanceRecord;
  stranger: TaskInstanceRecord;
  /** A token for {@link ti}, granting {@link ORDERS} by name. */
  token: string;
}

/** Registers before/after hooks that build a fresh store and server for each test. */
export function useServer(options: Partial<ApiServerOptions> & { clearOnSuccess?: boolean } = {}): Harness {
  const h = {} as Harness;
  beforeEach(async () => {
    h.dir = await mkdtemp(join(tmpdir(), "flowstate-api-"));
    h.store = await openSqliteStateStore({
      path: join(h.dir, "airflow.db"),
      clearOnSuccess: options.clearOnSuccess ?? false,
    });
    const task = { dagId: "dag", runId: "run", taskId: "task" };
    h.ti = await h.store.createTaskInstance({ ...task, mapIndex: 0 });
    h.sibling = await h.store.createTaskInstance({ ...task, mapIndex: 1 });
    h.stranger = await h.store.createTaskInstance({ ...task, taskId: "other_task" });
    await h.store.registerAsset(ORDERS);
    await h.store.registerAsset(OTHER_ASSET);
    h.app = await createApiServer({ logger: false, ...options, store: h.store, jwtSecret: SECRET });
    h.token = await tokenFor(h.ti.id, [{ name: ORDERS.name }]);
  });
  afterEach(async () => {
    await h.app.close();
    await h.store.close();
    await rm(h.dir, { recursive: true, force: true });
  });
  return h;
}

/** A token for `tiId` granting `assets`, signed with {@link SECRET}. */
export function tokenFor(tiId: string, assets: GrantedAsset[] = [], ttlSeconds = 600): Promise<string> {
  return issueTaskToken({ secret: SECRET, tiId, inlets: assets, ttlSeconds });
}

/** `Authorization` header for a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** `/execution/task-states/{ti}/{key}` with both segments encoded. */
export function taskStateUrl(tiId: string, key?: string): string {
  const base = `/execution/task-states/${encodeURIComponent(tiId)}`;
  return key === undefined ? base : `${base}/${encodeURIComponent(key)}`;
}

/** `/execution/asset-states/by-{field}/{route}?…` with the query encoded. */
export function assetStateUrl(route: string, query: Record<string, string>, field = "name"): string {
  return `/execution/asset-states/by-${field}/${route}?${new URLSearchParams(query)}`;
}
