import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server";

const kind = {
  bytes: v.bytes(),
  big: v.int64(),
  anything: v.any(),
  nothing: v.null(),
  parts: v.array(v.object({ key: v.string(), n: v.number() })),
  item: v.optional(v.id("items")),
};

// put stores every kind of value and returns what was read back.
export const put = mutation({
  args: kind,
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("kinds", args);
    const doc = await ctx.db.get(id);
    if (doc === null) throw new ConvexError("vanished");
    const { _id, _creationTime, ...rest } = doc;
    return rest;
  },
});

// describe checks types on the server side: bytes arrive as ArrayBuffer, int64 as bigint.
export const describe = query({
  args: { bytes: v.bytes(), big: v.int64(), labels: v.record(v.string(), v.union(v.literal("a"), v.literal("b"))) },
  handler: async (_ctx, { bytes, big, labels }) => {
    return {
      bytesIsBuffer: bytes instanceof ArrayBuffer,
      byteLength: bytes.byteLength,
      firstByte: new Uint8Array(bytes)[0],
      bigType: typeof big,
      bigPlusOne: big + 1n,
      labelKeys: Object.keys(labels).sort(),
    };
  },
});
