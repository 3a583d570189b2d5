import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const add = mutation({
  args: { author: v.string(), body: v.string() },
  handler: async (ctx, args) => await ctx.db.insert("notes", args),
});

// search returns the bodies of notes matching text, optionally by one author.
export const search = query({
  args: { text: v.string(), author: v.optional(v.string()) },
  handler: async (ctx, { text, author }) => {
    const docs = await ctx.db
      .query("notes")
      .withSearchIndex("search_body", (q) => (author === undefined ? q.search("body", text) : q.search("body", text).eq("author", author)))
      .take(10);
    return docs.map((d) => d.body);
  },
});

// searchPage pages through search results (relevance order) with cursors.
export const searchPage = query({
  args: { text: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { text, paginationOpts }) => {
    const result = await ctx.db
      .query("notes")
      .withSearchIndex("search_body", (q) => q.search("body", text))
      .paginate(paginationOpts);
    return { ...result, page: result.page.map((d) => d.body) };
  },
});
