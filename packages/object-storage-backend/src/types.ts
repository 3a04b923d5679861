import type { Readable } from "node:stream";
import type { StateBackendOperation } from "@flowstate/shared-state";
import type { ObjectCompression } from "./codec.js";
import type { ValueParts } from "./parts.js";

/** Who a concrete object-storage backend is, for references, locations and messages. */
export interface ObjectStoreIdentity {
  /** Short backend name in every message: `[flowstate] [s3] …`. */
  backend: string;
  /** The URL scheme of references and locations: `s3` gives `s3://<bucket>/<name>`. */
  scheme: string;
  /** The npm package, named when an object needs a newer version of it to be read. */
  packageName: string;
  /** The config section the backend reads besides its kwargs, e.g. `s3_state_backend`. */
  configSection: string;
}

/**
 * The bounded waits every object-storage backend has (config keys `connect_timeout_ms`,
 * `request_timeout_ms`, `max_attempts`). Every storage call is bounded by them: a silent endpoint
 * fails within `maxAttempts × requestTimeoutMs` plus the backoff between attempts, with an error
 * that names the endpoint and the option to raise.
 */
export interface BoundedWaitOptions {
  /**
   * How long opening a connection to the endpoint may take, in milliseconds.
   * Config key `connect_timeout_ms`.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long one request may wait for its answer, and how long a connection may stay idle while
   * a value streams in or out, in milliseconds. Config key `request_timeout_ms`.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How many times one request is tried (1: no retry). Retries wait with exponential backoff and
   * jitter. Every request flowstate sends is safe to repeat: values go to new, uniquely named
   * versions, and deleting a name twice is harmless. Config key `max_attempts`.
   * @default 3
   */
  maxAttempts?: number;
}

/** The resolved options every object-storage backend has, whatever else it adds. */
export interface ObjectStorageOptions extends Required<BoundedWaitOptions> {
  bucket: string;
  /** Normalised: no leading or trailing `/`; `""` for none. */
  prefix: string;
  compression: ObjectCompression;
}

/** One object to write, already encoded. */
export interface ObjectWrite {
  /**
   * The stored bytes: a `Buffer` for values below the backend's stream threshold (one simple
   * request), else a stream of unknown length (a multipart or resumable upload).
   */
  body: Buffer | Readable;
  /**
   * The same bytes as a stream {@link body}, produced a part at a time into buffers the writer
   * owns (a multipart upload from a few reused part buffers); present exactly when `body` is a
   * stream. A writer reads one or the other: each is encoded only when read.
   */
  parts?: ValueParts | undefined;
  contentType: string;
  /** Custom metadata to keep with the object; it records the encoding and the expiry. */
  metadata: Record<string, string>;
  /**
   * When the value expires, for a store's native expiry (GCS `customTime`); `undefined`: never.
   * It is in {@link metadata} too, as `flowstate-expires-at`.
   */
  expiresAt: Date | undefined;
}

/** An object found by a read: its custom metadata, and its bytes as a stream not yet consumed. */
export interface StoredObject {
  /** The object's custom (user) metadata, where the encoding is recorded; `undefined` when it has none. */
  metadata: Readonly<Record<string, unknown>> | undefined;
  /** The stored bytes. Destroyed unread when the metadata names an encoding this version cannot read. */
  body: Readable;
}

/** An object found by a listing. */
export interface ListedObject {
  name: string;
  /** When the store says it was written (S3 `LastModified`, GCS `timeCreated`). */
  writtenAt: Date;
}

/** What a failed batch delete names in its error. */
export interface DeleteFailureContext {
  operation: StateBackendOperation;
  /** Where the objects are, e.g. the scope's `<scheme>://<bucket>/<prefix>/task/…/`. */
  location: string;
}
