import { v } from "convex/values";
import { internal } from "./_generated/api";
import { action, internalQuery, mutation } from "./_generated/server";

export const add = mutation({
  args: { label: v.string(), kind: v.string(), embedding: v.array(v.float64()) },
  handler: async (ctx, args) => await ctx.db.insert("vectors", args),
});

export const labels = internalQuery({
  args: { ids: v.array(v.id("vectors")) },
  handler: async (ctx, { ids }) => {
    const out: string[] = [];
    for (const id of ids) {
      const doc = await ctx.db.get(id);
      if (doc !== null) out.push(doc.label);
    }
    return out;
  },
});

// nearest returns the labels of the limit closest vectors, optionally of one kind, with their scores.
export const nearest = action({
  args: { vector: v.array(v.float64()), limit: v.number(), kind: v.optional(v.string()) },
  handler: async (ctx, { vector, limit, kind }): Promise<{ labels: string[]; scores: number[] }> => {
    const results = await ctx.vectorSearch("vectors", "by_embedding", {
      vector,
      limit,
      filter: kind === undefined ? undefined : (q) => q.eq("kind", kind),
    });
    const labels: string[] = await ctx.runQuery(internal.vectors.labels, { ids: results.map((r) => r._id) });
    return { labels, scores: results.map((r) => r._score) };
  },
});

// nearestOf filters on any of several kinds with q.or.
export const nearestOf = action({
  args: { vector: v.array(v.float64()), kinds: v.array(v.string()) },
  handler: async (ctx, { vector, kinds }): Promise<string[]> => {
    const results = await ctx.vectorSearch("vectors", "by_embedding", {
      vector,
      limit: 256,
      filter: (q) => q.or(...kinds.map((k) => q.eq("kind", k))),
    });
    return await ctx.runQuery(internal.vectors.labels, { ids: results.map((r) => r._id) });
  },
});
