import type { Readable } from "node:stream";
import type { ObjectCompression } from "./codec.js";

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

/** The resolved options every object-storage backend has, whatever else it adds. */
export interface ObjectStorageOptions {
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
  contentType: string;
  /** Custom metadata to keep with the object; it records the encoding. */
  metadata: Record<string, string>;
}

/** An object found by a read: its custom metadata, and its bytes as a stream not yet consumed. */
export interface StoredObject {
  /** The object's custom (user) metadata, where the encoding is recorded; `undefined` when it has none. */
  metadata: Readonly<Record<string, unknown>> | undefined;
  /** The stored bytes. Destroyed unread when the metadata names an encoding this version cannot read. */
  body: Readable;
}
