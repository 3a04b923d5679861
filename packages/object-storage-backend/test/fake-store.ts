import { Readable } from "node:stream";
import { StateBackendError, type StateBackendOperation } from "@flowstate/shared-state";
import {
  type DeleteFailureContext,
  type ListedObject,
  type ObjectStorageOptions,
  ObjectStorageStateBackend,
  type ObjectWrite,
  type StoredObject,
} from "../src/index.js";

/** What a read of a pinned version throws when that version was replaced: the fault injected below. */
export class ReplacedError extends Error {
  override readonly name = "ReplacedError";
}

type Primitive = "write" | "open" | "list" | "delete";

interface Stored {
  bytes: Buffer;
  writtenAt: Date;
  contentType: string;
  metadata: Record<string, unknown>;
}

/**
 * An object store in a Map, with faults injected on purpose: it is the concrete backend the base
 * class is tested through, where the real S3 and GCS servers cannot produce the situation.
 */
export class FakeObjectStore extends ObjectStorageStateBackend {
  readonly objects = new Map<string, Stored>();
  /** Every write, in order: the name and whether the body came as a Buffer or a stream. */
  readonly writes: Array<{ name: string; body: "buffer" | "stream" }> = [];
  /** How many of the next reads fail as if the object was replaced between metadata and bytes. */
  replacedReads = 0;
  /** Thrown by the next primitive call, once. */
  nextFailure: unknown;
  /** Thrown by the next call of one primitive, once. */
  readonly failures: Partial<Record<Primitive, unknown>> = {};
  /** Called with the name before each open (e.g. to delete the object, as another worker would). */
  beforeOpen: ((name: string) => void) | undefined;
  closedClients = 0;
  /** Every name handed to deleteObjects, in order. */
  readonly deleted: string[] = [];
  /** Bodies handed out by reads, to check that unread ones are released. */
  readonly bodies: Readable[] = [];

  constructor(
    options: Partial<ObjectStorageOptions> = {},
    readonly streamThreshold = 16,
  ) {
    super(
      {
        backend: "fake",
        scheme: "fake",
        packageName: "@flowstate/fake",
        configSection: "fake_state_backend",
      },
      {
        bucket: "b",
        prefix: "p",
        compression: "none",
        connectTimeoutMs: 5_000,
        requestTimeoutMs: 30_000,
        maxAttempts: 3,
        ...options,
      },
    );
  }

  protected override async writeObject(name: string, object: ObjectWrite): Promise<void> {
    this.#failIfAsked("write");
    const isBuffer = Buffer.isBuffer(object.body);
    const bytes = isBuffer
      ? (object.body as Buffer)
      : Buffer.concat(await (object.body as Readable).toArray());
    this.writes.push({ name, body: isBuffer ? "buffer" : "stream" });
    this.objects.set(name, {
      bytes,
      writtenAt: new Date(),
      contentType: object.contentType,
      metadata: object.metadata,
    });
  }

  protected override async openObject(name: string): Promise<StoredObject | undefined> {
    this.#failIfAsked("open");
    this.beforeOpen?.(name);
    const stored = this.objects.get(name);
    if (stored === undefined) return undefined;
    const replaced = this.replacedReads > 0;
    if (replaced) this.replacedReads -= 1;
    const body = replaced
      ? new Readable({ read: () => body.destroy(new ReplacedError("generation replaced")) })
      : Readable.from([stored.bytes]);
    this.bodies.push(body);
    return { metadata: stored.metadata, body };
  }

  protected override isReplacedWhileReading(error: unknown): boolean {
    return error instanceof ReplacedError;
  }

  protected override async *listObjects(prefix: string): AsyncIterable<ListedObject[]> {
    this.#failIfAsked("list");
    const names = [...this.objects.keys()].filter((name) => name.startsWith(prefix)).sort();
    // Two names a page, to exercise paging.
    for (let start = 0; start < names.length; start += 2) {
      yield names
        .slice(start, start + 2)
        .map((name) => ({ name, writtenAt: this.objects.get(name)?.writtenAt ?? new Date() }));
    }
  }

  protected override async deleteObjects(
    names: readonly string[],
    _context: DeleteFailureContext,
  ): Promise<void> {
    this.#failIfAsked("delete");
    this.deleted.push(...names);
    for (const name of names) this.objects.delete(name);
  }

  protected override wrapError(
    error: unknown,
    operation: StateBackendOperation,
    location: string,
  ): StateBackendError {
    return new StateBackendError(`wrapped: ${(error as Error).message}`, {
      backend: "fake",
      operation,
      location,
      cause: error,
    });
  }

  protected override closeClient(): void {
    this.closedClients += 1;
  }

  #failIfAsked(primitive: Primitive): void {
    const failure = this.nextFailure ?? this.failures[primitive];
    if (failure === undefined) return;
    if (this.nextFailure === undefined) delete this.failures[primitive];
    this.nextFailure = undefined;
    throw failure;
  }
}
