// Runs "use node" modules for the built-in backend in a Node.js process.
// The backend writes one request line on stdin:
//   {"mode":"analyze","dir":D,"modules":["a.js",...]}
//   {"mode":"run","dir":D,"module":"a.js","name":"fn","args":"[...]","requestId":"..."}
// and this process answers with newline-delimited JSON on stdout:
//   {"type":"syscall","id":n,"op":"1.0/actions/query","args":"<json>"}  (answered on stdin)
//   {"type":"log","level":"LOG","messages":["'hi'"],"timestamp":ms}
//   {"type":"done","result":<analysis object or "<encoded json>">}
//   {"type":"error","message":"Uncaught Error: ...","data":"<encoded json>"|null}
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { inspect, format } from "node:util";
import path from "node:path";

const out = process.stdout.write.bind(process.stdout);
const send = (msg) => out(JSON.stringify(msg) + "\n");

// User output must not corrupt the protocol: stdout becomes log lines.
process.stdout.write = (chunk, ...rest) => {
  send({ type: "log", level: "LOG", messages: [String(chunk).replace(/\n$/, "")], timestamp: Date.now() });
  const cb = rest.find((x) => typeof x === "function");
  if (cb) cb();
  return true;
};
const fmt = (a) => (typeof a === "string" ? `'${a}'` : inspect(a, { depth: 4 }));
for (const [method, level] of [["log", "LOG"], ["info", "INFO"], ["debug", "DEBUG"], ["warn", "WARN"], ["error", "ERROR"], ["trace", "ERROR"]]) {
  console[method] = (...args) => send({ type: "log", level, messages: args.map(fmt), timestamp: Date.now() });
}

const pending = new Map();
let nextId = 0;
function hostCall(op, args) {
  const id = nextId++;
  send({ type: "syscall", id, op, args: JSON.stringify(args) });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

globalThis.Convex = {
  syscall(op) {
    throw new Error(`Synchronous syscall ${op} is not available in Node.js actions`);
  },
  asyncSyscall(op, jsonArgs) {
    return hostCall(op, JSON.parse(jsonArgs)).then((r) => JSON.stringify(r));
  },
  async jsSyscall(op, args) {
    if (op === "storage/storeBlob") {
      const bytes = Buffer.from(await args.blob.arrayBuffer());
      return hostCall("host/storeBlob", { data: bytes.toString("base64"), contentType: args.blob.type || "" });
    }
    if (op === "storage/getBlob") {
      const r = await hostCall("host/getBlob", { storageId: args.storageId });
      if (r === null) return null;
      return new Blob([Buffer.from(r.data, "base64")], { type: r.contentType || "" });
    }
    throw new Error(`Unknown host operation ${op}`);
  },
};

function errorText(e) {
  if (e instanceof Error) {
    const frames = (e.stack || "").split("\n").slice(1).filter((l) => !l.includes("node_executor.mjs") && !l.includes("node:internal"));
    return [`Uncaught ${e.name}: ${e.message}`, ...frames].join("\n");
  }
  return `Uncaught ${format(e)}`;
}

async function load(dir, module) {
  return import(pathToFileURL(path.join(dir, module)).href);
}

function kindOf(fn) {
  const kinds = [];
  if (fn.isQuery) kinds.push("Query");
  if (fn.isMutation) kinds.push("Mutation");
  if (fn.isAction) kinds.push("Action");
  return kinds.length === 1 ? kinds[0] : null;
}

async function analyze(req) {
  const result = {};
  for (const module of req.modules) {
    let mod;
    try {
      mod = await load(req.dir, module);
    } catch (e) {
      throw new Error(`Failed to analyze ${module}: ${errorText(e)}`);
    }
    const functions = [];
    for (const [name, fn] of Object.entries(mod)) {
      if (fn === null || (typeof fn !== "function" && typeof fn !== "object")) continue;
      const udfType = kindOf(fn);
      if (udfType === null || (fn.isPublic && fn.isInternal)) continue;
      if (udfType !== "Action") {
        throw new Error(`${module} is a "use node" module, which may only export actions, but ${name} is a ${udfType.toLowerCase()}.`);
      }
      functions.push({
        name, pos: null, udfType,
        visibility: fn.isPublic ? { kind: "public" } : fn.isInternal ? { kind: "internal" } : null,
        args: typeof fn.exportArgs === "function" ? String(fn.exportArgs()) : '{"type":"any"}',
        returns: typeof fn.exportReturns === "function" ? String(fn.exportReturns()) : "null",
      });
    }
    result[module] = { functions, httpRoutes: null, cronSpecs: null, sourceMapped: null };
  }
  return result;
}

async function run(req) {
  const mod = await load(req.dir, req.module);
  const fn = mod[req.name];
  if (!fn || typeof fn.invokeAction !== "function") throw new Error(`${req.module} has no action ${req.name}`);
  return await fn.invokeAction(req.requestId, req.args);
}

const lines = createInterface({ input: process.stdin });
let started = false;
lines.on("line", async (line) => {
  const msg = JSON.parse(line);
  if (started) {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(JSON.parse(msg.result));
    else p.reject(msg.data == null ? new Error(msg.message) : Object.assign(new Error(msg.message), { data: JSON.parse(msg.data) }));
    return;
  }
  started = true;
  let final;
  try {
    const result = msg.mode === "analyze" ? await analyze(msg) : await run(msg);
    final = { type: "done", result };
  } catch (e) {
    let data = null;
    if (e && typeof e === "object" && e.ConvexErrorSymbol && e[e.ConvexErrorSymbol] === true) {
      data = typeof e.data === "string" ? e.data : JSON.stringify(e.data ?? null);
    }
    final = { type: "error", message: errorText(e), data };
  }
  // Exit once the answer is flushed (pipes may be asynchronous).
  out(JSON.stringify(final) + "\n", () => process.exit(0));
});
