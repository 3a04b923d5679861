import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  FlowstateError,
  StateBackendError,
  StateBackendMismatchError,
  StateReferenceError,
  StateStoreError,
  sanitizedCause,
} from "../src/index.js";

describe("FlowstateError", () => {
  it("redacts its message (and so its stack) whoever built it", () => {
    const error = new StateStoreError(
      "open failed for postgres://airflow:pg-secret-1@db/airflow (password=pg-secret-2, key AKIAIOSFODNN7EXAMPLE)",
    );
    for (const shown of [error.message, String(error.stack), inspect(error)]) {
      expect(shown).not.toMatch(/pg-secret-1|pg-secret-2|AKIAIOSFODNN7EXAMPLE/);
    }
    expect(error.message).toContain("postgres://***@db/airflow");
  });

  it("redacts the composed message of a backend error, and keeps the details", () => {
    const error = new StateBackendError("refused: X-Amz-Security-Token=tok-secret-1", {
      backend: "s3",
      operation: "get",
      location: "https://minio:9000/bucket/k?X-Amz-Signature=sig-secret-2",
    });
    expect(error.message).not.toMatch(/tok-secret-1|sig-secret-2/);
    expect(error.message).toMatch(
      /^\[flowstate\] \[s3\] get failed for https:\/\/minio:9000\/bucket\/k\?\*\*\*/,
    );
    expect(error).toMatchObject({ backend: "s3", operation: "get", code: "FLOWSTATE_BACKEND" });
  });

  it("holds no secret when inspected with a sanitized cause", () => {
    const client = Object.assign(new Error("denied"), {
      $response: { headers: { authorization: "TOPSECRET" } },
    });
    const error = new StateBackendError("get failed", {
      backend: "s3",
      operation: "get",
      cause: sanitizedCause(client),
    });
    const shown = inspect(error, { depth: Number.POSITIVE_INFINITY });
    expect(shown).not.toContain("TOPSECRET");
    expect(shown).toContain("denied");
  });
});

describe("ConfigError", () => {
  it.each(["secret_access_key", "password", "token", "service_account_credentials"])(
    "shows the value of credential key %s as ***",
    (key) => {
      const error = new ConfigError("bad value", {
        section: "s3_state_backend",
        key,
        value: "plain-value-123",
      });
      expect(error.value).toBe("***");
    },
  );

  it("redacts secrets inside other values", () => {
    const error = new ConfigError("bad endpoint", {
      section: "s3_state_backend",
      key: "endpoint_url",
      value: "https://alice:pw-secret@minio:9000/?X-Amz-Signature=sig",
    });
    expect(error.value).toBe("https://***@minio:9000/?***");
    expect(error.key).toBe("endpoint_url");
  });

  it("keeps a harmless value as written, and undefined as undefined", () => {
    expect(new ConfigError("bad", { key: "bucket", value: "my-bucket" }).value).toBe("my-bucket");
    expect(new ConfigError("bad", { key: "bucket" }).value).toBeUndefined();
  });
});

describe("StateBackendMismatchError", () => {
  it("is a StateReferenceError naming who wrote the row and what is configured", () => {
    const error = new StateBackendMismatchError("key 'k' was written elsewhere", {
      backend: "@flowstate/backend-s3.S3StateBackend",
      operation: "deserialize",
      writtenBy: "@flowstate/backend-s3.S3StateBackend",
      configured: undefined,
    });
    expect(error).toBeInstanceOf(StateReferenceError);
    expect(error).toBeInstanceOf(FlowstateError);
    expect(error).toMatchObject({
      code: "FLOWSTATE_BACKEND_MISMATCH",
      writtenBy: "@flowstate/backend-s3.S3StateBackend",
      configured: undefined,
      name: "StateBackendMismatchError",
    });
  });
});
