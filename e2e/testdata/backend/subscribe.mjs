// Checks live query updates over the WebSocket sync protocol with the npm
// ConvexClient against a deployment running the chat app. It posts as alice
// and bob only, users the chat scenario creates anyway.
// Usage: node subscribe.mjs <cloudUrl>   (CONVEX_NODE_MODULES = node_modules)
import { createRequire } from "node:module";

const require = createRequire(process.env.CONVEX_NODE_MODULES + "/");
const { ConvexClient, ConvexHttpClient } = require("convex/browser");
const { makeFunctionReference } = require("convex/server");
const WebSocket = require("ws");

const url = process.argv[2];
const client = new ConvexClient(url, { webSocketConstructor: WebSocket, unsavedChangesWarning: false });
const http = new ConvexHttpClient(url);
const ref = (p) => makeFunctionReference(p);

function fail(msg) {
  console.log("FAIL " + msg);
  process.exit(1);
}
setTimeout(() => fail("timed out"), 30000).unref();

const channelId = await client.mutation(ref("channels:create"), { name: "live" });
const updates = [];
let wake = () => {};
client.onUpdate(ref("messages:list"), { channelId }, (msgs) => {
  updates.push(msgs.map((m) => m.body));
  wake();
});
async function waitFor(pred, what) {
  while (!updates.some(pred)) {
    await new Promise((res) => (wake = res));
  }
  console.log("ok   " + what);
}
await waitFor((u) => u.length === 0, "initial empty result");
await client.mutation(ref("messages:send"), { channelId, author: "alice", body: "over the socket" });
await waitFor((u) => u[0] === "over the socket", "update after a mutation over the socket");
await http.mutation(ref("messages:send"), { channelId, author: "bob", body: "over http" });
await waitFor((u) => u[0] === "over http" && u.length === 2, "update after a mutation over HTTP");
try {
  await client.mutation(ref("messages:send"), { channelId, author: "alice", body: "   " });
  fail("blank body accepted");
} catch (e) {
  if (e.data?.code !== "BAD_BODY") fail("ConvexError data lost: " + e);
  console.log("ok   ConvexError data over the socket");
}
const summary = await client.action(ref("actions:summarize"), { channelId });
if (!summary.summary.startsWith("#live: 2 messages")) fail("action: " + JSON.stringify(summary));
console.log("ok   action over the socket");
await client.mutation(ref("channels:remove"), { channelId });
await client.close();
console.log("PASS");
process.exit(0);
