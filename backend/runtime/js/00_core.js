// Runtime shim for Convex functions, evaluated once per VM before any user
// module. It receives the host's native bridge and returns the entry point
// the Go side calls. The pieces are concatenated in file-name order inside
// one function body, so they share this scope.
"use strict";
const hostSync = native.sync;
const hostAsync = native.async;
const loadModule = native.load;
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
