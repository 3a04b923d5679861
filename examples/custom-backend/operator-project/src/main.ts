// An operator's project using a third-party backend plugin: the sdk resolves
// `flowstate-backend-fs` from this folder (where airflow.cfg is), not from where the sdk is
// installed, so it works under pnpm's strict node_modules.
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, runTask } from "@flowstate/sdk";
import { openStateStore } from "@flowstate/store";

const projectDir = dirname(dirname(fileURLToPath(import.meta.url)));
const conf = await loadConfig({ cwd: projectDir });
const store = await openStateStore(conf);

const runId = `manual__${new Date().toISOString()}`;
const ti = await store.createTaskInstance({ dagId: "nightly_export", runId, taskId: "export_orders" });
const checkpoint = JSON.stringify({ table: "orders", lastId: 918_273, exportedAt: new Date().toISOString() });

const result = await runTask({
  ti,
  client: store.client(),
  conf,
  task: {
    async execute({ taskState }) {
      await taskState.set("checkpoint", checkpoint);
      return taskState.get("checkpoint");
    },
  },
});
if (result.state !== "success") throw result.error;

const row = (await store.listTaskState({ dagId: "nightly_export", runId })).find(
  (r) => r.key === "checkpoint",
);
if (!row) throw new Error("the metadata store has no row for the checkpoint");
const file = fileURLToPath(row.value);
const { size } = await stat(file);

console.log(`config        ${conf.file}`);
console.log(`backend       ${conf.get("workers", "state_backend")} (a plugin installed in this project)`);
console.log(`task read     ${String(result.returnValue)}`);
console.log(`store holds   ${row.value}`);
console.log(`file on disk  ${file} (${size} bytes)`);
await store.close();

if (result.returnValue !== checkpoint) {
  console.error("The task did not read back what it wrote.");
  process.exit(1);
}
