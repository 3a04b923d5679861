/**
 * The {@link StateClient} of a worker on many machines: the state API server's routes over HTTP
 * (`@flowstate/api-server`), with the worker's task token. Only values without a worker backend,
 * and references, cross the network.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  type AssetIdentity,
  AssetNotFoundError,
  type AssetRef,
  ConfigError,
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  type RemovedAssetState,
  type RemovedTaskState,
  redactUrl,
  type SetAssetStateOptions,
  type SetTaskStateOptions,
  type StateClient,
  StateStoreError,
  StateValidationError,
  type StoredState,
  type SucceedTaskResult,
  sanitizedCause,
  TaskInstanceNotFoundError,
} from "@flowstate/shared-state";
import { Agent, request } from "undici";

/** Options of {@link HttpStateClient}. */
export interface HttpStateClientOptions {
  /**
   * The Execution API base URL, prefix included, as `[core] execution_api_server_url` gives it,
   * e.g. `http://api-server:8080/execution`.
   */
  url: string;
  /** The task instance's token (`issueTaskToken` of `@flowstate/api-server`). */
  token: string;
  /**
   * Bound of each attempt (connecting, sending, and reading the whole answer), in milliseconds. A call takes at most `(retries + 1) × timeoutMs` plus the backoff pauses.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * How many times an idempotent call (reads, deletes, clears, writes of one value) is retried
   * after a connection error or a 502/503/504, with exponential backoff and jitter, honouring
   * `Retry-After` (up to 30 s). Succeeding and failing a task instance are never retried.
   * @default 3
   */
  retries?: number;
}

/** The server refused or failed a request: its HTTP status and the error body's `reason`. */
export class StateApiError extends StateStoreError {
  override readonly code: string = "FLOWSTATE_STATE_API";
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 3;
const RETRY_STATUSES = new Set([502, 503, 504]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;
const MAX_RETRY_AFTER_MS = 30_000;

interface Call {
  method: "GET" | "PUT" | "DELETE" | "POST";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Whether sending it twice is harmless, so it may be retried. */
  idempotent: boolean;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** Which attempt answered (0: the first). */
  attempt: number;
}

/**
 * A {@link StateClient} over the state API server. Every write answers with the rows the server
 * replaced or removed, so the accessors delete exactly the objects those rows named.
 *
 * A retried write of a reference that the server answers with that same reference as "replaced"
 * was applied by an earlier attempt whose answer was lost: it reports nothing replaced (the row
 * the first attempt replaced is left as an orphan object for `sweepOrphanedState`), never the
 * reference the row now names.
 */
export class HttpStateClient implements StateClient {
  readonly #base: URL;
  readonly #shown: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #agent: Agent;

  constructor(options: HttpStateClientOptions) {
    const { url, token, timeoutMs = DEFAULT_TIMEOUT_MS, retries = DEFAULT_RETRIES } = options ?? {};
    this.#base = parseBaseUrl(url);
    this.#shown = redactUrl(this.#base.href);
    if (typeof token !== "string" || token.trim() === "") {
      throw new ConfigError("HttpStateClient needs the task instance's `token`.");
    }
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
      throw new ConfigError(
        `Invalid HttpStateClient timeoutMs ${String(timeoutMs)}: expected a positive integer.`,
      );
    }
    if (!Number.isSafeInteger(retries) || retries < 0) {
      throw new ConfigError(`Invalid HttpStateClient retries ${String(retries)}: expected an integer ≥ 0.`);
    }
    this.#token = token;
    this.#timeoutMs = timeoutMs;
    this.#retries = retries;
    this.#agent = new Agent({
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  async getTaskState(tiId: string, key: string): Promise<StoredState | undefined> {
    return storedOrNothing(await this.#call({ method: "GET", path: taskPath(tiId, key), idempotent: true }));
  }

  async setTaskState(
    tiId: string,
    key: string,
    value: string,
    options: SetTaskStateOptions,
  ): Promise<StoredState | undefined> {
    const backend = options?.backend ?? null;
    const expiresAt = options?.expiresAt;
    const body = { value, backend, expires_at: expiresAt instanceof Date ? expiresAt.toISOString() : null };
    const answer = await this.#call({ method: "PUT", path: taskPath(tiId, key), body, idempotent: true });
    return replacedRow(answer, value, backend);
  }

  async deleteTaskState(tiId: string, key: string): Promise<StoredState | undefined> {
    const answer = await this.#call({ method: "DELETE", path: taskPath(tiId, key), idempotent: true });
    return nullableStored(answer.body.removed);
  }

  async clearTaskState(tiId: string, options?: { allMapIndices?: boolean }): Promise<RemovedTaskState[]> {
    const query = options?.allMapIndices ? { all_map_indices: "true" } : undefined;
    const answer = await this.#call({ method: "DELETE", path: taskPath(tiId), query, idempotent: true });
    return removedTaskRows(answer.body.removed);
  }

  async getAsset(asset: AssetRef): Promise<AssetIdentity | undefined> {
    const [field, query] = assetQuery(asset);
    const answer = await this.#call({ method: "GET", path: `assets/by-${field}`, query, idempotent: true });
    if (answer.status === 404 && answer.body.reason === "asset_not_found") return undefined;
    return { name: String(answer.body.name), uri: String(answer.body.uri) };
  }

  async getAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined> {
    return storedOrNothing(await this.#assetValue("GET", asset, key));
  }

  async setAssetState(
    asset: AssetRef,
    key: string,
    value: string,
    options?: SetAssetStateOptions,
  ): Promise<StoredState | undefined> {
    const backend = options?.backend ?? null;
    return replacedRow(await this.#assetValue("PUT", asset, key, { value, backend }), value, backend);
  }

  async deleteAssetState(asset: AssetRef, key: string): Promise<StoredState | undefined> {
    return nullableStored((await this.#assetValue("DELETE", asset, key)).body.removed);
  }

  async clearAssetState(asset: AssetRef): Promise<RemovedAssetState[]> {
    const [field, query] = assetQuery(asset);
    const path = `asset-states/by-${field}/clear`;
    const answer = await this.#call({ method: "DELETE", path, query, idempotent: true });
    return rowsOf(answer.body.removed).map((row) => ({ ...stored(row), key: String(row.key) }));
  }

  async succeedTask(tiId: string): Promise<SucceedTaskResult> {
    const path = `task-instances/${encodeURIComponent(tiId)}/succeed`;
    const answer = await this.#call({ method: "POST", path, idempotent: false });
    return { clearedState: removedTaskRows(answer.body.cleared_state) };
  }

  async failTask(tiId: string): Promise<void> {
    const path = `task-instances/${encodeURIComponent(tiId)}/fail`;
    await this.#call({ method: "POST", path, idempotent: false });
  }

  #assetValue(
    method: "GET" | "PUT" | "DELETE",
    asset: AssetRef,
    key: string,
    body?: unknown,
  ): Promise<Answer> {
    const [field, query] = assetQuery(asset);
    const path = `asset-states/by-${field}/value`;
    return this.#call({ method, path, query: { ...query, key }, body, idempotent: true });
  }

  /** One call, with retries; answers 2xx and the 404s the caller reads as "nothing", throws the rest. */
  async #call(call: Call): Promise<Answer> {
    const url = new URL(call.path, this.#base);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
    for (let attempt = 0; ; attempt += 1) {
      const retriesLeft = attempt < this.#retries;
      let status: number;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const response = await request(url, {
          method: call.method,
          dispatcher: this.#agent,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: "application/json",
            ...(call.body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: call.body === undefined ? null : JSON.stringify(call.body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        status = response.statusCode;
        retryAfter = response.headers["retry-after"];
        text = await response.body.text();
      } catch (error) {
        if (retriesLeft && (call.idempotent || nothingSent(error))) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw this.#unreachable(call, attempt + 1, error);
      }
      if (RETRY_STATUSES.has(status) && retriesLeft && call.idempotent) {
        const wait = retryAfterMs(retryAfter) ?? backoffMs(attempt);
        if (wait <= MAX_RETRY_AFTER_MS) {
          await sleep(wait);
          continue;
        }
      }
      const body = parseBody(text);
      if (status >= 200 && status < 300) return { status, body, attempt };
      if (status === 404 && (body.reason === "state_not_found" || body.reason === "asset_not_found")) {
        if (call.method === "GET") return { status, body, attempt };
      }
      throw this.#refused(call, status, body);
    }
  }

  #where(call: Call): string {
    return `[flowstate] state API ${call.method} ${this.#shown}${call.path}`;
  }

  #unreachable(call: Call, attempts: number, error: unknown): StateStoreError {
    const why = error instanceof Error ? error.message : String(error);
    return new StateStoreError(
      `${this.#where(call)} failed after ${attempts} attempt(s) (timeout ${this.#timeoutMs} ms each): ${why}. Check that the API server at [core] execution_api_server_url is running and reachable.`,
      { cause: sanitizedCause(error) },
    );
  }

  #refused(call: Call, status: number, body: Record<string, unknown>): Error {
    const reason = typeof body.reason === "string" ? body.reason : "unknown";
    const said = typeof body.message === "string" ? body.message : "(no message)";
    const message = `${this.#where(call)} answered ${status} ${reason}: ${said}`;
    if (status === 404 && reason === "task_instance_not_found") return new TaskInstanceNotFoundError(message);
    if (status === 404 && reason === "asset_not_found") return new AssetNotFoundError(message);
    if (status === 413) return new InvalidStateValueError(message);
    if (status === 422 && reason === "invalid_key") return new InvalidStateKeyError(message);
    if (status === 422 && reason === "invalid_value") return new InvalidStateValueError(message);
    if (status === 422 && reason === "invalid_scope") return new InvalidScopeError(message);
    if (status === 422) return new StateValidationError(message);
    if (status === 401 || status === 403) {
      return new StateApiError(
        `${message} (check the task's token and the server's [api_auth] jwt_secret)`,
        status,
        reason,
      );
    }
    return new StateApiError(message, status, reason);
  }
}

function parseBaseUrl(url: unknown): URL {
  const key = { section: "core", key: "execution_api_server_url" };
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new ConfigError(
      "[core] execution_api_server_url must be an http(s) URL of the API server's Execution API, e.g. http://api-server:8080/execution",
      key,
    );
  }
  if (!parsed.pathname.endsWith("/")) parsed.pathname = `${parsed.pathname}/`;
  parsed.search = "";
  parsed.hash = "";
  return parsed;
}

function taskPath(tiId: string, key?: string): string {
  const ti = `task-states/${encodeURIComponent(tiId)}`;
  return key === undefined ? ti : `${ti}/${encodeURIComponent(key)}`;
}

function assetQuery(asset: AssetRef): ["name" | "uri", Record<string, string>] {
  return asset.name !== undefined ? ["name", { name: asset.name }] : ["uri", { uri: String(asset.uri) }];
}

/** A connection refused before anything was sent: safe to retry even a non-idempotent call. */
function nothingSent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || code === "UND_ERR_CONNECT_TIMEOUT";
}

/** Exponential backoff with jitter: half to all of `base × 2^attempt`, capped. */
function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** `Retry-After` (seconds, or an HTTP date) in milliseconds; `undefined` when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function stored(row: Record<string, unknown>): StoredState {
  return { value: String(row.value), backend: typeof row.backend === "string" ? row.backend : null };
}

/** The row a read answered; `undefined` for the 404 of a key that holds nothing. */
function storedOrNothing(answer: Answer): StoredState | undefined {
  return answer.status === 404 ? undefined : stored(answer.body);
}

function nullableStored(row: unknown): StoredState | undefined {
  return typeof row === "object" && row !== null ? stored(row as Record<string, unknown>) : undefined;
}

function rowsOf(rows: unknown): Record<string, unknown>[] {
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

function removedTaskRows(rows: unknown): RemovedTaskState[] {
  return rowsOf(rows).map((row) => ({
    ...stored(row),
    mapIndex: Number(row.map_index),
    key: String(row.key),
  }));
}

/**
 * The row a write replaced. On a retry, a reference answered as "replaced" that is exactly what
 * was sent was written by an earlier attempt: nothing the caller may delete.
 */
function replacedRow(answer: Answer, value: string, backend: string | null): StoredState | undefined {
  const replaced = nullableStored(answer.body.replaced);
  const ownEarlierWrite =
    answer.attempt > 0 && backend !== null && replaced?.value === value && replaced.backend === backend;
  return ownEarlierWrite ? undefined : replaced;
}
