// `pnpm bench`: flowstate against the raw storage SDKs on this machine, as ratios measured in the
// same run, each against the target. S3 runs against a local s3rver started here (so
// network latency is near zero and the ratios show flowstate's own overhead at its largest); the
// metadata store is a real SQLite file (and a throwaway PostgreSQL for the API server group).
//
// BENCH_GROUPS=s3,accessors,… runs only those groups (default: all, in the order below).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runApiServerBench } from "./api.js";
import { withBenchContext } from "./context.js";
import { runAccessorsGroup } from "./groups/accessors.js";
import { runBigValuesGroup } from "./groups/big-values.js";
import { runClearGroup } from "./groups/clear.js";
import { runGcsGroup } from "./groups/gcs.js";
import { runLookupGroup } from "./groups/lookup.js";
import { runS3Group } from "./groups/s3.js";
import { writeReport } from "./report.js";

// The AWS SDK warns that its 2027 releases need Node 22; the benchmark output need not repeat it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const GROUPS = ["s3", "accessors", "lookup", "api", "big", "gcs", "clear"] as const;
const wanted = new Set((process.env.BENCH_GROUPS ?? GROUPS.join(",")).split(",").map((name) => name.trim()));
const unknown = [...wanted].filter((name) => !(GROUPS as readonly string[]).includes(name));
if (unknown.length > 0)
  throw new Error(`BENCH_GROUPS: unknown group ${unknown.join(", ")}; groups: ${GROUPS.join(", ")}`);

await withBenchContext(async (context) => {
  if (wanted.has("s3")) await runS3Group(context);
  if (wanted.has("accessors")) await runAccessorsGroup(context);
  if (wanted.has("big")) await runBigValuesGroup(context);
  if (wanted.has("gcs")) await runGcsGroup(context);
  if (wanted.has("clear")) await runClearGroup(context);
});
if (wanted.has("lookup")) await runLookupGroup();
if (wanted.has("api")) await runApiServerBench();

const resultsDir =
  process.env.BENCH_RESULTS_DIR ?? join(fileURLToPath(new URL("..", import.meta.url)), ".results");
const file = await writeReport(resultsDir, `BENCH_GROUPS=${[...wanted].join(",")} pnpm bench`);
console.log(`\nfigures written to ${file}`);
