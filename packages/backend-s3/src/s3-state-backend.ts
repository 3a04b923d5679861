import type { S3Client } from "@aws-sdk/client-s3";
import {
  type DeleteFailureContext,
  type ListedObject,
  ObjectStorageStateBackend,
  type ObjectWrite,
  type StoredObject,
} from "@flowstate/object-storage-backend";
import type { StateBackendContext, StateBackendError, StateBackendOperation } from "@flowstate/shared-state";
import { createS3Client } from "./client.js";
import { deleteKeys, listObjects } from "./delete.js";
import { wrapS3Error } from "./errors.js";
import { S3_STORE } from "./identity.js";
import type { ResolvedS3Options, S3StateBackendOptions } from "./options.js";
import { getObject } from "./read.js";
import { resolveS3Options } from "./resolve-options.js";
import type { S3Target } from "./target.js";
import { putObject } from "./write.js";

/**
 * Keeps state values in Amazon S3 or an S3-compatible store. Every write is a new object version,
 * `<prefix>/<statePath(scope, key)>/<version>`; the metadata store records only its reference
 * `s3://<bucket>/<prefix>/<statePath(scope, key)>/<version>`.
 *
 * Configure it with `[workers] state_backend = @flowstate/backend-s3.S3StateBackend` and the
 * `[s3_state_backend]` section or `[workers] state_backend_kwargs`. Credentials come from the
 * AWS SDK's default provider chain only.
 *
 * @example
 * ```ts
 * const backend = new S3StateBackend({ bucket: "my-state", prefix: "flowstate/prod" });
 * ```
 */
export class S3StateBackend extends ObjectStorageStateBackend<ResolvedS3Options> {
  readonly #client: S3Client;

  /**
   * @param options the `[workers] state_backend_kwargs` object; wins over `[s3_state_backend]`.
   * @param context what the loader hands over: the configuration with the `[s3_state_backend]` section.
   * @throws ConfigError when `bucket` is missing or any option is unknown or invalid.
   */
  constructor(options?: Partial<S3StateBackendOptions>, context?: StateBackendContext) {
    super(S3_STORE, resolveS3Options(options, context?.config));
    this.#client = createS3Client(this.options);
  }

  protected override get streamThreshold(): number {
    return this.options.multipartThreshold;
  }

  protected override writeObject(key: string, object: ObjectWrite): Promise<void> {
    return putObject(this.#target, key, object);
  }

  protected override openObject(key: string): Promise<StoredObject | undefined> {
    return getObject(this.#target, key);
  }

  protected override listObjects(prefix: string): AsyncIterable<ListedObject[]> {
    return listObjects(this.#target, prefix);
  }

  protected override deleteObjects(keys: readonly string[], context: DeleteFailureContext): Promise<void> {
    return deleteKeys(this.#target, keys, context);
  }

  protected override wrapError(
    error: unknown,
    operation: StateBackendOperation,
    location: string,
  ): StateBackendError {
    return wrapS3Error(error, operation, location, this.options);
  }

  /** Destroys the S3 client and its sockets. */
  protected override closeClient(): void {
    this.#client.destroy();
  }

  get #target(): S3Target {
    return { client: this.#client, options: this.options };
  }
}
