/**
 * Groups concurrent writes into batches, so many writers (the state API server's requests) cost
 * one statement and one commit each time round instead of one per write. Writes are sent at the
 * end of the event loop turn they arrive in (`setImmediate`), together with every write that
 * arrived in the same turn or while `maxInFlight` batches were running. A lone write waits for
 * nothing but the end of its turn, and goes alone.
 */
export interface WriteBatcherOptions<W, R> {
  /** Batches running at once; further writes queue and go together when one finishes. */
  maxInFlight: number;
  /** Writes in one batch at most. */
  maxBatch: number;
  /** Runs a lone write. */
  runOne(write: W): Promise<R>;
  /**
   * Runs several writes as one atomic unit and answers each in order, `undefined` for a write it
   * left undone (that write then runs alone). A rejection means none of them was done: each then
   * runs alone, so one write's failure is never another's.
   */
  runBatch(writes: readonly W[]): Promise<ReadonlyArray<R | undefined>>;
}

interface Pending<W, R> {
  write: W;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** See {@link WriteBatcherOptions}. */
export class WriteBatcher<W, R> {
  readonly #options: WriteBatcherOptions<W, R>;
  readonly #queue: Pending<W, R>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: WriteBatcherOptions<W, R>) {
    this.#options = options;
  }

  /** Queues `write`; settles with its own result or error. */
  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#dispatch();
        });
      }
    });
  }

  #dispatch(): void {
    const { maxInFlight, maxBatch } = this.#options;
    while (this.#inFlight < maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, maxBatch);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#dispatch();
      });
    }
  }

  async #run(batch: Pending<W, R>[]): Promise<void> {
    const [first] = batch;
    if (batch.length === 1 && first) return this.#runAlone(first);
    let results: ReadonlyArray<R | undefined>;
    try {
      results = await this.#options.runBatch(batch.map((pending) => pending.write));
    } catch {
      results = [];
    }
    const leftOver: Promise<void>[] = [];
    batch.forEach((pending, index) => {
      const result = results[index];
      if (result === undefined) leftOver.push(this.#runAlone(pending));
      else pending.resolve(result);
    });
    await Promise.all(leftOver);
  }

  async #runAlone(pending: Pending<W, R>): Promise<void> {
    try {
      pending.resolve(await this.#options.runOne(pending.write));
    } catch (error) {
      pending.reject(error);
    }
  }
}
