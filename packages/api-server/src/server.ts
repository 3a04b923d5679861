import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { openStateStore, type StateStore } from "@flowstate/store";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { registerAssetStateRoutes } from "./asset-states.js";
import { authenticate, type TokenVerification, tokenVerification } from "./auth.js";
import type { RouteContext } from "./context.js";
import { handleError, handleNotFound } from "./errors.js";
import { type DocumentedRoute, openApiDocument, routeCollector } from "./openapi.js";
import { registerTaskInstanceRoutes } from "./task-instances.js";
import { registerTaskStateRoutes } from "./task-states.js";

/** The prefix every route lives under (the version of the API is in its OpenAPI document). */
export const API_PREFIX = "/execution";
/** The API's version, as the OpenAPI document states it. */
export const API_VERSION = "1.0.0";
/** Largest plain value accepted when neither the option nor `[state_store] max_value_bytes` says. */
export const DEFAULT_MAX_VALUE_BYTES = 65_536;
/** Default listening address: loopback only. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default port, Airflow's API server port. */
export const DEFAULT_PORT = 8080;
/** Log paths never written: the token, in whatever object a request is logged as. */
export const REDACTED_LOG_PATHS = [
  "req.headers.authorization",
  "headers.authorization",
  "request.headers.authorization",
];

/** Options of {@link createApiServer} and {@link startApiServer}. */
export interface ApiServerOptions {
  /** The metadata store to serve; it stays open when the server closes. One of `store` or `conf` is required. */
  store?: StateStore;
  /**
   * The configuration: without `store`, the store is opened with `openStateStore(conf)` (and closed
   * with the server); `[api_auth] jwt_secret` and `[state_store] max_value_bytes` are read from it
   * when the options do not give them.
   */
  conf?: ConfigReader;
  /** Address to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; `0` picks a free one (tests). @default 8080 */
  port?: number;
  /** HS256 secret that signs task tokens, at least 32 bytes. @default `[api_auth] jwt_secret` */
  jwtSecret?: string;
  /**
   * An Ed25519 private key (PEM, PKCS#8): tokens are then EdDSA-signed with it and checked with its
   * public half, and `jwtSecret` is not used. @default the file `[api_auth] jwt_private_key_path` names
   */
  jwtPrivateKey?: string;
  /** Largest plain value (no `backend`), in UTF-8 bytes. @default `[state_store] max_value_bytes`, else 65536 */
  maxValueBytes?: number;
  /**
   * A pino logger (a child with the authorization header redacted is used), or `false` for none.
   * Every request line carries its request id (`reqId`); values and tokens are never logged.
   * @default pino at level info, to stdout
   */
  logger?: Logger | false;
}

/** A listening server: where it is, and how to stop it. */
export interface RunningApiServer {
  /** `http://host:port`, without the prefix. */
  url: string;
  /** The Execution API base, `url` + `/execution`: what `[core] execution_api_server_url` names. */
  apiUrl: string;
  port: number;
  /** The fastify instance. */
  app: FastifyInstance;
  /** Stops listening, finishes requests in flight, and closes the store if the server opened it. */
  close(): Promise<void>;
}

/**
 * Builds the state API server (not listening: use `inject`, or {@link startApiServer}). It holds
 * no state of its own: every request goes to the store, so several processes can serve one database.
 * @throws `ConfigError` for a missing or short secret, a bad `maxValueBytes`, or neither store nor conf.
 */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const key = await verificationOf(options);
  const maxValueBytes = resolveMaxValueBytes(options);
  const store = options.store ?? (options.conf ? await openStateStore(options.conf) : undefined);
  if (!store) throw new ConfigError("createApiServer needs a `store`, or a `conf` to open one with.");
  const app = Fastify({
    ...loggerOptions(options.logger),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: Math.max(1_048_576, maxValueBytes * 6 + 65_536),
    routerOptions: { maxParamLength: 65_536 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  if (!options.store) app.addHook("onClose", () => store.close());
  try {
    await registerRoutes(app, store, maxValueBytes, key);
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** The key pair's public half when a private key is configured, else the shared secret. */
async function verificationOf(options: ApiServerOptions): Promise<TokenVerification> {
  const path = options.conf?.get("api_auth", "jwt_private_key_path", { fallback: "" }).trim();
  const privateKey = options.jwtPrivateKey ?? (path ? await readPrivateKey(path) : undefined);
  return tokenVerification(
    options.jwtSecret ?? options.conf?.get("api_auth", "jwt_secret", { fallback: "" }),
    privateKey,
  );
}

async function readPrivateKey(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `[api_auth] jwt_private_key_path names ${path}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}. Point it at the PEM file of an Ed25519 private key.`,
      { section: "api_auth", key: "jwt_private_key_path" },
    );
  }
}

async function registerRoutes(
  app: FastifyInstance,
  store: StateStore,
  maxValueBytes: number,
  key: TokenVerification,
): Promise<void> {
  const routes: DocumentedRoute[] = [];
  app.addHook("onRoute", routeCollector(routes));
  // A callback hook, not an async one: it runs on every response, and costs no promise there.
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    done(null, payload);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  const ctx: RouteContext = { store, client: store.client(), maxValueBytes, auth: authenticate(key) };
  await app.register(
    async (api) => {
      registerTaskStateRoutes(api, ctx);
      registerAssetStateRoutes(api, ctx, "name");
      registerAssetStateRoutes(api, ctx, "uri");
      registerTaskInstanceRoutes(api, ctx);
      api.get("/health", { schema: { summary: "Whether the server and its store answer" } }, async () => {
        await store.getTaskInstance("health-probe");
        return { status: "ok" };
      });
      api.get("/openapi.json", { schema: { summary: "This document" } }, async () =>
        openApiDocument(routes, API_VERSION),
      );
    },
    { prefix: API_PREFIX },
  );
  await app.ready();
}

/** Builds the server and listens on `host`:`port`. */
export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const app = await createApiServer(options);
  const host = options.host ?? DEFAULT_HOST;
  try {
    await app.listen({ host, port: options.port ?? DEFAULT_PORT });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  return { url, apiUrl: `${url}${API_PREFIX}`, port, app, close: () => app.close() };
}

function loggerOptions(
  logger: Logger | false | undefined,
): { logger: false } | { loggerInstance: FastifyBaseLogger } {
  if (logger === false) return { logger: false };
  const base = logger ?? pino({ level: "info" });
  return { loggerInstance: base.child({}, { redact: REDACTED_LOG_PATHS }) };
}

function resolveMaxValueBytes(options: ApiServerOptions): number {
  const value =
    options.maxValueBytes ??
    options.conf?.getInt("state_store", "max_value_bytes", { fallback: DEFAULT_MAX_VALUE_BYTES }) ??
    DEFAULT_MAX_VALUE_BYTES;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new ConfigError(`[state_store] max_value_bytes must be a positive integer, got ${String(value)}.`, {
    section: "state_store",
    key: "max_value_bytes",
    value: String(value),
  });
}
