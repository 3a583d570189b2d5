// Runtime shim for Convex functions, evaluated once per VM before any user
// module. It receives the host's native bridge and returns the entry point
// the Go side calls. The pieces are concatenated in file-name order inside
// one function body, so they share this scope.
"use strict";
const hostSync = native.sync;
const hostAsync = native.async;
const loadModule = native.load;
const snapshotGlobalsNative = native.snapshotGlobals;
const globalsChanged = native.globalsChanged;
const G = globalThis;

// goja has no Symbol.asyncIterator. esbuild's async-iteration lowering falls
// back to Symbol.for("Symbol.asyncIterator"), so installing that same symbol
// makes convex/server's [Symbol.asyncIterator]() methods and the lowered
// for-await loops agree.
if (typeof Symbol.asyncIterator !== "symbol") {
  Object.defineProperty(Symbol, "asyncIterator", { value: Symbol.for("Symbol.asyncIterator") });
}

function defineGlobal(name, value) {
  Object.defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });
}

defineGlobal("self", G);
defineGlobal("global", G);

if (typeof G.WeakRef === "undefined") {
  // Strong-reference stand-in: functions are short-lived.
  class WeakRef {
    #target;
    constructor(target) {
      if (target === null || (typeof target !== "object" && typeof target !== "function")) {
        throw new TypeError("WeakRef: target must be an object");
      }
      this.#target = target;
    }
    deref() { return this.#target; }
  }
  defineGlobal("WeakRef", WeakRef);
}
if (typeof G.FinalizationRegistry === "undefined") {
  class FinalizationRegistry {
    constructor(cb) { if (typeof cb !== "function") throw new TypeError("FinalizationRegistry: callback must be a function"); }
    register() {}
    unregister() { return false; }
  }
  defineGlobal("FinalizationRegistry", FinalizationRegistry);
}

// Per-request state, replaced by the entry point on every call.
let state = { udfType: "query", env: {}, envOverrides: {} };

function isActionLike() {
  return state.udfType === "action" || state.udfType === "httpAction";
}

// Built-ins newer than goja, used by current libraries.
function defineMissing(obj, name, value) {
  if (!(name in obj)) Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
}
defineMissing(Object, "groupBy", function groupBy(items, keyFn) {
  const out = Object.create(null);
  let i = 0;
  for (const item of items) {
    const k = keyFn(item, i++);
    (out[k] || (out[k] = [])).push(item);
  }
  return out;
});
defineMissing(Map, "groupBy", function groupBy(items, keyFn) {
  const out = new Map();
  let i = 0;
  for (const item of items) {
    const k = keyFn(item, i++);
    if (!out.has(k)) out.set(k, []);
    out.get(k).push(item);
  }
  return out;
});
defineMissing(Promise, "withResolvers", function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
});
defineMissing(Array, "fromAsync", async function fromAsync(items, mapFn, thisArg) {
  const out = [];
  if (items != null && typeof items[Symbol.asyncIterator] === "function") {
    const it = items[Symbol.asyncIterator]();
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      out.push(mapFn ? await mapFn.call(thisArg, r.value, out.length) : r.value);
    }
    return out;
  }
  for (const x of Array.from(items)) {
    const v = await x;
    out.push(mapFn ? await mapFn.call(thisArg, v, out.length) : v);
  }
  return out;
});
defineMissing(String.prototype, "isWellFormed", function isWellFormed() {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(String(this));
});
defineMissing(String.prototype, "toWellFormed", function toWellFormed() {
  return String(this).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/g, (m) =>
    m.length === 2 ? m[0] + "\ufffd" : "\ufffd");
});
