import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { S3StateBackend, type S3StateBackendOptions } from "../src/index.js";

/** A configuration with only an `[s3_state_backend]` section, as the sdk's loader would pass it. */
function configWith(section: Record<string, string>): ConfigReader {
  const value = (key: string): string | undefined => section[key];
  return {
    get: (_s, key, o) => value(key) ?? o?.fallback ?? "",
    getInt: (_s, key, o) => Number(value(key) ?? o?.fallback),
    getBoolean: (_s, key, o) => (value(key) === undefined ? Boolean(o?.fallback) : value(key) === "True"),
    has: (_s, key) => value(key) !== undefined,
    getSection: (name) => (name === "s3_state_backend" ? { ...section } : {}),
    baseDir: "/etc/airflow",
    file: "/etc/airflow/airflow.cfg",
  };
}

function make(kwargs: unknown, section?: Record<string, string>): S3StateBackend {
  const backend = new S3StateBackend(kwargs as Partial<S3StateBackendOptions>, {
    config: section ? configWith(section) : undefined,
  });
  void backend.close();
  return backend;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("options", () => {
  it("applies the documented defaults", () => {
    expect(make({ bucket: "state-bucket" }).options).toEqual({
      bucket: "state-bucket",
      prefix: "",
      region: undefined,
      endpoint: undefined,
      forcePathStyle: false,
      multipartThreshold: 8 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
      compression: "none",
      checksums: "when_supported",
      connectTimeoutMs: 5000,
      requestTimeoutMs: 30000,
      maxAttempts: 3,
    });
  });

  it("reads every option from [s3_state_backend] with snake_case keys, parsing ints and booleans", () => {
    const backend = make(
      {},
      {
        bucket: "from-config",
        prefix: "/flowstate/prod/",
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:9000/",
        force_path_style: "True",
        multipart_threshold: "16777216",
        part_size: "6291456",
        queue_size: "2",
        compression: "gzip",
        checksums: "when_required",
        connect_timeout_ms: "250",
        request_timeout_ms: "1500",
        max_attempts: "1",
      },
    );
    expect(backend.options).toEqual({
      bucket: "from-config",
      prefix: "flowstate/prod",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      multipartThreshold: 16777216,
      partSize: 6291456,
      queueSize: 2,
      compression: "gzip",
      checksums: "when_required",
      connectTimeoutMs: 250,
      requestTimeoutMs: 1500,
      maxAttempts: 1,
    });
  });

  it("lets kwargs (camelCase or snake_case) win over the config section, key by key", () => {
    const section = {
      bucket: "from-config",
      prefix: "config-prefix",
      force_path_style: "false",
      queue_size: "3",
    };
    const backend = make({ bucket: "from-kwargs", forcePathStyle: true, multipart_threshold: 1024 }, section);
    expect(backend.options).toMatchObject({
      bucket: "from-kwargs",
      prefix: "config-prefix",
      forcePathStyle: true,
      multipartThreshold: 1024,
      queueSize: 3,
    });
  });

  it("treats `key =` in the config and null/undefined in kwargs as not set", () => {
    const backend = make(
      { bucket: "b-1", region: undefined, compression: null },
      { region: "", compression: " " },
    );
    expect(backend.options.region).toBeUndefined();
    expect(backend.options.compression).toBe("none");
  });

  it("requires a bucket, with the message that says where to set it", () => {
    for (const [kwargs, section] of [
      [{}, undefined],
      [undefined, {}],
      [{ prefix: "p" }, { bucket: "" }],
    ] as const) {
      const error = configErrorOf(() => make(kwargs, section));
      expect(error.message).toBe(
        '[flowstate] [s3] Missing required option `bucket`: set [s3_state_backend] bucket or "bucket" in [workers] state_backend_kwargs',
      );
      expect(error.key).toBe("bucket");
    }
  });

  it("rejects an unknown option in kwargs or in the section, listing the known ones", () => {
    const inKwargs = configErrorOf(() => make({ bucket: "b-1", partsize: 10 }));
    expect(inKwargs.message).toMatch(/Unknown option "partsize" in \[workers\] state_backend_kwargs/);
    expect(inKwargs.message).toContain("bucket, prefix, region, endpoint, forcePathStyle (force_path_style)");
    expect(inKwargs.message).toContain(
      "checksums, connectTimeoutMs (connect_timeout_ms), requestTimeoutMs (request_timeout_ms), maxAttempts (max_attempts)",
    );
    const inSection = configErrorOf(() => make({}, { bucket: "b-1", multipart_treshold: "5" }));
    expect(inSection.message).toMatch(
      /Unknown option \[s3_state_backend\] multipart_treshold\. Known options: /,
    );
    expect(inSection).toMatchObject({ section: "s3_state_backend", key: "multipart_treshold" });
  });

  it("refuses credentials as options without repeating them", () => {
    for (const [kwargs, section] of [
      [{ bucket: "b-1", secretAccessKey: "TOPSECRET-1" }, undefined],
      [{ bucket: "b-1", aws_access_key_id: "TOPSECRET-2" }, undefined],
      [{}, { bucket: "b-1", aws_secret_access_key: "TOPSECRET-3" }],
    ] as const) {
      const error = configErrorOf(() => make(kwargs, section));
      expect(error.message).toMatch(/credentials are never options.*default credential chain/);
      expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/TOPSECRET/);
    }
  });

  it("rejects an option given twice in kwargs under both spellings", () => {
    const error = configErrorOf(() => make({ bucket: "b-1", partSize: 6291456, part_size: 6291456 }));
    expect(error.message).toMatch(/`partSize` is given twice .*keep one/);
  });

  it("rejects kwargs that are not an object", () => {
    for (const kwargs of ["bucket", 42, ["bucket"]]) {
      expect(() => make(kwargs)).toThrow(/Invalid \[workers\] state_backend_kwargs: expected a JSON object/);
    }
  });

  const badKwargs: Array<[Partial<Record<keyof S3StateBackendOptions, unknown>>, RegExp]> = [
    [{ bucket: 42 }, /Invalid "bucket" .*expected a string, got 42/],
    [{ bucket: "s3://my-bucket" }, /"bucket" .*without "s3:\/\/"/],
    [{ bucket: "a" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "my bucket" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "my/bucket" }, /"bucket" .*3-63 lowercase letters/],
    [
      { prefix: "a/../b" },
      /Invalid "prefix" in \[workers\] state_backend_kwargs "a\/..\/b": segments must not be/,
    ],
    [{ prefix: "a//b" }, /segments must not be empty/],
    [{ prefix: 7 }, /Invalid "prefix" .*expected a string, got 7/],
    [{ region: "EU West" }, /Invalid "region" .*a region name such as "eu-west-1"/],
    [{ endpoint: "localhost:9000" }, /Invalid "endpoint" .*an http:\/\/ or https:\/\/ URL/],
    [{ endpoint: "ftp://files.example.com" }, /Invalid "endpoint" .*an http:\/\/ or https:\/\/ URL/],
    [{ forcePathStyle: "yes" }, /Invalid "forcePathStyle" .*a boolean \(true or false\), got "yes"/],
    [{ forcePathStyle: 1 }, /Invalid "forcePathStyle" .*a boolean/],
    [{ multipartThreshold: 0 }, /Invalid "multipartThreshold" .*an integer ≥ 1, got 0/],
    [{ multipartThreshold: 1.5 }, /Invalid "multipartThreshold" .*an integer/],
    [{ multipartThreshold: "8MiB" }, /Invalid "multipartThreshold" .*an integer.*got "8MiB"/],
    [{ partSize: 1024 }, /Invalid "partSize" .*an integer from 5242880 to 5368709120, got 1024/],
    [{ partSize: 6 * 1024 ** 3 }, /Invalid "partSize" .*an integer from 5242880/],
    [{ queueSize: 0 }, /Invalid "queueSize" .*an integer from 1 to 64/],
    [{ queueSize: 65 }, /Invalid "queueSize" .*an integer from 1 to 64/],
    [{ compression: "zstd" }, /Invalid "compression" .*one of "none", "gzip", "brotli", got "zstd"/],
    [{ checksums: "always" }, /Invalid "checksums" .*one of "when_supported", "when_required"/],
    [{ connectTimeoutMs: 0 }, /Invalid "connectTimeoutMs" .*an integer from 1 to 3600000, got 0/],
    [{ requestTimeoutMs: "30s" }, /Invalid "requestTimeoutMs" .*an integer from 1 to 3600000, got "30s"/],
    [{ requestTimeoutMs: 3_600_001 }, /Invalid "requestTimeoutMs" .*an integer from 1 to 3600000/],
    [{ maxAttempts: 0 }, /Invalid "maxAttempts" .*an integer from 1 to 20, got 0/],
    [{ maxAttempts: 21 }, /Invalid "maxAttempts" .*an integer from 1 to 20, got 21/],
  ];
  for (const [bad, message] of badKwargs) {
    it(`rejects kwargs ${JSON.stringify(bad)}`, () => {
      const error = configErrorOf(() => make({ bucket: "state-bucket", ...bad }));
      expect(error.message).toMatch(/^\[flowstate\] \[s3\] /);
      expect(error.message).toMatch(message);
    });
  }

  const badSection: Array<[Record<string, string>, RegExp]> = [
    [{ force_path_style: "maybe" }, /Invalid \[s3_state_backend\] force_path_style: expected a boolean/],
    [{ multipart_threshold: "abc" }, /Invalid \[s3_state_backend\] multipart_threshold: expected an integer/],
    [{ part_size: "5" }, /Invalid \[s3_state_backend\] part_size: expected an integer from 5242880/],
    [{ queue_size: "-1" }, /Invalid \[s3_state_backend\] queue_size: expected an integer from 1 to 64/],
    [{ compression: "lz4" }, /Invalid \[s3_state_backend\] compression: expected one of/],
    [{ prefix: "../escape" }, /Invalid \[s3_state_backend\] prefix "..\/escape"/],
    [
      { max_attempts: "three" },
      /Invalid \[s3_state_backend\] max_attempts: expected an integer from 1 to 20/,
    ],
  ];
  for (const [bad, message] of badSection) {
    it(`rejects [s3_state_backend] ${JSON.stringify(bad)}, naming the file and key`, () => {
      const error = configErrorOf(() => make({}, { bucket: "state-bucket", ...bad }));
      expect(error.message).toMatch(message);
      expect(error).toMatchObject({ source: "/etc/airflow/airflow.cfg", section: "s3_state_backend" });
      expect(error.key).toBe(Object.keys(bad)[0]);
    });
  }

  it("refuses an endpoint with embedded credentials without repeating them", () => {
    const error = configErrorOf(() =>
      make({ bucket: "b-1", endpoint: "http://admin:hunter22@127.0.0.1:9000" }),
    );
    expect(error.message).toMatch(/must not contain credentials/);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain("hunter22");
  });
});
