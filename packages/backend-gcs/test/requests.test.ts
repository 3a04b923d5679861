// How many requests a read costs, and what they ask for: one media download for an object this
// version wrote (the encoding marker comes back in its Content-Type, or in Google's `x-goog-meta-*`
// headers); a second, pinned to the generation of the bytes, only when the headers do not tell it.
// And the streamed upload's own PUT: its failures are errors that say what happened, and never
// show the session URI (its own credential). No timings here: the bench measures speed and memory.
import { gzipSync } from "node:zlib";
import {
  newStateVersion,
  StateBackendError,
  StateObjectMissingError,
  statePath,
} from "@flowstate/shared-state";
import { startHttpServer, type TestHttpServer } from "@flowstate/test-support";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { GcsStateBackend } from "../src/index.js";
import { backendOn, rawStorage, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";
import { startRecordingProxy } from "./support/http-servers.js";

const emulator = inject("gcsEmulator");
const raw = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
const servers: TestHttpServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function open(extra: Parameters<typeof backendOn>[1] = {}): GcsStateBackend {
  const backend = backendOn(emulator, extra);
  opened.push(backend);
  return backend;
}

async function proxy(): Promise<TestHttpServer> {
  const server = await startRecordingProxy(emulator.apiEndpoint);
  servers.push(server);
  return server;
}

async function server(handle: Parameters<typeof startHttpServer>[0]): Promise<TestHttpServer> {
  const started = await startHttpServer(handle);
  servers.push(started);
  return started;
}

describe("a read is one request", () => {
  for (const compression of ["none", "gzip", "brotli"] as const) {
    it(`deserialize of a version this backend wrote (${compression}) is one media download`, async () => {
      const recorder = await proxy();
      const backend = open({ prefix: uniquePrefix("one-read"), compression, apiEndpoint: recorder.endpoint });
      const scope = uniqueTaskScope("one-read");
      const value = `état ${"x".repeat(5000)} 😀`;
      const ref = await backend.serializeTaskStateToRef({ value, key: "k", tiId: "t", scope });
      recorder.requests.length = 0;
      expect(await backend.deserializeTaskStateFromRef(ref, { key: "k", scope })).toBe(value);
      expect(recorder.requests).toHaveLength(1);
      expect(recorder.requests[0]).toMatch(/^GET \/storage\/v1\/b\/flowstate-test\/o\/[^?]+\?alt=media$/);
    });
  }

  it("get is the listing and one media download", async () => {
    const recorder = await proxy();
    const backend = open({ prefix: uniquePrefix("one-get"), apiEndpoint: recorder.endpoint });
    const scope = uniqueTaskScope("one-get");
    await backend.set(scope, "k", "v");
    recorder.requests.length = 0;
    expect(await backend.get(scope, "k")).toBe("v");
    expect(recorder.requests.map((r) => r.split("?")[0]?.split(" ")[0])).toEqual(["GET", "GET"]);
    expect(recorder.requests[1]).toMatch(/alt=media/);
  });

  it("a missing object is one request, and StateObjectMissingError", async () => {
    const recorder = await proxy();
    const backend = open({ prefix: uniquePrefix("one-missing"), apiEndpoint: recorder.endpoint });
    const scope = uniqueTaskScope("one-missing");
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
    await backend.delete(scope, "k");
    recorder.requests.length = 0;
    await expect(backend.deserializeTaskStateFromRef(ref, { key: "k", scope })).rejects.toBeInstanceOf(
      StateObjectMissingError,
    );
    expect(recorder.requests).toHaveLength(1);
  });

  it("an object written without the marker in its Content-Type costs a second, pinned request", async () => {
    const recorder = await proxy();
    const backend = open({ prefix: uniquePrefix("unmarked"), apiEndpoint: recorder.endpoint });
    const scope = uniqueTaskScope("unmarked");
    const name = `${backend.options.prefix}/${statePath(scope, "k")}/${newStateVersion()}`;
    await raw.file(name).save(gzipSync("older ✓"), {
      resumable: false,
      metadata: { metadata: { "flowstate-encoding": "gzip" } },
    });
    const [{ generation }] = await raw.file(name).getMetadata();
    recorder.requests.length = 0;
    expect(
      await backend.deserializeTaskStateFromRef(`gs://${emulator.bucket}/${name}`, { key: "k", scope }),
    ).toBe("older ✓");
    expect(recorder.requests).toHaveLength(2);
    expect(recorder.requests[0]).toMatch(/alt=media/);
    expect(recorder.requests[1]).toMatch(new RegExp(`^GET /storage/v1/b/.*[?&]generation=${generation}`));
  });
});

describe("what the media download's headers say", () => {
  const scope = uniqueTaskScope("headers");
  const name = `${statePath(scope, "k")}/${newStateVersion()}`;
  const ref = `gs://${emulator.bucket}/${name}`;
  const quick = { requestTimeoutMs: 2000, connectTimeoutMs: 500, maxAttempts: 1 };

  it("Google's x-goog-meta-* headers: the marker is taken from them, in one request", async () => {
    const gcs = await server((_request, response) => {
      response
        .writeHead(200, {
          "content-type": "application/gzip",
          "x-goog-generation": "7",
          "x-goog-meta-flowstate-encoding": "gzip",
        })
        .end(gzipSync("from real GCS"));
    });
    const backend = open({ apiEndpoint: gcs.endpoint, ...quick });
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "k", scope })).toBe("from real GCS");
    expect(gcs.requests).toHaveLength(1);
  });

  it("no marker: the metadata of the generation the bytes came from; gone since: StateObjectMissingError", async () => {
    for (const [metadataStatus, expected] of [
      [200, "pinned"],
      [404, StateObjectMissingError],
    ] as const) {
      const gcs = await server((request, response) => {
        const url = request.url ?? "";
        if (url.includes("alt=media")) {
          response.writeHead(200, { "content-type": "application/gzip", "x-goog-generation": "42" });
          response.end(gzipSync("pinned"));
        } else if (metadataStatus === 404) {
          const body = { error: { code: 404, message: `No such object: ${emulator.bucket}/${name}` } };
          response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify(body));
        } else {
          const object = { name, generation: "42", metadata: { "flowstate-encoding": "gzip" } };
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(object));
        }
      });
      const backend = open({ apiEndpoint: gcs.endpoint, ...quick });
      const read = backend.deserializeTaskStateFromRef(ref, { key: "k", scope });
      if (typeof expected === "string") expect(await read).toBe(expected);
      else await expect(read).rejects.toBeInstanceOf(expected);
      expect(gcs.requests).toHaveLength(2);
      expect(gcs.requests[1]).toMatch(/[?&]generation=42(&|$)/);
    }
  });
});

describe("the streamed upload's PUT", () => {
  const SESSION_SECRET = "SESSION-SECRET-upload-id-123";

  /** A server that opens sessions (at a URI holding a secret) and answers their PUT with `put`. */
  async function sessionServer(
    put: (response: import("node:http").ServerResponse) => void,
  ): Promise<TestHttpServer> {
    let self = "";
    const started = await server((request, response) => {
      if (request.method === "POST") {
        request.resume().on("end", () => {
          response.writeHead(200, { location: `${self}/upload/session?upload_id=${SESSION_SECRET}` }).end();
        });
        return;
      }
      request.resume();
      put(response);
    });
    self = started.endpoint;
    return started;
  }

  const write = (backend: GcsStateBackend) =>
    backend.serializeTaskStateToRef({
      value: "x".repeat(3 * 1024 * 1024),
      key: "k",
      tiId: "t",
      scope: uniqueTaskScope("put"),
    });

  it("an error answer is reported with its status and reason, never with the session URI", async () => {
    const gcs = await sessionServer((response) => {
      const body = { error: { code: 503, message: "Backend Error", errors: [{ reason: "backendError" }] } };
      response.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    const backend = open({ apiEndpoint: gcs.endpoint, resumableThreshold: 1, maxAttempts: 1 });
    const error = await write(backend).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toMatch(/Backend Error \(HTTP 503\)/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(SESSION_SECRET);
    expect(gcs.requests.map((r) => r.split(" ")[0])).toEqual(["POST", "PUT"]);
  });

  it("a stored object whose CRC32C is not that of the bytes sent is deleted, and the write fails", async () => {
    const gcs = await sessionServer((response) => {
      const object = { name: "x", crc32c: "AAAAAA==" };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(object));
    });
    const backend = open({ apiEndpoint: gcs.endpoint, resumableThreshold: 1, maxAttempts: 1 });
    const error = await write(backend).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toMatch(
      /did not match what GCS stored \(CRC32C\): the object was deleted/,
    );
    expect(gcs.requests.map((r) => r.split(" ")[0])).toEqual(["POST", "PUT", "DELETE"]);
  });

  it("a PUT that gets no answer times out, naming the option", async () => {
    const gcs = await sessionServer(() => {}); // takes the bytes, never answers
    const backend = open({ apiEndpoint: gcs.endpoint, resumableThreshold: 1, requestTimeoutMs: 300 });
    const error = await write(backend).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateBackendError);
    expect((error as Error).message).toMatch(
      /timed out: no answer within \[gcs_state_backend\] request_timeout_ms = 300 ms/,
    );
  });
});
