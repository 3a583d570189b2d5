import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

export const uploadUrl = mutation({
  args: {},
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

export const save = mutation({
  args: { name: v.string(), storageId: v.id("_storage") },
  handler: async (ctx, args) => await ctx.db.insert("files", args),
});

// info reads a stored file's URL and its _storage system document.
export const info = query({
  args: { storageId: v.id("_storage") },
  handler: async (ctx, { storageId }) => {
    const url = await ctx.storage.getUrl(storageId);
    const meta = await ctx.db.system.get(storageId);
    const all = await ctx.db.system.query("_storage").collect();
    return {
      url,
      size: meta?.size ?? null,
      contentType: meta?.contentType ?? null,
      sha256: meta?.sha256 ?? null,
      stored: all.map((d) => d._id),
    };
  },
});

export const remove = mutation({
  args: { storageId: v.id("_storage") },
  handler: async (ctx, { storageId }) => {
    await ctx.storage.delete(storageId);
    return { url: await ctx.storage.getUrl(storageId), meta: await ctx.db.system.get(storageId) };
  },
});

// roundTrip stores a Blob from an action and reads it back.
export const roundTrip = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const id = await ctx.storage.store(new Blob([text], { type: "text/plain" }));
    const blob = await ctx.storage.get(id);
    const back = blob === null ? null : await blob.text();
    const url = await ctx.storage.getUrl(id);
    return { id, back, type: blob?.type ?? null, size: blob?.size ?? null, url };
  },
});
