// The processes the integrity tests start and kill: s3rver on a data directory it can be SIGKILLed
// and restarted on, a process holding the SQLite store's write lock, worker processes, and a TCP
// proxy that fires once a number of request bytes went through it (to act in the middle of an
// upload). Every child dies with the test process (its stdin ends) and is killed after each test.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { createTestS3Client } from "@flowstate/test-support";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const S3RVER_CHILD = here("./s3rver-child.cjs");
const LOCK_HOLDER = here("./lock-holder.mjs");
const WORKER = here("./worker.mjs");

/** Every child still running that a test started: killed by {@link killChildren} after each test. */
const running = new Set<LineProcess>();

/** A JSON line a child printed. */
export type ChildEvent = Record<string, unknown>;

/** A child process that prints JSON lines on stdout and reads command lines on stdin. */
export class LineProcess {
  readonly child: ChildProcess;
  /** Every JSON line printed so far, in order. */
  readonly events: ChildEvent[] = [];
  readonly exited: Promise<void>;
  #consumed = 0;
  #wakers: Array<() => void> = [];
  #stderr = "";
  #exit: string | undefined;

  constructor(
    readonly name: string,
    args: string[],
    options: { env?: Record<string, string>; outlivesTests?: boolean } = {},
  ) {
    this.child = spawn(process.execPath, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    if (!options.outlivesTests) running.add(this);
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent);
      } catch {
        this.events.push({ event: "text", line });
      }
      this.#wakeAll();
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = signal ?? `code ${code}`;
        running.delete(this);
        this.#wakeAll();
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** The next line not yet taken that `match`es (earlier ones are skipped); fails if the child exits first. */
  async next(match: (event: ChildEvent) => boolean, what: string): Promise<ChildEvent> {
    for (;;) {
      while (this.#consumed < this.events.length) {
        const event = this.events[this.#consumed++] as ChildEvent;
        if (match(event)) return event;
      }
      if (this.#exit !== undefined) {
        throw new Error(`${this.name} exited (${this.#exit}) before ${what}; stderr: ${this.#stderr.trim()}`);
      }
      await new Promise<void>((resolve) => this.#wakers.push(resolve));
    }
  }

  /** The next `{"event": name}` line. */
  nextEvent(name: string): Promise<ChildEvent> {
    return this.next((event) => event.event === name, `printing {"event":"${name}"}`);
  }

  #wakeAll(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Closes stdin (the child exits) and waits for it. */
  async end(): Promise<void> {
    this.child.stdin?.end();
    await this.exited;
  }

  stderr(): string {
    return this.#stderr;
  }
}

/** Kills every child still running (after each test). */
export async function killChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill()));
}

/** s3rver in a child process on a data directory: SIGKILL it and start it again on the same port. */
export class S3rverProcess {
  readonly region = "us-east-1";
  readonly accessKeyId = "S3RVER";
  readonly secretAccessKey = "S3RVER";
  /** Clients must not send streaming checksums to s3rver (see docs/toolchain). */
  readonly checksums = "when_required" as const;
  /** The temp dir holding the server's data; removed by {@link stop}. */
  #directory: string | undefined;
  #process: LineProcess | undefined;
  port = 0;

  /** Starts s3rver on a fresh data directory and a free port, with `bucket` created. */
  async start(bucket: string): Promise<void> {
    this.#directory = await mkdtemp(join(tmpdir(), "flowstate-integrity-s3rver-"));
    await this.restart();
    const client = createTestS3Client(this);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process?.alive ?? false;
  }

  /** The server crashes: SIGKILL, no chance to finish anything. */
  async kill(): Promise<void> {
    await this.#process?.kill();
  }

  /** Starts it (again) on the same data directory and, once it had one, the same port. */
  async restart(): Promise<void> {
    if (this.running) return;
    for (let attempt = 1; ; attempt += 1) {
      if (this.#directory === undefined) throw new Error("start() the server first");
      const args = [
        "--openssl-legacy-provider",
        S3RVER_CHILD,
        join(this.#directory, "data"),
        String(this.port),
      ];
      const child = new LineProcess("s3rver", args, { outlivesTests: true });
      try {
        const { port } = await child.next((event) => typeof event.port === "number", "printing its port");
        this.port = port as number;
        this.#process = child;
        return;
      } catch (error) {
        // The port may still be held for a moment by the killed server's socket.
        if (attempt >= 50 || child.child.exitCode !== 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Kills the server and removes its data. */
  async stop(): Promise<void> {
    await this.kill();
    if (this.#directory !== undefined) await rm(this.#directory, { recursive: true, force: true });
  }

  /** The last of the server's stderr: why it died, when it did on its own. */
  stderr(): string {
    return this.#process?.stderr() ?? "";
  }
}

/** Holds the store file's write lock (BEGIN IMMEDIATE) from another process until released. */
export interface StoreLock {
  release(): Promise<void>;
}

export async function lockStore(db: string): Promise<StoreLock> {
  const holder = new LineProcess("lock holder", [LOCK_HOLDER, db]);
  await holder.nextEvent("locked");
  return {
    release: async () => {
      holder.send("release");
      await holder.exited;
    },
  };
}

/** Starts a worker process (worker.mjs) and waits until it is ready. */
export async function startWorker(
  config: Record<string, unknown>,
  env: Record<string, string>,
): Promise<LineProcess> {
  const worker = new LineProcess(`worker ${String(config.mode)}`, [WORKER, JSON.stringify(config)], { env });
  await worker.nextEvent("ready");
  return worker;
}

/** A TCP proxy to a local port that calls `fire` once, when `thresholdBytes` of requests went through. */
export interface ByteTrigger {
  endpoint: string;
  close(): Promise<void>;
}

export async function startByteTrigger(
  targetPort: number,
  thresholdBytes: number,
  fire: () => void,
): Promise<ByteTrigger> {
  let total = 0;
  let fired = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (!fired && total >= thresholdBytes) {
        fired = true;
        fire();
      }
    });
    client.pipe(upstream).on("error", () => client.destroy());
    upstream.pipe(client).on("error", () => upstream.destroy());
    client.on("error", () => upstream.destroy()).on("close", () => upstream.destroy());
    upstream.on("error", () => client.destroy()).on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
