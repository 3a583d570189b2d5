import { v } from "convex/values";
import { api, internal } from "./_generated/api";
import { action, internalMutation, mutation, query } from "./_generated/server";

// The caller's identity exactly as the backend built it, or null.
export const whoami = query({
  args: {},
  handler: async (ctx) => await ctx.auth.getUserIdentity(),
});

// Adds a note owned by the signed-in user; refuses anonymous callers.
export const addNote = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new Error("addNote: not signed in");
    }
    await ctx.db.insert("notes", { owner: identity.tokenIdentifier, text });
    return identity.subject;
  },
});

// The signed-in user's notes (empty when anonymous): a subscription that
// depends on both the identity and the data.
export const myNotes = query({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) return { subject: null, notes: [] };
    const notes = await ctx.db
      .query("notes")
      .withIndex("by_owner", (q) => q.eq("owner", identity.tokenIdentifier))
      .collect();
    return { subject: identity.subject, notes: notes.map((n) => n.text) };
  },
});

// An action sees the identity itself and passes it on to ctx.runQuery.
export const viaAction = action({
  args: {},
  handler: async (ctx): Promise<{ own: string | null; nested: string | null }> => {
    const own = await ctx.auth.getUserIdentity();
    const nested = await ctx.runQuery(api.who.whoami, {});
    return { own: own?.tokenIdentifier ?? null, nested: nested?.tokenIdentifier ?? null };
  },
});

// A signed-in mutation schedules a job; the job runs as nobody.
export const scheduleJob = mutation({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    await ctx.scheduler.runAfter(0, internal.who.recordJob, { label });
  },
});

export const recordJob = internalMutation({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    const identity = await ctx.auth.getUserIdentity();
    await ctx.db.insert("jobs", { label, ranAs: identity?.tokenIdentifier ?? null });
  },
});

export const job = query({
  args: { label: v.string() },
  handler: async (ctx, { label }) => {
    const jobs = await ctx.db.query("jobs").collect();
    const j = jobs.find((x) => x.label === label);
    return j === undefined ? "pending" : { ranAs: j.ranAs };
  },
});
