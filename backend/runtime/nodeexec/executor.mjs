// Node.js executor for "use node" modules of a convex-go deployment. The Go
// host starts it with the directory holding the pushed modules and talks to
// it over stdin/stdout, one JSON message per line:
//   host -> executor: {type:"describe"|"analyze"|"invoke", id, ...}
//                     {type:"syscallResult", callId, ok} | {..., error:{message,data}}
//   executor -> host: {type:"syscall", execId, callId, op, args}
//                     {type:"log", execId, level, messages}
//                     {type:"result", id, ok} | {type:"result", id, error:{message,data}}
import { AsyncLocalStorage } from "node:async_hooks";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import path from "node:path";

const root = process.argv[2];
const execContext = new AsyncLocalStorage();
const pendingCalls = new Map();
let nextCallId = 1;
const realStdoutWrite = process.stdout.write.bind(process.stdout);

function send(msg) {
  realStdoutWrite(JSON.stringify(msg) + "\n");
}

function hostCall(op, args) {
  const ctx = execContext.getStore();
  const callId = nextCallId++;
  send({ type: "syscall", execId: ctx ? ctx.id : 0, callId, op, args });
  return new Promise((resolve, reject) => pendingCalls.set(callId, { resolve, reject }));
}

globalThis.Convex = {
  syscall(op) {
    throw new Error(`${op} is not available in Node.js actions`);
  },
  asyncSyscall(op, args) {
    if (String(op).startsWith("host/")) return Promise.reject({ message: "Unknown syscall " + op });
    return hostCall(op, args);
  },
  jsSyscall(op, args) {
    if (op === "storage/storeBlob") {
      return (async () => {
        const bytes = Buffer.from(await args.blob.arrayBuffer());
        const res = await hostCall("host/storeBlob", JSON.stringify({ data: bytes.toString("base64"), contentType: args.blob.type || null }));
        return JSON.parse(res);
      })();
    }
    if (op === "storage/getBlob") {
      return (async () => {
        const res = JSON.parse(await hostCall("host/getBlob", JSON.stringify({ storageId: args.storageId })));
        if (res === null) return null;
        return new Blob([Buffer.from(res.data, "base64")], { type: res.contentType || "" });
      })();
    }
    throw new Error("Unknown JS syscall " + op);
  },
};

function logFrom(level) {
  return (...args) => {
    const ctx = execContext.getStore();
    const messages = args.map((a) => inspect(a, { depth: 5, breakLength: Infinity }));
    send({ type: "log", execId: ctx ? ctx.id : 0, level, messages });
  };
}
console.log = logFrom("LOG");
console.info = logFrom("INFO");
console.warn = logFrom("WARN");
console.error = logFrom("ERROR");
console.debug = logFrom("DEBUG");
console.trace = logFrom("ERROR");
// Anything else printed to stdout would corrupt the protocol.
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

function describeThrown(e) {
  let message;
  if (e !== null && typeof e === "object" && typeof e.message === "string") {
    const frames = String(e.stack || "").split("\n").filter((l) => /^\s+at /.test(l))
      .filter((l) => !l.includes("node:internal") && !l.includes("node_modules/convex/") && !l.includes("executor.mjs"))
      .map((l) => "    " + l.trim());
    message = "Uncaught " + (e.name || "Error") + ": " + e.message + (frames.length ? "\n" + frames.join("\n") : "");
  } else {
    message = "Uncaught " + (typeof e === "string" ? e : inspect(e));
  }
  const out = { message };
  if (e !== null && typeof e === "object") {
    const sym = e.ConvexErrorSymbol;
    if (typeof sym === "symbol" && e[sym] === true && typeof e.data === "string") out.data = e.data;
  }
  return out;
}

async function load(module) {
  const file = path.join(root, module);
  if (!file.startsWith(root + path.sep)) throw new Error("invalid module path " + module);
  return import(pathToFileURL(file).href);
}

function udfTypeOf(fn) {
  const kinds = [fn.isQuery && "query", fn.isMutation && "mutation", fn.isAction && "action"].filter(Boolean);
  if (kinds.length === 1) return kinds[0];
  if (kinds.length === 0 && fn.isHttp) return "httpAction";
  return null;
}

const ops = {
  async describe(req) {
    const mod = await load(req.module);
    const fn = mod[req.name];
    const t = fn && (typeof fn === "function" || typeof fn === "object") ? udfTypeOf(fn) : null;
    if (!t) return JSON.stringify({ found: false });
    return JSON.stringify({
      found: true, udfType: t,
      visibility: fn.isPublic && !fn.isInternal ? "public" : fn.isInternal && !fn.isPublic ? "internal" : "",
      args: t === "httpAction" ? null : typeof fn.exportArgs === "function" ? fn.exportArgs() : '{"type":"any"}',
      returns: t === "httpAction" ? null : typeof fn.exportReturns === "function" ? fn.exportReturns() : "null",
    });
  },
  async analyze(req) {
    const mod = await load(req.module);
    const functions = [];
    for (const name of Object.keys(mod)) {
      const fn = mod[name];
      if (!fn || (typeof fn !== "function" && typeof fn !== "object")) continue;
      const t = udfTypeOf(fn);
      if (t === null || t === "httpAction" || (fn.isPublic && fn.isInternal)) continue;
      if (t !== "action") throw new Error(`${req.module} uses "use node", so it may only export actions, but ${name} is a ${t}`);
      functions.push({
        name, udfType: t, visibility: fn.isPublic ? "public" : fn.isInternal ? "internal" : "",
        args: typeof fn.exportArgs === "function" ? fn.exportArgs() : '{"type":"any"}',
        returns: typeof fn.exportReturns === "function" ? fn.exportReturns() : "null",
      });
    }
    return JSON.stringify({ functions, routes: null, crons: null });
  },
  async invoke(req) {
    const mod = await load(req.module);
    const fn = mod[req.name];
    if (!fn || typeof fn.invokeAction !== "function") throw new Error("Could not find action " + req.name);
    return fn.invokeAction(req.requestId || "", req.args);
  },
};

function handle(msg) {
  if (msg.type === "syscallResult") {
    const p = pendingCalls.get(msg.callId);
    if (!p) return;
    pendingCalls.delete(msg.callId);
    if (msg.error) p.reject(msg.error);
    else p.resolve(msg.ok);
    return;
  }
  const op = ops[msg.type];
  if (!op) {
    send({ type: "result", id: msg.id, error: { message: "unknown executor request " + msg.type } });
    return;
  }
  if (msg.env) {
    for (const [k, v] of Object.entries(msg.env)) process.env[k] = v;
  }
  execContext.run({ id: msg.id }, async () => {
    try {
      const ok = await op(msg);
      send({ type: "result", id: msg.id, ok: ok === undefined ? "null" : String(ok) });
    } catch (e) {
      send({ type: "result", id: msg.id, error: describeThrown(e) });
    }
  });
}

process.on("unhandledRejection", (e) => {
  const ctx = execContext.getStore();
  send({ type: "log", execId: ctx ? ctx.id : 0, level: "ERROR", messages: ["Unhandled rejection: " + inspect(e)] });
});

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (line.trim() === "") return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    process.stderr.write("executor: bad message: " + line.slice(0, 200) + "\n");
    return;
  }
  handle(msg);
});
rl.on("close", () => process.exit(0));
send({ type: "ready" });
