import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
import { api } from "./_generated/api";

const http = httpRouter();

// GET /lists returns every list with its number of open tasks.
http.route({
  path: "/lists",
  method: "GET",
  handler: httpAction(async (ctx) => {
    const lists = await ctx.runQuery(api.lists.all, {});
    return new Response(JSON.stringify(lists), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  }),
});

export default http;
