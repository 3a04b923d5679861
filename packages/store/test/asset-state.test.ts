import {
  AssetNotFoundError,
  InvalidScopeError,
  InvalidStateKeyError,
  InvalidStateValueError,
  StateStoreError,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { countRows, DIALECTS, openTestStore, plain, testClock } from "./helpers.js";

const ORDERS = { name: "orders", uri: "s3://warehouse/orders" } as const;

describe.each(DIALECTS)("%s", (dialect) => {
  describe("asset state", () => {
    it("round-trips set, get, overwrite, delete and clear", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      await store.registerAsset(ORDERS);
      expect(await client.getAssetState({ name: "orders" }, "watermark")).toBeUndefined();
      await client.setAssetState({ name: "orders" }, "watermark", "2030-01-01");
      await client.setAssetState({ name: "orders" }, "watermark", "2030-01-02");
      await client.setAssetState({ name: "orders" }, "cursor", "c1");
      expect(await client.getAssetState({ name: "orders" }, "watermark")).toEqual(plain("2030-01-02"));
      await client.deleteAssetState({ name: "orders" }, "watermark");
      expect(await client.deleteAssetState({ name: "orders" }, "watermark")).toBeUndefined(); // no-op when missing
      expect(await client.getAssetState({ name: "orders" }, "watermark")).toBeUndefined();
      expect(await client.getAssetState({ name: "orders" }, "cursor")).toEqual(plain("c1"));
      await client.clearAssetState({ name: "orders" });
      expect(await store.listAssetState()).toEqual([]);
    });

    it("resolves { name } and { uri } to the same registered asset", async () => {
      const clock = testClock("2030-03-03T03:03:03.003Z");
      const store = await openTestStore(dialect, { now: clock.now });
      const client = store.client();
      await store.registerAsset(ORDERS);
      await client.setAssetState({ name: ORDERS.name }, "watermark", "by-name");
      expect(await client.getAssetState({ uri: ORDERS.uri }, "watermark")).toEqual(plain("by-name"));
      await client.setAssetState({ uri: ORDERS.uri }, "watermark", "by-uri");
      expect(await client.getAssetState({ name: ORDERS.name }, "watermark")).toEqual(plain("by-uri"));
      expect(await store.listAssetState()).toEqual([
        {
          assetName: ORDERS.name,
          assetUri: ORDERS.uri,
          key: "watermark",
          value: "by-uri",
          backend: null,
          updatedAt: clock.now(),
        },
      ]);
      await client.clearAssetState({ uri: ORDERS.uri });
      expect(await client.getAssetState({ name: ORDERS.name }, "watermark")).toBeUndefined();
    });

    it("keeps assets apart and filters listAssetState by name or uri", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      await store.registerAsset(ORDERS);
      await store.registerAsset({ name: "users", uri: "s3://warehouse/users" });
      await client.setAssetState({ name: "orders" }, "k", "o");
      await client.setAssetState({ name: "users" }, "k", "u");
      await client.clearAssetState({ name: "users" });
      expect(await client.getAssetState({ name: "orders" }, "k")).toEqual(plain("o"));
      await client.setAssetState({ name: "users" }, "k", "u");
      expect((await store.listAssetState({ name: "users" })).map((r) => r.value)).toEqual(["u"]);
      expect((await store.listAssetState({ uri: ORDERS.uri })).map((r) => r.value)).toEqual(["o"]);
      expect((await store.listAssetState()).map((r) => r.assetName)).toEqual(["orders", "users"]);
    });

    it("registering again is idempotent and keeps the state", async () => {
      const store = await openTestStore(dialect);
      await store.registerAsset(ORDERS);
      await store.client().setAssetState({ name: "orders" }, "k", "v");
      await store.registerAsset(ORDERS);
      expect(await countRows(store, "asset")).toBe(1);
      expect(await store.client().getAssetState({ uri: ORDERS.uri }, "k")).toEqual(plain("v"));
    });

    it("re-registering a name with a new uri moves the asset, state included", async () => {
      const store = await openTestStore(dialect);
      await store.registerAsset(ORDERS);
      await store.client().setAssetState({ name: "orders" }, "k", "v");
      await store.registerAsset({ name: "orders", uri: "gs://lake/orders" });
      expect(await store.client().getAssetState({ uri: "gs://lake/orders" }, "k")).toEqual(plain("v"));
      expect(await store.client().getAssetState({ uri: ORDERS.uri }, "k")).toBeUndefined();
    });

    it("refuses a uri that belongs to an asset of another name", async () => {
      const store = await openTestStore(dialect);
      await store.registerAsset(ORDERS);
      const clash = store.registerAsset({ name: "orders_v2", uri: ORDERS.uri });
      await expect(clash).rejects.toThrow(StateStoreError);
      await expect(clash).rejects.toThrow(/already registered for the asset named 'orders'/);
      expect(await countRows(store, "asset")).toBe(1);
    });

    it("unknown asset: set throws AssetNotFoundError naming it; get, delete and clear do nothing", async () => {
      const store = await openTestStore(dialect);
      const client = store.client();
      const byName = client.setAssetState({ name: "ghost" }, "k", "v");
      await expect(byName).rejects.toThrow(AssetNotFoundError);
      await expect(byName).rejects.toThrow(
        "asset with name 'ghost' is not registered; register it with store.registerAsset",
      );
      await expect(client.setAssetState({ uri: "s3://ghost" }, "k", "v")).rejects.toThrow(
        "asset with uri 's3://ghost' is not registered",
      );
      expect(await client.getAssetState({ name: "ghost" }, "k")).toBeUndefined();
      await client.deleteAssetState({ name: "ghost" }, "k");
      await client.clearAssetState({ uri: "s3://ghost" });
      expect(await countRows(store, "asset_state")).toBe(0);
    });

    it.each([
      ["both name and uri", { name: "orders", uri: ORDERS.uri }],
      ["neither name nor uri", {}],
      ["an empty name", { name: "" }],
      ["a non-string uri", { uri: 7 }],
      ["null", null],
    ])("rejects an asset reference with %s", async (_name, ref) => {
      const store = await openTestStore(dialect);
      await store.registerAsset(ORDERS);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.client().setAssetState(ref as any, "k", "v")).rejects.toThrow(/Invalid asset/);
      expect(await countRows(store, "asset_state")).toBe(0);
    });

    it.each([
      ["a missing uri", { name: "orders" }],
      ["a missing name", { uri: "s3://x" }],
      ["an empty name", { name: "", uri: "s3://x" }],
    ])("registerAsset rejects %s and writes nothing", async (_name, asset) => {
      const store = await openTestStore(dialect);
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.registerAsset(asset as any)).rejects.toThrow(InvalidScopeError);
      expect(await countRows(store, "asset")).toBe(0);
    });

    it("rejects bad keys and values with nothing written", async () => {
      const store = await openTestStore(dialect);
      await store.registerAsset(ORDERS);
      await expect(store.client().setAssetState({ name: "orders" }, "", "v")).rejects.toThrow(
        InvalidStateKeyError,
      );
      // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
      await expect(store.client().setAssetState({ name: "orders" }, "k", 1 as any)).rejects.toThrow(
        InvalidStateValueError,
      );
      expect(await countRows(store, "asset_state")).toBe(0);
    });
  });
});
