// Drives a sync endpoint with the real npm client (ConvexClient from
// convex/browser) and checks what an app relies on.
//
//   node sync-client.mjs <deployment url> [subscribers]
//
// The deployment must serve a chat-like API:
//   messages:list   query returning [{author, body}, ...]
//   messages:send   mutation {author, body} appending a message
//   slow:send       like messages:send, but takes a few hundred ms
//   fail:mutation   mutation throwing ConvexError data {why: "because"}
//   fail:query      query throwing ConvexError data {code: "NOPE"}
//   actions:echo    action returning its arguments
// Prints one JSON line per check; exits 1 on the first failure.
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";

const url = process.argv[2];
const subscribers = Number(process.argv[3] ?? "1");
if (!url) {
  console.error("usage: node sync-client.mjs <deployment url> [subscribers]");
  process.exit(2);
}

// Every socket the clients open, so a check can cut one like a network drop.
const sockets = [];
class TrackedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    sockets.push(this);
  }
}

const clients = [];
function newClient() {
  const client = new ConvexClient(url, {
    webSocketConstructor: TrackedWebSocket,
    unsavedChangesWarning: false,
    logger: false,
  });
  clients.push(client);
  return client;
}

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

function pass(check, detail = {}) {
  console.log(JSON.stringify({ check, ok: true, ...detail }));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// watch subscribes to a query and lets a check wait for a value.
function watch(client, name, args = {}) {
  const w = { latest: undefined, error: undefined, updates: 0, waiters: [] };
  w.unsubscribe = client.onUpdate(
    name,
    args,
    (value) => {
      w.latest = value;
      w.updates++;
      w.waiters = w.waiters.filter(({ pred, resolve }) => !(pred(value) && (resolve(value), true)));
    },
    (err) => {
      w.error = err;
      w.waiters = w.waiters.filter(({ onError }) => !(onError && (onError(err), true)));
    },
  );
  w.until = (pred, what, ms = 10000) => {
    if (w.latest !== undefined && pred(w.latest)) return Promise.resolve(w.latest);
    return withTimeout(new Promise((resolve) => w.waiters.push({ pred, resolve })), ms, what);
  };
  w.nextError = (what, ms = 10000) => {
    if (w.error) return Promise.resolve(w.error);
    return withTimeout(new Promise((resolve) => w.waiters.push({ pred: () => false, onError: resolve })), ms, what);
  };
  return w;
}

const bodies = (list) => list.map((m) => m.body);

async function main() {
  // 1. A subscriber gets the initial result.
  const reader = newClient();
  const list = watch(reader, "messages:list");
  await list.until((v) => Array.isArray(v), "initial messages:list");
  const initial = list.latest.length;
  pass("subscribe", { initial });

  // 2. Another client's mutation resolves, and the subscriber sees it.
  const writer = newClient();
  const result = await withTimeout(writer.mutation("messages:send", { author: "bob", body: "hello" }), 10000, "writer mutation");
  if (result !== initial + 1) fail(`mutation returned ${JSON.stringify(result)}, want ${initial + 1}`);
  await list.until((v) => bodies(v).includes("hello"), "update after another client's mutation");
  pass("update-from-other-client", { result });

  // 3. Read-your-writes: when the reader's own mutation resolves, its
  // subscription already shows the write.
  await withTimeout(reader.mutation("messages:send", { author: "ann", body: "mine" }), 10000, "reader mutation");
  if (!bodies(list.latest).includes("mine")) fail(`after await, messages:list is ${JSON.stringify(bodies(list.latest))}`);
  pass("read-your-writes");

  // 4. Failures: a mutation's ConvexError rejects with its data; a failing
  // query reaches onError; an action answers.
  try {
    await writer.mutation("fail:mutation", {});
    fail("fail:mutation resolved");
  } catch (e) {
    if (e?.data?.why !== "because") fail(`fail:mutation rejected with ${e} data ${JSON.stringify(e?.data)}`);
  }
  const bad = watch(reader, "fail:query");
  const err = await bad.nextError("fail:query error");
  if (err?.data?.code !== "NOPE") fail(`fail:query error ${err} data ${JSON.stringify(err?.data)}`);
  bad.unsubscribe();
  const echoed = await withTimeout(writer.action("actions:echo", { n: 42, s: "x" }), 10000, "action");
  if (echoed?.n !== 42 || echoed?.s !== "x") fail(`action returned ${JSON.stringify(echoed)}`);
  pass("errors-and-actions");

  // 5. Many subscribers all converge on the same final state.
  const many = [];
  for (let i = 0; i < subscribers; i++) {
    const c = i === 0 ? reader : newClient();
    many.push(i === 0 ? list : watch(c, "messages:list"));
  }
  await Promise.all(many.map((w, i) => w.until((v) => Array.isArray(v), `subscriber ${i} initial`)));
  const burst = 10;
  const sends = [];
  for (let i = 0; i < burst; i++) {
    sends.push(writer.mutation("messages:send", { author: "bob", body: `burst ${i}` }));
  }
  await withTimeout(Promise.all(sends), 15000, "burst mutations");
  await Promise.all(
    many.map((w, i) => w.until((v) => bodies(v).includes(`burst ${burst - 1}`), `subscriber ${i} sees the burst`, 15000)),
  );
  const finalLen = many[0].latest.length;
  for (const [i, w] of many.entries()) {
    const b = bodies(w.latest);
    if (w.latest.length !== finalLen) fail(`subscriber ${i} has ${w.latest.length} messages, want ${finalLen}`);
    // One connection's mutations apply in the order sent.
    const order = b.filter((x) => x.startsWith("burst ")).map((x) => Number(x.slice(6)));
    if (order.join(",") !== [...Array(burst).keys()].join(",")) fail(`subscriber ${i} burst order ${order}`);
  }
  pass("subscribers-converge", { subscribers, messages: finalLen });

  // 6. The network drops while a mutation runs: the client reconnects,
  // re-sends it, and it applies exactly once.
  const before = list.latest.length;
  const slow = reader.mutation("slow:send", { author: "ann", body: "through a reconnect" });
  await new Promise((r) => setTimeout(r, 50));
  for (const ws of sockets) {
    if (ws.readyState === WebSocket.OPEN && ws === readerSocket(reader)) ws.terminate();
  }
  await withTimeout(slow, 15000, "mutation across a reconnect");
  await list.until((v) => bodies(v).includes("through a reconnect"), "message after reconnect");
  const count = bodies(list.latest).filter((b) => b === "through a reconnect").length;
  if (count !== 1) fail(`the mutation applied ${count} times`);
  if (list.latest.length !== before + 1) fail(`list grew from ${before} to ${list.latest.length}`);
  if (reader.connectionState().connectionCount < 2) fail("the reader did not reconnect");
  pass("reconnect-mid-mutation", { connectionCount: reader.connectionState().connectionCount });

  await checkAuth();
}

// jwt makes an unsigned token with the claims the client inspects.
function jwt(sub) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: "none", typ: "JWT" })}.${enc({ sub, iat: now, exp: now + 3600 })}.sig`;
}

async function checkAuth() {
  // A token the deployment accepts: the client reports it, and queries
  // run as that user.
  const client = newClient();
  const who = watch(client, "auth:whoami");
  await who.until((v) => v === null, "anonymous whoami");
  const accepted = new Promise((resolve) => client.setAuth(async () => jwt("ann"), resolve));
  if ((await withTimeout(accepted, 10000, "auth confirmation")) !== true) fail("token was not accepted");
  await who.until((v) => v === "user:ann", "whoami after setAuth");
  pass("auth-accepted");

  // A token the deployment rejects: AuthError, the client asks for a fresh
  // token, gets none, reports false and carries on unauthenticated.
  const other = newClient();
  const who2 = watch(other, "auth:whoami");
  await who2.until((v) => v === null, "anonymous whoami (2)");
  let fetches = 0;
  const rejected = new Promise((resolve) =>
    other.setAuth(async ({ forceRefreshToken }) => {
      fetches++;
      return forceRefreshToken ? null : jwt("forged");
    }, resolve),
  );
  if ((await withTimeout(rejected, 15000, "auth rejection")) !== false) fail("forged token was accepted");
  const sent = await withTimeout(other.mutation("messages:send", { author: "anon", body: "after auth error" }), 15000, "mutation after auth error");
  if (typeof sent !== "number") fail(`mutation after auth error returned ${sent}`);
  await who2.until((v) => v === null, "whoami after rejection");
  pass("auth-rejected", { fetches });
}

// readerSocket finds the socket a client currently uses.
function readerSocket(client) {
  const manager = client.client.webSocketManager;
  return manager?.socket?.ws;
}

try {
  await withTimeout(main(), 60000, "the whole run");
  console.log(JSON.stringify({ done: true }));
} catch (e) {
  fail(e?.stack ?? String(e));
} finally {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}
process.exit(0);
