// process.env reads the deployment's environment variables of the current
// request. Writes stay local to the request.
const envProxy = new Proxy({}, {
  get(_, name) {
    if (typeof name !== "string") return undefined;
    if (Object.prototype.hasOwnProperty.call(state.envOverrides, name)) return state.envOverrides[name];
    return Object.prototype.hasOwnProperty.call(state.env, name) ? state.env[name] : undefined;
  },
  set(_, name, value) { state.envOverrides[name] = String(value); return true; },
  deleteProperty(_, name) { state.envOverrides[name] = undefined; return true; },
  has(_, name) { return envProxy[name] !== undefined; },
  ownKeys() {
    const keys = new Set(Object.keys(state.env).concat(Object.keys(state.envOverrides)));
    return Array.from(keys).filter((k) => envProxy[k] !== undefined);
  },
  getOwnPropertyDescriptor(_, name) {
    const v = envProxy[name];
    return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
  },
});
// Only env: libraries probing process.versions.node must not think they
// run in Node.
defineGlobal("process", { env: envProxy });

// A synchronous AsyncLocalStorage: the store is visible during run() and in
// code it calls directly, which covers libraries that only use it as a scope.
class AsyncLocalStorage {
  #store = undefined;
  getStore() { return this.#store; }
  run(store, fn, ...args) {
    const prev = this.#store;
    this.#store = store;
    try {
      return fn(...args);
    } finally {
      this.#store = prev;
    }
  }
  enterWith(store) { this.#store = store; }
  exit(fn, ...args) { return this.run(undefined, fn, ...args); }
  disable() { this.#store = undefined; }
}
class AsyncResource {
  constructor(type) { this.type = type; }
  runInAsyncScope(fn, thisArg, ...args) { return fn.apply(thisArg, args); }
  bind(fn) { return fn.bind(this); }
  static bind(fn) { return fn; }
  emitDestroy() { return this; }
}
defineGlobal("AsyncLocalStorage", AsyncLocalStorage);
defineGlobal("AsyncResource", AsyncResource);
