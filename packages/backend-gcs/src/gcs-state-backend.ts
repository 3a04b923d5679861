import {
  type DeleteFailureContext,
  type ListedObject,
  ObjectStorageStateBackend,
  type ObjectWrite,
  type StoredObject,
} from "@flowstate/object-storage-backend";
import type { StateBackendContext, StateBackendError, StateBackendOperation } from "@flowstate/shared-state";
import type { Storage } from "@google-cloud/storage";
import { BatchClient } from "./batch-client.js";
import { createStorage } from "./client.js";
import { deleteNames, listObjects } from "./delete.js";
import { isObjectMissing, wrapGcsError } from "./errors.js";
import { GCS_STORE } from "./identity.js";
import type { GcsStateBackendOptions, ResolvedGcsOptions } from "./options.js";
import { openObject } from "./read.js";
import { resolveGcsOptions } from "./resolve-options.js";
import type { GcsTarget } from "./target.js";
import { saveObject } from "./write.js";

/**
 * Keeps state values in Google Cloud Storage. Every write is a new object,
 * `<prefix>/<statePath(scope, key)>/<version>`; the metadata store records only its reference
 * `gs://<bucket>/<prefix>/<statePath(scope, key)>/<version>`.
 *
 * Configure it with `[workers] state_backend = @flowstate/backend-gcs.GcsStateBackend` and the
 * `[gcs_state_backend]` section or `[workers] state_backend_kwargs`. Credentials come from
 * Google's Application Default Credentials only.
 *
 * @example
 * ```ts
 * const backend = new GcsStateBackend({ bucket: "my-state", prefix: "flowstate/prod" });
 * ```
 */
export class GcsStateBackend extends ObjectStorageStateBackend<ResolvedGcsOptions> {
  readonly #storage: Storage;
  readonly #batch: BatchClient;

  /**
   * @param options the `[workers] state_backend_kwargs` object; wins over `[gcs_state_backend]`.
   * @param context what the loader hands over: the configuration with the `[gcs_state_backend]` section.
   * @throws ConfigError when `bucket` is missing or any option is unknown or invalid.
   */
  constructor(options?: Partial<GcsStateBackendOptions>, context?: StateBackendContext) {
    super(GCS_STORE, resolveGcsOptions(options, context?.config));
    this.#storage = createStorage(this.options);
    this.#batch = new BatchClient(this.#storage, this.options);
  }

  protected override get streamThreshold(): number {
    return this.options.resumableThreshold;
  }

  protected override writeObject(name: string, object: ObjectWrite): Promise<void> {
    return saveObject(this.#target, name, object);
  }

  protected override openObject(name: string): Promise<StoredObject | undefined> {
    return openObject(this.#target, name);
  }

  /**
   * "No such object" while the bytes are read: the version was deleted since it was found. (A read
   * is one request, so this is rare; the base class then looks again.)
   */
  protected override isReplacedWhileReading(error: unknown): boolean {
    return isObjectMissing(error);
  }

  protected override listObjects(prefix: string): AsyncIterable<ListedObject[]> {
    return listObjects(this.#target, prefix);
  }

  protected override deleteObjects(names: readonly string[], context: DeleteFailureContext): Promise<void> {
    return deleteNames(this.#target, names, context);
  }

  protected override wrapError(
    error: unknown,
    operation: StateBackendOperation,
    location: string,
  ): StateBackendError {
    return wrapGcsError(error, operation, location, this.options);
  }

  /**
   * Drops the batch requests' connections. Google's client holds no sockets of its own (idle
   * keep-alive sockets of Node's shared agent do not keep a process alive).
   */
  protected override closeClient(): void {
    this.#batch.close();
  }

  get #target(): GcsTarget {
    return { bucket: this.#storage.bucket(this.options.bucket), batch: this.#batch, options: this.options };
  }
}
