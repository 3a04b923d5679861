import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { ConfigError, type StateClient } from "@flowstate/shared-state";
import type { FastifyReply, FastifyRequest } from "fastify";
import { errors, jwtVerify, SignJWT } from "jose";
import { ApiError } from "./errors.js";

/** The audience every task token is issued for; a token for another audience is refused. */
export const TOKEN_AUDIENCE = "flowstate:execution-api";
/** The issuer written into task tokens. */
export const TOKEN_ISSUER = "flowstate";
/** Shortest accepted HS256 secret, in UTF-8 bytes (256 bits, as RFC 7518 asks). */
export const MIN_SECRET_BYTES = 32;

/** An asset a token grants, by name, by uri, or both (an Airflow `Asset`). */
export interface GrantedAsset {
  name?: string | undefined;
  uri?: string | undefined;
}

/** Arguments of {@link issueTaskToken}: the server's secret, or the private half of its key pair. */
export interface IssueTaskTokenOptions {
  /** The server's HS256 secret (`[api_auth] jwt_secret`), at least {@link MIN_SECRET_BYTES} bytes. */
  secret?: string | undefined;
  /**
   * An Ed25519 private key (PEM, PKCS#8) to sign with EdDSA instead (`[api_auth] jwt_private_key_path`);
   * the server then needs only its public half.
   */
  privateKey?: string | KeyObject | undefined;
  /** The task instance the token is for: its `sub`. */
  tiId: string;
  /** The task's inlet assets: their state may be read and written. */
  inlets?: readonly GrantedAsset[];
  /** The task's outlet assets: their state may be read and written. */
  outlets?: readonly GrantedAsset[];
  /** How long the token is valid, in seconds. @default 3600 */
  ttlSeconds?: number;
}

/** What a verified token allows. */
export interface TaskPrincipal {
  tiId: string;
  assets: GrantedAsset[];
}

/**
 * Issues a signed, expiring token (HS256 JWT) for one task instance: `sub` is the task instance
 * id, `aud` {@link TOKEN_AUDIENCE}, `exp` now + `ttlSeconds`, and the `assets` claim lists the
 * inlets and outlets whose state the task may touch.
 */
export async function issueTaskToken(options: IssueTaskTokenOptions): Promise<string> {
  const { tiId, ttlSeconds = 3600 } = options;
  if (typeof tiId !== "string" || tiId === "")
    throw new ConfigError("issueTaskToken: tiId must be a non-empty string.");
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new ConfigError("issueTaskToken: ttlSeconds must be a positive number.");
  }
  const assets = [...(options.inlets ?? []), ...(options.outlets ?? [])].map(({ name, uri }) => ({
    ...(name === undefined ? {} : { name }),
    ...(uri === undefined ? {} : { uri }),
  }));
  const signing =
    options.privateKey === undefined
      ? { alg: "HS256", key: createSecretKey(secretKey(options.secret)) }
      : { alg: "EdDSA", key: ed25519PrivateKey(options.privateKey) };
  return new SignJWT({ assets })
    .setProtectedHeader({ alg: signing.alg, typ: "JWT" })
    .setSubject(tiId)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.ceil(ttlSeconds))
    .sign(signing.key);
}

/** How the server checks task tokens: one algorithm, one key (no algorithm is taken from a token). */
export interface TokenVerification {
  algorithm: "HS256" | "EdDSA";
  key: KeyObject;
}

/**
 * The server's verification key: the public half of an Ed25519 key pair when a private key is
 * given, else the HS256 secret.
 * @throws `ConfigError` naming the config key to fix.
 */
export function tokenVerification(secret: unknown, privateKey?: string | KeyObject): TokenVerification {
  if (privateKey !== undefined) {
    return { algorithm: "EdDSA", key: createPublicKey(ed25519PrivateKey(privateKey)) };
  }
  return { algorithm: "HS256", key: createSecretKey(secretKey(secret)) };
}

function ed25519PrivateKey(pem: string | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = typeof pem === "string" ? createPrivateKey(pem) : pem;
  } catch (error) {
    throw new ConfigError(
      "[api_auth] jwt_private_key_path must name a PEM (PKCS#8) Ed25519 private key, e.g. made with `openssl genpkey -algorithm ed25519`.",
      { section: "api_auth", key: "jwt_private_key_path" },
      { cause: new Error(error instanceof Error ? error.message : String(error)) },
    );
  }
  if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
    throw new ConfigError(
      `[api_auth] jwt_private_key_path must name an Ed25519 private key, got ${key.asymmetricKeyType ?? key.type} (make one with \`openssl genpkey -algorithm ed25519\`).`,
      { section: "api_auth", key: "jwt_private_key_path" },
    );
  }
  return key;
}

/**
 * The HS256 key of a secret.
 * @throws `ConfigError` naming `[api_auth] jwt_secret` when the secret is missing or too short.
 */
export function secretKey(secret: unknown): Uint8Array {
  if (typeof secret !== "string" || Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `[api_auth] jwt_secret must be set to a secret of at least ${MIN_SECRET_BYTES} bytes (e.g. the output of \`openssl rand -hex 32\`).`,
      { section: "api_auth", key: "jwt_secret" },
    );
  }
  return new TextEncoder().encode(secret);
}

const principals = new WeakMap<FastifyRequest, TaskPrincipal>();

/** Verified tokens kept, so a task's next call skips the signature check: at most this many. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * An `onRequest` hook that verifies the bearer token and remembers its principal. The key is
 * imported once, and a verified token is remembered until it expires (a token is its own cache
 * key: the same string always carries the same claims), so a task's calls after its first cost no
 * signature check.
 */
export function authenticate(verification: TokenVerification) {
  const verified = new Map<string, { principal: TaskPrincipal; expiresAtMs: number }>();
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
    if (!token)
      throw new ApiError(401, "unauthorized", "Send the task's token: `Authorization: Bearer <token>`.");
    const known = verified.get(token);
    if (known !== undefined && Date.now() < known.expiresAtMs) {
      principals.set(request, known.principal);
      return;
    }
    verified.delete(token);
    const checked = await verify(token, verification);
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
    verified.set(token, checked);
    principals.set(request, checked.principal);
  };
}

async function verify(
  token: string,
  { algorithm, key }: TokenVerification,
): Promise<{ principal: TaskPrincipal; expiresAtMs: number }> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [algorithm],
      audience: TOKEN_AUDIENCE,
      issuer: TOKEN_ISSUER,
      requiredClaims: ["sub", "exp"],
    });
    const principal = { tiId: payload.sub as string, assets: grantedAssets(payload.assets) };
    return { principal, expiresAtMs: (payload.exp as number) * 1000 };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new ApiError(401, "unauthorized", "The token has expired; the task needs a new one.");
    }
    throw new ApiError(401, "unauthorized", "The token is not valid for this server.");
  }
}

function grantedAssets(claim: unknown): GrantedAsset[] {
  if (!Array.isArray(claim)) return [];
  return claim.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { name, uri } = entry as Record<string, unknown>;
    return [
      { name: typeof name === "string" ? name : undefined, uri: typeof uri === "string" ? uri : undefined },
    ];
  });
}

/** The principal of an authenticated request. */
export function principalOf(request: FastifyRequest): TaskPrincipal {
  const principal = principals.get(request);
  if (!principal) throw new ApiError(401, "unauthorized", "Send the task's token.");
  return principal;
}

/** @throws 403 unless the token is for task instance `tiId`. */
export function requireTaskInstance(request: FastifyRequest, tiId: string): void {
  if (principalOf(request).tiId !== tiId) {
    throw new ApiError(403, "forbidden", "The token is for another task instance.");
  }
}

/**
 * @throws 403 unless the token grants the asset. The asset is resolved in the store first, so an
 *   asset granted by name is reachable by its uri, and the other way round.
 */
export async function requireAsset(
  request: FastifyRequest,
  client: StateClient,
  asset: { name: string } | { uri: string },
): Promise<void> {
  const { assets } = principalOf(request);
  const found = await client.getAsset(asset);
  const identity: GrantedAsset = found ?? asset;
  const granted = assets.some(
    (grant) =>
      (grant.name !== undefined && grant.name === identity.name) ||
      (grant.uri !== undefined && grant.uri === identity.uri),
  );
  if (!granted) throw new ApiError(403, "forbidden", "The token does not grant this asset.");
}
