import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireAsset } from "./auth.js";
import { checkValueSize, type RouteContext, storedBody } from "./context.js";
import { assetNotFound, stateNotFound } from "./errors.js";
import {
  ASSET_REF_SCHEMA,
  ASSET_STATE_ROW_SCHEMA,
  BACKEND_SCHEMA,
  KEY_SCHEMA,
  NULLABLE_STORED_STATE_SCHEMA,
  objectSchema,
  responses,
  STORED_STATE_SCHEMA,
} from "./schemas.js";

/** How a route addresses the asset: `?name=` under `by-name`, `?uri=` under `by-uri`. */
type AssetField = "name" | "uri";
type Q = { Querystring: Record<string, string> };
type AssetQuery = { name: string; uri?: undefined } | { uri: string; name?: undefined };

const ASSET_SCHEMA = objectSchema({ name: { type: "string" }, uri: { type: "string" } }, ["name", "uri"]);
const PUT_BODY = objectSchema(
  {
    value: {
      type: "string",
      description: "The value, or the worker backend's reference when backend is set.",
    },
    backend: BACKEND_SCHEMA,
  },
  ["value"],
);

/**
 * `/asset-states/by-{field}/value|clear|all` and `/assets/by-{field}` for one way of naming an
 * asset. Every route first checks that the token grants the asset.
 */
export function registerAssetStateRoutes(app: FastifyInstance, ctx: RouteContext, field: AssetField): void {
  const { client, auth } = ctx;
  const base = `/asset-states/by-${field}`;
  const assetQuery = objectSchema({ [field]: ASSET_REF_SCHEMA }, [field]);
  const keyQuery = objectSchema({ [field]: ASSET_REF_SCHEMA, key: KEY_SCHEMA }, [field, "key"]);
  const assetOf = (query: Record<string, string>): AssetQuery =>
    (field === "name" ? { name: query.name } : { uri: query.uri }) as AssetQuery;
  // The asset the query names, once the token is known to grant it.
  const granted = async (request: FastifyRequest<Q>): Promise<AssetQuery> => {
    const asset = assetOf(request.query);
    await requireAsset(request, client, asset);
    return asset;
  };

  app.get<Q>(
    `${base}/value`,
    {
      onRequest: auth,
      schema: {
        summary: `Read one asset state key (asset by ${field})`,
        querystring: keyQuery,
        response: responses(STORED_STATE_SCHEMA, [404]),
      },
    },
    async (request) => {
      const asset = await granted(request);
      const key = request.query.key as string;
      const row = await client.getAssetState(asset, key);
      if (!row) throw stateNotFound(key);
      return storedBody(row);
    },
  );

  app.put<Q & { Body: { value: string; backend?: string | null } }>(
    `${base}/value`,
    {
      onRequest: auth,
      schema: {
        summary: `Write one asset state key (asset by ${field}); answers the row it replaced`,
        querystring: keyQuery,
        body: PUT_BODY,
        response: responses(
          objectSchema({ replaced: NULLABLE_STORED_STATE_SCHEMA }, ["replaced"]),
          [404, 413],
        ),
      },
    },
    async (request) => {
      const asset = await granted(request);
      const { value, backend = null } = request.body;
      checkValueSize(value, backend, ctx.maxValueBytes);
      const replaced = await client.setAssetState(asset, request.query.key as string, value, { backend });
      return { replaced: storedBody(replaced) };
    },
  );

  app.delete<Q>(
    `${base}/value`,
    {
      onRequest: auth,
      schema: {
        summary: `Delete one asset state key (asset by ${field}); answers the row it removed`,
        querystring: keyQuery,
        response: responses(objectSchema({ removed: NULLABLE_STORED_STATE_SCHEMA }, ["removed"]), []),
      },
    },
    async (request) => {
      const asset = await granted(request);
      return {
        removed: storedBody(await client.deleteAssetState(asset, request.query.key as string)),
      };
    },
  );

  app.delete<Q>(
    `${base}/clear`,
    {
      onRequest: auth,
      schema: {
        summary: `Clear every key of the asset (by ${field}); answers the rows it removed`,
        querystring: assetQuery,
        response: responses(
          objectSchema({ removed: { type: "array", items: ASSET_STATE_ROW_SCHEMA } }, ["removed"]),
          [],
        ),
      },
    },
    async (request) => {
      const asset = await granted(request);
      return {
        removed: (await client.clearAssetState(asset)).map(({ key, value, backend }) => ({
          key,
          value,
          backend,
        })),
      };
    },
  );

  app.get<Q>(
    `${base}/all`,
    {
      onRequest: auth,
      schema: {
        summary: `Every key of the asset (by ${field}) and its stored value or reference`,
        querystring: assetQuery,
        response: responses(
          objectSchema({ asset: ASSET_SCHEMA, states: { type: "array", items: ASSET_STATE_ROW_SCHEMA } }, [
            "asset",
            "states",
          ]),
          [404],
        ),
      },
    },
    async (request) => {
      const asset = await granted(request);
      const found = await client.getAsset(asset);
      if (!found) throw assetNotFound(field, request.query[field] as string);
      const rows = await ctx.store.listAssetState({ name: found.name });
      const states = rows.map(({ key, value, backend }) => ({ key, value, backend }));
      return { asset: { name: found.name, uri: found.uri }, states };
    },
  );

  app.get<Q>(
    `/assets/by-${field}`,
    {
      onRequest: auth,
      schema: {
        summary: `The asset's name and uri (asset by ${field})`,
        querystring: assetQuery,
        response: responses(ASSET_SCHEMA, [404]),
      },
    },
    async (request) => {
      const asset = await granted(request);
      const found = await client.getAsset(asset);
      if (!found) throw assetNotFound(field, request.query[field] as string);
      return { name: found.name, uri: found.uri };
    },
  );
}
