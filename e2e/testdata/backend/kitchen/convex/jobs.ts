import { Id } from "./_generated/dataModel";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { action, internalAction, internalMutation, mutation, query } from "./_generated/server";

export const record = internalMutation({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    await ctx.db.insert("runs", { label, at: Date.now() });
  },
});

// plan schedules "now" right away, "later" in an hour, and "cancelled" in a
// minute then cancels it. It returns the three job ids.
export const plan = mutation({
  args: { prefix: v.string() },
  handler: async (ctx, { prefix }): Promise<Record<"now" | "later" | "cancelled", Id<"_scheduled_functions">>> => {
    const now: Id<"_scheduled_functions"> = await ctx.scheduler.runAfter(0, internal.jobs.record, { label: prefix + "now" });
    const later: Id<"_scheduled_functions"> = await ctx.scheduler.runAt(Date.now() + 3600_000, internal.jobs.record, { label: prefix + "later" });
    const cancelled: Id<"_scheduled_functions"> = await ctx.scheduler.runAfter(60_000, internal.jobs.record, { label: prefix + "cancelled" });
    await ctx.scheduler.cancel(cancelled);
    return { now, later, cancelled };
  },
});

// scheduled lists jobs from the _scheduled_functions system table.
export const scheduled = query({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").collect();
    return jobs.map((j) => ({
      id: j._id,
      name: j.name,
      args: j.args,
      state: j.state.kind,
      future: j.scheduledTime > j._creationTime,
    }));
  },
});

export const cancel = mutation({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => {
    await ctx.scheduler.cancel(id);
    return (await ctx.db.system.get(id))?.state.kind ?? null;
  },
});

export const runs = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("runs").collect()).map((r) => r.label),
});

// fromAction schedules from an action, with runAt given a Date.
export const fromAction = action({
  args: { label: v.string() },
  handler: async (ctx, { label }): Promise<Id<"_scheduled_functions">> => {
    return await ctx.scheduler.runAt(new Date(Date.now() + 50), internal.jobs.record, { label });
  },
});

export const explode = internalMutation({
  args: {},
  handler: async () => {
    throw new Error("scheduled failure");
  },
});

// viaAction records through a mutation from a scheduled action.
export const viaAction = internalAction({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    await ctx.runMutation(internal.jobs.record, { label });
  },
});

// planMore schedules an action and a mutation that fails.
export const planMore = mutation({
  args: {},
  handler: async (ctx): Promise<{ action: Id<"_scheduled_functions">; failing: Id<"_scheduled_functions"> }> => {
    const action: Id<"_scheduled_functions"> = await ctx.scheduler.runAfter(0, internal.jobs.viaAction, { label: "via-action" });
    const failing: Id<"_scheduled_functions"> = await ctx.scheduler.runAfter(0, internal.jobs.explode, {});
    return { action, failing };
  },
});

export const job = query({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => {
    const j = await ctx.db.system.get(id);
    return j === null ? null : { state: j.state, completed: j.completedTime !== undefined };
  },
});
