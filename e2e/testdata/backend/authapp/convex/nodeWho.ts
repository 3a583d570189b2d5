"use node";
import { api } from "./_generated/api";
import { action } from "./_generated/server";

// The same as who.viaAction, run by Node: the identity travels with the
// action's calls back into the deployment.
export const viaNode = action({
  args: {},
  handler: async (ctx): Promise<{ own: string | null; nested: string | null; runtime: string }> => {
    const own = await ctx.auth.getUserIdentity();
    const nested = await ctx.runQuery(api.who.whoami, {});
    return { own: own?.tokenIdentifier ?? null, nested: nested?.tokenIdentifier ?? null, runtime: typeof process.versions.node };
  },
});
