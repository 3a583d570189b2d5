// Drives the kitchen app with the npm clients and prints one JSON object:
// scenario name -> what came back (or {error, data} when the call threw).
// The Go test (e2e/kitchen_test.go) asserts on it.
// Usage: node scenario.mjs <cloudUrl> <siteUrl>   (CONVEX_NODE_MODULES = node_modules)
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(process.env.CONVEX_NODE_MODULES + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { anyApi } = require("convex/server");
const { ConvexError } = require("convex/values");
const WebSocket = require("ws");

const [cloudUrl, siteUrl] = process.argv.slice(2);
const http = new ConvexHttpClient(cloudUrl);
const api = anyApi;
const out = {};
setTimeout(() => {
  console.log(JSON.stringify({ ...out, timedOut: true }));
  process.exit(1);
}, 45000).unref();

// Encode values JSON cannot carry (bigint, ArrayBuffer) so Go can compare them.
function plain(x) {
  if (typeof x === "bigint") return { $bigint: x.toString() };
  if (x instanceof ArrayBuffer) return { $bytes: Buffer.from(x).toString("hex") };
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x === undefined ? null : x;
}
async function call(name, fn) {
  try {
    out[name] = plain(await fn());
  } catch (e) {
    out[name] = { error: String(e.message ?? e), data: e instanceof ConvexError ? plain(e.data) : null };
  }
  return out[name];
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- reactive: subscribe before any item exists in category "live".
const live = new ConvexClient(cloudUrl, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
const liveUpdates = [];
let wake = () => {};
live.onUpdate(
  api.items.page,
  { category: "live", above: 0, upTo: 100, paginationOpts: { numItems: 10, cursor: null } },
  (r) => {
    liveUpdates.push(r.page);
    wake();
  },
  (err) => {
    liveUpdates.push({ error: String(err) });
    wake();
  },
);
async function waitLive(pred, ms) {
  const deadline = Date.now() + ms;
  while (!liveUpdates.some(pred) && Date.now() < deadline) {
    await Promise.race([new Promise((r) => (wake = r)), sleep(200)]);
  }
}

// --- seed
await call("seed", async () => [
  await http.mutation(api.items.seed, { category: "a", count: 25 }),
  await http.mutation(api.items.seed, { category: "b", count: 3 }),
  await http.mutation(api.items.seed, { category: "c", count: 1 }),
]);

// --- pagination: (5, 22] descending, 4 per page, following continueCursor.
await call("pages", async () => {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const r = await http.query(api.items.page, {
      category: "a", above: 5, upTo: 22, paginationOpts: { numItems: 4, cursor },
    });
    pages.push({ page: r.page, isDone: r.isDone, cursorType: typeof r.continueCursor });
    if (r.isDone) break;
    cursor = r.continueCursor;
  }
  return pages;
});
// An explicit endCursor fixes the page's end: numItems is then ignored.
await call("endCursor", async () => {
  const args = { category: "a", above: 5, upTo: 22 };
  const p1 = await http.query(api.items.page, { ...args, paginationOpts: { numItems: 4, cursor: null } });
  const p2 = await http.query(api.items.page, { ...args, paginationOpts: { numItems: 4, cursor: p1.continueCursor } });
  const both = await http.query(api.items.page, { ...args, paginationOpts: { numItems: 1, cursor: null, endCursor: p2.continueCursor } });
  return { page: both.page, continueIsP2: both.continueCursor === p2.continueCursor };
});
// A cursor stays valid when the document it points at is deleted.
await call("pageAfterDelete", async () => {
  await http.mutation(api.items.seed, { category: "del", count: 6 });
  const args = { category: "del", above: 0, upTo: 100 };
  const p1 = await http.query(api.items.page, { ...args, paginationOpts: { numItems: 3, cursor: null } });
  const last = await http.query(api.items.byName, { name: "del-" + p1.page[2] });
  await http.mutation(api.items.remove, { id: last._id });
  const p2 = await http.query(api.items.page, { ...args, paginationOpts: { numItems: 3, cursor: p1.continueCursor } });
  return [p1.page, p2.page, p2.isDone];
});
await call("iterate", () => http.query(api.items.iterate, { category: "a" }));
await call("misc", () => http.query(api.items.misc, { category: "del" }));
await call("pageBadOpts", () =>
  http.query(api.items.page, { category: "a", above: 0, upTo: 5, paginationOpts: { numItems: "4", cursor: null } }));

// --- index ranges, unique, first, take, filter.
await call("ranks", () => http.query(api.items.ranks, { category: "a", above: 5, upTo: 8 }));
await call("ranksEmpty", () => http.query(api.items.ranks, { category: "a", above: 8, upTo: 5 }));
await call("byName", async () => {
  const d = await http.query(api.items.byName, { name: "a-7" });
  return { name: d.name, rank: d.rank, tags: d.tags, counts: d.counts, idType: typeof d._id, ct: typeof d._creationTime };
});
await call("byNameMissing", () => http.query(api.items.byName, { name: "zzz" }));
await call("uniqueMany", () => http.query(api.items.onlyInCategory, { category: "b" }));
await call("uniqueOne", () => http.query(api.items.onlyInCategory, { category: "c" }));
await call("firstAndTake", () => http.query(api.items.firstAndTake, { category: "a", n: 3 }));
await call("filtered", () => http.query(api.items.filtered, { category: "a" }));

await call("openPages", async () => {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const r = await http.query(api.items.openPage, { category: "a", paginationOpts: { numItems: 5, cursor } });
    pages.push(r.page);
    if (r.isDone) break;
    cursor = r.continueCursor;
  }
  return pages;
});
await call("nested", () => http.query(api.items.nested, { min: 23 }));
await call("countViaQuery", () => http.mutation(api.items.countViaQuery, { category: "b" }));
await call("badReturn", () => http.query(api.items.badReturn, {}));

// --- writes: patch, replace, normalizeId, delete.
await call("edit", () => http.mutation(api.items.edit, { name: "a-4", to: "dropped" }));
await call("editMissing", () => http.mutation(api.items.edit, { name: "nope", to: "done" }));
await call("editBadLiteral", () => http.mutation(api.items.edit, { name: "a-4", to: "bogus" }));
await call("schemaViolation", () => http.mutation(api.items.corrupt, { name: "a-5" }));
await call("afterViolation", async () => (await http.query(api.items.byName, { name: "a-5" })).status);
const a7 = await http.query(api.items.byName, { name: "a-7" });
await call("remove", () => http.mutation(api.items.remove, { id: a7._id }));
await call("removeAgain", () => http.mutation(api.items.remove, { id: a7._id }));
const noteId = await http.mutation(api.notes.add, { author: "ann", body: "the quick brown fox" });
await call("removeWrongTable", () => http.mutation(api.items.remove, { id: noteId }));

// --- determinism.
await call("clock", () => http.mutation(api.items.clock, {}));
await call("random", async () => [await http.query(api.items.random, {}), await http.query(api.items.random, {})]);

// --- errors and argument validation.
await call("convexError", () => http.mutation(api.items.fail, { code: "TEAPOT" }));
await call("convexErrorString", () => http.mutation(api.items.fail, { code: "" }));
await call("convexErrorViaAction", () => http.action(api.chain.failVia, { code: "NESTED" }));
await call("convexErrorCaught", () => http.action(api.chain.catchVia, { code: "CAUGHT" }));
await call("argWrongType", () => http.mutation(api.items.seed, { category: "x", count: "3" }));
await call("argMissing", () => http.mutation(api.items.seed, { category: "x" }));
await call("argExtra", () => http.mutation(api.items.seed, { category: "x", count: 0, extra: true }));

// --- every value kind through validators and storage.
const a1 = await http.query(api.items.byName, { name: "a-1" });
await call("kindsPut", () =>
  http.mutation(api.kinds.put, {
    bytes: new Uint8Array([0, 1, 254, 255]).buffer,
    big: 2n ** 40n + 3n,
    anything: { nested: [1, { a: null }], s: "x" },
    nothing: null,
    parts: [{ key: "k", n: 1.5 }, { key: "j", n: -2 }],
    item: a1._id,
  }));
await call("kindsBadBig", () =>
  http.mutation(api.kinds.put, { bytes: new ArrayBuffer(1), big: 5, anything: 1, nothing: null, parts: [] }));
await call("kindsBadId", () =>
  http.mutation(api.kinds.put, { bytes: new ArrayBuffer(1), big: 5n, anything: 1, nothing: null, parts: [], item: noteId }));
await call("kindsBadObject", () =>
  http.mutation(api.kinds.put, { bytes: new ArrayBuffer(1), big: 5n, anything: 1, nothing: null, parts: [{ key: "k" }] }));
await call("describe", () =>
  http.query(api.kinds.describe, { bytes: new Uint8Array([7, 8]).buffer, big: 41n, labels: { y: "b", x: "a" } }));
await call("describeBadRecord", () =>
  http.query(api.kinds.describe, { bytes: new ArrayBuffer(0), big: 1n, labels: { x: "c" } }));

// --- full-text search with a filter field.
await http.mutation(api.notes.add, { author: "bob", body: "a quick lunch" });
await http.mutation(api.notes.add, { author: "ann", body: "slow and steady" });
await call("search", () => http.query(api.notes.search, { text: "quick" }));
await call("searchByAuthor", () => http.query(api.notes.search, { text: "quick", author: "bob" }));
await call("searchPrefix", async () => (await http.query(api.notes.search, { text: "qui" })).sort());
// Several terms: a note with any of them matches, the best match first.
await call("searchRanked", async () => {
  for (const body of ["zebra stripes", "stripes and more stripes on a zebra", "a plain horse", "one zebra"]) {
    await http.mutation(api.notes.add, { author: "zoo", body });
  }
  return await http.query(api.notes.search, { text: "zebra stripes" });
});
await call("searchPages", async () => {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 5; i++) {
    const r = await http.query(api.notes.searchPage, { text: "zebra", paginationOpts: { numItems: 2, cursor } });
    pages.push(r.page.length);
    if (r.isDone) break;
    cursor = r.continueCursor;
  }
  return pages;
});
await call("searchNone", () => http.query(api.notes.search, { text: "elephant" }));

// --- vector search.
for (const [label, kind, embedding] of [
  ["x", "axis", [1, 0, 0]], ["y", "axis", [0, 1, 0]], ["xy", "mix", [0.7, 0.7, 0]], ["z", "axis", [0, 0, 1]],
]) {
  await http.mutation(api.vectors.add, { label, kind, embedding });
}
await call("vector", () => http.action(api.vectors.nearest, { vector: [1, 0.1, 0], limit: 2 }));
await call("vectorFiltered", () => http.action(api.vectors.nearest, { vector: [0.6, 0.8, 0], limit: 3, kind: "axis" }));

await call("vectorOr", () => http.action(api.vectors.nearestOf, { vector: [0, 0, 1], kinds: ["mix", "axis"] }));
await call("vectorBadDims", () => http.action(api.vectors.nearest, { vector: [1, 0], limit: 2 }));
await call("vectorBadLimit", () => http.action(api.vectors.nearest, { vector: [1, 0, 0], limit: 1000 }));

// --- file storage: upload URL, POST, metadata, URL, delete.
await call("upload", async () => {
  const url = await http.mutation(api.files.uploadUrl, {});
  const body = "kitchen file body";
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "text/markdown" }, body });
  const json = await res.json();
  await http.mutation(api.files.save, { name: "f.md", storageId: json.storageId });
  const info = await http.query(api.files.info, { storageId: json.storageId });
  const got = info.url === null ? null : await (await fetch(info.url)).text();
  const removed = await http.mutation(api.files.remove, { storageId: json.storageId });
  const after = await http.query(api.files.info, { storageId: json.storageId });
  return {
    status: res.status,
    uploadHost: new URL(url).host === new URL(cloudUrl).host,
    size: info.size,
    contentType: info.contentType,
    sha256: info.sha256,
    wantSha256: createHash("sha256").update(body).digest("base64"),
    listed: info.stored.includes(json.storageId),
    body: got,
    removed,
    afterListed: after.stored.includes(json.storageId),
    afterUrl: after.url,
  };
});
await call("storeBlob", () => http.action(api.files.roundTrip, { text: "blob from an action" }));

// --- scheduler.
await call("schedule", async () => {
  const ids = await http.mutation(api.jobs.plan, { prefix: "p-" });
  let runs = [];
  for (let i = 0; i < 50 && !runs.includes("p-now"); i++) {
    await sleep(100);
    runs = await http.query(api.jobs.runs, {});
  }
  await sleep(200);
  const jobs = await http.query(api.jobs.scheduled, {});
  const byId = Object.fromEntries(jobs.map((j) => [j.id, j]));
  const cancelLater = await http.mutation(api.jobs.cancel, { id: ids.later });
  runs = await http.query(api.jobs.runs, {});
  return { runs, now: byId[ids.now], later: byId[ids.later], cancelled: byId[ids.cancelled], cancelLater, count: jobs.length };
});

await call("scheduleFromAction", async () => {
  const id = await http.action(api.jobs.fromAction, { label: "from-action" });
  let runs = [];
  for (let i = 0; i < 50 && !runs.includes("from-action"); i++) {
    await sleep(100);
    runs = await http.query(api.jobs.runs, {});
  }
  const jobs = await http.query(api.jobs.scheduled, {});
  return { ran: runs.includes("from-action"), state: jobs.find((j) => j.id === id)?.state ?? null };
});

await call("scheduleMore", async () => {
  const ids = await http.mutation(api.jobs.planMore, {});
  let a = null, f = null;
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    a = await http.query(api.jobs.job, { id: ids.action });
    f = await http.query(api.jobs.job, { id: ids.failing });
    if (a?.state.kind === "success" && f?.state.kind === "failed") break;
  }
  const runs = await http.query(api.jobs.runs, {});
  return { action: a, failing: f, ran: runs.includes("via-action") };
});

// --- actions calling queries, mutations and actions.
await call("chain", () => http.action(api.chain.run, { category: "c" }));
await call("nestedRollback", () => http.mutation(api.chain.nestedRollback, { category: "tx1", failAtEnd: false }));
await call("outerRollback", async () => {
  let err = null;
  try {
    await http.mutation(api.chain.nestedRollback, { category: "tx2", failAtEnd: true });
  } catch (e) {
    err = String(e.message);
  }
  return { failed: err !== null && err.includes("outer failure"), left: await http.query(api.items.ranks, { category: "tx2", above: -1, upTo: 10 }) };
});
await call("internalFromClient", () => http.query(api.chain.count, { category: "c" }));

// --- HTTP actions on the site URL.
await call("httpRoutes", async () => {
  const get = await fetch(siteUrl + "/items/a-1");
  const missing = await fetch(siteUrl + "/items/nothing-here");
  const post = await fetch(siteUrl + "/notes/from/http", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ author: "web", body: "posted quick" }),
  });
  const bad = await fetch(siteUrl + "/notes/x", { method: "POST", body: "{not json" });
  const pre = await fetch(siteUrl + "/items/a-1", {
    method: "OPTIONS", headers: { Origin: "http://example.test", "Access-Control-Request-Method": "GET" },
  });
  const head = await fetch(siteUrl + "/items/a-1", { method: "HEAD" });
  const headBody = await head.text();
  const noRoute = await fetch(siteUrl + "/elsewhere");
  const up = await fetch(siteUrl + "/upload", { method: "POST", headers: { "Content-Type": "image/png" }, body: new Uint8Array([137, 80, 78, 71]) });
  const upJson = await up.json();
  const file = await fetch(siteUrl + "/file?id=" + upJson.storageId);
  const fileBytes = Buffer.from(await file.arrayBuffer()).toString("hex");
  return {
    get: { status: get.status, body: await get.json(), rank: get.headers.get("x-item-rank"), ct: get.headers.get("content-type"), acao: get.headers.get("access-control-allow-origin") },
    missing: { status: missing.status, body: await missing.text() },
    post: { status: post.status, body: await post.json() },
    bad: { status: bad.status, body: await bad.json() },
    preflight: { status: pre.status, methods: pre.headers.get("access-control-allow-methods"), maxAge: pre.headers.get("access-control-max-age") },
    noRoute: noRoute.status,
    head: { status: head.status, rank: head.headers.get("x-item-rank"), body: headBody },
    upload: { status: up.status, size: upJson.size, type: upJson.type },
    file: { status: file.status, ct: file.headers.get("content-type"), size: file.headers.get("x-size"), bytes: fileBytes },
  };
});
await call("searchAfterHttp", () => http.query(api.notes.search, { text: "posted", author: "web" }));

await call("globals", () => http.action(api.env.globals, { siteUrl }));
await call("inMutation", () => http.mutation(api.env.inMutation, {}));

// --- reactive: the subscription sees items inserted into its index range.
await call("live", async () => {
  await waitLive((p) => Array.isArray(p) && p.length === 0, 10000);
  await http.mutation(api.items.seed, { category: "live", count: 2 });
  await waitLive((p) => Array.isArray(p) && p.length === 2, 10000);
  await live.mutation(api.items.seed, { category: "live", count: 1 });
  await waitLive((p) => Array.isArray(p) && p.length === 3, 10000);
  return liveUpdates;
});
// A subscribed page that is not the last keeps its end: an item inserted
// before that end grows the page instead of pushing an item out.
await call("liveGrow", async () => {
  await http.mutation(api.items.seed, { category: "grow", count: 5 });
  const seen = [];
  let nudge = () => {};
  const unsub = live.onUpdate(
    api.items.page,
    { category: "grow", above: 0, upTo: 100, paginationOpts: { numItems: 2, cursor: null } },
    (r) => { seen.push({ page: r.page, isDone: r.isDone }); nudge(); },
  );
  const wait = async (pred) => {
    for (let i = 0; i < 50 && !seen.some(pred); i++) await Promise.race([new Promise((r) => (nudge = r)), sleep(200)]);
  };
  await wait((u) => u.page.length === 2);
  await http.mutation(api.items.add, { category: "grow", rank: 9 });
  await wait((u) => u.page.includes(9));
  await http.mutation(api.items.add, { category: "grow", rank: 1.5 });
  await sleep(300);
  unsub();
  return seen;
});
// Every value kind over the WebSocket too.
await call("kindsOverSocket", () =>
  live.mutation(api.kinds.put, {
    bytes: new Uint8Array([9, 8]).buffer,
    big: -(2n ** 62n),
    anything: [null, true, 1.25, "s", { k: [] }],
    nothing: null,
    parts: [],
  }));
await call("socketConvexError", () => live.mutation(api.items.fail, { code: "SOCKET" }));
await call("socketArgError", () => live.query(api.items.ranks, { category: 1, above: 0, upTo: 1 }));
await live.close();

console.log(JSON.stringify(out));
process.exit(0);
