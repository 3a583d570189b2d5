(function (exports, require, module) {
// convex:/_system/repl/wrappers.js: the query builders one-off queries
// (run_test_function, `convex run --inline-query`) import. It is a small,
// read-only implementation of the ctx a query receives, speaking the same
// syscalls as convex/server.
"use strict";

const VERSION = "1.48.0";

function int64ToBase64(n) {
  const bytes = new Uint8Array(8);
  let x = BigInt.asUintN(64, n);
  for (let i = 0; i < 8; i++) {
    bytes[i] = Number(x & 255n);
    x >>= 8n;
  }
  return bytesToB64(bytes);
}
function base64ToInt64(s) {
  const b = b64ToBytes(s);
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return BigInt.asIntN(64, x);
}
function floatToBase64(f) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, f, true);
  return bytesToB64(new Uint8Array(view.buffer));
}
function base64ToFloat(s) {
  const b = b64ToBytes(s);
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
}
function bytesToB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}
function b64ToBytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function convexToJson(v) {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return { $integer: int64ToBase64(v) };
  if (typeof v === "number") {
    if (!Number.isFinite(v) || Object.is(v, -0)) return { $float: floatToBase64(v) };
    return v;
  }
  if (v instanceof ArrayBuffer) return { $bytes: bytesToB64(new Uint8Array(v)) };
  if (Array.isArray(v)) return v.map(convexToJson);
  if (typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      if (v[k] === undefined) continue;
      out[k] = convexToJson(v[k]);
    }
    return out;
  }
  throw new Error("Value " + String(v) + " is not a supported Convex type");
}
function convexOrUndefinedToJson(v) {
  return v === undefined ? { $undefined: null } : convexToJson(v);
}
function jsonToConvex(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(jsonToConvex);
  const keys = Object.keys(v);
  if (keys.length === 1) {
    if (keys[0] === "$integer") return base64ToInt64(v.$integer);
    if (keys[0] === "$float") return base64ToFloat(v.$float);
    if (keys[0] === "$bytes") return b64ToBytes(v.$bytes).buffer;
  }
  const out = {};
  for (const k of keys) out[k] = jsonToConvex(v[k]);
  return out;
}

function syscall(op, args) {
  return JSON.parse(Convex.syscall(op, JSON.stringify(args)));
}
async function asyncSyscall(op, args) {
  return JSON.parse(await Convex.asyncSyscall(op, JSON.stringify(args)));
}

class Expr {
  constructor(json) { this.json = json; }
}
function ser(x) {
  return x instanceof Expr ? x.json : { $literal: convexOrUndefinedToJson(x) };
}
const bin = (op) => (l, r) => new Expr({ [op]: [ser(l), ser(r)] });
const filterBuilder = {
  field: (p) => new Expr({ $field: p }),
  eq: bin("$eq"), neq: bin("$neq"), lt: bin("$lt"), lte: bin("$lte"), gt: bin("$gt"), gte: bin("$gte"),
  add: bin("$add"), sub: bin("$sub"), mul: bin("$mul"), div: bin("$div"), mod: bin("$mod"),
  neg: (x) => new Expr({ $neg: ser(x) }),
  and: (...xs) => new Expr({ $and: xs.map(ser) }),
  or: (...xs) => new Expr({ $or: xs.map(ser) }),
  not: (x) => new Expr({ $not: ser(x) }),
};

class IndexRange {
  constructor() { this.range = []; }
  push(type, fieldPath, value) {
    this.range.push({ type, fieldPath, value: convexOrUndefinedToJson(value) });
    return this;
  }
  eq(f, v) { return this.push("Eq", f, v); }
  gt(f, v) { return this.push("Gt", f, v); }
  gte(f, v) { return this.push("Gte", f, v); }
  lt(f, v) { return this.push("Lt", f, v); }
  lte(f, v) { return this.push("Lte", f, v); }
}
class SearchFilter {
  constructor() { this.filters = []; }
  search(fieldPath, text) { this.filters.push({ type: "Search", fieldPath, value: text }); return this; }
  eq(fieldPath, v) { this.filters.push({ type: "Eq", fieldPath, value: convexOrUndefinedToJson(v) }); return this; }
}

class Query {
  #query; #used = false;
  constructor(query) { this.#query = query; }
  #next(change) {
    const q = JSON.parse(JSON.stringify(this.#query));
    change(q);
    return new Query(q);
  }
  fullTableScan() { return this; }
  withIndex(name, f) {
    const r = new IndexRange();
    if (f) f(r);
    return this.#next((q) => { q.source = { type: "IndexRange", indexName: q.table + "." + name, range: r.range, order: null }; });
  }
  withSearchIndex(name, f) {
    const s = new SearchFilter();
    f(s);
    return this.#next((q) => { q.source = { type: "Search", indexName: q.table + "." + name, filters: s.filters }; });
  }
  order(order) {
    if (order !== "asc" && order !== "desc") throw new Error("order must be \"asc\" or \"desc\"");
    return this.#next((q) => { q.source.order = order; });
  }
  filter(pred) {
    const e = pred(filterBuilder);
    return this.#next((q) => { q.operators.push({ filter: ser(e) }); });
  }
  limit(n) { return this.#next((q) => { q.operators.push({ limit: n }); }); }
  [Symbol.asyncIterator]() {
    if (this.#used) throw new Error("A query can only be iterated once");
    this.#used = true;
    const query = { source: this.#query.source, operators: this.#query.operators };
    const { queryId } = syscall("1.0/queryStream", { query, version: VERSION });
    let done = false;
    return {
      next: async () => {
        if (done) return { done: true, value: undefined };
        const r = await asyncSyscall("1.0/queryStreamNext", { queryId });
        if (r.done) {
          done = true;
          syscall("1.0/queryCleanup", { queryId });
          return { done: true, value: undefined };
        }
        return { done: false, value: jsonToConvex(r.value) };
      },
      return: async () => {
        if (!done) { done = true; syscall("1.0/queryCleanup", { queryId }); }
        return { done: true, value: undefined };
      },
    };
  }
  async collect() {
    const out = [];
    const it = this[Symbol.asyncIterator]();
    for (;;) {
      const r = await it.next();
      if (r.done) return out;
      out.push(r.value);
    }
  }
  async take(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error("take() requires a non-negative integer");
    return this.limit(n).collect();
  }
  async first() {
    const r = await this.take(1);
    return r.length ? r[0] : null;
  }
  async unique() {
    const r = await this.take(2);
    if (r.length > 1) throw new Error("unique() query returned more than one result: [" + r.map((d) => d._id).join(", ") + "]");
    return r.length ? r[0] : null;
  }
  async paginate(opts) {
    const query = { source: this.#query.source, operators: this.#query.operators };
    const r = await asyncSyscall("1.0/queryPage", {
      query, cursor: opts.cursor ?? null, endCursor: opts.endCursor ?? null, pageSize: opts.numItems,
      maximumRowsRead: opts.maximumRowsRead, maximumBytesRead: opts.maximumBytesRead, version: VERSION,
    });
    return { page: r.page.map(jsonToConvex), isDone: r.isDone, continueCursor: r.continueCursor, splitCursor: r.splitCursor, pageStatus: r.pageStatus };
  }
  async count() {
    return jsonToConvex(await asyncSyscall("1.0/count", { table: this.#query.table }));
  }
}

function reader(isSystem) {
  return {
    async get(a, b) {
      const [table, id] = b === undefined ? [undefined, a] : [a, b];
      const args = { id, isSystem, version: VERSION };
      if (table !== undefined) args.table = table;
      return jsonToConvex(await asyncSyscall("1.0/get", args));
    },
    query(tableName) {
      return new Query({ table: tableName, source: { type: "FullTableScan", tableName, order: null }, operators: [] });
    },
    normalizeId(table, id) {
      return syscall("1.0/db/normalizeId", { table, idString: id }).id;
    },
  };
}

function makeQuery(visibility) {
  return (def) => {
    const handler = typeof def === "function" ? def : def.handler;
    const fn = (ctx, args) => handler(ctx, args);
    fn.isQuery = true;
    if (visibility === "public") fn.isPublic = true;
    else fn.isInternal = true;
    fn.exportArgs = () => '{"type":"any"}';
    fn.exportReturns = () => "null";
    fn._handler = handler;
    fn.invokeQuery = async (argsStr) => {
      const args = jsonToConvex(JSON.parse(argsStr));
      const db = reader(false);
      db.system = reader(true);
      const ctx = {
        db,
        auth: { getUserIdentity: async () => asyncSyscall("1.0/getUserIdentity", {}) },
        storage: {
          getUrl: async (storageId) => asyncSyscall("1.0/storageGetUrl", { storageId, version: VERSION }),
        },
      };
      let result;
      try {
        result = await handler(ctx, ...args);
      } catch (e) {
        if (e !== null && typeof e === "object" && e[Symbol.for("ConvexError")] === true) {
          e.data = JSON.stringify(convexToJson(e.data === undefined ? null : e.data));
          e.ConvexErrorSymbol = Symbol.for("ConvexError");
        }
        throw e;
      }
      if (result instanceof Query) throw new Error("Return value is a Query. Results must be retrieved with `.collect()`, `.take(n)`, `.unique()`, or `.first()`.");
      return JSON.stringify(convexToJson(result === undefined ? null : result));
    };
    return fn;
  };
}

exports.query = makeQuery("public");
exports.internalQuery = makeQuery("internal");
})
