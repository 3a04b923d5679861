import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { TestCase } from "vitest/node";
import { startVitest } from "vitest/node";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

interface Outcome {
  state: string;
  messages: string[];
}

/** Test name (without the backend's describe) → outcome, per backend block. */
type Report = Map<string, Map<string, Outcome>>;

async function runFixture(): Promise<Report> {
  const exitCode = process.exitCode;
  const vitest = await startVitest("test", [], {
    root: fixtures,
    config: false,
    include: ["broken-backends.fixture.ts"],
    watch: false,
    // A reporter with no hooks: the nested run's deliberate failures must not clutter this run's output.
    reporters: [{}],
  });
  try {
    const report: Report = new Map();
    for (const module of vitest.state.getTestModules()) {
      for (const test of module.children.allTests()) record(report, test);
    }
    return report;
  } finally {
    await vitest.close();
    // The nested run sets a failing exit code on purpose; this run's code is not its business.
    process.exitCode = exitCode;
  }
}

function record(report: Report, test: TestCase): void {
  const [block = "", ...rest] = test.fullName.split(" > ");
  const backend = block.replace("state backend conformance: ", "");
  const result = test.result();
  const messages = result.state === "failed" ? result.errors.map((e) => e.message ?? "") : [];
  const tests = report.get(backend) ?? new Map<string, Outcome>();
  tests.set(rest.join(" > "), { state: result.state, messages });
  report.set(backend, tests);
}

function failing(report: Report, backend: string): string[] {
  return [...(report.get(backend) ?? [])].filter(([, o]) => o.state === "failed").map(([name]) => name);
}

function outcome(report: Report, backend: string, name: string): Outcome {
  const found = report.get(backend)?.get(name);
  if (!found) expect.fail(`no test ${JSON.stringify(name)} ran for ${backend}`);
  return found;
}

const ROUND_TRIP = "round trip > task scope > set then get returns the value, and delete removes it";
const VERSIONS = "every write is a new version";
const COLLISIONS = "distinct scopes and keys never collide";
const CLEARING = "delete and clear remove exactly their own data";
const BAD_REFS = "deserialize refuses a reference it did not write for that scope and key";
const DELETE_REFS = "deleteStateRefs deletes exactly the named versions";
const LISTING = "listStateRefs lists every version, for the orphan sweep";
const BAD_SCOPES = "bad scopes are refused before any I/O";

/** For each injected fault: checks that must fail. */
const MUST_FAIL: Record<string, string[]> = {
  "ref-ignores-scope": [
    `${COLLISIONS} > ids with '/' cannot shift segment boundaries (dag 'a/b' task 'c' vs dag 'a' task 'b/c')`,
    `${COLLISIONS} > map indices of one task are separate (-1, 0, 1, 10)`,
    `${COLLISIONS} > asset by name and by uri are separate namespaces, and task never collides with asset`,
    `${CLEARING} > clear of a task leaves a sibling task, a task whose id extends it (extract vs extract_2), another run and another dag`,
  ],
  // An unmapped task's prefix ends in its map index, so only map-index, allMapIndices and asset checks expose it.
  "clear-without-boundary": [
    `${CLEARING} > clear without allMapIndices removes only that map index (1, not 0, 10 or -1)`,
    `${CLEARING} > clear with allMapIndices removes every map index of the task and nothing of a sibling or another run`,
    `${CLEARING} > clear of an asset by name leaves the same string as a uri, an asset whose name extends it, and tasks`,
    `${LISTING} > with allMapIndices, lists every map index of the task and nothing of a sibling task or another run; without, only its own`,
    `${LISTING} > an asset by name lists nothing of the same string as a uri, or of an asset whose name extends it`,
  ],
  "reads-any-ref": [
    `${BAD_REFS} > a version of another key or another task scope, or a foreign string, is StateReferenceError`,
    `${BAD_REFS} > a version of another key or another asset scope by name, or a foreign string, is StateReferenceError`,
    `${BAD_REFS} > a real version altered (no version, a malformed one, another bucket's or prefix's copy, dot segments, suffixes) is StateReferenceError, not a read of another object`,
    `${BAD_REFS} > a task reference is refused for an asset, and an asset-by-name reference for the same uri`,
  ],
  "corrupts-large-values": [
    "large value (2097152 bytes) > round-trips through the ref hooks and get without corruption at any offset",
  ],
  "ti-id-in-ref": [
    `${VERSIONS} > a retry (new tiId, same scope) gets a new reference under the same key prefix; both stay readable`,
  ],
  "torn-writes": [
    "concurrency > a get during a set sees the previous value or the new one, whole, never a part",
  ],
  "normalizes-keys": [
    `${COLLISIONS} > keys that differ only by case`,
    `${COLLISIONS} > keys that differ only by unicode normalisation (NFC vs NFD)`,
  ],
  "skips-value-validation": [
    "bad input is refused before anything is written > a value that is not a string is InvalidStateValueError and leaves the previous value",
    "bad input is refused before anything is written > a value with a lone surrogate is InvalidStateValueError and leaves the previous value",
  ],
  "overwrites-one-name": [
    `${VERSIONS} > each serialize of the same task scope and key returns a new reference under the key's prefix, readable whole by the other instance`,
    `${VERSIONS} > each serialize of the same asset scope by uri and key returns a new reference under the key's prefix, readable whole by the other instance`,
    "concurrency > 8 parallel serialize hooks on one key give 8 distinct references, each reading its own value whole",
    `${LISTING} > lists every version written under a task scope, with when it was written, and nothing of another scope`,
  ],
  "deletes-whole-key": [
    `${DELETE_REFS} > task scope: given with scope and key, or alone; not the key's other versions, another key or another scope`,
    `${DELETE_REFS} > asset scope by name: given with scope and key, or alone; not the key's other versions, another key or another scope`,
    `${DELETE_REFS} > a batch across keys and scopes deletes every version named, and only those`,
    `${LISTING} > what deleteStateRefs, delete and clear removed is gone from the listing`,
  ],
  "deletes-unchecked-refs": [
    `${DELETE_REFS} > a reference given with another scope or key than it was written for is not deleted`,
  ],
  "missing-is-empty": [
    `${BAD_REFS} > a correct reference whose version is gone, or was never written, is StateObjectMissingError`,
  ],
  "io-before-scope-check": [
    `${BAD_SCOPES} > mapIndex -5 is InvalidScopeError from every method, and nothing is written or deleted`,
    `${BAD_SCOPES} > mapIndex "1" (a string) is InvalidScopeError from every method, and nothing is written or deleted`,
    `${BAD_SCOPES} > an asset scope in the task hooks and a task scope in the asset hooks are InvalidScopeError, and nothing is written`,
  ],
};

describe("the suite catches broken backends", () => {
  let report: Report;
  beforeAll(async () => {
    report = await runFixture();
  }, 120_000);

  for (const [fault, expected] of Object.entries(MUST_FAIL)) {
    it(`${fault}: fails the checks for that fault, and still passes the basic round trip`, () => {
      const failed = failing(report, fault);
      for (const name of expected) expect(failed, `expected ${JSON.stringify(name)} to fail`).toContain(name);
      expect(outcome(report, fault, ROUND_TRIP).state).toBe("passed");
    });
  }

  it("reports the first differing offset of a corrupted large value, not megabytes of text", () => {
    const name = MUST_FAIL["corrupts-large-values"]?.[0] as string;
    const [message = ""] = outcome(report, "corrupts-large-values", name).messages;
    expect(message).toContain(`differs at offset ${Math.floor(2 * 1024 * 1024 * 0.7)}`);
    expect(message.length).toBeLessThan(1000);
  });

  it("names the offending references when a collision is found", () => {
    const name = `${COLLISIONS} > keys that differ only by case`;
    const [message = ""] = outcome(report, "normalizes-keys", name).messages;
    expect(message).toMatch(/share the key reference|differs at offset/);
  });

  it("starts every failure with the method to fix and the rule, and keeps the assertion below it", () => {
    const METHOD =
      /^(get|set|delete|clear|serialize\w+|deserialize\w+|deleteStateRefs|listStateRefs|validateStateKey|validateStateValue|validateScope)\b[^:\n]*: .*\bmust\b/;
    const failures = [...report].flatMap(([backend, tests]) =>
      [...tests].flatMap(([name, o]) =>
        o.messages.map((message) => ({ where: `${backend} > ${name}`, message })),
      ),
    );
    expect(failures.length).toBeGreaterThan(20);
    for (const { where, message } of failures) {
      const [first = "", ...rest] = message.split("\n");
      expect(first, `${where}: first line`).toMatch(METHOD);
      expect(rest.join("\n").trim(), `${where}: the assertion's own message`).not.toBe("");
    }
  });

  it.each<[fault: string, test: string, starts: string, mentions: string]>([
    [
      "reads-any-ref",
      `${BAD_REFS} > a version of another key or another task scope, or a foreign string, is StateReferenceError`,
      "deserializeTaskStateFromRef / deserializeAssetStateFromRef: a reference this backend did not write",
      "StateReferenceError",
    ],
    [
      "missing-is-empty",
      `${BAD_REFS} > a correct reference whose version is gone, or was never written, is StateObjectMissingError`,
      "deserializeTaskStateFromRef / deserializeAssetStateFromRef: a well-formed reference whose version is gone",
      "must throw StateObjectMissingError",
    ],
    [
      "skips-value-validation",
      "bad input is refused before anything is written > a value that is not a string is InvalidStateValueError and leaves the previous value",
      "validateStateValue: set and the serialize hooks must call validateStateValue(value, key)",
      "InvalidStateValueError",
    ],
    [
      "deletes-whole-key",
      `${DELETE_REFS} > a batch across keys and scopes deletes every version named, and only those`,
      "deleteStateRefs: must delete exactly the versions named",
      "deserialize failed", // below the hint: the error reading a version that should have been kept
    ],
    [
      "io-before-scope-check",
      `${BAD_SCOPES} > mapIndex -5 is InvalidScopeError from every method, and nothing is written or deleted`,
      "validateScope: every method",
      "before any I/O",
    ],
    [
      "corrupts-large-values",
      "large value (2097152 bytes) > round-trips through the ref hooks and get without corruption at any offset",
      "serializeTaskStateToRef / deserializeTaskStateFromRef / get: a large value must come back whole",
      "differs at offset",
    ],
    [
      "clear-without-boundary",
      `${CLEARING} > clear without allMapIndices removes only that map index (1, not 0, 10 or -1)`,
      "delete / clear: must remove exactly",
      "trailing '/'",
    ],
    [
      "overwrites-one-name",
      "concurrency > 8 parallel serialize hooks on one key give 8 distinct references, each reading its own value whole",
      "set / get / serializeTaskStateToRef: concurrent writers must each write their own version",
      "every writer must get its own reference",
    ],
  ])("%s: the failure names the hook to fix first", (fault, test, starts, mentions) => {
    const [message = ""] = outcome(report, fault, test).messages;
    expect(message.startsWith(starts), message.slice(0, 300)).toBe(true);
    expect(message).toContain(mentions);
  });

  it("shows skipped groups as skipped, and a correct backend fails nothing", () => {
    const tests = [...(report.get("skipping") ?? [])];
    expect(tests.length).toBeGreaterThan(50);
    expect(failing(report, "skipping")).toEqual([]);
    const skipped = tests.filter(([, o]) => o.state === "skipped").map(([name]) => name);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((name) => name.startsWith("large value") || name.startsWith("concurrency"))).toBe(
      true,
    );
    expect(skipped.some((name) => name.startsWith("large value"))).toBe(true);
    expect(skipped.some((name) => name.startsWith("concurrency"))).toBe(true);
  });
});
