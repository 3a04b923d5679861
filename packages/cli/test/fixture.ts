import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStateStore, type StateStore } from "@flowstate/store";

/** The example fs backend, by absolute file path: it keeps values as files, so tests can see them. */
export const FS_BACKEND = `${fileURLToPath(
  new URL("../../../examples/custom-backend/fs-state-backend/dist/index.js", import.meta.url),
)}.FileSystemStateBackend`;

/** An HS256 secret of the required 32 bytes. */
export const SECRET = "cli-test-secret-0123456789abcdef0123";

/** A temp project: airflow.cfg (fs backend under `objects/`, SQLite `airflow.db`) and its store. */
export interface Project {
  dir: string;
  /** Where the fs backend writes values. */
  objects: string;
  dbPath: string;
}

/** Creates a project folder; `extra` is appended to its airflow.cfg. */
export function makeProject(options: { backend?: boolean; extra?: string } = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), "flowstate-cli-"));
  const objects = join(dir, "objects");
  const lines = ["[database]", "sql_alchemy_conn = sqlite:///airflow.db"];
  if (options.backend !== false) {
    lines.push("[workers]", `state_backend = ${FS_BACKEND}`, `state_backend_kwargs = {"root": "${objects}"}`);
  }
  writeFileSync(join(dir, "airflow.cfg"), `${lines.join("\n")}\n${options.extra ?? ""}\n`);
  return { dir, objects, dbPath: join(dir, "airflow.db") };
}

/** Opens the project's store for set-up and checks; close it after. */
export function openStore(project: Project): Promise<StateStore> {
  return openSqliteStateStore({ path: project.dbPath });
}

/** Every file under `root` (relative paths), `[]` when it does not exist. */
export function filesUnder(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
      .sort();
  } catch {
    return [];
  }
}
