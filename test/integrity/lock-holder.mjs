// Holds the write lock of a SQLite store file from another process: opens it with better-sqlite3
// (the driver @flowstate/store uses), runs BEGIN IMMEDIATE, prints {"event":"locked"}, and rolls
// back and exits when a line arrives on stdin (or stdin ends).
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const [path] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: lock-holder.mjs <sqlite file>\n");
  process.exit(2);
}
const Database = createRequire(fileURLToPath(import.meta.resolve("@flowstate/store")))("better-sqlite3");
const db = new Database(path, { timeout: 10_000 });
db.exec("BEGIN IMMEDIATE");
process.stdout.write(`${JSON.stringify({ event: "locked" })}\n`);

const release = () => {
  db.exec("ROLLBACK");
  db.close();
  process.exit(0);
};
const lines = createInterface({ input: process.stdin });
lines.once("line", release);
lines.once("close", release);
