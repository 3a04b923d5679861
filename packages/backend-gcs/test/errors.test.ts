import { inspect } from "node:util";
import {
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  newStateVersion,
  StateBackendError,
  StateObjectMissingError,
  StateReferenceError,
  statePath,
} from "@flowstate/shared-state";
import {
  freePort,
  startGarbageServer,
  startHttpServer,
  startSilentServer,
  withTestServer,
} from "@flowstate/test-support";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { GcsStateBackend } from "../src/index.js";
import { backendOn, rawStorage, uniquePrefix, uniqueTaskScope } from "./support/helpers.js";
import { type FaultReply, gcsError, startFaultServer, type TestHttpServer } from "./support/http-servers.js";

const emulator = inject("gcsEmulator");
const raw = rawStorage(emulator).bucket(emulator.bucket);
const opened: GcsStateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

function open(extra: Parameters<typeof backendOn>[1] = {}): GcsStateBackend {
  const backend = backendOn(emulator, extra);
  opened.push(backend);
  return backend;
}

/** Words a fault server puts in its answers; a message must never repeat them. */
const ECHOED = /fault-principal@|FAULT-TOKEN-123|refused by the fault server/;

/** The error `promise` rejects with, checked to be a `type` that repeats nothing the server sent. */
async function failure<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail, it succeeded");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).not.toMatch(ECHOED);
  return error as T;
}

/** Runs `work` against a server that answers every request with `reply`, then stops it. */
async function withFaultServer(
  reply: (url: string, method: string) => FaultReply,
  work: (server: TestHttpServer) => Promise<void>,
): Promise<void> {
  const server = await startFaultServer((request) => reply(request.url ?? "", request.method ?? ""));
  try {
    await work(server);
  } finally {
    await server.close();
  }
}

describe("storage failures are StateBackendErrors that say what to fix", () => {
  it("a port nobody listens on fails fast with 'is the server running?', from every operation", async () => {
    // ECONNREFUSED is not retried (nothing to wait for); the test timeout bounds "fast".
    const apiEndpoint = `http://127.0.0.1:${await freePort()}`;
    const backend = open({ apiEndpoint, resumableThreshold: 10 });
    const scope = uniqueTaskScope("down");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["get", () => backend.get(scope, "k")],
      ["set", () => backend.set(scope, "k", "short")],
      ["set", () => backend.set(scope, "k", "long enough for a resumable upload")],
      ["delete", () => backend.delete(scope, "k")],
      ["clear", () => backend.clear(scope)],
    ];
    for (const [operation, call] of calls) {
      const error = await failure(call(), StateBackendError);
      expect(error.message).toContain(`cannot reach endpoint ${apiEndpoint}: is the server running?`);
      expect(error.message).toContain(
        "Check [gcs_state_backend] api_endpoint and the network (ECONNREFUSED)",
      );
      expect(error).toMatchObject({ backend: "gcs", operation });
      expect(error.location).toMatch(/^gs:\/\/flowstate-test\/task\//);
    }
  }, 20_000);

  // The emulator has no notion of a missing bucket (buckets appear with their first object), so
  // GCS's own answer is replayed by a server that always gives it.
  it("a missing bucket, from every operation (get and delete too: it is not a missing key)", async () => {
    const missing = gcsError(404, "notFound", "The specified bucket does not exist.");
    await withFaultServer(
      () => missing,
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint, bucket: "no-such-bucket-here" });
        const scope = uniqueTaskScope("nobucket");
        const calls: Array<[string, () => Promise<unknown>]> = [
          ["set", () => backend.set(scope, "k", "v")],
          ["get", () => backend.get(scope, "k")],
          ["delete", () => backend.delete(scope, "k")],
          ["clear", () => backend.clear(scope)],
          ["serialize", () => backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope })],
        ];
        for (const [operation, call] of calls) {
          const error = await failure(call(), StateBackendError);
          expect(error.message).toContain(
            "bucket 'no-such-bucket-here' does not exist: create it or fix [gcs_state_backend] bucket",
          );
          expect(error).toMatchObject({ backend: "gcs", operation });
          expect(error.location).toMatch(/^gs:\/\/no-such-bucket-here\/task\//);
          expect(error.cause).toMatchObject({ status: 404, reasons: ["notFound"] });
        }
      },
    );
  });

  for (const [status, reason, says] of [
    [
      401,
      "required",
      /credentials missing or refused \(HTTP 401, required\): set or check the credentials Google's client uses/,
    ],
    [
      403,
      "forbidden",
      /permission denied \(HTTP 403, forbidden\): give the credentials' principal .*gs:\/\/flowstate-test\/tenant\/x/,
    ],
  ] as const) {
    it(`HTTP ${status} is explained without echoing what GCS sent back (it names the principal)`, async () => {
      const refused = gcsError(
        status,
        reason,
        "fault-principal@project.iam.gserviceaccount.com does not have storage.objects.create access; FAULT-TOKEN-123 refused by the fault server",
      );
      await withFaultServer(
        () => refused,
        async (server) => {
          const backend = open({ apiEndpoint: server.endpoint, prefix: "tenant/x" });
          const error = await failure(backend.set(uniqueTaskScope("denied"), "k", "v"), StateBackendError);
          expect(error.message).toMatch(says);
          expect(error.message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
          expect(error.operation).toBe("set");
        },
      );
    });
  }

  it("the cause keeps what failed but not the request or response (they carry the access token)", async () => {
    const refused = gcsError(403, "forbidden", "denied");
    await withFaultServer(
      () => refused,
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint });
        const error = await failure(backend.get(uniqueTaskScope("cause"), "k"), StateBackendError);
        const cause = error.cause as Record<string, unknown>;
        expect(cause).toBeInstanceOf(Error);
        expect(cause).toMatchObject({ status: 403, reasons: ["forbidden"], message: "denied" });
        expect(Object.keys(cause)).not.toContain("response");
        expect(inspect(error, { depth: Number.POSITIVE_INFINITY })).not.toMatch(/headers|authorization/i);
      },
    );
  });

  it("a token the server echoes in its answer is not in the error or its cause", async () => {
    const refused = gcsError(401, "authError", "Invalid Credentials: Bearer ya29.a0SECRET-ACCESS-TOKEN");
    await withFaultServer(
      () => refused,
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint });
        const error = await failure(backend.get(uniqueTaskScope("token"), "k"), StateBackendError);
        expect(error.cause).toMatchObject({ status: 401, reasons: ["authError"] });
        expect(inspect(error, { depth: Number.POSITIVE_INFINITY })).not.toContain("SECRET-ACCESS-TOKEN");
      },
    );
  });

  it("a 404 that is not GCS's 'No such object' (a wrong endpoint path, a proxy) fails instead of reading as unset", async () => {
    await withFaultServer(
      () => ({ status: 404, body: "<html><body>Not Found</body></html>" }),
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint });
        const error = await failure(backend.get(uniqueTaskScope("proxy"), "k"), StateBackendError);
        expect(error.message).toMatch(/HTTP 404/);
        expect(error.operation).toBe("get");
      },
    );
  });

  for (const maxAttempts of [1, 3]) {
    it(`a server error is tried max_attempts (${maxAttempts}) times, then reported with its status`, async () => {
      await withFaultServer(
        () => gcsError(503, "backendError", "Backend Error"),
        async (server) => {
          const backend = open({ apiEndpoint: server.endpoint, maxAttempts });
          const scope = uniqueTaskScope("retry");
          const ref = `gs://${emulator.bucket}/${statePath(scope, "k")}/${newStateVersion()}`;
          const error = await failure(backend.deleteStateRefs([{ ref, scope, key: "k" }]), StateBackendError);
          expect(error.message).toMatch(/Backend Error \(HTTP 503\)/);
          // Transient failures get a second chance, about a second apart, not minutes of them: the
          // batch that carries the delete is sent max_attempts times.
          expect(server.requests.filter((r) => r.startsWith("POST /batch/storage/v1"))).toHaveLength(
            maxAttempts,
          );
        },
      );
    }, 30_000);
  }

  // One delete per object here (the server has no batch endpoint); batch-delete.test.ts has the
  // same through batches.
  it("clear tries every object, then reports the ones GCS refused to delete", async () => {
    const scope = uniqueTaskScope("partial");
    const folder = `tenant/x/task/${encodeURIComponent(scope.dagId)}`;
    await withFaultServer(
      (url, method) => {
        if (url.startsWith("/batch/")) return { status: 501, body: "Not Implemented" };
        if (method === "GET") {
          const items = ["a", "b", "c"].map((k) => ({
            kind: "storage#object",
            name: `${folder}/${k}`,
            bucket: "flowstate-test",
          }));
          return { status: 200, body: { kind: "storage#objects", items } };
        }
        if (url.includes("%2Fb")) return { status: 204, body: "" };
        return gcsError(403, "forbidden", "refused by the fault server");
      },
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint, prefix: "tenant/x" });
        const error = await failure(backend.clear(scope), StateBackendError);
        expect(error.message).toMatch(
          /2 of 3 objects could not be deleted, e\.g\. .*\/a \(HTTP 403\), .*\/c \(HTTP 403\): permission denied/,
        );
        expect(error.message).toMatch(/Then run the clear again\.$/);
        expect(error.operation).toBe("clear");
        expect(server.requests.filter((r) => r.startsWith("DELETE"))).toHaveLength(3);
      },
    );
  });

  for (const [label, encoding, body] of [
    ["not UTF-8", "identity", Buffer.from([0x61, 0xff, 0xfe, 0x62])],
    ["not gzip data", "gzip", Buffer.from("plain text, not gzip")],
    ["not brotli data", "br", Buffer.from("plain text, not brotli at all")],
  ] as const) {
    it(`an object whose bytes are ${label} is refused, not turned into replacement characters`, async () => {
      const backend = open({ prefix: uniquePrefix("undecodable") });
      const scope = uniqueTaskScope("undecodable");
      const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
      await raw.file(ref.slice(`gs://${emulator.bucket}/`.length)).save(body, {
        resumable: false,
        metadata: { metadata: { "flowstate-encoding": encoding } },
      });
      const error = await failure(
        backend.deserializeTaskStateFromRef(ref, { key: "k", scope }),
        StateBackendError,
      );
      expect(error.message).toMatch(
        /the object is not valid .*: it was not written by flowstate or was changed since/,
      );
      expect(error.operation).toBe("deserialize");
    });
  }

  it("a closed backend refuses further calls", async () => {
    const backend = open();
    await backend.close();
    await backend.close(); // idempotent
    const error = await failure(backend.get(uniqueTaskScope("closed"), "k"), StateBackendError);
    expect(error.message).toMatch(/the backend is closed/);
  });
});

describe("every wait is bounded (the test timeout is the bound)", () => {
  // Small timeouts and two attempts: a silent endpoint fails in a few seconds.
  const quick = { requestTimeoutMs: 300, connectTimeoutMs: 200, maxAttempts: 2 };

  /** get, serialize (simple and resumable) and deleteStateRefs at `apiEndpoint`, each with its error. */
  async function everyCall(apiEndpoint: string): Promise<StateBackendError[]> {
    const backend = open({ apiEndpoint, ...quick });
    const resumable = open({ apiEndpoint, ...quick, resumableThreshold: 1 });
    const scope = uniqueTaskScope("bounded");
    const ref = `gs://${emulator.bucket}/${statePath(scope, "k")}/${newStateVersion()}`;
    const serialize = (b: GcsStateBackend) =>
      b.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
    return [
      await failure(backend.get(scope, "k"), StateBackendError),
      await failure(serialize(backend), StateBackendError),
      await failure(serialize(resumable), StateBackendError),
      await failure(backend.deleteStateRefs([{ ref, scope, key: "k" }]), StateBackendError),
    ];
  }

  it("a silent endpoint (accepts, never answers) times out naming the endpoint and the option", async () => {
    await withTestServer(startSilentServer, async (hole) => {
      const errors = await everyCall(hole.endpoint);
      expect(errors.map((e) => e.operation)).toEqual(["get", "serialize", "serialize", "delete"]);
      for (const error of errors) {
        expect(error.message).toContain(
          `endpoint ${hole.endpoint} timed out: no answer within [gcs_state_backend] request_timeout_ms = 300 ms (2 attempts`,
        );
        expect(error.message).toMatch(/raise \[gcs_state_backend\] request_timeout_ms\./);
      }
    });
  }, 30_000);

  it("an endpoint that answers with something that is not HTTP fails at once, and says so", async () => {
    await withTestServer(startGarbageServer, async (garbage) => {
      for (const error of await everyCall(garbage.endpoint)) {
        expect(error.message).toContain(
          `endpoint ${garbage.endpoint} did not answer like an HTTP server (HPE_INVALID_CONSTANT): check that [gcs_state_backend] api_endpoint names`,
        );
      }
    });
  }, 30_000);

  it("a read whose body stops halfway fails after request_timeout_ms without data", async () => {
    const scope = uniqueTaskScope("stalled");
    const name = `${statePath(scope, "k")}/${newStateVersion()}`;
    const server = await startHttpServer((request, response) => {
      if ((request.url ?? "").includes("alt=media")) {
        response.writeHead(200, { "content-type": "text/plain", "content-length": "100" }).write("partial");
        return; // and nothing more
      }
      const object = { kind: "storage#object", name, bucket: emulator.bucket, generation: "1", metadata: {} };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(object));
    });
    try {
      const backend = open({ apiEndpoint: server.endpoint, ...quick });
      const ref = `gs://${emulator.bucket}/${name}`;
      const error = await failure(
        backend.deserializeTaskStateFromRef(ref, { key: "k", scope }),
        StateBackendError,
      );
      expect(error.message).toContain(`endpoint ${server.endpoint} timed out: no answer within`);
      expect(error.operation).toBe("deserialize");
    } finally {
      await server.close();
    }
  }, 30_000);

  it("an endpoint with a token in its query string never shows it", async () => {
    await withTestServer(startSilentServer, async (hole) => {
      const backend = open({
        apiEndpoint: `${hole.endpoint}/?X-Amz-Security-Token=SECRET-TOKEN-123`,
        ...quick,
      });
      const error = await failure(backend.get(uniqueTaskScope("query"), "k"), StateBackendError);
      expect(error.message).toContain(`endpoint ${hole.endpoint}?*** timed out`);
      expect(`${error.message} ${inspect(error, { depth: Number.POSITIVE_INFINITY })}`).not.toContain(
        "SECRET-TOKEN-123",
      );
    });
  }, 30_000);
});

describe("references this backend did not write are refused", () => {
  const scope = uniqueTaskScope("refs");

  async function written(): Promise<{ backend: GcsStateBackend; ref: string }> {
    const backend = open({ prefix: "tenant/a" });
    const ref = await backend.serializeTaskStateToRef({ value: "secret-plan", key: "k", tiId: "t", scope });
    return { backend, ref };
  }

  it("a reference to another bucket", async () => {
    const { backend, ref } = await written();
    const foreign = ref.replace(`gs://${emulator.bucket}/`, "gs://someone-elses-bucket/");
    const error = await failure(
      backend.deserializeTaskStateFromRef(foreign, { key: "k", scope }),
      StateReferenceError,
    );
    expect(error.message).toContain("someone-elses-bucket");
    expect(error.message).toContain(`expected ${ref.slice(0, ref.lastIndexOf("/"))}/<version>`);
    expect(error.message).toMatch(/was \[gcs_state_backend\] bucket or prefix changed/);
    expect(error).toMatchObject({
      backend: "gcs",
      operation: "deserialize",
      location: ref.slice(0, ref.lastIndexOf("/")),
    });
  });

  it("a reference that climbs out of the prefix, or names another prefix, key or scheme", async () => {
    const { backend, ref } = await written();
    const inPrefix = ref.slice(`gs://${emulator.bucket}/tenant/a/`.length);
    for (const bad of [
      `gs://${emulator.bucket}/tenant/a/../b/${inPrefix}`,
      `gs://${emulator.bucket}/tenant/b/${inPrefix}`,
      `gs://${emulator.bucket}/${inPrefix}`,
      `${ref}/../other`,
      ref.replace(/\/k\//, "/other/"),
      ref.slice(0, ref.lastIndexOf("/")),
      ref.replace(/^gs:/, "s3:"),
      ref.toUpperCase(),
      `${ref} `,
      "secret-plan",
      "not a reference",
      "",
    ]) {
      await failure(backend.deserializeTaskStateFromRef(bad, { key: "k", scope }), StateReferenceError);
    }
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "k", scope })).toBe("secret-plan");
  });

  it("a key that would escape the prefix is stored inside it, and its reference is refused for another key", async () => {
    const backend = open({ prefix: "tenant/a" });
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "../../b/k", tiId: "t", scope });
    expect(ref.startsWith(`gs://${emulator.bucket}/tenant/a/task/`)).toBe(true);
    expect(ref).not.toContain("/../");
    await failure(backend.deserializeTaskStateFromRef(ref, { key: "k", scope }), StateReferenceError);
    expect(await backend.deserializeTaskStateFromRef(ref, { key: "../../b/k", scope })).toBe("v");
  });

  it("a reference for the right key but another scope kind", async () => {
    const { backend, ref } = await written();
    await expect(
      backend.deserializeAssetStateFromRef(ref, { key: "k", scope: scope as never }),
    ).rejects.toBeInstanceOf(InvalidScopeError);
  });

  it("a well-formed reference whose object is gone is StateObjectMissingError", async () => {
    const { backend, ref } = await written();
    await backend.delete(scope, "k");
    const error = await failure(
      backend.deserializeTaskStateFromRef(ref, { key: "k", scope }),
      StateObjectMissingError,
    );
    expect(error.message).toMatch(/the object this reference names is gone.*set key 'k' again/);
    expect(error.location).toBe(ref);
  });
});

describe("bad input is refused before anything is sent", () => {
  // A server that records requests and fails them: nothing may reach it.
  it("bad scopes, keys and values", async () => {
    await withFaultServer(
      () => gcsError(500, "backendError", "should not be called"),
      async (server) => {
        const backend = open({ apiEndpoint: server.endpoint });
        const scope = uniqueTaskScope("input");
        await expect(backend.get({ kind: "dag" } as never, "k")).rejects.toBeInstanceOf(InvalidScopeError);
        await expect(backend.set(null as never, "k", "v")).rejects.toBeInstanceOf(InvalidScopeError);
        await expect(backend.set(scope, "", "v")).rejects.toBeInstanceOf(InvalidStateKeyError);
        await expect(backend.set(scope, "a\u0000b", "v")).rejects.toBeInstanceOf(InvalidStateKeyError);
        await expect(backend.set(scope, "k".repeat(251), "v")).rejects.toBeInstanceOf(InvalidStateKeyError);
        await expect(backend.set(scope, "k", 42 as never)).rejects.toBeInstanceOf(InvalidStateValueError);
        await expect(backend.set(scope, "k", "\ud800")).rejects.toBeInstanceOf(InvalidStateValueError);
        await expect(
          backend.serializeTaskStateToRef({ value: undefined as never, key: "k", tiId: "t", scope }),
        ).rejects.toBeInstanceOf(InvalidStateValueError);
        await expect(backend.delete(scope, "")).rejects.toBeInstanceOf(InvalidStateKeyError);
        const ref = `gs://${emulator.bucket}/${statePath(scope, "k")}/${newStateVersion()}`;
        const badScope = { kind: "task", dagId: "d", runId: "r", taskId: "t", mapIndex: -2 } as never;
        await expect(
          backend.deleteStateRefs([{ ref }, { ref, scope: badScope, key: "k" }]),
        ).rejects.toBeInstanceOf(InvalidScopeError);
        const listing = backend.listStateRefs({ scope: badScope })[Symbol.asyncIterator]();
        await expect(listing.next()).rejects.toBeInstanceOf(InvalidScopeError);
        expect(server.requests).toEqual([]);
      },
    );
  });
});
