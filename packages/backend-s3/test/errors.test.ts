import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  InvalidScopeError,
  newStateVersion,
  StateBackendError,
  StateObjectMissingError,
  StateReferenceError,
  statePath,
  TaskScope,
} from "@flowstate/shared-state";
import {
  startGarbageServer,
  startS3Server,
  startSilentServer,
  withTestServer,
} from "@flowstate/test-support";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { S3StateBackend } from "../src/index.js";
import { s3Error, startFaultServer } from "./fault-server.js";
import { backendOn, rawClient, uniquePrefix, uniqueTaskScope } from "./helpers.js";

const server = inject("s3rver");
const opened: S3StateBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

function open(extra: Parameters<typeof backendOn>[1] = {}, target = server): S3StateBackend {
  const backend = backendOn(target, extra);
  opened.push(backend);
  return backend;
}

/** The error `promise` rejects with, checked to be a `type` and to carry no secret anywhere. */
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
  expect(error).toBeInstanceOf(StateBackendError);
  expectNoSecret(error as Error);
  return error as T;
}

function expectNoSecret(error: Error): void {
  for (const secret of [server.secretAccessKey, process.env.AWS_SECRET_ACCESS_KEY, "WRONG-SECRET-123"]) {
    if (secret) expect(`${error.message} ${String(error.stack)}`).not.toContain(secret);
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `work` with the given credentials in the environment, where the SDK's chain finds them. */
async function withEnv(env: Record<string, string | undefined>, work: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    await work();
  } finally {
    apply(saved);
  }
}

describe("storage failures are StateBackendErrors that say what to fix", () => {
  it("a missing bucket, from every operation (get too: it is not a missing key)", async () => {
    const backend = open({ bucket: "no-such-bucket-here" });
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
        "bucket 'no-such-bucket-here' does not exist: create it or fix [s3_state_backend] bucket",
      );
      expect(error).toMatchObject({ backend: "s3", operation });
      expect(error.location).toMatch(/^s3:\/\/no-such-bucket-here\/task\//);
      expect((error.cause as Error).name).toBe("NoSuchBucket");
    }
  });

  it("a port nobody listens on fails fast with 'is the server running?'", async () => {
    const endpoint = `http://127.0.0.1:${await unusedPort()}`;
    const backend = open({ endpoint });
    const error = await failure(backend.get(uniqueTaskScope("down"), "k"), StateBackendError);
    expect(error.message).toContain(`cannot reach endpoint ${endpoint}: is the server running?`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.operation).toBe("get");
  });

  it("a server that goes away: the next write fails the same way and the old value survives intact", async () => {
    const directory = await mkdtemp(join(tmpdir(), "backend-s3-restart-"));
    try {
      const first = await startS3Server({ directory });
      await first.createBucket("short-lived");
      const scope = uniqueTaskScope("stopped");
      const before = open({}, { ...server, endpoint: first.endpoint, bucket: "short-lived" });
      await before.set(scope, "k", "before");
      await first.stop();
      const error = await failure(before.set(scope, "k", "after"), StateBackendError);
      expect(error.message).toContain(`cannot reach endpoint ${first.endpoint}: is the server running?`);
      // The same data directory served again: the failed write left the old value whole.
      const second = await startS3Server({ directory });
      try {
        const after = open({}, { ...server, endpoint: second.endpoint, bucket: "short-lived" });
        expect(await after.get(scope, "k")).toBe("before");
      } finally {
        await second.stop();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("an unknown access key is 'credentials refused' without the key or secret", async () => {
    await withEnv(
      { AWS_ACCESS_KEY_ID: "WRONG-KEY-ID-123", AWS_SECRET_ACCESS_KEY: "WRONG-SECRET-123" },
      async () => {
        const backend = open();
        const error = await failure(backend.get(uniqueTaskScope("creds"), "k"), StateBackendError);
        expect(error.message).toMatch(/credentials refused \(InvalidAccessKeyId\): check the credentials/);
        expect(error.message).not.toContain("WRONG-KEY-ID-123");
      },
    );
  });

  // s3rver checks the access key id but never verifies SigV4 signatures, and moto checks
  // neither: refused signatures and denied access come from a server that always refuses.
  for (const [code, extra] of [
    [
      "SignatureDoesNotMatch",
      "<AWSAccessKeyId>AKIAFAULTKEY</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256</StringToSign>",
    ],
    ["AccessDenied", ""],
  ] as const) {
    it(`${code} is 'credentials refused (${code})' without echoing what the server sent back`, async () => {
      const fault = await startFaultServer(() => s3Error(403, code, "refused by the fault server", extra));
      try {
        const backend = open({ endpoint: fault.endpoint });
        const error = await failure(backend.set(uniqueTaskScope("denied"), "k", "v"), StateBackendError);
        expect(error.message).toContain(
          `credentials refused (${code}): check the credentials the AWS SDK found`,
        );
        expect(error.message).not.toMatch(/AKIAFAULTKEY|StringToSign|refused by the fault server/);
        expect(error.operation).toBe("set");
      } finally {
        await fault.close();
      }
    });
  }

  it("a 404 that is not S3's NoSuchKey (a wrong endpoint path, a proxy) fails instead of reading as unset", async () => {
    const fault = await startFaultServer(() => ({
      status: 404,
      body: "<html><body>Not Found</body></html>",
    }));
    try {
      const backend = open({ endpoint: fault.endpoint });
      const error = await failure(backend.get(uniqueTaskScope("proxy"), "k"), StateBackendError);
      expect(error.message).toMatch(/HTTP 404/);
      expect(error.operation).toBe("get");
    } finally {
      await fault.close();
    }
  });

  it("clear reports the keys DeleteObjects could not delete, instead of claiming success", async () => {
    const prefix = "tenant/x";
    const scope = uniqueTaskScope("partial");
    const folder = `${prefix}/task/${encodeURIComponent(scope.dagId)}`;
    const fault = await startFaultServer((request) => {
      if (request.method === "GET") {
        const contents = ["a", "b"].map(
          (k) => `<Contents><Key>${folder}/${k}</Key><Size>1</Size></Contents>`,
        );
        return {
          status: 200,
          body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${server.bucket}</Name><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join("")}</ListBucketResult>`,
        };
      }
      return {
        status: 200,
        body: `<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>${folder}/b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`,
      };
    });
    try {
      const backend = open({ endpoint: fault.endpoint, prefix });
      const error = await failure(backend.clear(scope), StateBackendError);
      expect(error.message).toMatch(/1 of 2 objects could not be deleted, e\.g\. .*\/b \(AccessDenied\)/);
      expect(error.message).toMatch(
        /may delete objects under s3:\/\/flowstate-test\/tenant\/x\/task\/.*run the clear again/,
      );
      expect(error.operation).toBe("clear");
      expect(fault.requests.filter((r) => r.startsWith("POST")).every((r) => r.includes("delete"))).toBe(
        true,
      );
    } finally {
      await fault.close();
    }
  });

  it("no region anywhere says where to set one", async () => {
    const noRegion = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_CONFIG_FILE: "/nonexistent/flowstate",
    };
    await withEnv(noRegion, async () => {
      const backend = open({ region: undefined });
      const error = await failure(backend.get(uniqueTaskScope("noregion"), "k"), StateBackendError);
      expect(error.message).toContain(
        'no region configured: set [s3_state_backend] region (e.g. "eu-west-1") or AWS_REGION',
      );
    });
  });

  it("no credentials at all names the SDK's credential chain", async () => {
    const none = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/flowstate-test/credentials",
      AWS_CONFIG_FILE: "/nonexistent/flowstate-test/config",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    };
    await withEnv(none, async () => {
      const backend = open();
      const error = await failure(backend.get(uniqueTaskScope("nocreds"), "k"), StateBackendError);
      expect(error.message).toMatch(
        /no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
      );
    });
  });

  /** Replaces the object a reference names with raw bytes and an encoding marker, behind the backend's back. */
  async function overwriteObject(ref: string, body: string | Buffer, encoding: string): Promise<void> {
    const raw = rawClient(server);
    try {
      await raw.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: ref.slice(`s3://${server.bucket}/`.length),
          Body: body,
          Metadata: { "flowstate-encoding": encoding },
        }),
      );
    } finally {
      raw.destroy();
    }
  }

  it("an object written with an encoding this version does not know is refused, not misread", async () => {
    const prefix = uniquePrefix("encoding");
    const backend = open({ prefix });
    const scope = uniqueTaskScope("encoding");
    const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
    await overwriteObject(ref, "x", "zstd");
    const error = await failure(backend.get(scope, "k"), StateBackendError);
    expect(error.message).toMatch(/encoding 'zstd'.*cannot read: upgrade it/);
  });

  for (const [label, metadata, body] of [
    ["not UTF-8", "identity", Buffer.from([0x61, 0xff, 0xfe, 0x62])],
    ["not gzip data", "gzip", Buffer.from("plain text, not gzip")],
    ["not brotli data", "br", Buffer.from("plain text, not brotli at all")],
  ] as const) {
    it(`an object whose bytes are ${label} is refused, not turned into replacement characters`, async () => {
      const backend = open({ prefix: uniquePrefix("undecodable") });
      const scope = uniqueTaskScope("undecodable");
      const ref = await backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope });
      await overwriteObject(ref, body, metadata);
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

/** Everything `console.error(error)` would print, causes and all. */
function printed(error: unknown): string {
  return inspect(error, { depth: Number.POSITIVE_INFINITY });
}

describe("every wait is bounded (the test timeout is the bound)", () => {
  // Small timeouts and two attempts: a silent endpoint fails in about a second.
  const quick = { requestTimeoutMs: 300, connectTimeoutMs: 300, maxAttempts: 2 };

  /** get, serialize and deleteStateRefs on a backend at `endpoint`, each with the error it fails with. */
  async function everyCall(endpoint: string): Promise<StateBackendError[]> {
    const backend = open({ endpoint, ...quick });
    const scope = uniqueTaskScope("bounded");
    const ref = `s3://${server.bucket}/${statePath(scope, "k")}/${newStateVersion()}`;
    return [
      await failure(backend.get(scope, "k"), StateBackendError),
      await failure(
        backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "t", scope }),
        StateBackendError,
      ),
      await failure(backend.deleteStateRefs([{ ref, scope, key: "k" }]), StateBackendError),
    ];
  }

  it("a silent endpoint (accepts, never answers) times out naming the endpoint and the option", async () => {
    await withTestServer(startSilentServer, async (hole) => {
      const errors = await everyCall(hole.endpoint);
      expect(errors.map((e) => e.operation)).toEqual(["get", "serialize", "delete"]);
      for (const error of errors) {
        expect(error.message).toContain(
          `endpoint ${hole.endpoint} timed out: no answer within [s3_state_backend] request_timeout_ms = 300 ms (2 attempts`,
        );
        expect(error.message).toMatch(/raise \[s3_state_backend\] request_timeout_ms\.$/);
      }
      expect(hole.connections).toBeGreaterThanOrEqual(2); // retried
    });
  }, 20_000);

  it("an endpoint that answers with something that is not HTTP fails at once, and says so", async () => {
    await withTestServer(startGarbageServer, async (garbage) => {
      for (const error of await everyCall(garbage.endpoint)) {
        expect(error.message).toContain(
          `endpoint ${garbage.endpoint} did not answer like an HTTP server (HPE_INVALID_CONSTANT): check that [s3_state_backend] endpoint names`,
        );
      }
    });
  }, 20_000);

  it("an endpoint with a security token in its query string never shows it", async () => {
    await withTestServer(startSilentServer, async (hole) => {
      const backend = open({ endpoint: `${hole.endpoint}/?X-Amz-Security-Token=SECRET-TOKEN-123`, ...quick });
      const error = await failure(backend.get(uniqueTaskScope("query"), "k"), StateBackendError);
      expect(error.message).toContain(`endpoint ${hole.endpoint}?*** timed out`);
      expect(`${error.message} ${printed(error)}`).not.toContain("SECRET-TOKEN-123");
    });
  }, 20_000);
});

describe("errors carry no credentials, causes included", () => {
  const keyId = "AKIAFLOWSTATE1234567";
  const secret = "flowstate/Secret+Access+Key/0123456789abcdef";

  for (const code of ["SignatureDoesNotMatch", "AccessDenied"]) {
    it(`${code}: util.inspect of the error holds no access key id or secret`, async () => {
      const echoed = `<AWSAccessKeyId>${keyId}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 ${keyId}</StringToSign>`;
      const fault = await startFaultServer(() => s3Error(403, code, `denied for ${keyId}`, echoed));
      try {
        await withEnv({ AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret }, async () => {
          const backend = open({ endpoint: fault.endpoint });
          const error = await failure(backend.get(uniqueTaskScope("printed"), "k"), StateBackendError);
          expect(error.message).toContain(`credentials refused (${code})`);
          expect((error.cause as Error).name).toBe(code);
          const everything = printed(error);
          expect(everything).not.toContain(keyId);
          expect(everything).not.toContain(secret);
          expect(everything).not.toMatch(/\$response|Authorization|x-amz-/i);
        });
      } finally {
        await fault.close();
      }
    });
  }
});

describe("references this backend did not write are refused", () => {
  const scope = uniqueTaskScope("refs");

  async function written(): Promise<{ backend: S3StateBackend; ref: string }> {
    const backend = open({ prefix: "tenant/a" });
    const ref = await backend.serializeTaskStateToRef({ value: "secret-plan", key: "k", tiId: "t", scope });
    return { backend, ref };
  }

  it("a reference to another bucket", async () => {
    const { backend, ref } = await written();
    const foreign = ref.replace(`s3://${server.bucket}/`, "s3://someone-elses-bucket/");
    const error = await failure(
      backend.deserializeTaskStateFromRef(foreign, { key: "k", scope }),
      StateReferenceError,
    );
    expect(error.message).toContain("someone-elses-bucket");
    expect(error.message).toContain(`expected ${ref.slice(0, ref.lastIndexOf("/"))}/<version>`);
    expect(error.message).toMatch(/was \[s3_state_backend\] bucket or prefix changed/);
    expect(error.operation).toBe("deserialize");
  });

  it("a reference that climbs out of the prefix, or names another prefix or key", async () => {
    const { backend, ref } = await written();
    const inBucket = ref.slice(`s3://${server.bucket}/tenant/a/`.length);
    for (const bad of [
      `s3://${server.bucket}/tenant/a/../b/${inBucket}`,
      `s3://${server.bucket}/tenant/b/${inBucket}`,
      `s3://${server.bucket}/${inBucket}`,
      `${ref}/../other`,
      ref.replace(/\/k\//, "/other/"),
      ref.slice(0, ref.lastIndexOf("/")),
      `${ref} `,
      "not a reference",
      "",
    ]) {
      await failure(backend.deserializeTaskStateFromRef(bad, { key: "k", scope }), StateReferenceError);
    }
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

  it("a scope that is not a scope is InvalidScopeError before anything is sent", async () => {
    const backend = open();
    await expect(backend.get({ kind: "dag" } as never, "k")).rejects.toBeInstanceOf(InvalidScopeError);
    await expect(backend.set(null as never, "k", "v")).rejects.toBeInstanceOf(InvalidScopeError);
    expect(new TaskScope({ dagId: "d", runId: "r", taskId: "t" }).kind).toBe("task");
  });
});
