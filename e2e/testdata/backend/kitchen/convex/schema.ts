import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // Items are spread over categories with a numeric rank, for index ranges and pagination.
  items: defineTable({
    category: v.string(),
    rank: v.number(),
    name: v.string(),
    status: v.union(v.literal("open"), v.literal("done"), v.literal("dropped")),
    tags: v.optional(v.array(v.string())),
    counts: v.optional(v.record(v.string(), v.number())),
  })
    .index("by_category_rank", ["category", "rank"])
    .index("by_name", ["name"]),

  notes: defineTable({ author: v.string(), body: v.string() }).searchIndex("search_body", {
    searchField: "body",
    filterFields: ["author"],
  }),

  vectors: defineTable({ label: v.string(), kind: v.string(), embedding: v.array(v.float64()) }).vectorIndex(
    "by_embedding",
    { vectorField: "embedding", dimensions: 3, filterFields: ["kind"] },
  ),

  files: defineTable({ name: v.string(), storageId: v.id("_storage") }),

  // Every value kind the validators know.
  kinds: defineTable({
    bytes: v.bytes(),
    big: v.int64(),
    anything: v.any(),
    nothing: v.null(),
    parts: v.array(v.object({ key: v.string(), n: v.number() })),
    item: v.optional(v.id("items")),
  }),

  // Written by scheduled functions.
  runs: defineTable({ label: v.string(), at: v.number() }),
});
