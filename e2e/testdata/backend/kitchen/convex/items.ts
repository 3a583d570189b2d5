import { paginationOptsValidator } from "convex/server";
import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api";
import { mutation, query } from "./_generated/server";

const status = v.union(v.literal("open"), v.literal("done"), v.literal("dropped"));

// seed inserts count items in category, ranks 1..count, every third one done.
export const seed = mutation({
  args: { category: v.string(), count: v.number() },
  handler: async (ctx, { category, count }) => {
    for (let rank = 1; rank <= count; rank++) {
      await ctx.db.insert("items", {
        category,
        rank,
        name: `${category}-${rank}`,
        status: rank % 3 === 0 ? "done" : "open",
        tags: rank % 2 === 0 ? ["even"] : [],
        counts: { rank },
      });
    }
    return count;
  },
});

// page is one page of a category, ranks in (above, upTo], newest rank first.
export const page = query({
  args: { category: v.string(), above: v.number(), upTo: v.number(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { category, above, upTo, paginationOpts }) => {
    const result = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category).gt("rank", above).lte("rank", upTo))
      .order("desc")
      .paginate(paginationOpts);
    return { ...result, page: result.page.map((d) => d.rank) };
  },
});

// ranks lists the ranks of a category in (above, upTo], ascending.
export const ranks = query({
  args: { category: v.string(), above: v.number(), upTo: v.number() },
  handler: async (ctx, { category, above, upTo }) => {
    const docs = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category).gt("rank", above).lte("rank", upTo))
      .collect();
    return docs.map((d) => d.rank);
  },
});

export const byName = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    return await ctx.db.query("items").withIndex("by_name", (q) => q.eq("name", name)).unique();
  },
});

// unique over a whole category fails when it holds more than one item.
export const onlyInCategory = query({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    const doc = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category))
      .unique();
    return doc?.name ?? null;
  },
});

export const firstAndTake = query({
  args: { category: v.string(), n: v.number() },
  handler: async (ctx, { category, n }) => {
    const q = () => ctx.db.query("items").withIndex("by_category_rank", (q) => q.eq("category", category));
    const first = await q().first();
    const last = await q().order("desc").first();
    const take = await q().take(n);
    return { first: first?.rank ?? null, last: last?.rank ?? null, take: take.map((d) => d.rank) };
  },
});

// filtered: (rank < 3 or rank > 8) and status != "done", over a full table scan of the category.
export const filtered = query({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    const docs = await ctx.db
      .query("items")
      .filter((q) =>
        q.and(
          q.eq(q.field("category"), category),
          q.or(q.lt(q.field("rank"), 3), q.gt(q.field("rank"), 8)),
          q.neq(q.field("status"), "done"),
        ),
      )
      .collect();
    return docs.map((d) => d.rank).sort((a, b) => a - b);
  },
});

// edit exercises patch, replace, normalizeId and delete on one item.
export const edit = mutation({
  args: { name: v.string(), to: status },
  handler: async (ctx, { name, to }) => {
    const doc = await ctx.db.query("items").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (doc === null) throw new ConvexError({ code: "NOT_FOUND", name });
    await ctx.db.patch(doc._id, { status: to, tags: undefined });
    const patched = await ctx.db.get(doc._id);
    await ctx.db.replace(doc._id, { category: doc.category, rank: doc.rank, name: doc.name + "!", status: to });
    const replaced = await ctx.db.get(doc._id);
    return {
      patchedStatus: patched?.status,
      patchedHasTags: patched !== null && "tags" in patched,
      replacedName: replaced?.name,
      replacedHasCounts: replaced !== null && "counts" in replaced,
      sameCreationTime: replaced?._creationTime === doc._creationTime,
      normalized: ctx.db.normalizeId("items", doc._id) === doc._id,
      normalizedOtherTable: ctx.db.normalizeId("notes", doc._id),
      normalizedGarbage: ctx.db.normalizeId("items", "not-an-id"),
    };
  },
});

export const remove = mutation({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => {
    const before = await ctx.db.get(id);
    await ctx.db.delete(id);
    return { existed: before !== null, after: await ctx.db.get(id) };
  },
});

// clock: Date.now() is fixed for a whole mutation, even across awaits and work.
export const clock = mutation({
  args: {},
  handler: async (ctx) => {
    const a = Date.now();
    await ctx.db.query("items").take(5);
    let x = 0;
    for (let i = 0; i < 200000; i++) x += i;
    const b = Date.now();
    const c = new Date().getTime();
    return { a, b, c, x };
  },
});

export const random = query({
  args: {},
  handler: async () => {
    return [Math.random(), Math.random()];
  },
});

// ConvexError with structured data.
export const fail = mutation({
  args: { code: v.string() },
  handler: async (_ctx, { code }) => {
    if (code === "") throw new ConvexError("just a string");
    throw new ConvexError({ code, detail: { n: 1, list: [1, "two"] } });
  },
});

// openPage paginates a category in rank order, skipping done items with a filter.
export const openPage = query({
  args: { category: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { category, paginationOpts }) => {
    const result = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category))
      .filter((q) => q.neq(q.field("status"), "done"))
      .paginate(paginationOpts);
    return { ...result, page: result.page.map((d) => d.rank) };
  },
});

// nested filters on a field inside an object (counts.rank), newest first over the whole table.
export const nested = query({
  args: { min: v.number() },
  handler: async (ctx, { min }) => {
    const docs = await ctx.db
      .query("items")
      .order("desc")
      .filter((q) => q.and(q.gte(q.field("counts.rank"), min), q.eq(q.field("category"), "a")))
      .take(5);
    return docs.map((d) => d.rank);
  },
});

// countViaQuery runs a query from inside a mutation.
export const countViaQuery = mutation({
  args: { category: v.string() },
  handler: async (ctx, { category }): Promise<number> => await ctx.runQuery(internal.chain.count, { category }),
});

// badReturn breaks its own returns validator.
export const badReturn = query({
  args: {},
  returns: v.string(),
  handler: async () => 42 as unknown as string,
});

export const add = mutation({
  args: { category: v.string(), rank: v.number() },
  handler: async (ctx, { category, rank }) =>
    await ctx.db.insert("items", { category, rank, name: `${category}-${rank}`, status: "open" }),
});

// misc covers the built-in by_creation_time index, arithmetic and array equality in filters.
export const misc = query({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    const all = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category))
      .collect();
    const third = all[2];
    const newer = await ctx.db
      .query("items")
      .withIndex("by_creation_time", (q) => q.gt("_creationTime", third._creationTime))
      .filter((q) => q.eq(q.field("category"), category))
      .collect();
    const fives = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category))
      .filter((q) => q.eq(q.mod(q.field("rank"), 5), 0))
      .collect();
    const even = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category).lte("rank", 6))
      .filter((q) => q.eq(q.field("tags"), ["even"]))
      .collect();
    const exact = await ctx.db
      .query("items")
      .withIndex("by_category_rank", (q) => q.eq("category", category).eq("rank", 3))
      .unique();
    return {
      newer: newer.map((d) => d.rank),
      fives: fives.map((d) => d.rank),
      even: even.map((d) => d.rank),
      exact: exact?.name ?? null,
    };
  },
});

// iterate reads with for await, stopping early, then counts with a second stream.
export const iterate = query({
  args: { category: v.string() },
  handler: async (ctx, { category }) => {
    const seen: number[] = [];
    for await (const doc of ctx.db.query("items").withIndex("by_category_rank", (q) => q.eq("category", category))) {
      seen.push(doc.rank);
      if (seen.length === 3) break;
    }
    let total = 0;
    for await (const _ of ctx.db.query("items").withIndex("by_category_rank", (q) => q.eq("category", category))) total++;
    return { seen, total };
  },
});

// corrupt writes a document that breaks the schema; the write must fail.
export const corrupt = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const doc = await ctx.db.query("items").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (doc === null) return null;
    await ctx.db.patch(doc._id, { status: "bogus" as "open" });
    return "written";
  },
});
