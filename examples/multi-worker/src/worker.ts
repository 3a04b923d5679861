// One worker process. The parent (over the IPC channel) hands it task instances, each with the
// token issued for it; the worker runs each through runTask with the S3 backend named by
// [workers] state_backend and an HttpStateClient for [core] execution_api_server_url (plus the
// other server as a fallback), and reports every write and what it read.
import { setTimeout as sleep } from "node:timers/promises";
import {
  checkStateBackendOnStart,
  HttpStateClient,
  loadConfig,
  runTask,
  stateClientFromConfig,
  type Task,
  type TaskInstanceInfo,
} from "@flowstate/sdk";
import { FailoverStateClient } from "./failover.js";
import { ASSET, type Order, type Report } from "./protocol.js";

const STEPS = Number(process.env.FLOWSTATE_DEMO_STEPS ?? 4);
const PACE_MS = Number(process.env.FLOWSTATE_DEMO_PACE_MS ?? 20);
const worker = process.env.FLOWSTATE_DEMO_WORKER ?? "worker";
const conf = await loadConfig();
// With [workers] state_backend_check_on_start = True, a backend that does not load or answer stops
// this worker here, with the error and its fix, instead of failing the first task.
await checkStateBackendOnStart(conf);
const fallbacks = (process.env.FLOWSTATE_DEMO_FALLBACK_URLS ?? "").split(",").filter(Boolean);

/** The servers to try, [core] execution_api_server_url first; bounded waits: one retry, 3 s each. */
function connect(token: string): FailoverStateClient {
  const options = { token, retries: 1, timeoutMs: 3000 };
  const primary = stateClientFromConfig(conf, options);
  if (!primary) throw new Error("Set AIRFLOW__CORE__EXECUTION_API_SERVER_URL: this worker has no database.");
  return new FailoverStateClient([
    { url: conf.get("core", "execution_api_server_url"), client: primary },
    ...fallbacks.map((url) => ({ url, client: new HttpStateClient({ url, ...options }) })),
  ]);
}

async function run(ti: TaskInstanceInfo, token: string, failAfterStep?: number): Promise<void> {
  const client = connect(token);
  const who = { worker, tiId: ti.id, mapIndex: ti.mapIndex ?? -1, tryNumber: ti.tryNumber ?? 1 };
  const wrote = (key: string, value: string) =>
    process.send?.({ ...who, key, wrote: value } satisfies Report);
  let saw: string | null = null;
  const task: Task = {
    inlets: [ASSET],
    async execute({ taskState, assetState }) {
      saw = (await taskState.get("checkpoint")) ?? null; // what an earlier try left
      const from = Number(/step (\d+)/.exec(saw ?? "")?.[1] ?? 0);
      for (let step = from + 1; step <= STEPS; step += 1) {
        const value = `step ${step}/${STEPS} of partition ${who.mapIndex} (${worker}, try ${who.tryNumber})`;
        await taskState.set("checkpoint", value);
        wrote("checkpoint", value);
        if (step === failAfterStep) throw new Error(`simulated crash after step ${step}`);
        await sleep(PACE_MS);
      }
      await taskState.set("scratch", "temporary"); // set, read and delete: no row, no object left
      if ((await taskState.get("scratch")) !== "temporary") throw new Error("scratch did not read back");
      await taskState.delete("scratch");
      const watermark = assetState?.get(ASSET);
      const mark = `2026-11-26T0${who.mapIndex}:00:00Z`;
      await watermark?.set("watermark", mark);
      wrote("watermark", mark);
      return watermark?.get("watermark");
    },
  };
  try {
    const result = await runTask({ task, ti, client, conf });
    const done = result.state === "success" ? "success" : `failed: ${(result.error as Error).message}`;
    process.send?.({ ...who, done, saw, via: client.url } satisfies Report);
  } catch (error) {
    process.send?.({
      ...who,
      done: `error: ${(error as Error).message}`,
      saw,
      via: client.url,
    } satisfies Report);
  } finally {
    await client.close();
  }
}

process.on("message", (order: Order) => {
  if ("exit" in order) process.exit(0);
  else
    run(order.run, order.token, order.failAfterStep).catch((error: Error) => {
      const { id: tiId, mapIndex = -1, tryNumber = 1 } = order.run;
      process.send?.({
        worker,
        tiId,
        mapIndex,
        tryNumber,
        done: `error: ${error.message}`,
        saw: null,
        via: "",
      });
    });
});
process.on("disconnect", () => process.exit(0)); // the parent went away
