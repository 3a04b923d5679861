import { randomBytes } from "node:crypto";
import { AssetScope, type StateBackend, StateBackendError, TaskScope } from "@flowstate/shared-state";

/** The two "workers" every check talks to, plus a source of ids no other test or run uses. */
export class SuiteHarness {
  // A random tag per suite run: tests of earlier runs and other files can share one bucket.
  private readonly runTag = randomBytes(4).toString("hex");
  private counter = 0;
  private readonly created: StateBackend[] = [];
  private backends: [StateBackend, StateBackend] | undefined;

  constructor(private readonly create: () => StateBackend | Promise<StateBackend>) {}

  /** Creates the two backends (called from `beforeAll`). */
  async start(): Promise<void> {
    const first = await this.track(this.create());
    const second = await this.track(this.create());
    this.backends = [first, second];
  }

  /** Closes every backend {@link start} created, even when one close fails. */
  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.created.splice(0).map((backend) => backend.close()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
  }

  /** The first worker's backend. */
  get primary(): StateBackend {
    return this.started()[0];
  }

  /** A second backend from the same `create()`: it must see what {@link primary} wrote. */
  get secondary(): StateBackend {
    return this.started()[1];
  }

  /** An id that no other test, file or earlier run uses, e.g. `fsc-3fa2b1c0-17-dag`. */
  uniqueId(label: string): string {
    this.counter += 1;
    return `fsc-${this.runTag}-${this.counter}-${label}`;
  }

  /** A task scope with unique ids; `init` overrides any of them. */
  taskScope(init: Partial<ConstructorParameters<typeof TaskScope>[0]> = {}): TaskScope {
    const base = this.uniqueId("dag");
    return new TaskScope({
      dagId: base,
      runId: "manual__2024-01-01T00:00:00+00:00",
      taskId: "task",
      ...init,
    });
  }

  /** An asset scope addressed by a unique name (or by `name` when given). */
  assetByName(name = this.uniqueId("asset")): AssetScope {
    return new AssetScope({ name });
  }

  /** An asset scope addressed by a unique uri (or by `uri` when given). */
  assetByUri(uri = `s3://warehouse/${this.uniqueId("asset")}`): AssetScope {
    return new AssetScope({ uri });
  }

  private async track(made: StateBackend | Promise<StateBackend>): Promise<StateBackend> {
    const backend = await made;
    if (typeof backend?.close !== "function") {
      throw new StateBackendError("options.create() did not return a state backend (it has no close()).", {
        backend: "conformance-suite",
        operation: "connect",
      });
    }
    this.created.push(backend);
    return backend;
  }

  private started(): [StateBackend, StateBackend] {
    if (!this.backends) {
      throw new StateBackendError("the suite's backends are not created yet; use them inside a test.", {
        backend: "conformance-suite",
        operation: "connect",
      });
    }
    return this.backends;
  }
}
