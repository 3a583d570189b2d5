import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  lists: defineTable({
    title: v.string(),
  }).index("by_title", ["title"]),

  tasks: defineTable({
    listId: v.id("lists"),
    text: v.string(),
    done: v.boolean(),
    due: v.optional(v.number()),
  })
    .index("by_list", ["listId"])
    .index("by_list_done", ["listId", "done"]),
});
