// Property-based checks that a secret, wherever a message or a storage client puts it, never
// survives redaction: not in the text, not in a FlowstateError's message, not in what
// util.inspect prints of a StateBackendError whose cause is a sanitized client error.
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlowstateError, redactSecrets, StateBackendError, sanitizedCause } from "../src/index.js";

const ALPHANUMERIC = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];
// Punctuation a password may hold; the contexts below quote or encode it as a real message would.
const PUNCTUATION = [..."!#$%&'()*+,-./:;<=>?@[]^_`{|}~ \""];
// What an unquoted `name=value` pair can hold: no whitespace, quotes or the characters that end it.
const UNQUOTED_PUNCTUATION = PUNCTUATION.filter((c) => !` "',;&}]`.includes(c));

// A fixed lead keeps a generated secret from being a word that the test's own stack frames hold
// (fast-check once generated "property", which `Property.predicate` in an inspected stack contains).
const secretOf = (alphabet: readonly string[]) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: 8, maxLength: 40 }).map((s) => `Qz${s}`);
const safeSecret = secretOf(ALPHANUMERIC);
const anySecret = fc.oneof(safeSecret, secretOf([...ALPHANUMERIC, ...PUNCTUATION]));
const unquotedSecret = fc.oneof(safeSecret, secretOf([...ALPHANUMERIC, ...UNQUOTED_PUNCTUATION]));

/** How a secret is written into a message: as is, URL-encoded, or as a JSON string's content. */
const url = (s: string) => encodeURIComponent(s);
// A query value as URLs serialize it (WHATWG URL, URLSearchParams, AWS signing: `'` is encoded too).
const query = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
const json = (s: string) => JSON.stringify(s).slice(1, -1);
const raw = (s: string) => s;

/** The places a secret ends up in a message, each written as the program that wrote it would. */
const CONTEXTS: Record<string, [(secret: string) => string, (shown: string) => string]> = {
  "URL userinfo": [url, (s) => `GET https://user:${s}@minio.local:9000/bucket failed`],
  "URL userinfo without a user": [url, (s) => `connecting to postgres://${s}@db:5432/airflow`],
  "URL query value": [query, (s) => `GET https://bucket.s3.amazonaws.com/k?X-Amz-Security-Token=${s} failed`],
  "a later URL query value": [query, (s) => `GET https://h/k?a=1&sig=${s}&b=2: 403`],
  "a JSON secret pair": [json, (s) => `options {"bucket":"b","secret":"${s}","region":"eu"} rejected`],
  "a pretty-printed JSON secret_access_key pair": [
    json,
    (s) => `options {\n  "secret_access_key": "${s}",\n  "bucket": "b"\n}`,
  ],
};
const UNQUOTED_CONTEXTS: typeof CONTEXTS = {
  "a password=… pair": [raw, (s) => `login failed: user=alice password=${s} host=db`],
  "a password=… pair at the end": [raw, (s) => `login failed, password=${s}`],
};

/** A storage client error carrying the secret where clients carry credentials. */
function clientError(secret: string): Error {
  return Object.assign(new Error(`request to https://user:${encodeURIComponent(secret)}@host/ failed`), {
    name: "S3ServiceException",
    $metadata: { httpStatusCode: 403 },
    $response: { headers: { authorization: `AWS4-HMAC-SHA256 Signature=${secret}` }, body: secret },
    headers: { "x-amz-security-token": secret },
    config: { credentials: { secretAccessKey: secret } },
    cause: Object.assign(new Error("inner"), { options: { password: secret } }),
  });
}

function checkContexts(contexts: typeof CONTEXTS, secrets: fc.Arbitrary<string>) {
  for (const [label, [encode, build]] of Object.entries(contexts)) {
    it(`hides a secret in ${label}`, () => {
      fc.assert(
        fc.property(secrets, (secret) => {
          const shown = encode(secret);
          fc.pre(!build("").includes(secret) && !build("").includes(shown)); // not in the text around it by chance
          const message = build(shown);
          for (const output of [
            redactSecrets(message),
            new FlowstateError(message).message,
            inspect(new FlowstateError(message), { depth: Number.POSITIVE_INFINITY }),
          ]) {
            expect(output).not.toContain(secret);
            expect(output).not.toContain(shown);
          }
        }),
        { numRuns: 200 },
      );
    });
  }
}

describe("redactSecrets (property)", () => {
  checkContexts(CONTEXTS, anySecret);
  checkContexts(UNQUOTED_CONTEXTS, unquotedSecret);

  it("a StateBackendError with a sanitized client error as cause holds no secret, however inspected", () => {
    fc.assert(
      fc.property(anySecret, (secret) => {
        fc.pre(!"S3ServiceException request to https://user:@host/ failed inner".includes(secret));
        const error = new StateBackendError("the request was refused", {
          backend: "s3",
          operation: "get",
          location: "s3://bucket/task/d/r/t/-1/k",
          cause: sanitizedCause(clientError(secret)),
        });
        expect(inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(secret);
        expect(error.cause).toMatchObject({ name: "S3ServiceException", status: 403 });
      }),
      { numRuns: 200 },
    );
  });
});
