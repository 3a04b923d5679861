import { describe, expect, it } from "vitest";
import { assetStateUrl, bearer, ORDERS, tokenFor, useServer } from "./helpers.js";

describe("asset state routes", () => {
  const h = useServer();
  const call = (method: "GET" | "PUT" | "DELETE", url: string, payload?: object) =>
    h.app.inject({ method, url, headers: bearer(h.token), ...(payload ? { payload } : {}) });

  for (const [field, ref] of [
    ["name", ORDERS.name],
    ["uri", ORDERS.uri],
  ] as const) {
    it(`writes, reads, lists, deletes and clears by ${field}`, async () => {
      const value = (key: string) => assetStateUrl("value", { [field]: ref, key }, field);
      expect((await call("PUT", value("watermark"), { value: "1" })).json()).toEqual({ replaced: null });
      expect((await call("PUT", value("watermark"), { value: "ref", backend: "pkg.B" })).json()).toEqual({
        replaced: { value: "1", backend: null },
      });
      await call("PUT", value("cursor"), { value: "c" });
      expect((await call("GET", value("watermark"))).json()).toEqual({ value: "ref", backend: "pkg.B" });
      expect((await call("GET", assetStateUrl("all", { [field]: ref }, field))).json()).toEqual({
        asset: ORDERS,
        states: [
          { key: "cursor", value: "c", backend: null },
          { key: "watermark", value: "ref", backend: "pkg.B" },
        ],
      });
      expect((await call("DELETE", value("cursor"))).json()).toEqual({
        removed: { value: "c", backend: null },
      });
      expect((await call("DELETE", value("cursor"))).json()).toEqual({ removed: null });
      expect((await call("GET", value("cursor"))).statusCode).toBe(404);
      expect((await call("DELETE", assetStateUrl("clear", { [field]: ref }, field))).json()).toEqual({
        removed: [{ key: "watermark", value: "ref", backend: "pkg.B" }],
      });
      expect(await h.store.listAssetState()).toEqual([]);
    });

    it(`answers the asset's name and uri by ${field}`, async () => {
      const answer = await call("GET", `/execution/assets/by-${field}?${field}=${encodeURIComponent(ref)}`);
      expect(answer.json()).toEqual(ORDERS);
    });
  }

  it("answers 404 asset_not_found for a granted asset that is not registered", async () => {
    h.token = await tokenFor(h.ti.id, [{ name: "later" }]);
    const write = await call("PUT", assetStateUrl("value", { name: "later", key: "k" }), { value: "v" });
    expect(write.statusCode).toBe(404);
    expect(write.json().reason).toBe("asset_not_found");
    expect((await call("GET", "/execution/assets/by-name?name=later")).json().reason).toBe("asset_not_found");
    expect((await call("GET", assetStateUrl("all", { name: "later" }))).statusCode).toBe(404);
    expect((await call("GET", assetStateUrl("value", { name: "later", key: "k" }))).json().reason).toBe(
      "state_not_found",
    );
  });
});
