// The batch wire format on its own, against answers shaped as Google's "Sending batch requests"
// page shows them (https://cloud.google.com/storage/docs/batch): the batch front in the other
// tests writes its answers one way only.
import { describe, expect, it } from "vitest";
import { BatchAnswerError, deleteBatchBody, parseBatchAnswer } from "../src/batch-wire.js";

describe("deleteBatchBody", () => {
  it("is one application/http part per name, Content-IDs 1…n, names percent-encoded whole", () => {
    const { contentType, body } = deleteBatchBody("my-bucket", ["a/b c", "100%#?ü"]);
    const boundary = /^multipart\/mixed; boundary=(\S+)$/.exec(contentType)?.[1];
    expect(boundary).toBeDefined();
    expect(body).toBe(
      [
        `--${boundary}`,
        "Content-Type: application/http",
        "Content-ID: <1>",
        "",
        "DELETE /storage/v1/b/my-bucket/o/a%2Fb%20c HTTP/1.1",
        "",
        "",
        `--${boundary}`,
        "Content-Type: application/http",
        "Content-ID: <2>",
        "",
        "DELETE /storage/v1/b/my-bucket/o/100%25%23%3F%C3%BC HTTP/1.1",
        "",
        "",
        `--${boundary}--`,
        "",
      ].join("\r\n"),
    );
  });
});

describe("parseBatchAnswer", () => {
  const boundary = "batch_pK7JBAk73-E=_AA5eFwv4m2Q=";
  const part = (id: string | undefined, response: string) =>
    `--${boundary}\nContent-Type: application/http\n${id === undefined ? "" : `Content-ID: <response-${id}>\n`}\n${response}\n`;

  it("reads each part's Content-ID, status and body, LF line ends and a quoted boundary too", () => {
    const error = '{"error":{"code":404,"message":"No such object: b/x"}}';
    const text = [
      "preamble, ignored\n",
      part("2", `HTTP/1.1 404 Not Found\nContent-Type: application/json; charset=UTF-8\n\n${error}`),
      part("1", "HTTP/1.1 204 No Content\nContent-Length: 0\n"),
      part(undefined, "HTTP/1.1 503 Service Unavailable\n\n"),
      `--${boundary}--\n`,
    ].join("");
    expect(parseBatchAnswer(`multipart/mixed; boundary="${boundary}"`, text)).toEqual([
      { id: "2", status: 404, body: error },
      { id: "1", status: 204, body: "" },
      { id: undefined, status: 503, body: "" },
    ]);
  });

  it("refuses an answer that is not multipart, or a part that is not an HTTP response", () => {
    expect(() => parseBatchAnswer("application/json", "{}")).toThrow(BatchAnswerError);
    expect(() => parseBatchAnswer(`multipart/mixed; boundary=${boundary}`, part("1", "<html>"))).toThrow(
      BatchAnswerError,
    );
  });
});
