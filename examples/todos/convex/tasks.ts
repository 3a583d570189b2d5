import { ConvexError, v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server";
import { internal } from "./_generated/api";

export const add = mutation({
  args: { listId: v.id("lists"), text: v.string(), due: v.optional(v.number()) },
  handler: async (ctx, { listId, text, due }) => {
    const trimmed = text.trim();
    if (trimmed === "") {
      throw new ConvexError({ code: "EMPTY", message: "A task needs some text" });
    }
    if ((await ctx.db.get(listId)) === null) {
      throw new ConvexError({ code: "NO_LIST", message: "That list does not exist" });
    }
    const id = await ctx.db.insert("tasks", { listId, text: trimmed, done: false, due });
    console.log("added task", trimmed);
    return id;
  },
});

export const forList = query({
  args: { listId: v.id("lists"), includeDone: v.optional(v.boolean()) },
  handler: async (ctx, { listId, includeDone }) => {
    const tasks = await ctx.db
      .query("tasks")
      .withIndex("by_list", (q) => q.eq("listId", listId))
      .collect();
    return includeDone ? tasks : tasks.filter((t) => !t.done);
  },
});

export const toggle = mutation({
  args: { id: v.id("tasks") },
  handler: async (ctx, { id }) => {
    const task = await ctx.db.get(id);
    if (task === null) {
      return null;
    }
    await ctx.db.patch(id, { done: !task.done });
    if (!task.done) {
      // Finished tasks are tidied away a minute later.
      await ctx.scheduler.runAfter(60_000, internal.tasks.removeIfDone, { id });
    }
    return !task.done;
  },
});

export const removeIfDone = internalMutation({
  args: { id: v.id("tasks") },
  handler: async (ctx, { id }) => {
    const task = await ctx.db.get(id);
    if (task !== null && task.done) {
      await ctx.db.delete(id);
    }
  },
});
