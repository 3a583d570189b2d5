import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
import { Id } from "./_generated/dataModel";
import { httpAction } from "./_generated/server";

const cors = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type",
};

const http = httpRouter();

// GET /items/<name> -> the item, or 404.
http.route({
  pathPrefix: "/items/",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const name = decodeURIComponent(new URL(request.url).pathname.slice("/items/".length));
    const item = await ctx.runQuery(api.items.byName, { name });
    if (item === null) return new Response("no such item", { status: 404, headers: cors });
    return new Response(JSON.stringify({ name: item.name, rank: item.rank }), {
      status: 200,
      headers: { ...cors, "Content-Type": "application/json", "X-Item-Rank": String(item.rank) },
    });
  }),
});

// POST /notes/<anything> with JSON {author, body} -> 201 {id, path}.
http.route({
  pathPrefix: "/notes/",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    let payload: { author?: unknown; body?: unknown };
    try {
      payload = await request.json();
    } catch {
      return new Response(JSON.stringify({ error: "BAD_JSON" }), { status: 400, headers: cors });
    }
    if (typeof payload.author !== "string" || typeof payload.body !== "string") {
      return new Response(JSON.stringify({ error: "BAD_REQUEST" }), { status: 400, headers: cors });
    }
    const id = await ctx.runMutation(api.notes.add, { author: payload.author, body: payload.body });
    return new Response(JSON.stringify({ id, path: new URL(request.url).pathname }), {
      status: 201,
      headers: { ...cors, "Content-Type": "application/json" },
    });
  }),
});

// POST /upload stores the request body; GET /file?id= serves it back.
http.route({
  path: "/upload",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const blob = await request.blob();
    const storageId = await ctx.storage.store(blob);
    return Response.json({ storageId, size: blob.size, type: blob.type }, { status: 200, headers: cors });
  }),
});
http.route({
  path: "/file",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const id = new URL(request.url).searchParams.get("id") ?? "";
    const blob = await ctx.storage.get(id as Id<"_storage">);
    if (blob === null) return new Response("gone", { status: 404 });
    return new Response(blob, { headers: { "Content-Type": blob.type, "X-Size": String(blob.size) } });
  }),
});

// CORS preflight for both prefixes.
for (const pathPrefix of ["/items/", "/notes/"]) {
  http.route({
    pathPrefix,
    method: "OPTIONS",
    handler: httpAction(async () => new Response(null, { status: 204, headers: { ...cors, "Access-Control-Max-Age": "86400" } })),
  });
}

export default http;
