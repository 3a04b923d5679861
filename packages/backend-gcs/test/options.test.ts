import { ConfigError, type ConfigReader } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { GcsStateBackend, type GcsStateBackendOptions } from "../src/index.js";

/** A configuration with only a `[gcs_state_backend]` section, as the sdk's loader would pass it. */
function configWith(section: Record<string, string>): ConfigReader {
  const value = (key: string): string | undefined => section[key];
  return {
    get: (_s, key, o) => value(key) ?? o?.fallback ?? "",
    getInt: (_s, key, o) => Number(value(key) ?? o?.fallback),
    getBoolean: (_s, key, o) => (value(key) === undefined ? Boolean(o?.fallback) : value(key) === "True"),
    has: (_s, key) => value(key) !== undefined,
    getSection: (name) => (name === "gcs_state_backend" ? { ...section } : {}),
    baseDir: "/etc/airflow",
    file: "/etc/airflow/airflow.cfg",
  };
}

function make(kwargs: unknown, section?: Record<string, string>): GcsStateBackend {
  const backend = new GcsStateBackend(kwargs as Partial<GcsStateBackendOptions>, {
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
      projectId: undefined,
      apiEndpoint: undefined,
      resumableThreshold: 8 * 1024 * 1024,
      compression: "none",
      connectTimeoutMs: 5000,
      requestTimeoutMs: 30000,
      maxAttempts: 3,
    });
  });

  it("reads every option from [gcs_state_backend] with snake_case keys, parsing ints", () => {
    const backend = make(
      {},
      {
        bucket: "from-config",
        prefix: "/flowstate/prod/",
        project_id: "my-project-123",
        api_endpoint: "http://127.0.0.1:9199/",
        resumable_threshold: "16777216",
        compression: "Brotli",
        connect_timeout_ms: "250",
        request_timeout_ms: "1500",
        max_attempts: "1",
      },
    );
    expect(backend.options).toEqual({
      bucket: "from-config",
      prefix: "flowstate/prod",
      projectId: "my-project-123",
      apiEndpoint: "http://127.0.0.1:9199",
      resumableThreshold: 16777216,
      compression: "brotli",
      connectTimeoutMs: 250,
      requestTimeoutMs: 1500,
      maxAttempts: 1,
    });
  });

  it("lets kwargs (camelCase or snake_case) win over the config section, key by key", () => {
    const section = {
      bucket: "from-config",
      prefix: "config-prefix",
      compression: "gzip",
      resumable_threshold: "4096",
    };
    const backend = make(
      { bucket: "from-kwargs", api_endpoint: "https://gcs.internal", resumableThreshold: 1024 },
      section,
    );
    expect(backend.options).toEqual({
      bucket: "from-kwargs",
      prefix: "config-prefix",
      projectId: undefined,
      apiEndpoint: "https://gcs.internal",
      resumableThreshold: 1024,
      compression: "gzip",
      connectTimeoutMs: 5000,
      requestTimeoutMs: 30000,
      maxAttempts: 3,
    });
  });

  it("treats `key =` in the config and null/undefined in kwargs as not set", () => {
    const backend = make(
      { bucket: "b-1", projectId: undefined, compression: null },
      { project_id: "", compression: " ", resumable_threshold: "" },
    );
    expect(backend.options.projectId).toBeUndefined();
    expect(backend.options.compression).toBe("none");
    expect(backend.options.resumableThreshold).toBe(8 * 1024 * 1024);
  });

  it("requires a bucket, with the message that says where to set it", () => {
    for (const [kwargs, section] of [
      [{}, undefined],
      [undefined, {}],
      [{ prefix: "p" }, { bucket: "" }],
      [{ bucket: "" }, undefined],
    ] as const) {
      const error = configErrorOf(() => make(kwargs, section));
      expect(error.message).toBe(
        '[flowstate] [gcs] Missing required option `bucket`: set [gcs_state_backend] bucket or "bucket" in [workers] state_backend_kwargs',
      );
      expect(error.key).toBe("bucket");
    }
  });

  it("rejects an unknown option in kwargs or in the section, listing the known ones", () => {
    const inKwargs = configErrorOf(() => make({ bucket: "b-1", endpoint: "http://x" }));
    expect(inKwargs.message).toBe(
      '[flowstate] [gcs] Unknown option "endpoint" in [workers] state_backend_kwargs. Known options: bucket, prefix, projectId (project_id), apiEndpoint (api_endpoint), resumableThreshold (resumable_threshold), compression, connectTimeoutMs (connect_timeout_ms), requestTimeoutMs (request_timeout_ms), maxAttempts (max_attempts).',
    );
    const inSection = configErrorOf(() => make({}, { bucket: "b-1", resumable_treshold: "5" }));
    expect(inSection.message).toMatch(
      /^\[flowstate\] \[gcs\] Unknown option \[gcs_state_backend\] resumable_treshold\. Known options: bucket, /,
    );
    expect(inSection).toMatchObject({
      source: "/etc/airflow/airflow.cfg",
      section: "gcs_state_backend",
      key: "resumable_treshold",
    });
  });

  it("refuses credentials as options without repeating them", () => {
    for (const [kwargs, section] of [
      [{ bucket: "b-1", keyFilename: "/secrets/TOPSECRET-1.json" }, undefined],
      [{ bucket: "b-1", credentials: { private_key: "TOPSECRET-2" } }, undefined],
      [{ bucket: "b-1", access_token: "TOPSECRET-3" }, undefined],
      [{}, { bucket: "b-1", private_key: "TOPSECRET-4" }],
    ] as const) {
      const error = configErrorOf(() => make(kwargs, section));
      expect(error.message).toMatch(/credentials are never options.*Application Default Credentials/);
      expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/TOPSECRET/);
    }
  });

  it("rejects an option given twice in kwargs under both spellings", () => {
    const error = configErrorOf(() =>
      make({ bucket: "b-1", apiEndpoint: "http://a:1", api_endpoint: "http://a:1" }),
    );
    expect(error.message).toBe(
      '[flowstate] [gcs] Option `apiEndpoint` is given twice in [workers] state_backend_kwargs (as "apiEndpoint" and "api_endpoint"): keep one.',
    );
  });

  it("rejects kwargs that are not an object", () => {
    for (const kwargs of ["bucket", 42, ["bucket"], true]) {
      expect(() => make(kwargs)).toThrow(/Invalid \[workers\] state_backend_kwargs: expected a JSON object/);
    }
  });

  const badKwargs: Array<[Partial<Record<keyof GcsStateBackendOptions, unknown>>, RegExp]> = [
    [{ bucket: 42 }, /Invalid "bucket" .*expected a string, got 42/],
    [{ bucket: "gs://my-bucket" }, /"bucket" .*without "gs:\/\/"/],
    [{ bucket: "ab" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "My-Bucket" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "my bucket" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "my/bucket" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "-bucket" }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "a".repeat(64) }, /"bucket" .*3-63 lowercase letters/],
    [{ bucket: "a..b" }, /"bucket" .*3-63 lowercase letters/],
    [
      { prefix: "a/../b" },
      /Invalid "prefix" in \[workers\] state_backend_kwargs "a\/..\/b": segments must not be/,
    ],
    [{ prefix: "a//b" }, /segments must not be empty/],
    [{ prefix: 7 }, /Invalid "prefix" .*expected a string, got 7/],
    [{ projectId: "My Project" }, /Invalid "projectId" .*a project id such as "my-project-123"/],
    [{ projectId: 123 }, /Invalid "projectId" .*expected a string, got 123/],
    [{ apiEndpoint: "localhost:9199" }, /Invalid "apiEndpoint" .*an http:\/\/ or https:\/\/ URL/],
    [{ apiEndpoint: "ftp://files.example.com" }, /Invalid "apiEndpoint" .*an http:\/\/ or https:\/\/ URL/],
    [{ apiEndpoint: true }, /Invalid "apiEndpoint" .*expected a string, got true/],
    [{ resumableThreshold: 0 }, /Invalid "resumableThreshold" .*an integer ≥ 1, got 0/],
    [{ resumableThreshold: -5 }, /Invalid "resumableThreshold" .*an integer ≥ 1, got -5/],
    [{ resumableThreshold: 1.5 }, /Invalid "resumableThreshold" .*an integer ≥ 1, got 1.5/],
    [{ resumableThreshold: "8MiB" }, /Invalid "resumableThreshold" .*an integer ≥ 1, got "8MiB"/],
    [{ resumableThreshold: 2 ** 60 }, /Invalid "resumableThreshold" .*an integer ≥ 1/],
    [{ compression: "zstd" }, /Invalid "compression" .*one of "none", "gzip", "brotli", got "zstd"/],
    [{ compression: true }, /Invalid "compression" .*one of "none", "gzip", "brotli", got true/],
    [{ maxAttempts: 0 }, /Invalid "maxAttempts" .*an integer from 1 to 20, got 0/],
    [{ connectTimeoutMs: 1.5 }, /Invalid "connectTimeoutMs" .*an integer from 1 to 3600000, got 1.5/],
  ];
  for (const [bad, message] of badKwargs) {
    it(`rejects kwargs ${JSON.stringify(bad)}`, () => {
      const error = configErrorOf(() => make({ bucket: "state-bucket", ...bad }));
      expect(error.message).toMatch(/^\[flowstate\] \[gcs\] /);
      expect(error.message).toMatch(message);
      expect(error).toMatchObject({ section: "workers", key: "state_backend_kwargs" });
    });
  }

  const badSection: Array<[Record<string, string>, RegExp]> = [
    [
      { resumable_threshold: "abc" },
      /Invalid \[gcs_state_backend\] resumable_threshold: expected an integer ≥ 1, got "abc"/,
    ],
    [
      { resumable_threshold: "1e6" },
      /Invalid \[gcs_state_backend\] resumable_threshold: expected an integer/,
    ],
    [
      { resumable_threshold: "0" },
      /Invalid \[gcs_state_backend\] resumable_threshold: expected an integer ≥ 1, got "0"/,
    ],
    [{ compression: "lz4" }, /Invalid \[gcs_state_backend\] compression: expected one of/],
    [
      { request_timeout_ms: "-1" },
      /Invalid \[gcs_state_backend\] request_timeout_ms: expected an integer from 1/,
    ],
    [{ prefix: "../escape" }, /Invalid \[gcs_state_backend\] prefix "..\/escape"/],
    [
      { api_endpoint: "127.0.0.1:9199" },
      /Invalid \[gcs_state_backend\] api_endpoint: expected an http:\/\/ or https:\/\/ URL/,
    ],
    [{ project_id: "UPPER" }, /Invalid \[gcs_state_backend\] project_id: expected a project id/],
    [
      { bucket: "gs://b-1" },
      /Invalid \[gcs_state_backend\] bucket: expected a bucket name without "gs:\/\/"/,
    ],
  ];
  for (const [bad, message] of badSection) {
    it(`rejects [gcs_state_backend] ${JSON.stringify(bad)}, naming the file and key`, () => {
      const error = configErrorOf(() => make({}, { bucket: "state-bucket", ...bad }));
      expect(error.message).toMatch(message);
      expect(error.key).toBe(Object.keys(bad)[0]);
      expect(error).toMatchObject({ source: "/etc/airflow/airflow.cfg", section: "gcs_state_backend" });
    });
  }

  it("refuses an endpoint with embedded credentials without repeating them", () => {
    const error = configErrorOf(() =>
      make({ bucket: "b-1", apiEndpoint: "http://admin:hunter22@127.0.0.1:9199" }),
    );
    expect(error.message).toMatch(/must not contain credentials/);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain("hunter22");
  });

  it("accepts dotted bucket names and underscores, as GCS does", () => {
    expect(make({ bucket: "state.example.com" }).options.bucket).toBe("state.example.com");
    expect(make({ bucket: "flowstate_state_1" }).options.bucket).toBe("flowstate_state_1");
  });
});
