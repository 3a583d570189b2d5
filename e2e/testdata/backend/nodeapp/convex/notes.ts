import { mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const add = mutationGeneric({
  args: { text: v.string(), digest: v.string() },
  handler: async (ctx, args) => await ctx.db.insert("notes", args),
});

export const list = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("notes").collect()).map((n) => n.digest),
});
