import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
import { httpAction } from "./_generated/server";

const http = httpRouter();

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

// GET /whoami -> {identity, viaQuery}: the identity from the request's
// `Authorization: Bearer` token, seen directly and through ctx.runQuery.
// When reading the identity throws, the answer is 401 {error}.
http.route({
  path: "/whoami",
  method: "GET",
  handler: httpAction(async (ctx) => {
    try {
      const identity = await ctx.auth.getUserIdentity();
      const viaQuery = await ctx.runQuery(api.who.whoami, {});
      return json({ identity, viaQuery }, 200);
    } catch (e) {
      return json({ error: String((e as Error).message ?? e) }, 401);
    }
  }),
});

export default http;
