import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Creates a list, or returns the existing one with the same title.
export const ensure = mutation({
  args: { title: v.string() },
  returns: v.id("lists"),
  handler: async (ctx, { title }) => {
    const existing = await ctx.db
      .query("lists")
      .withIndex("by_title", (q) => q.eq("title", title))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    return await ctx.db.insert("lists", { title });
  },
});

export const all = query({
  args: {},
  handler: async (ctx) => {
    const lists = await ctx.db.query("lists").withIndex("by_title").collect();
    return Promise.all(
      lists.map(async (list) => {
        const open = await ctx.db
          .query("tasks")
          .withIndex("by_list_done", (q) =>
            q.eq("listId", list._id).eq("done", false),
          )
          .collect();
        return { ...list, open: open.length };
      }),
    );
  },
});
