// Invariants 2 and 3 under races between real processes, over HTTP and on PostgreSQL: the races of
// races.test.ts, but the metadata store is a throwaway PostgreSQL that the worker processes reach
// only through two state API server processes (startApiServer, half the workers on each), with an
// HttpStateClient and a token of their own task instances (issueTaskToken, the asset granted by
// name and uri). Every worker has its own task instances (one try per worker) of the same map
// indices, so their scopes overlap as in races.test.ts; values go straight to s3rver. The checks
// and the sweep run in the test process on the PostgreSQL store opened directly.
import { randomBytes } from "node:crypto";
import { issueTaskToken } from "@flowstate/api-server";
import { openPostgresStateStore, type TaskInstanceRecord } from "@flowstate/store";
import { startPostgresServer } from "@flowstate/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ASSET,
  BUCKET,
  checkAndSweep,
  type Fixture,
  useCredentials,
  useFixtures,
  useTally,
} from "./harness.js";
import { type ChildEvent, type LineProcess, S3rverProcess, startWorker } from "./processes.js";
import { raceProblems, runSetDeleteRounds } from "./race-checks.js";

// Fixed, so a run can be repeated; the same variables as races.test.ts search further.
const WORKERS = 8;
const OPS_PER_WORKER = Number(process.env.FLOWSTATE_INTEGRITY_OPS ?? 60);
const ROUNDS = Number(process.env.FLOWSTATE_INTEGRITY_ROUNDS ?? 100);
const HOT_OPS = Number(process.env.FLOWSTATE_INTEGRITY_HOT_OPS ?? 120);
const SEED = Number(process.env.FLOWSTATE_INTEGRITY_SEED ?? 20_240_101);
const ROUND_KEY = "watermark";
const SECRET = randomBytes(32).toString("hex");
/** The asset as the launcher grants it: by name and by uri. */
const GRANT = [{ name: ASSET.name, uri: ASSET.uri }];

const openFixture = useFixtures();

/** A fixture on a fresh PostgreSQL, and two API server processes on it. */
interface Cluster {
  fx: Fixture;
  servers: LineProcess[];
  /** The servers' Execution API URLs. */
  urls: string[];
}

describe("races between worker processes over HTTP (2 API servers) on PostgreSQL and s3rver", () => {
  const tally = useTally("B races over HTTP on PostgreSQL and s3rver");
  const server = new S3rverProcess();

  beforeAll(async () => {
    await server.start(BUCKET);
    useCredentials(server);
  });
  afterAll(() => server.stop());

  /** PostgreSQL (stopped after the test, after the store is closed) and two API servers on it. */
  async function openCluster(label: string): Promise<Cluster> {
    let database = "";
    const fx = await openFixture(server, label.replace(/\W+/g, "-"), {
      openStore: async (onCleanup) => {
        const postgres = await startPostgresServer();
        onCleanup(() => postgres.stop());
        database = postgres.url;
        return openPostgresStateStore({ url: postgres.url });
      },
    });
    // The store is open (and migrated) before the servers open it.
    const servers = await Promise.all(
      [0, 1].map(() => startWorker({ mode: "serve", database, jwtSecret: SECRET }, {})),
    );
    const urls = servers.map((child) => String(child.events.find((event) => event.event === "ready")?.url));
    return { fx, servers, urls };
  }

  /** A new task instance (a try of its own) of `mapIndex`, and its token granting the asset. */
  async function newTry(fx: Fixture, mapIndex: number, tryNumber: number) {
    const { dagId, runId, taskId } = fx.tis[0] as TaskInstanceRecord;
    const ti = await fx.store.createTaskInstance({ dagId, runId, taskId, mapIndex, tryNumber });
    const token = await issueTaskToken({ secret: SECRET, tiId: ti.id, inlets: GRANT, outlets: GRANT });
    return { ti, token };
  }

  function expectAlive(cluster: Cluster): void {
    expect(server.running, `s3rver died: ${server.stderr()}`).toBe(true);
    for (const [index, child] of cluster.servers.entries()) {
      expect(child.alive, `API server ${index + 1} died: ${child.stderr()}`).toBe(true);
    }
  }

  /** Stops the API servers the polite way (the rest is killed after the test). */
  async function stopServers(cluster: Cluster): Promise<void> {
    for (const child of cluster.servers) child.send("stop");
    await Promise.all(cluster.servers.map((child) => child.exited));
  }

  async function race(
    label: string,
    options: { mapIndices: number[]; keys: string[]; ops: number; seed: number },
  ) {
    tally.cases += 1;
    const cluster = await openCluster(label);
    const { fx, urls } = cluster;
    const { mapIndices, keys, ops: count, seed } = options;
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, async (_, index) => {
        const tries = await Promise.all(mapIndices.map((mapIndex) => newTry(fx, mapIndex, index + 2)));
        return startWorker(
          {
            mode: "race",
            backend: fx.backendOptions(),
            writer: `w${index}`,
            seed: seed + index,
            ops: count,
            tis: tries.map(({ ti }) => ti),
            asset: { ...ASSET, by: index % 2 === 0 ? "name" : "uri" },
            keys,
            // Workers 0, 1, 4, 5 on server 1 and 2, 3, 6, 7 on server 2: both reach the asset by name and by uri.
            api: {
              url: urls[Math.floor(index / 2) % 2],
              tokens: Object.fromEntries(tries.map(({ ti, token }) => [ti.id, token])),
              assetToken: tries[index % tries.length]?.token,
            },
          },
          fx.workerEnv,
        );
      }),
    );
    for (const child of workers) child.send("go");
    await Promise.all(workers.map((child) => child.nextEvent("done")));
    expectAlive(cluster);
    const ops = workers.flatMap((child, index) =>
      child.events
        .filter((event) => event.event === "op")
        .map((event): ChildEvent => ({ ...event, writer: `w${index}` })),
    );
    expect(ops).toHaveLength(WORKERS * count);
    const gets = ops.filter((op) => op.op === "get");
    const found = gets.filter((op) => op.ok && op.got !== null).length;
    tally.notes.push(
      `${label}: ${ops.length} ops by ${WORKERS} processes via 2 servers (${gets.length} gets, ${found} found a value)`,
    );
    expect(raceProblems(ops), `seeds ${seed}..${seed + WORKERS - 1}`).toEqual([]);
    await stopServers(cluster);
    await checkAndSweep(fx, tally, 0);
  }

  it(
    `${WORKERS} processes × ${OPS_PER_WORKER} seeded random operations on 3 map indices and one asset (by name and by uri), over HTTP`,
    { timeout: 60_000 },
    () => race("http race", { mapIndices: [0, 1, 2], keys: ["a", "b"], ops: OPS_PER_WORKER, seed: SEED }),
  );

  it(
    `${WORKERS} processes × ${HOT_OPS} operations on one task key and one asset key over HTTP: a get never fails while others rewrite the key`,
    { timeout: 60_000 },
    () => race("http hot keys", { mapIndices: [0], keys: ["a"], ops: HOT_OPS, seed: SEED + 100 }),
  );

  it(`one asset key set (by name, via server 1) and deleted (by uri, via server 2) at the same moment, ${ROUNDS} rounds`, {
    timeout: 60_000,
  }, async () => {
    tally.cases += 1;
    const cluster = await openCluster("http rounds");
    const { fx, urls } = cluster;
    const roles = [
      { role: "set", by: "name" },
      { role: "delete", by: "uri" },
    ];
    const [setter, deleter] = (await Promise.all(
      roles.map(async ({ role, by }, index) => {
        const { ti, token } = await newTry(fx, 0, index + 2);
        return startWorker(
          {
            mode: "rounds",
            backend: fx.backendOptions(),
            role,
            asset: { ...ASSET, by },
            key: ROUND_KEY,
            writer: role,
            api: { url: urls[index], tokens: { [ti.id]: token }, assetToken: token },
          },
          fx.workerEnv,
        );
      }),
    )) as [LineProcess, LineProcess];
    const { broken, overlapped, rowsLeft } = await runSetDeleteRounds(fx, setter, deleter, ROUNDS);
    expectAlive(cluster);
    tally.notes.push(
      `${ROUNDS} set/delete rounds via 2 servers, operations overlapped in ${overlapped}, a row was left in ${rowsLeft}`,
    );
    expect(broken, "rounds that left a row naming nothing, or an orphan").toEqual([]);
    const [row] = await fx.store.listAssetState();
    if (row) expect(row.assetName).toBe(ASSET.name);
    await stopServers(cluster);
    await checkAndSweep(fx, tally, 0);
  });
});
