"use node";
import { createHash } from "node:crypto";
import { actionGeneric, makeFunctionReference } from "convex/server";
import { v } from "convex/values";

const add = makeFunctionReference<"mutation">("notes:add");

// Hashes text with Node's crypto and stores the digest through a mutation.
export const store = actionGeneric({
  args: { text: v.string() },
  returns: v.string(),
  handler: async (ctx, { text }) => {
    const digest = createHash("sha256").update(text).digest("hex");
    console.log("digest of", text);
    await ctx.runMutation(add, { text, digest });
    return digest;
  },
});
