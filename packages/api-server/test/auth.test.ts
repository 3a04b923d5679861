import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { issueTaskToken, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../src/index.js";
import {
  assetStateUrl,
  bearer,
  ORDERS,
  OTHER_ASSET,
  SECRET,
  taskStateUrl,
  tokenFor,
  useServer,
} from "./helpers.js";

describe("authentication", () => {
  const h = useServer();
  const read = (headers: Record<string, string>) =>
    h.app.inject({ method: "GET", url: taskStateUrl(h.ti.id, "k"), headers });

  async function expectRefused(headers: Record<string, string>, status: number) {
    const answer = await read(headers);
    expect(answer.statusCode).toBe(status);
    expect(answer.json()).toEqual({
      reason: status === 401 ? "unauthorized" : "forbidden",
      message: expect.any(String),
    });
  }

  it("refuses a request without a token", () => expectRefused({}, 401));

  it("refuses a malformed header and a garbage token", async () => {
    await expectRefused({ authorization: h.token }, 401);
    await expectRefused(bearer("not.a.jwt"), 401);
  });

  it("refuses a token signed with another secret", async () => {
    const forged = await issueTaskToken({ secret: `${SECRET}-other`, tiId: h.ti.id });
    await expectRefused(bearer(forged), 401);
  });

  it("refuses an expired token, saying so", async () => {
    const expired = await new SignJWT({ assets: [] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(h.ti.id)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuer(TOKEN_ISSUER)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET));
    const answer = await read(bearer(expired));
    expect(answer.statusCode).toBe(401);
    expect(answer.json().message).toContain("expired");
  });

  it("refuses a token that expired after it was accepted (a verified token is remembered only until it expires)", async () => {
    const shortLived = await issueTaskToken({ secret: SECRET, tiId: h.ti.id, ttlSeconds: 1 });
    expect((await read(bearer(shortLived))).statusCode).not.toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const answer = await read(bearer(shortLived));
    expect(answer.statusCode).toBe(401);
    expect(answer.json().message).toContain("expired");
  });

  it("refuses a token for another audience, and an unsigned one", async () => {
    const otherAudience = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(h.ti.id)
      .setAudience("someone-else")
      .setIssuer(TOKEN_ISSUER)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRET));
    await expectRefused(bearer(otherAudience), 401);
    const [header, payload] = h.token.split(".");
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;
    await expectRefused(bearer(none), 401);
    await expectRefused(bearer(`${header}.${payload}.`), 401);
  });

  it("refuses a token of another task instance on every task route, writing nothing", async () => {
    const other = await tokenFor(h.sibling.id);
    const routes = [
      { method: "GET", url: taskStateUrl(h.ti.id, "k") },
      { method: "PUT", url: taskStateUrl(h.ti.id, "k"), payload: { value: "v" } },
      { method: "DELETE", url: taskStateUrl(h.ti.id, "k") },
      { method: "DELETE", url: `${taskStateUrl(h.ti.id)}?all_map_indices=true` },
      { method: "POST", url: `/execution/task-instances/${h.ti.id}/succeed` },
      { method: "POST", url: `/execution/task-instances/${h.ti.id}/fail` },
    ] as const;
    for (const route of routes) {
      const answer = await h.app.inject({ ...route, headers: bearer(other) });
      expect(answer.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(answer.json().reason).toBe("forbidden");
    }
    expect(await h.store.listTaskState()).toEqual([]);
    expect((await h.store.getTaskInstance(h.ti.id))?.state).toBe("queued");
  });

  it("allows all_map_indices to clear the own task's mapped siblings", async () => {
    await h.store.client().setTaskState(h.sibling.id, "k", "v", { expiresAt: null });
    const answer = await h.app.inject({
      method: "DELETE",
      url: `${taskStateUrl(h.ti.id)}?all_map_indices=true`,
      headers: bearer(h.token),
    });
    expect(answer.json()).toEqual({ removed: [{ map_index: 1, key: "k", value: "v", backend: null }] });
  });

  it("refuses an asset the token does not grant, by name or by uri", async () => {
    for (const url of [
      assetStateUrl("value", { name: OTHER_ASSET.name, key: "k" }),
      assetStateUrl("value", { uri: OTHER_ASSET.uri, key: "k" }, "uri"),
      assetStateUrl("all", { name: OTHER_ASSET.name }),
      assetStateUrl("value", { name: "unregistered", key: "k" }),
      `/execution/assets/by-uri?uri=${encodeURIComponent(OTHER_ASSET.uri)}`,
    ]) {
      const answer = await h.app.inject({ method: "GET", url, headers: bearer(h.token) });
      expect(answer.statusCode, url).toBe(403);
    }
    const write = await h.app.inject({
      method: "PUT",
      url: assetStateUrl("value", { name: OTHER_ASSET.name, key: "k" }),
      headers: bearer(h.token),
      payload: { value: "v" },
    });
    expect(write.statusCode).toBe(403);
    expect(await h.store.listAssetState()).toEqual([]);
  });

  it("reaches an asset granted by name through its uri, and one granted by uri through its name", async () => {
    const byUri = await h.app.inject({
      method: "PUT",
      url: assetStateUrl("value", { uri: ORDERS.uri, key: "k" }, "uri"),
      headers: bearer(h.token),
      payload: { value: "v" },
    });
    expect(byUri.statusCode).toBe(200);
    const uriToken = await tokenFor(h.ti.id, [{ uri: ORDERS.uri }]);
    const byName = await h.app.inject({
      method: "GET",
      url: assetStateUrl("value", { name: ORDERS.name, key: "k" }),
      headers: bearer(uriToken),
    });
    expect(byName.json()).toEqual({ value: "v", backend: null });
  });

  it("serves health and the OpenAPI document without a token", async () => {
    expect((await h.app.inject({ method: "GET", url: "/execution/health" })).json()).toEqual({
      status: "ok",
    });
    expect((await h.app.inject({ method: "GET", url: "/execution/openapi.json" })).statusCode).toBe(200);
  });

  it("refuses to issue or check tokens with a short secret", async () => {
    await expect(issueTaskToken({ secret: "short", tiId: "x" })).rejects.toThrow("[api_auth] jwt_secret");
  });
});
