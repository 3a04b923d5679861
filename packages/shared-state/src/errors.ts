/**
 * Every error flowstate throws. Each one says what failed and what to fix, keeps the underlying
 * error as `cause`, and has a stable `code` for programs that branch on it.
 */

import { isCredentialName, redactSecrets } from "./redact.js";

/**
 * Base class of every flowstate error. Its message passes through `redactSecrets`: URL
 * userinfo and query strings, credential-like `name=value` pairs and access key ids never reach
 * a log, whoever built the message.
 */
export class FlowstateError extends Error {
  /** Stable machine-readable identifier, e.g. `"FLOWSTATE_CONFIG"`. */
  readonly code: string = "FLOWSTATE_ERROR";

  constructor(message: string, options?: { cause?: unknown }) {
    super(redactSecrets(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Where a configuration value came from, for messages that name what to fix. */
export interface ConfigValueSource {
  /** The INI file, or `"environment variable AIRFLOW__X__Y"`, or `"built-in default"`. */
  source?: string | undefined;
  section: string;
  key: string;
  value?: string | undefined;
}

/** A configuration file or value is missing, malformed, or of the wrong type. */
export class ConfigError extends FlowstateError {
  override readonly code = "FLOWSTATE_CONFIG";
  readonly source: string | undefined;
  readonly section: string | undefined;
  readonly key: string | undefined;
  readonly value: string | undefined;

  constructor(message: string, where?: Partial<ConfigValueSource>, options?: { cause?: unknown }) {
    super(message, options);
    this.source = where?.source;
    this.section = where?.section;
    this.key = where?.key;
    // The value as the operator wrote it, for programs; never a credential.
    const value = where?.value;
    this.value =
      value === undefined ? undefined : isCredentialName(where?.key ?? "") ? "***" : redactSecrets(value);
  }
}

/** Why `importString` could not produce the named export. */
export type ImportStringFailure = "invalid-path" | "module-not-found" | "export-not-found" | "module-threw";

/** A dotted class path (`package.ExportName`) could not be imported. */
export class ImportStringError extends FlowstateError {
  override readonly code = "FLOWSTATE_IMPORT_STRING";
  constructor(
    message: string,
    readonly importPath: string,
    readonly reason: ImportStringFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The configured worker state backend could not be loaded. The message names the config key, where
 * its value was set (`options.source`, when known) and the class path; `cause` says why (an
 * {@link ImportStringError}, a bad class, a throwing constructor).
 */
export class StateBackendLoadError extends FlowstateError {
  override readonly code = "FLOWSTATE_BACKEND_LOAD";
  /** Where `[workers] state_backend` was set: `/path/airflow.cfg line 2`, `environment variable …`. */
  readonly source: string | undefined;
  constructor(
    readonly classPath: string,
    options: { cause: unknown; source?: string | undefined },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const where = options.source ? ` (set in ${options.source})` : "";
    super(
      `Could not load worker state backend '${classPath}'. Check the [workers] state_backend config value${where}. Error: ${why}`,
      { cause: options.cause },
    );
    this.source = options.source;
  }
}

/** A key, value or scope handed to flowstate is not acceptable. Nothing was written. */
export class StateValidationError extends FlowstateError {
  override readonly code: string = "FLOWSTATE_VALIDATION";
}

/** A task-state or asset-state key is empty, too long, not a string, or has forbidden characters. */
export class InvalidStateKeyError extends StateValidationError {
  override readonly code = "FLOWSTATE_INVALID_KEY";
}

/** A state value is not a string. */
export class InvalidStateValueError extends StateValidationError {
  override readonly code = "FLOWSTATE_INVALID_VALUE";
}

/** A {@link TaskScope} or {@link AssetScope} was built from bad identifiers. */
export class InvalidScopeError extends StateValidationError {
  override readonly code = "FLOWSTATE_INVALID_SCOPE";
}

/** Which backend operation failed, for {@link StateBackendError}. */
export type StateBackendOperation =
  | "get"
  | "set"
  | "delete"
  | "clear"
  | "list"
  | "serialize"
  | "deserialize"
  | "connect"
  | "close";

/** Details every backend error carries. Never put credentials here. */
export interface StateBackendErrorDetails {
  /** Short backend name, e.g. `"s3"`, `"memory"`. */
  backend: string;
  operation: StateBackendOperation;
  /** Where the backend was working: a bucket, a file path, a reference. */
  location?: string | undefined;
  cause?: unknown;
}

/**
 * A backend's storage failed (outage, refused credentials, missing bucket). The message reads
 * `[flowstate] [s3] set failed for s3://bucket/key: <what to fix>`.
 */
export class StateBackendError extends FlowstateError {
  override readonly code: string = "FLOWSTATE_BACKEND";
  readonly backend: string;
  readonly operation: StateBackendOperation;
  readonly location: string | undefined;

  constructor(message: string, details: StateBackendErrorDetails) {
    const where = details.location ? ` for ${details.location}` : "";
    super(`[flowstate] [${details.backend}] ${details.operation} failed${where}: ${message}`, {
      cause: details.cause,
    });
    this.backend = details.backend;
    this.operation = details.operation;
    this.location = details.location;
  }
}

/**
 * A stored reference is not one this backend wrote for that scope and key: another bucket or
 * prefix, another backend's scheme, or garbage. The backend refuses to read it rather than read
 * some other object.
 */
export class StateReferenceError extends StateBackendError {
  override readonly code: string = "FLOWSTATE_BAD_REFERENCE";
}

/**
 * A row was written through another worker backend than the one configured here (or the
 * configuration no longer names one): its stored string is a reference, never a value. The
 * message names the backend that wrote it and how to fix the configuration.
 */
export class StateBackendMismatchError extends StateReferenceError {
  override readonly code = "FLOWSTATE_BACKEND_MISMATCH";
  /** The backend recorded with the row (a class path). */
  readonly writtenBy: string;
  /** The backend configured on this worker, or `undefined` when none is. */
  readonly configured: string | undefined;

  constructor(
    message: string,
    details: StateBackendErrorDetails & { writtenBy: string; configured: string | undefined },
  ) {
    super(message, details);
    this.writtenBy = details.writtenBy;
    this.configured = details.configured;
  }
}

/** A reference is well-formed, but the object it names is gone from the backend's storage. */
export class StateObjectMissingError extends StateBackendError {
  override readonly code = "FLOWSTATE_OBJECT_MISSING";
}

/** The metadata store (SQLite, PostgreSQL, an API server) failed or refused a request. */
export class StateStoreError extends FlowstateError {
  override readonly code: string = "FLOWSTATE_STORE";
}

/** The metadata store has no task instance with that id. */
export class TaskInstanceNotFoundError extends StateStoreError {
  override readonly code = "FLOWSTATE_TI_NOT_FOUND";
}

/** The metadata store has no active asset with that name or uri. */
export class AssetNotFoundError extends StateStoreError {
  override readonly code = "FLOWSTATE_ASSET_NOT_FOUND";
}
