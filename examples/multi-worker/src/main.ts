// Many workers, one metadata store. Runs the cluster of demo.ts, prints what each worker did,
// what the database holds and what the bucket holds, and exits non-zero unless it all checks out.
import { runDemo } from "./demo.js";
import { describe, problems } from "./report.js";

console.log("flowstate multi-worker");
const result = await runDemo({ log: (line) => console.log(`  … ${line}`) });
for (const line of describe(result)) console.log(line);
const found = problems(result);
if (found.length > 0) {
  console.error(`\nSomething is wrong:\n${found.map((p) => `  - ${p}`).join("\n")}`);
  process.exitCode = 1;
} else {
  console.log(
    "\n  ok: every row names an object in the bucket; the retry resumed from what the failed try left.",
  );
}
