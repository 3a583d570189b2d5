// The Convex global, the module system and the entry point.
function checkOp(op) {
  op = String(op);
  if (op.startsWith("host/")) throw new Error("Unknown syscall " + op);
  return op;
}

function responseToConvexJson(response, bytes) {
  if (!(response instanceof Response)) throw new Error("HTTP actions must return a Response object");
  if (bytes === undefined) bytes = response._body().syncBytes();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: headerPairs(response.headers),
    body: bytes === null ? null : bytesToBase64(bytes),
  };
}

const jsSyscalls = {
  requestFromConvexJson({ convexJson }) {
    const j = convexJson;
    const method = String(j.method || "GET").toUpperCase();
    const body = j.body === null || j.body === undefined || method === "GET" || method === "HEAD" ? null : base64ToBytes(j.body);
    return new Request(j.url, { method, headers: j.headers || [], body });
  },
  convexJsonFromResponse({ response }) {
    return responseToConvexJson(response);
  },
  async "storage/storeBlob"({ blob }) {
    if (!(blob instanceof Blob)) throw new TypeError("storage.store expects a Blob");
    const res = await hostAsync("host/storeBlob", JSON.stringify({ data: bytesToBase64(blob._bytes()), contentType: blob.type || null }));
    return JSON.parse(res);
  },
  async "storage/getBlob"({ storageId }) {
    const res = JSON.parse(await hostAsync("host/getBlob", JSON.stringify({ storageId })));
    if (res === null) return null;
    return new Blob([base64ToBytes(res.data)], { type: res.contentType || "" });
  },
};

const Convex = Object.freeze({
  syscall: (op, jsonArgs) => hostSync(checkOp(op), String(jsonArgs)),
  asyncSyscall: (op, jsonArgs) => {
    try {
      return hostAsync(checkOp(op), String(jsonArgs));
    } catch (e) {
      return Promise.reject(e);
    }
  },
  jsSyscall: (op, args) => {
    const f = jsSyscalls[op];
    if (typeof f !== "function") throw new Error("Unknown JS syscall " + op);
    return f(args || {});
  },
});
Object.defineProperty(G, "Convex", { value: Convex, writable: false, configurable: false, enumerable: false });

// Modules: CommonJS wrappers produced by the host, identified as
// convex:/<path>. Relative imports resolve against the importing module.
const moduleCache = new Map();
// Globals as they stand after setup and module loading: anything a request
// adds is removed afterwards, anything it replaces is put back. Plain
// property reads keep this cheap on every request.
let baselineNames = [];
let baselineValues = [];
let baselineSet = new Set();
function snapshotGlobals() {
  baselineNames = Object.getOwnPropertyNames(G);
  baselineValues = baselineNames.map((n) => G[n]);
  baselineSet = new Set(baselineNames);
  snapshotGlobalsNative();
}
const jsonParse = JSON.parse;
const jsonStringify = JSON.stringify;

function resolveModule(from, spec) {
  spec = String(spec);
  if (spec.startsWith("convex:/")) return spec.slice("convex:/".length);
  if (!spec.startsWith("./") && !spec.startsWith("../")) {
    throw new Error("Cannot find module '" + spec + "' imported from convex:/" + from +
      " (only relative imports of pushed modules are available; bundle npm packages)");
  }
  const parts = from.split("/");
  parts.pop();
  for (const seg of spec.split("/")) {
    if (seg === "." || seg === "") continue;
    if (seg === "..") {
      if (parts.length === 0) throw new Error("Cannot find module '" + spec + "' imported from convex:/" + from);
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

function requireModule(path) {
  const cached = moduleCache.get(path);
  if (cached) return cached.exports;
  const wrapper = loadModule(path);
  if (wrapper === undefined) throw new Error("Couldn't find module convex:/" + path);
  const mod = { exports: {}, id: "convex:/" + path };
  moduleCache.set(path, mod);
  try {
    wrapper.call(mod.exports, mod.exports, (spec) => requireModule(resolveModule(path, spec)), mod);
  } catch (e) {
    moduleCache.delete(path);
    throw e;
  }
  // Globals a module installs while loading are part of its state and
  // survive between requests; anything added later is request state.
  snapshotGlobals();
  return mod.exports;
}

function resetGlobals() {
  // The host compares against the snapshot quickly; only a request that
  // changed something pays for the repair below.
  if (!globalsChanged()) return;
  const names = Object.getOwnPropertyNames(G);
  if (names.length !== baselineNames.length) {
    for (let i = 0; i < names.length; i++) {
      if (!baselineSet.has(names[i])) {
        try { delete G[names[i]]; } catch (e) { /* non-configurable: leave it */ }
      }
    }
  }
  for (let i = 0; i < baselineNames.length; i++) {
    const n = baselineNames[i];
    const v = G[n], w = baselineValues[i];
    if (v !== w && (v === v || w === w)) { // NaN-safe inequality
      const d = Object.getOwnPropertyDescriptor(G, n);
      if (!d || d.configurable) {
        Object.defineProperty(G, n, { value: baselineValues[i], writable: true, enumerable: d ? d.enumerable : false, configurable: true });
      }
    }
  }
}

// Errors: "Uncaught <Name>: <message>" plus stack frames without the host's
// own frames. ConvexError data was serialized to JSON text by convex/server.
function describeThrown(e) {
  let name, message, stack = "";
  if (e !== null && typeof e === "object" && (e instanceof Error || typeof e.message === "string")) {
    name = e.name === undefined ? "Error" : String(e.name);
    message = String(e.message);
    stack = typeof e.stack === "string" ? e.stack : "";
  } else {
    name = null;
    message = typeof e === "string" ? e : inspect(e);
  }
  const frames = [];
  for (const line of stack.split("\n")) {
    const m = /^\s*at (.*)$/.exec(line);
    if (!m) continue;
    let frame = m[1].replace(/\(\d+\)(\)?)$/, "$1");
    // The host's own frames and the convex library's internals are noise
    // next to the user's frames.
    if (frame.includes("convex:/_system/") || frame === "native" || frame.endsWith("(native)") ||
        frame.includes("node_modules/convex/")) continue;
    frames.push("    at " + frame);
    if (frames.length >= 30) break;
  }
  const out = { message: "Uncaught " + (name === null ? "" : name + ": ") + message + (frames.length ? "\n" + frames.join("\n") : "") };
  if (e !== null && typeof e === "object") {
    const sym = e.ConvexErrorSymbol;
    if ((typeof sym === "symbol" && e[sym] === true) || e[Symbol.for("ConvexError")] === true) {
      const d = e.data;
      if (typeof d === "string" && typeof sym === "symbol") out.data = d;
      else {
        try { out.data = JSON.stringify(d === undefined ? null : d); } catch (err) { /* not serializable */ }
      }
    }
  }
  return out;
}

function exportedFunction(mod, name) {
  const fn = mod[name];
  if (fn === null || (typeof fn !== "function" && typeof fn !== "object")) return null;
  return fn;
}

function udfTypeOf(fn) {
  const kinds = [];
  if (fn.isQuery) kinds.push("query");
  if (fn.isMutation) kinds.push("mutation");
  if (fn.isAction) kinds.push("action");
  if (kinds.length === 1) return kinds[0];
  if (kinds.length === 0 && fn.isHttp) return "httpAction";
  return null;
}

function validatorJson(fn, method, dflt) {
  return typeof fn[method] === "function" ? String(fn[method]()) : dflt;
}

const ops = {
  describe(req) {
    const fn = exportedFunction(requireModule(req.module), req.name);
    const udfType = fn && udfTypeOf(fn);
    if (!udfType) return JSON.stringify({ found: false });
    return JSON.stringify({
      found: true,
      udfType,
      visibility: fn.isPublic && !fn.isInternal ? "public" : fn.isInternal && !fn.isPublic ? "internal" : "",
      args: udfType === "httpAction" ? null : validatorJson(fn, "exportArgs", '{"type":"any"}'),
      returns: udfType === "httpAction" ? null : validatorJson(fn, "exportReturns", "null"),
    });
  },
  invoke(req) {
    const fn = exportedFunction(requireModule(req.module), req.name);
    if (!fn) throw new Error("Could not find function " + req.name);
    switch (req.udfType) {
      case "query": return fn.invokeQuery(req.args);
      case "mutation": return fn.invokeMutation(req.args);
      case "action": return fn.invokeAction(req.requestId || "", req.args);
    }
    throw new Error("cannot invoke a " + req.udfType);
  },
  analyze(req) {
    const mod = requireModule(req.module);
    const functions = [];
    for (const name of Object.keys(mod)) {
      const fn = exportedFunction(mod, name);
      if (!fn) continue;
      const t = udfTypeOf(fn);
      if (t === null || t === "httpAction") continue;
      if (fn.isPublic && fn.isInternal) continue;
      functions.push({
        name,
        udfType: t,
        visibility: fn.isPublic ? "public" : fn.isInternal ? "internal" : "",
        args: validatorJson(fn, "exportArgs", '{"type":"any"}'),
        returns: validatorJson(fn, "exportReturns", "null"),
      });
    }
    const out = { functions, routes: null, crons: null };
    if (req.module === "http.js") {
      const router = mod.default;
      if (!router || router.isRouter !== true) throw new Error("The default export of convex/http.js is not a Router. Export one created with httpRouter().");
      out.routes = router.getRoutes().map((r) => ({ path: r[0], method: r[1] }));
    }
    if (req.module === "crons.js") {
      const crons = mod.default;
      if (crons && crons.isCrons === true) out.crons = JSON.parse(crons.export());
      else if (crons !== undefined) throw new Error("The default export of convex/crons.js is not a Crons object. Export one created with cronJobs().");
    }
    return JSON.stringify(out);
  },
  defaultExportJson(req) {
    const d = requireModule(req.module).default;
    if (d === undefined) throw new Error("convex:/" + req.module + " has no default export");
    if (req.method) {
      if (typeof d[req.method] !== "function") throw new Error("The default export of convex:/" + req.module + " has no " + req.method + "() method");
      return String(d[req.method]());
    }
    return JSON.stringify(d);
  },
  preload(req) {
    for (const m of req.modules) {
      try { requireModule(m); } catch (e) { /* reported by analysis and calls */ }
    }
    return "null";
  },
  http(req) {
    const router = requireModule("http.js").default;
    if (!router || router.isRouter !== true) throw new Error("The default export of convex/http.js is not a Router.");
    const match = router.lookup(req.path, req.method);
    if (!match) return JSON.stringify({ notFound: true });
    // What router.runRequest does, except that a streamed response body is
    // read to the end before it goes back to the host.
    const request = jsSyscalls.requestFromConvexJson({ convexJson: JSON.parse(req.request) });
    return (async () => {
      const response = await match[0].invokeHttpAction(request);
      if (!(response instanceof Response)) throw new Error("HTTP actions must return a Response object");
      return JSON.stringify(responseToConvexJson(response, await response._body().allBytes()));
    })();
  },
};

function run(arg) {
  const req = jsonParse(arg);
  state = { udfType: req.udfType || "query", env: req.env || {}, envOverrides: {} };
  liveTimers = new Map();
  counts.clear();
  consoleTimers.clear();
  const fail = (e) => { resetGlobals(); return "err:" + jsonStringify(describeThrown(e)); };
  const succeed = (v) => { resetGlobals(); return "ok:" + (v === undefined ? "null" : String(v)); };
  const op = ops[req.op];
  if (!op) return fail(new Error("unknown host entry " + req.op));
  let result;
  try {
    result = op(req);
  } catch (e) {
    return fail(e);
  }
  if (result !== null && typeof result === "object" && typeof result.then === "function") {
    return Promise.resolve(result).then(succeed, fail);
  }
  return succeed(result);
}

snapshotGlobals();
return run;
