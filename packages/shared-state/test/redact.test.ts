import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { isCredentialName, redactSecrets, redactUrl, sanitizedCause } from "../src/index.js";

describe("redactSecrets", () => {
  it.each([
    [
      "URL userinfo",
      "GET https://alice:hunter2@minio.local:9000/bucket failed",
      "hunter2",
      "https://***@minio.local:9000/bucket",
    ],
    [
      "a database URL",
      "cannot open postgres://admin:s3cr3tpw@db:5432/airflow",
      "s3cr3tpw",
      "postgres://***@db:5432/airflow",
    ],
    [
      "a pre-signed query",
      "GET s3://bucket/key?X-Amz-Security-Token=FQoGZXIvYXdzEJr&X-Amz-Signature=abc123 failed",
      "FQoGZXIvYXdzEJr",
      "s3://bucket/key?*** failed",
    ],
    ["a URL fragment", "see https://host/p#access_token=tok123456", "tok123456", "https://host/p?***"],
    [
      'a JSON "secret_access_key" pair',
      '{"bucket": "b", "secret_access_key": "wJalrXUtnFEMIK7MDENG"}',
      "wJalrXUtnFEMIK7MDENG",
      '{"bucket": "b", "secret_access_key": "***"}',
    ],
    ["a password=… pair", "connect password=hunter2 host=db", "hunter2", "connect password=*** host=db"],
    ["a camelCase pair", "secretAccessKey=abcdef123;region=eu", "abcdef123", "secretAccessKey=***;region=eu"],
    ["a token: … pair", "session token: abcdef123, retrying", "abcdef123", "session token: ***, retrying"],
    [
      "an AWS access key id",
      "key AKIAIOSFODNN7EXAMPLE was refused",
      "AKIAIOSFODNN7EXAMPLE",
      "key *** was refused",
    ],
    ["a temporary access key id", "ASIAY34FZKBOKMUTVV7A expired", "ASIAY34FZKBOKMUTVV7A", "*** expired"],
    ["a Bearer token", "sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9", "sent Bearer ***"],
  ])("hides %s", (_label, text, secret, redacted) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(redacted);
  });

  it("hides a Bearer token behind an Authorization header name", () => {
    const out = redactSecrets("request had Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig");
    expect(out).not.toContain("eyJhbGciOiJIUzI1NiJ9");
  });

  it("hides userinfo holding an apostrophe, which URLs leave unencoded", () => {
    const url = new URL("https://minio.local/bucket");
    url.username = "alice";
    url.password = "it's-a-secret";
    expect(url.href).toContain("it's-a-secret");
    expect(redactSecrets(`GET ${url.href} failed`)).not.toContain("it's-a-secret");
  });

  it("hides the whole of a quoted credential value with spaces", () => {
    expect(redactSecrets('{"password": "correct horse battery staple"}')).toBe('{"password": "***"}');
    expect(redactSecrets("secret='two words'")).not.toContain("two words");
  });

  it("leaves text without secrets alone", () => {
    const text = "[flowstate] [s3] get failed for s3://bucket/task/dag/run/t/-1/job_id: NoSuchKey (404)";
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("redactUrl", () => {
  it.each([
    [
      "https://alice:pw@minio.local:9000/bucket?X-Amz-Signature=abc#f",
      "https://***@minio.local:9000/bucket?***",
    ],
    ["https://storage.googleapis.com", "https://storage.googleapis.com"],
    ["http://localhost:9000/", "http://localhost:9000/"],
    ["https://host/path?token=abc", "https://host/path?***"],
  ])("shows %s as %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("redacts text that is not a URL", () => {
    expect(redactUrl("not a url password=hunter2")).toBe("not a url password=***");
  });
});

describe("isCredentialName", () => {
  it.each([
    "secret_access_key",
    "secretAccessKey",
    "password",
    "passwd",
    "token",
    "session_token",
    "api_key",
    "apiKey",
    "private_key",
    "credentials",
    "Authorization",
  ])("%s is a credential name", (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  it.each(["bucket", "region", "endpoint_url", "prefix", "namespace"])("%s is not", (name) => {
    expect(isCredentialName(name)).toBe(false);
  });
});

/** An error shaped like an AWS SDK v3 client error, carrying what must never be printed. */
function awsLikeError(): Error {
  return Object.assign(new Error("Access Denied for AKIAIOSFODNN7EXAMPLE"), {
    name: "AccessDenied",
    Code: "AccessDenied",
    $metadata: { httpStatusCode: 403, requestId: "req-1" },
    $response: { headers: { authorization: "AWS4-HMAC-SHA256 Credential=TOPSECRET-HEADER" } },
    headers: { "x-amz-security-token": "TOPSECRET-TOKEN" },
    config: { credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "TOPSECRET-KEY" } },
    request: { path: "/bucket/key?X-Amz-Signature=TOPSECRET-SIG" },
    cause: Object.assign(new Error("socket hang up, password=TOPSECRET-INNER"), {
      code: "ECONNRESET",
      config: { password: "TOPSECRET-INNER-CONFIG" },
    }),
  });
}

describe("sanitizedCause", () => {
  it("keeps the name, redacted message, code, status and causes", () => {
    const copy = sanitizedCause(awsLikeError());
    expect(copy).toBeInstanceOf(Error);
    expect(copy.name).toBe("AccessDenied");
    expect(copy.message).toBe("Access Denied for ***");
    expect(copy).toMatchObject({ code: "AccessDenied", status: 403 });
    expect(copy.cause).toMatchObject({ code: "ECONNRESET", message: "socket hang up, password=***" });
  });

  it("keeps the message of a plain object thrown as an error, redacted", () => {
    const copy = sanitizedCause({ name: "HttpError", message: "GET https://u:pw@h/x failed", status: 502 });
    expect(copy).toMatchObject({ name: "HttpError", message: "GET https://***@h/x failed", status: 502 });
    expect(sanitizedCause("plain text").message).toBe("plain text");
  });

  it("drops $response, headers, config, request and $metadata", () => {
    const copy = sanitizedCause(awsLikeError()) as unknown as Record<string, unknown>;
    for (const field of ["$response", "headers", "config", "request", "$metadata", "Code"]) {
      expect(copy[field]).toBeUndefined();
    }
    expect((copy.cause as Record<string, unknown>).config).toBeUndefined();
  });

  it("holds no secret however deeply it is inspected", () => {
    const shown = inspect(sanitizedCause(awsLikeError()), {
      depth: Number.POSITIVE_INFINITY,
      showHidden: true,
    });
    expect(shown).not.toMatch(/TOPSECRET|AKIAIOSFODNN7EXAMPLE/);
    expect(shown).toContain("AccessDenied");
  });

  it("keeps an HTTP status from the other places clients put it", () => {
    expect(sanitizedCause(Object.assign(new Error("x"), { statusCode: 503 }))).toMatchObject({ status: 503 });
    expect(sanitizedCause(Object.assign(new Error("x"), { response: { status: 401 } }))).toMatchObject({
      status: 401,
    });
    expect(sanitizedCause(Object.assign(new Error("x"), { status: 42 }))).not.toHaveProperty("status");
  });

  it("keeps Google API error reasons, not the rest of each entry", () => {
    const error = Object.assign(new Error("Forbidden"), {
      errors: [{ reason: "forbidden", message: "token TOPSECRET rejected" }],
    });
    const copy = sanitizedCause(error);
    expect(copy).toMatchObject({ reasons: ["forbidden"] });
    expect(inspect(copy, { depth: Number.POSITIVE_INFINITY })).not.toContain("TOPSECRET");
  });

  it("cuts a long message and stops at three levels of causes", () => {
    let error: Error = new Error("root");
    for (let level = 0; level < 6; level += 1) error = new Error(`level ${level}`, { cause: error });
    const long = sanitizedCause(new Error("x".repeat(1000), { cause: error }));
    expect(long.message).toBe(`${"x".repeat(300)}…`);
    let depth = 0;
    for (let cause = long.cause; cause !== undefined; cause = (cause as Error).cause) depth += 1;
    expect(depth).toBe(3);
  });

  it("turns a thrown non-error into an Error", () => {
    const copy = sanitizedCause("password=hunter2");
    expect(copy).toBeInstanceOf(Error);
    expect(copy.message).toBe("password=***");
    expect(copy.stack).not.toContain("hunter2");
  });
});
