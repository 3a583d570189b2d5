// Drives the authapp with the npm clients and prints one JSON object:
// scenario name -> what came back (or {error} when the call threw).
// Tokens come from the Go test's stand-in identity provider: POST <idp>/sign
// with {kind: "oidc"|"custom"|"es"|"badsig", claims} answers a signed JWT
// (a null claim removes that default claim).
// The Go test (e2e/auth_e2e_test.go) asserts on the output.
// Usage: node scenario.mjs <cloudUrl> <siteUrl> <idpUrl>   (CONVEX_NODE_MODULES = node_modules)
import { createRequire } from "node:module";

const require = createRequire(process.env.CONVEX_NODE_MODULES + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");
const WebSocket = require("ws");

const [cloudUrl, siteUrl, idpUrl] = process.argv.slice(2);
const api = anyApi;
const out = {};
setTimeout(() => {
  console.log(JSON.stringify({ ...out, timedOut: true }));
  process.exit(1);
}, 50000).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function call(name, fn) {
  try {
    out[name] = (await fn()) ?? null;
  } catch (e) {
    out[name] = { error: String(e.message ?? e) };
  }
  return out[name];
}
async function sign(kind, claims = {}) {
  const r = await fetch(idpUrl + "/sign", { method: "POST", body: JSON.stringify({ kind, claims }) });
  if (!r.ok) throw new Error(`sign ${kind}: ${r.status} ${await r.text()}`);
  return await r.text();
}
const now = () => Math.floor(Date.now() / 1000);

// A logger that keeps what the client would print.
function recorder() {
  const lines = [];
  const keep = (level) => (...args) => lines.push(level + ": " + args.map(String).join(" "));
  return { lines, logger: { log: keep("log"), warn: keep("warn"), error: keep("error"), logVerbose: keep("verbose") } };
}
function wsClient(logger) {
  return new ConvexClient(cloudUrl, { webSocketConstructor: WebSocket, unsavedChangesWarning: false, logger });
}
// waitFor polls pred until it holds or ms pass; returns whether it held.
async function waitFor(pred, ms) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

// ---------------------------------------------------------------- HTTP client
const anon = new ConvexHttpClient(cloudUrl);
await call("httpAnon", () => anon.query(api.who.whoami, {}));
await call("httpAnonMutation", () => anon.mutation(api.who.addNote, { text: "anonymous" }));
await call("httpAnonAction", () => anon.action(api.who.viaAction, {}));

const oidcToken = await sign("oidc", {
  sub: "user-1", name: "Ada Lovelace", email: "ada@example.com", email_verified: true,
  given_name: "Ada", updated_at: 1709667008, org: "analytical", jti: "j-1", nbf: now() - 60,
  plan: { tier: "gold", seats: 3 },
});
const signedIn = new ConvexHttpClient(cloudUrl);
signedIn.setAuth(oidcToken);
await call("httpOidc", () => signedIn.query(api.who.whoami, {}));
await call("httpOidcMutation", () => signedIn.mutation(api.who.addNote, { text: "from http" }));
await call("httpOidcNotes", () => signedIn.query(api.who.myNotes, {}));
await call("httpOidcAction", () => signedIn.action(api.who.viaAction, {}));
await call("httpOidcNodeAction", () => signedIn.action(api.nodeWho.viaNode, {}));
await call("httpAnonNodeAction", () => anon.action(api.nodeWho.viaNode, {}));
await call("scheduledJob", async () => {
  await signedIn.mutation(api.who.scheduleJob, { label: "j1" });
  for (let i = 0; i < 50; i++) {
    const j = await anon.query(api.who.job, { label: "j1" });
    if (j !== "pending") return j;
    await sleep(100);
  }
  return "never ran";
});

async function withToken(name, token, fn = (c) => c.query(api.who.whoami, {})) {
  const c = new ConvexHttpClient(cloudUrl);
  c.setAuth(token);
  return call(name, () => fn(c));
}
await withToken("httpCustom", await sign("custom", { sub: "user-2", role: "admin" }));
await withToken("httpES", await sign("es", { sub: "user-3", aud: "anything-goes" }));
await withToken("httpWrongAudience", await sign("oidc", { sub: "user-1", aud: "other-app" }));
await withToken("httpWrongIssuer", await sign("oidc", { sub: "user-1", iss: "http://127.0.0.1:1/elsewhere" }));
await withToken("httpBadSignature", await sign("badsig", { sub: "user-1" }));
await withToken("httpExpired", await sign("oidc", { sub: "user-1", iat: now() - 7200, exp: now() - 3600 }));
await withToken("httpCustomWrongAudience", await sign("custom", { sub: "user-2", aud: "convex-app" }));
await withToken("httpNotAJwt", "not-a-jwt");
await withToken("httpBadMutation", await sign("oidc", { sub: "user-1", aud: "other-app" }), (c) =>
  c.mutation(api.who.addNote, { text: "never" }));

// ------------------------------------------------------------- HTTP actions
async function httpAction(name, token) {
  return call(name, async () => {
    const r = await fetch(siteUrl + "/whoami", { headers: token ? { Authorization: "Bearer " + token } : {} });
    return { status: r.status, body: await r.json() };
  });
}
await httpAction("httpActionAnon", null);
await httpAction("httpActionOidc", oidcToken);
// A refused token: getUserIdentity() throws in an HTTP action, so it fails.
await httpAction("httpActionBadToken", await sign("badsig", { sub: "user-1" }));

// -------------------------------------------------- raw WebSocket protocol
// What the server answers to Authenticate, frame by frame.
async function raw(name, token) {
  return call(name, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(cloudUrl.replace(/^http/, "ws") + "/api/1.48.0/sync");
    const got = [];
    const finish = () => { try { ws.close(); } catch {} resolve(got); };
    const timer = setTimeout(finish, 3000);
    ws.on("open", () => {
      ws.send(JSON.stringify({ type: "Connect", sessionId: crypto.randomUUID(), connectionCount: 0, lastCloseReason: "InitialConnect", clientTs: Date.now() }));
      ws.send(JSON.stringify(token === null
        ? { type: "Authenticate", tokenType: "None", baseVersion: 0 }
        : { type: "Authenticate", tokenType: "User", value: token, baseVersion: 0 }));
      ws.send(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [{ type: "Add", queryId: 0, udfPath: "who:whoami", args: [{}] }] }));
    });
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "Ping") return;
      if (m.type === "Transition") {
        got.push({ type: m.type, startIdentity: m.startVersion.identity, endIdentity: m.endVersion.identity,
          querySet: m.endVersion.querySet, values: m.modifications.map((x) => x.value?.subject ?? x.value ?? x.errorMessage ?? null) });
        if (m.endVersion.querySet >= 1) { clearTimeout(timer); finish(); }
      } else {
        got.push(m);
      }
    });
    ws.on("close", (code) => { got.push({ closed: code }); clearTimeout(timer); resolve(got); });
    ws.on("error", reject);
  }));
}
await raw("rawValid", await sign("oidc", { sub: "raw-user" }));
// A good token, then a bad one: the AuthError carries the identity version
// the server is at (1), the version the bad Authenticate was based on.
await call("rawThenBad", async () => {
  const good = await sign("oidc", { sub: "raw-user" });
  const bad = await sign("oidc", { sub: "raw-user", aud: "other-app" });
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(cloudUrl.replace(/^http/, "ws") + "/api/1.48.0/sync");
    const got = [];
    const timer = setTimeout(() => { ws.close(); resolve(got); }, 3000);
    ws.on("open", () => {
      ws.send(JSON.stringify({ type: "Connect", sessionId: crypto.randomUUID(), connectionCount: 0, lastCloseReason: "InitialConnect", clientTs: Date.now() }));
      ws.send(JSON.stringify({ type: "Authenticate", tokenType: "User", value: good, baseVersion: 0 }));
    });
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "Ping") return;
      if (m.type === "Transition") {
        got.push({ type: m.type, startIdentity: m.startVersion.identity, endIdentity: m.endVersion.identity });
        if (m.endVersion.identity === 1) ws.send(JSON.stringify({ type: "Authenticate", tokenType: "User", value: bad, baseVersion: 1 }));
      } else {
        got.push(m);
      }
    });
    ws.on("close", (code) => { got.push({ closed: code }); clearTimeout(timer); resolve(got); });
    ws.on("error", reject);
  });
});
await raw("rawNone", null);
await raw("rawExpired", await sign("oidc", { sub: "raw-user", iat: now() - 7200, exp: now() - 3600 }));
await raw("rawWrongAudience", await sign("oidc", { sub: "raw-user", aud: "other-app" }));

// ----------------------------------------------------------- ConvexClient
// No auth: the subscription sees null and the mutation is refused.
await call("wsAnon", async () => {
  const { logger } = recorder();
  const c = wsClient(logger);
  try {
    const id = await c.query(api.who.whoami, {});
    let mutation;
    try {
      await c.mutation(api.who.addNote, { text: "ws anonymous" });
      mutation = "succeeded";
    } catch (e) {
      mutation = { error: String(e.message ?? e) };
    }
    return { identity: id, mutation };
  } finally {
    await c.close();
  }
});

// A valid token that the client refreshes: fetchToken hands out a new
// short-lived token on every call, and the subscription stays alive.
await call("wsRefresh", async () => {
  const { lines, logger } = recorder();
  const c = wsClient(logger);
  const fetches = [];
  const changes = [];
  let n = 0;
  c.setAuth(async ({ forceRefreshToken }) => {
    n++;
    fetches.push(forceRefreshToken);
    // Lifetime 13 s with the client's default 10 s leeway: it refreshes after ~3 s.
    return await sign("oidc", { sub: "ws-user", name: "Token " + n, iat: now(), exp: now() + 13 });
  }, (ok) => changes.push(ok));
  const names = [];
  const errors = [];
  const unsub = c.onUpdate(api.who.whoami, {}, (id) => names.push(id === null ? null : id.name), (e) => errors.push(String(e)));
  const notes = [];
  const unsubNotes = c.onUpdate(api.who.myNotes, {}, (r) => notes.push(r));
  try {
    await waitFor(() => changes.includes(true), 10000);
    // Wait for the scheduled refresh (a third token) to be confirmed.
    await waitFor(() => n >= 3 && names.includes("Token " + n), 12000);
    const subject = await c.mutation(api.who.addNote, { text: "after refresh" });
    await waitFor(() => notes.some((r) => r.notes.includes("after refresh")), 5000);
    const action = await c.action(api.who.viaAction, {});
    const lastName = names.at(-1);
    const lastNotes = notes.at(-1);
    const problems = lines.filter((l) => !l.startsWith("log:") && !l.startsWith("verbose:"));
    // Signing out: Authenticate None; the subscription goes back to null.
    c.client.clearAuth();
    await waitFor(() => names.at(-1) === null, 5000);
    let signedOut;
    try {
      await c.mutation(api.who.addNote, { text: "signed out" });
      signedOut = "succeeded";
    } catch (e) {
      signedOut = { error: String(e.message ?? e) };
    }
    return {
      afterSignOut: { last: names.at(-1), mutation: signedOut },
      fetches: fetches.slice(0, 3), changes, errors, subject, action,
      sawTokens: names.filter((x) => x !== null).length >= 2,
      lastName, expectedLast: "Token " + n, lastNotes,
      problems,
      trace: process.env.AUTH_TRACE ? lines : undefined,
    };
  } finally {
    unsub();
    unsubNotes();
    await c.close();
  }
});

// A token the server rejects for good: the client retries with
// forceRefreshToken, then reports onChange(false) and goes on unauthenticated.
async function rejected(name, makeToken) {
  return call(name, async () => {
    const { lines, logger } = recorder();
    const c = wsClient(logger);
    const fetches = [];
    const changes = [];
    c.setAuth(async ({ forceRefreshToken }) => {
      fetches.push(forceRefreshToken);
      return await makeToken(fetches.length);
    }, (ok) => changes.push(ok));
    const ids = [];
    const unsub = c.onUpdate(api.who.whoami, {}, (id) => ids.push(id), () => {});
    try {
      await waitFor(() => changes.length > 0, 15000);
      await waitFor(() => ids.length > 0, 5000);
      let mutation;
      try {
        await c.mutation(api.who.addNote, { text: "rejected" });
        mutation = "succeeded";
      } catch (e) {
        mutation = { error: String(e.message ?? e) };
      }
      return { fetches, changes, identity: ids.length > 0 ? ids.at(-1) : "none", mutation, errors: lines.filter((l) => l.startsWith("error:")) };
    } finally {
      unsub();
      await c.close();
    }
  });
}
await rejected("wsWrongAudience", (i) => sign("oidc", { sub: "ws-user", aud: "other-app", jti: "a" + i }));
await rejected("wsWrongIssuer", (i) => sign("oidc", { sub: "ws-user", iss: "http://127.0.0.1:1/elsewhere", jti: "i" + i }));
await rejected("wsBadSignature", (i) => sign("badsig", { sub: "ws-user", jti: "s" + i }));
await rejected("wsExpired", (i) => sign("oidc", { sub: "ws-user", iat: now() - 7200, exp: now() - 3600, jti: "e" + i }));

// An expired cached token, then a good one when the client forces a refresh.
await call("wsExpiredThenFresh", async () => {
  const { lines, logger } = recorder();
  const c = wsClient(logger);
  const fetches = [];
  const changes = [];
  c.setAuth(async ({ forceRefreshToken }) => {
    fetches.push(forceRefreshToken);
    return forceRefreshToken
      ? await sign("custom", { sub: "fresh-user" })
      : await sign("custom", { sub: "stale-user", iat: now() - 7200, exp: now() - 3600 });
  }, (ok) => changes.push(ok));
  const ids = [];
  const unsub = c.onUpdate(api.who.whoami, {}, (id) => ids.push(id?.subject ?? null), () => {});
  try {
    await waitFor(() => ids.includes("fresh-user"), 10000);
    await waitFor(() => changes.length > 0, 2000);
    return { firstFetches: fetches.slice(0, 2), changes, subjects: ids, errors: lines.filter((l) => l.startsWith("error:")) };
  } finally {
    unsub();
    await c.close();
  }
});

// A token that expires while the socket is open (no iat, so the client
// cannot schedule a refresh): the next call gets an AuthError, the client
// fetches a new token with forceRefreshToken and the call goes through.
await call("wsExpiresInSession", async () => {
  const { lines, logger } = recorder();
  const c = wsClient(logger);
  // Past exp, but inside the backend's 30 s clock-skew leeway for a few seconds.
  const stale = await sign("oidc", { sub: "stale-user", iat: null, exp: now() - 25 });
  const fetches = [];
  const changes = [];
  c.setAuth(async ({ forceRefreshToken }) => {
    fetches.push(forceRefreshToken);
    return fetches.length <= 2 ? stale : await sign("oidc", { sub: "renewed-user" });
  }, (ok) => changes.push(ok));
  const ids = [];
  const unsub = c.onUpdate(api.who.whoami, {}, (id) => ids.push(id?.subject ?? null), () => {});
  try {
    await waitFor(() => ids.includes("stale-user"), 10000);
    await sleep(7000);
    const subject = await c.mutation(api.who.addNote, { text: "after expiry" });
    await waitFor(() => ids.includes("renewed-user"), 5000);
    return { fetches, changes, subject, subjects: ids, errors: lines.filter((l) => l.startsWith("error:")) };
  } finally {
    unsub();
    await c.close();
  }
});

// Key rotation at the identity provider: tokens signed with the new key
// (new kid) are accepted; a token signed with the old key no longer is.
await call("rotatedKey", async () => {
  const old = await sign("oidc", { sub: "user-1" });
  const { kid } = await (await fetch(idpUrl + "/rotate", { method: "POST" })).json();
  const c = new ConvexHttpClient(cloudUrl);
  c.setAuth(await sign("oidc", { sub: "rotated-user" }));
  const id = await c.query(api.who.whoami, {});
  // The backend has just refreshed its keys: the old kid is gone.
  const o = new ConvexHttpClient(cloudUrl);
  o.setAuth(old);
  let oldResult;
  try {
    oldResult = (await o.query(api.who.whoami, {})).tokenIdentifier;
  } catch (e) {
    oldResult = { error: String(e.message ?? e) };
  }
  return { kid, subject: id.subject, old: oldResult };
});

console.log(JSON.stringify(out));
process.exit(0);
