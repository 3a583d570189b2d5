import { v } from "convex/values";
import { action, mutation } from "./_generated/server";

// globals checks the web APIs a function can rely on.
export const globals = action({
  args: { siteUrl: v.string() },
  handler: async (_ctx, { siteUrl }) => {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waited = Date.now() - started;
    const res = await fetch(siteUrl + "/items/a-1");
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
    return {
      waited: waited >= 40,
      fetchStatus: res.status,
      fetchRank: res.headers.get("x-item-rank"),
      uuid: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()),
      b64: btoa("hi") + atob("aGk="),
      sha: Array.from(new Uint8Array(digest).slice(0, 4)).map((b) => b.toString(16).padStart(2, "0")).join(""),
      clone: structuredClone({ a: [1, { b: 2 }] }),
      url: new URL("/x?y=1", "https://example.com").searchParams.get("y"),
      cloudUrl: typeof process.env.CONVEX_CLOUD_URL,
      siteUrlEnv: process.env.CONVEX_SITE_URL === siteUrl,
    };
  },
});

// inMutation checks what a mutation may not do, and what it may.
export const inMutation = mutation({
  args: {},
  handler: async () => {
    let fetchError = "";
    try {
      await fetch("http://127.0.0.1:1/");
    } catch (e) {
      fetchError = String(e);
    }
    return { fetchError, iso: new Date(0).toISOString(), uuid: crypto.randomUUID().length };
  },
});
