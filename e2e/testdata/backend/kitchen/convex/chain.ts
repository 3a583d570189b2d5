import { ConvexError, v } from "convex/values";
import { api, internal } from "./_generated/api";
import { action, internalAction, internalMutation, internalQuery, mutation } from "./_generated/server";

export const count = internalQuery({
  args: { category: v.string() },
  handler: async (ctx, { category }) =>
    (await ctx.db.query("items").withIndex("by_category_rank", (q) => q.eq("category", category)).collect()).length,
});

export const bump = internalMutation({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    await ctx.db.insert("items", { category, rank: 1000, name: `${category}-bumped`, status: "open" });
  },
});

export const double = internalAction({
  args: { n: v.number() },
  handler: async (_ctx, { n }) => n * 2,
});

// run calls a query, a mutation, the query again and an internal action.
export const run = action({
  args: { category: v.string() },
  handler: async (ctx, { category }): Promise<{ before: number; after: number; doubled: number; top: number }> => {
    const before: number = await ctx.runQuery(internal.chain.count, { category });
    await ctx.runMutation(internal.chain.bump, { category });
    const after: number = await ctx.runQuery(internal.chain.count, { category });
    const doubled: number = await ctx.runAction(internal.chain.double, { n: after });
    const firstPage: { page: number[] } = await ctx.runQuery(api.items.page, {
      category,
      above: 0,
      upTo: 10000,
      paginationOpts: { numItems: 1, cursor: null },
    });
    return { before, after, doubled, top: firstPage.page[0] };
  },
});

// failVia lets a ConvexError from a nested mutation escape the action.
export const failVia = action({
  args: { code: v.string() },
  handler: async (ctx, { code }): Promise<null> => {
    await ctx.runMutation(api.items.fail, { code });
    return null;
  },
});

// catchVia catches it and returns its data.
export const catchVia = action({
  args: { code: v.string() },
  handler: async (ctx, { code }): Promise<unknown> => {
    try {
      await ctx.runMutation(api.items.fail, { code });
      return null;
    } catch (e) {
      return e instanceof ConvexError ? { caught: e.data } : { other: String(e) };
    }
  },
});

export const bumpThenFail = internalMutation({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    await ctx.db.insert("items", { category, rank: 1, name: `${category}-nested`, status: "open" });
    throw new ConvexError("nested failure");
  },
});

// nestedRollback: a failing nested mutation is rolled back, the caller's own
// write stays, and a throwing top-level mutation writes nothing.
export const nestedRollback = mutation({
  args: { category: v.string(), failAtEnd: v.boolean() },
  handler: async (ctx, { category, failAtEnd }): Promise<string[]> => {
    await ctx.db.insert("items", { category, rank: 0, name: `${category}-outer`, status: "open" });
    let caught = "";
    try {
      await ctx.runMutation(internal.chain.bumpThenFail, { category });
    } catch (e) {
      caught = e instanceof ConvexError ? String(e.data) : "other";
    }
    const names = (
      await ctx.db.query("items").withIndex("by_category_rank", (q) => q.eq("category", category)).collect()
    ).map((d) => d.name);
    if (failAtEnd) throw new Error("outer failure");
    return [caught, ...names];
  },
});
