import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh empty directory under the OS temp dir, e.g. `/tmp/flowstate-s3rver-AbC123`. */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `flowstate-${label}-`));
}
