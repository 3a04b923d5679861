// The batch front speaks the format of Google's "Sending batch requests" page
// (https://cloud.google.com/storage/docs/batch), written here by hand as its example is (quoted
// boundary, Content-IDs like `<uuid+n>`, a full URL in one call, LF line ends in another), not
// by the backend's writer: the front must not just agree with the code it tests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GcsEmulator, startGcsEmulator } from "../src/index.js";

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator({ batch: true });
});
afterAll(async () => {
  await emulator?.stop();
});

const BUCKET = "front-test";

async function upload(endpoint: string, name: string, body: string): Promise<void> {
  const url = `${endpoint}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(name)}`;
  const response = await fetch(url, { method: "POST", body });
  expect(response.status).toBe(200);
}

describe("startGcsEmulator({ batch: true })", () => {
  it("the bare emulator has no batch endpoint; the front has", async () => {
    const bare = await fetch(`${emulator.emulatorEndpoint}/batch/storage/v1`, { method: "POST" });
    expect(bare.status).toBe(501);
    expect(emulator.apiEndpoint).not.toBe(emulator.emulatorEndpoint);
    expect(emulator.batchFront?.endpoint).toBe(emulator.apiEndpoint);
  });

  it("answers a batch as GCS does: one application/http part per call, in order, Content-ID response-…", async () => {
    const name = "dir/a b%#?ü";
    await upload(emulator.apiEndpoint, name, "hello");
    const path = `/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}`;
    // One part: its headers, a blank line, the call (request line, no headers, blank line).
    const part = (id: number, call: string, eol = "\r\n") =>
      [
        "--===batch===",
        "Content-Type: application/http",
        `Content-ID: <b29c5de2+${id}>`,
        "",
        call,
        "",
        "",
      ].join(eol);
    const text = [
      part(1, `GET https://storage.googleapis.com${path} HTTP/1.1`),
      part(2, `DELETE ${path} HTTP/1.1`, "\n"), // LF alone: GCS's parser takes both
      part(3, `DELETE ${path} HTTP/1.1`),
      "--===batch===--\r\n",
    ].join("\r\n");
    const before = { ...emulator.batchFront?.counts };
    const response = await fetch(`${emulator.apiEndpoint}/batch/storage/v1`, {
      method: "POST",
      headers: { "content-type": 'multipart/mixed; boundary="===batch==="' },
      body: text,
    });
    expect(response.status).toBe(200);
    const boundary = /boundary=(\S+)/.exec(response.headers.get("content-type") ?? "")?.[1];
    expect(response.headers.get("content-type")).toMatch(/^multipart\/mixed; boundary=/);
    const answer = await response.text();
    const parts = answer.split(`--${boundary}`).slice(1, -1);
    expect(answer.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(parts.map((p) => /Content-ID: (\S+)/.exec(p)?.[1])).toEqual([
      "<response-b29c5de2+1>",
      "<response-b29c5de2+2>",
      "<response-b29c5de2+3>",
    ]);
    expect(parts.map((p) => /\r\n\r\nHTTP\/1\.1 (\d{3})/.exec(p)?.[1])).toEqual(["200", "204", "404"]);
    expect(parts[0]).toContain('"name":"dir/a b%#?ü"');
    expect(parts[2]).toContain("No such object");
    expect(emulator.batchFront?.counts).toMatchObject({
      batch: (before.batch ?? 0) + 1,
      call: (before.call ?? 0) + 3,
      delete: before.delete,
    });
  });

  it("refuses a body that is not multipart/mixed", async () => {
    const response = await fetch(`${emulator.apiEndpoint}/batch/storage/v1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(400);
  });

  it("proxies every other request, and resumable sessions come back through the front", async () => {
    const before = { ...emulator.batchFront?.counts };
    const open = await fetch(
      `${emulator.apiEndpoint}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=big`,
      { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
    );
    const session = open.headers.get("location") ?? "";
    expect(session.startsWith(`${emulator.apiEndpoint}/`)).toBe(true);
    const bytes = Buffer.alloc(3 * 1024 * 1024, "x");
    const put = await fetch(session, { method: "PUT", body: bytes });
    expect(put.status).toBe(200);
    const read = await fetch(`${emulator.apiEndpoint}/storage/v1/b/${BUCKET}/o/big?alt=media`);
    expect((await read.arrayBuffer()).byteLength).toBe(bytes.length);
    const gone = await fetch(`${emulator.apiEndpoint}/storage/v1/b/${BUCKET}/o/big`, { method: "DELETE" });
    expect(gone.status).toBe(204);
    expect(emulator.batchFront?.counts).toMatchObject({
      batch: before.batch,
      delete: (before.delete ?? 0) + 1,
      other: (before.other ?? 0) + 3,
    });
  });
});
