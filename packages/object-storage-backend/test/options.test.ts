import { ConfigError } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import {
  explainConnectionFailure,
  integerIn,
  networkErrorCode,
  type OptionTable,
  resolveOptions,
  text,
  timeoutError,
} from "../src/index.js";

interface Options {
  bucket: string;
  size: number;
  label: string | undefined;
}

const TABLE: OptionTable<Options> = {
  store: { backend: "fake", configSection: "fake_state_backend" },
  options: [
    { name: "bucket", key: "bucket", parse: text, required: true },
    { name: "size", key: "size_bytes", parse: integerIn(1, 10), default: 5 },
    { name: "label", key: "label", parse: text },
  ],
  credentialNames: /secret/i,
  credentialAdvice: "Use the environment",
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveOptions", () => {
  it("applies defaults and leaves options without one undefined", () => {
    expect(resolveOptions(TABLE, { bucket: "b" }, undefined)).toEqual({
      bucket: "b",
      size: 5,
      label: undefined,
    });
  });

  it("reports a bad value before a missing required option", () => {
    const error = configError(() => resolveOptions(TABLE, { size_bytes: 11 }, undefined));
    expect(error.message).toBe(
      '[flowstate] [fake] Invalid "size_bytes" in [workers] state_backend_kwargs: expected an integer from 1 to 10, got 11.',
    );
  });

  it("treats a required option set to an empty string as missing", () => {
    const error = configError(() => resolveOptions(TABLE, { bucket: " " }, undefined));
    expect(error.message).toBe(
      '[flowstate] [fake] Missing required option `bucket`: set [fake_state_backend] bucket or "bucket" in [workers] state_backend_kwargs',
    );
    expect(error.key).toBe("bucket");
  });

  it("refuses a credential-like option with the table's advice and without its value", () => {
    const error = configError(() => resolveOptions(TABLE, { bucket: "b", mySecret: "hunter2" }, undefined));
    expect(error.message).toBe(
      '[flowstate] [fake] "mySecret" in [workers] state_backend_kwargs is not accepted: credentials are never options. Use the environment; remove the option.',
    );
    expect(error.message).not.toContain("hunter2");
  });
});

describe("networkErrorCode", () => {
  it("finds a connection failure nested in causes and aggregate errors", () => {
    const refused = Object.assign(new Error("connect"), { code: "ECONNREFUSED" });
    const wrapped = new Error("request failed", { cause: new AggregateError([new Error("x"), refused]) });
    expect(networkErrorCode(wrapped)).toBe("ECONNREFUSED");
  });

  it("knows a backend's extra codes only when given them", () => {
    const aborted = Object.assign(new Error("gave up"), { code: "ECONNABORTED" });
    expect(networkErrorCode(aborted)).toBeUndefined();
    expect(networkErrorCode(aborted, ["ECONNABORTED"])).toBe("ECONNABORTED");
  });

  it("is undefined for an answer from the server", () => {
    expect(networkErrorCode(Object.assign(new Error("denied"), { code: 403 }))).toBeUndefined();
  });
});

describe("explainConnectionFailure", () => {
  const context = {
    endpoint: "http://user:pw@127.0.0.1:9000/?X-Amz-Security-Token=SECRET",
    configSection: "fake_state_backend",
    endpointKey: "endpoint",
    options: { connectTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 },
  };

  it("says a request timed out, names the endpoint without secrets and the option to raise", () => {
    const message = explainConnectionFailure(
      new Error("x", { cause: timeoutError("no data", 300) }),
      context,
    );
    expect(message).toBe(
      "endpoint http://***@127.0.0.1:9000?*** timed out: no answer within [fake_state_backend] request_timeout_ms = 300 ms (2 attempts, ETIMEDOUT). Check that the server is up and reachable; if it is only slow, raise [fake_state_backend] request_timeout_ms.",
    );
  });

  it("names connect_timeout_ms when the connection was what took too long", () => {
    const connecting = Object.assign(new Error("connect ETIMEDOUT"), {
      code: "ETIMEDOUT",
      syscall: "connect",
    });
    expect(explainConnectionFailure(connecting, context)).toMatch(/connect_timeout_ms = 200 ms/);
  });

  it("says an answer that is not HTTP is not HTTP", () => {
    const parse = Object.assign(new Error("Parse Error"), { code: "HPE_INVALID_CONSTANT" });
    expect(explainConnectionFailure(parse, context)).toMatch(
      /^endpoint http:\/\/\*\*\*@127\.0\.0\.1:9000\?\*\*\* did not answer like an HTTP server \(HPE_INVALID_CONSTANT\)/,
    );
  });

  it("is undefined for an answer from the server", () => {
    expect(
      explainConnectionFailure(Object.assign(new Error("denied"), { status: 403 }), context),
    ).toBeUndefined();
  });
});
