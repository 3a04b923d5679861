// Deletes go to the JSON API's batch endpoint, up to 100 calls a request: through a batch front
// (test-support's `startGcsBatchFront`, which splits each batch into requests to the emulator) that
// counts what it gets and injects faults per call or per batch. And the fallback: against the
// bare emulator, which has no batch endpoint, one delete per object, remembered by the backend.
import { inspect } from "node:util";
import type { TaskScope } from "@flowstate/shared-state";
import { StateBackendError } from "@flowstate/shared-state";
import {
  type GcsBatchFront,
  type GcsBatchFrontOptions,
  startGcsBatchFront,
  startHttpServer,
} from "@flowstate/test-support";
import type { Storage } from "@google-cloud/storage";
import { afterEach, describe, expect, inject, it } from "vitest";
import { BatchClient } from "../src/batch-client.js";
import { deleteNames } from "../src/delete.js";
import type { GcsStateBackend, GcsStateBackendOptions } from "../src/index.js";
import { resolveGcsOptions } from "../src/resolve-options.js";
import { backendOn, rawStorage, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";
import { startRecordingProxy, type TestHttpServer } from "./support/http-servers.js";

const emulator = inject("gcsEmulator");
const raw = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
const servers: Array<GcsBatchFront | TestHttpServer> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A batch front of this test's own before the emulator, and a backend on it. */
async function onFront(
  faults: GcsBatchFrontOptions = {},
  extra: Partial<GcsStateBackendOptions> = {},
): Promise<{ front: GcsBatchFront; backend: GcsStateBackend }> {
  const front = await startGcsBatchFront(emulator.emulatorEndpoint, faults);
  servers.push(front);
  const backend = backendOn(emulator, {
    prefix: uniquePrefix("batch"),
    apiEndpoint: front.endpoint,
    ...extra,
  });
  opened.push(backend);
  return { front, backend };
}

/** Writes `count` keys (`k0`…) to `scope`, 16 at a time; their object names. */
async function seed(backend: GcsStateBackend, scope: TaskScope, count: number): Promise<string[]> {
  const names: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const ref = await backend.serializeTaskStateToRef({ value: `v${i}`, key: `k${i}`, tiId: "t", scope });
      names.push(ref.slice(`gs://${emulator.bucket}/`.length));
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return names;
}

async function remaining(backend: GcsStateBackend): Promise<string[]> {
  const [files] = await raw.getFiles({ prefix: `${backend.options.prefix}/` });
  return files.map((f) => f.name);
}

/** What `front` counted since `before`. */
function since(front: GcsBatchFront, before: GcsBatchFront["counts"]): Record<string, number> {
  const { batch, call, delete: deletes } = front.counts;
  return { batch: batch - before.batch, call: call - before.call, delete: deletes - before.delete };
}

describe("deletes are batched", () => {
  it("clear of 250 objects is 3 batch requests of up to 100 calls, and removes them all", async () => {
    const { front, backend } = await onFront();
    const scope = uniqueTaskScope("batch250");
    await seed(backend, scope, 250);
    const before = { ...front.counts };
    await backend.clear(scope);
    expect(since(front, before)).toEqual({ batch: 3, call: 250, delete: 0 });
    expect(await remaining(backend)).toEqual([]);
  });

  it("names with spaces, '/', '%', '#', '?', '+', '&' and non-ASCII characters are deleted", async () => {
    for (const prefix of [
      "awk/a b",
      "awk/100% #1 ?q=x&y+z",
      "awk/ünïcödé 😀 漢字",
      "awk/'quote\" <angle> \\back",
    ]) {
      const { front, backend } = await onFront({}, { prefix: `${uniquePrefix("awkward")}/${prefix}` });
      const scope = uniqueTaskScope("awkward");
      // Keys are encoded into the names too: `%XX` escapes next to the raw characters of the prefix.
      for (const key of ["a b", "c/d", "e%f", "g#h?i", "ü😀"]) await backend.set(scope, key, "v");
      expect(await remaining(backend)).toHaveLength(5);
      const before = { ...front.counts };
      await backend.clear(scope);
      expect(since(front, before)).toEqual({ batch: 1, call: 5, delete: 0 });
      expect(await remaining(backend)).toEqual([]);
    }
  });

  it("objects already gone are fine (their calls answer 404)", async () => {
    const { front, backend } = await onFront();
    const scope = uniqueTaskScope("gone");
    const names = await seed(backend, scope, 5);
    await Promise.all(names.slice(0, 3).map((name) => raw.file(name).delete()));
    const before = { ...front.counts };
    await backend.deleteStateRefs(names.map((name) => ({ ref: `gs://${emulator.bucket}/${name}` })));
    expect(since(front, before)).toEqual({ batch: 1, call: 5, delete: 0 });
    expect(await remaining(backend)).toEqual([]);
  });
});

describe("failed calls and batches are retried, then reported", () => {
  it("calls answered 503 (and 429) are sent again in a later batch, and succeed", async () => {
    const failed = new Map<string, number>();
    const { front, backend } = await onFront({
      failCall: ({ object }) => {
        if (object === undefined || !/\/k[0-3]\//.test(object) || failed.has(object)) return undefined;
        failed.set(object, 1);
        return /\/k0\//.test(object) ? 429 : 503;
      },
    });
    const scope = uniqueTaskScope("retry-call");
    await seed(backend, scope, 10);
    const before = { ...front.counts };
    await backend.clear(scope);
    expect(failed.size).toBe(4);
    expect(since(front, before)).toEqual({ batch: 2, call: 14, delete: 0 });
    expect(await remaining(backend)).toEqual([]);
  });

  it("a call refused every time (403) ends in the partial-delete error naming it; the others are gone", async () => {
    let refused = "";
    const { front, backend } = await onFront({
      failCall: ({ object }) => {
        if (!object?.includes("/k2/")) return undefined;
        refused = object;
        return 403;
      },
    });
    const scope = uniqueTaskScope("refused");
    await seed(backend, scope, 6);
    const before = { ...front.counts };
    const error = await backend.clear(scope).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    const message = (error as Error).message;
    expect(message).toContain(
      `1 of 6 objects could not be deleted, e.g. ${refused} (HTTP 403): permission denied`,
    );
    expect(message).toMatch(/Then run the clear again\.$/);
    expect(error).toMatchObject({ backend: "gcs", operation: "clear", cause: { status: 403 } });
    // A 403 is not retried: one batch.
    expect(since(front, before)).toEqual({ batch: 1, call: 6, delete: 0 });
    expect(await remaining(backend)).toEqual([refused]);
  });

  it("a call still failing after max_attempts is reported with its status", async () => {
    const { front, backend } = await onFront(
      { failCall: ({ object }) => (object?.includes("/k1/") ? 503 : undefined) },
      { maxAttempts: 3 },
    );
    const scope = uniqueTaskScope("still-503");
    await seed(backend, scope, 3);
    const before = { ...front.counts };
    const error = await backend.clear(scope).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /1 of 3 objects could not be deleted, e\.g\. .*\/k1\/.* \(HTTP 503\)/,
    );
    expect(since(front, before)).toEqual({ batch: 3, call: 5, delete: 0 });
    expect(await remaining(backend)).toHaveLength(1);
  });

  it("a whole batch answered 503 is sent again", async () => {
    const { front, backend } = await onFront({ failBatch: (n) => (n === 1 ? 503 : undefined) });
    const scope = uniqueTaskScope("batch-503");
    await seed(backend, scope, 5);
    await backend.clear(scope);
    expect(front.counts).toMatchObject({ batch: 2, call: 5, delete: 0 });
    expect(await remaining(backend)).toEqual([]);
  });

  it("a batch that gets no answer times out after request_timeout_ms and is sent again", async () => {
    const quick = { requestTimeoutMs: 300, connectTimeoutMs: 500, maxAttempts: 2 };
    const { front, backend } = await onFront(
      { failBatch: (n) => (n === 1 ? "no-answer" : undefined) },
      quick,
    );
    const scope = uniqueTaskScope("no-answer-once");
    await seed(backend, scope, 5);
    await backend.clear(scope);
    expect(front.counts).toMatchObject({ batch: 2, call: 5, delete: 0 });
    expect(await remaining(backend)).toEqual([]);
  });

  it("a batch endpoint that never answers fails within max_attempts × request_timeout_ms, naming the option", async () => {
    const quick = { requestTimeoutMs: 300, connectTimeoutMs: 500, maxAttempts: 2 };
    const { front, backend } = await onFront({ failBatch: () => "no-answer" }, quick);
    const scope = uniqueTaskScope("no-answer");
    await seed(backend, scope, 3);
    const started = Date.now();
    const error = await backend.clear(scope).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toContain(
      `3 of 3 objects could not be deleted, e.g. ${backend.options.prefix}/`,
    );
    expect((error as Error).message).toContain(
      `endpoint ${front.endpoint} timed out: no answer within [gcs_state_backend] request_timeout_ms = 300 ms (2 attempts`,
    );
    expect(front.counts.batch).toBe(2);
    expect(await remaining(backend)).toHaveLength(3);
  });
});

describe("an endpoint without a batch API (the bare emulator)", () => {
  it("gets one delete per object, and no further batch request once it said so", async () => {
    const recorder = await startRecordingProxy(emulator.emulatorEndpoint);
    servers.push(recorder);
    const backend = backendOn(emulator, { prefix: uniquePrefix("fallback"), apiEndpoint: recorder.endpoint });
    opened.push(backend);
    const kinds = () => ({
      batch: recorder.requests.filter((r) => r.startsWith("POST /batch/")).length,
      delete: recorder.requests.filter((r) => r.startsWith("DELETE ")).length,
    });
    const scope = uniqueTaskScope("fallback");
    await seed(backend, scope, 150);
    await backend.clear(scope);
    expect(kinds()).toEqual({ batch: 1, delete: 150 }); // the first batch goes alone, and gets 501
    expect(await remaining(backend)).toEqual([]);

    await seed(backend, scope, 3);
    await backend.clear(scope);
    expect(kinds()).toEqual({ batch: 1, delete: 153 });
    expect(await remaining(backend)).toEqual([]);
  });
});

describe("credentials", () => {
  // Google's endpoint cannot be reached from a test: a client whose endpoint is a local server but
  // that is not "custom" (as Google's is not) stands in, with an auth client that hands out a token.
  it("are the auth client's headers, sent to Google's endpoint and never shown in a failure", async () => {
    const seen: Array<string | undefined> = [];
    const server = await startHttpServer((request, response) => {
      seen.push(request.headers.authorization);
      const body = { error: { code: 403, message: "Bearer SECRET-ACCESS-TOKEN refused" } };
      request.resume().on("end", () => response.writeHead(403).end(JSON.stringify(body)));
    });
    servers.push(server);
    const storage = {
      apiEndpoint: server.endpoint,
      customEndpoint: false,
      authClient: { getRequestHeaders: async () => ({ Authorization: "Bearer SECRET-ACCESS-TOKEN" }) },
    } as unknown as Storage;
    const options = resolveGcsOptions({ bucket: "b-1", maxAttempts: 1 }, undefined);
    const batch = new BatchClient(storage, options);
    // The bucket handle is for one-by-one deletes only: none here.
    const target = { bucket: undefined as never, batch, options };
    try {
      const context = { operation: "clear" as const, location: "gs://b-1/" };
      const error = await deleteNames(target, ["x", "y"], context).catch((e: unknown) => e);
      expect(seen).toEqual(["Bearer SECRET-ACCESS-TOKEN"]);
      expect(error).toBeInstanceOf(StateBackendError);
      expect((error as Error).message).toMatch(
        /2 of 2 objects could not be deleted, e\.g\. x \(HTTP 403\), y/,
      );
      expect((error as Error).message).toMatch(/permission denied \(HTTP 403\)/);
      const shown = inspect(error, { depth: Number.POSITIVE_INFINITY });
      expect(shown).not.toMatch(/SECRET-ACCESS-TOKEN|authorization/i);
    } finally {
      batch.close();
    }
  });

  it("are not sent to a custom endpoint (an emulator), as Google's client sends none there", async () => {
    const { front, backend } = await onFront();
    const scope = uniqueTaskScope("no-credentials");
    await seed(backend, scope, 2);
    // No Application Default Credentials exist here: asking for them would fail the clear.
    await backend.clear(scope);
    expect(front.counts.batch).toBe(1);
  });
});
