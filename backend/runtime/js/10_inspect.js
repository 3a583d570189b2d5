// Console: arguments are rendered the way object-inspect does (strings in
// single quotes, objects as { a: 1 }, arrays as [ 1, 2 ]).
const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function quoteString(s) {
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")) + "'";
}

function functionName(f) {
  const n = f.name;
  return n ? "[Function: " + n + "]" : "[Function (anonymous)]";
}

function inspect(value, depth, seen) {
  if (depth === undefined) depth = 0;
  if (seen === undefined) seen = [];
  switch (typeof value) {
    case "string": return quoteString(value);
    case "number": return Object.is(value, -0) ? "-0" : String(value);
    case "bigint": return String(value) + "n";
    case "boolean": return String(value);
    case "undefined": return "undefined";
    case "symbol": return value.toString();
    case "function": {
      const keys = Object.keys(value);
      if (keys.length === 0 || depth >= 5) return functionName(value);
      return "{ " + functionName(value) + " " + keys.map((k) => formatKey(k) + ": " + inspect(value[k], depth + 1, seen)).join(", ") + " }";
    }
  }
  if (value === null) return "null";
  if (seen.includes(value)) return "[Circular]";
  if (depth >= 5) return Array.isArray(value) ? "[Array]" : "[Object]";
  seen = seen.concat([value]);
  const inner = (v) => inspect(v, depth + 1, seen);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const parts = [];
    for (let i = 0; i < value.length; i++) parts.push(i in value ? inner(value[i]) : "");
    for (const k of Object.keys(value)) if (!/^\d+$/.test(k)) parts.push(formatKey(k) + ": " + inner(value[k]));
    return "[ " + parts.join(", ") + " ]";
  }
  if (value instanceof Error) {
    const head = "[" + (value.stack && depth === 0 ? String(value.stack) : (value.name || "Error") + ": " + value.message) + "]";
    const keys = Object.keys(value);
    if (keys.length === 0) return head;
    return "{ " + head + " " + keys.map((k) => formatKey(k) + ": " + inner(value[k])).join(", ") + " }";
  }
  if (value instanceof Date) return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Map) {
    const parts = [];
    value.forEach((v, k) => parts.push(inner(k) + " => " + inner(v)));
    return "Map (" + value.size + ") {" + parts.join(", ") + "}";
  }
  if (value instanceof Set) {
    const parts = [];
    value.forEach((v) => parts.push(inner(v)));
    return "Set (" + value.size + ") {" + parts.join(", ") + "}";
  }
  if (value instanceof Promise) return "Promise { <unknown> }";
  if (value instanceof ArrayBuffer) return "ArrayBuffer { byteLength: " + value.byteLength + " }";
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = Array.prototype.slice.call(value, 0, 100).map((x) => inspect(x, depth + 1, seen));
    if (value.length > 100) arr.push("... " + (value.length - 100) + " more items");
    return value.constructor.name + "(" + value.length + ") [ " + arr.join(", ") + " ]";
  }
  if (typeof value.toString === "function" && value.toString !== Object.prototype.toString &&
      (value instanceof URL || value instanceof URLSearchParams)) {
    return value.constructor.name + " { " + quoteString(value.toString()) + " }";
  }
  const keys = Object.keys(value);
  const syms = Object.getOwnPropertySymbols(value).filter((s) => Object.prototype.propertyIsEnumerable.call(value, s));
  const proto = Object.getPrototypeOf(value);
  let tag = "";
  if (proto !== null && proto !== Object.prototype && proto.constructor && proto.constructor.name && proto.constructor.name !== "Object") {
    tag = proto.constructor.name + " ";
  } else if (proto === null) {
    tag = "[Object: null prototype] ";
  }
  if (keys.length === 0 && syms.length === 0) return tag + "{}";
  const parts = keys.map((k) => formatKey(k) + ": " + inner(value[k]));
  for (const s of syms) parts.push("[" + s.toString() + "]: " + inner(value[s]));
  return tag + "{ " + parts.join(", ") + " }";
}

function formatKey(k) {
  return IDENT_RE.test(k) ? k : quoteString(k);
}

const LOG_LINE_LIMIT = 32768;

function emitLog(level, args) {
  const messages = [];
  let total = 0;
  let truncated = false;
  for (const a of args) {
    let m;
    try {
      m = inspect(a);
    } catch (e) {
      m = "[unprintable value]";
    }
    if (total + m.length > LOG_LINE_LIMIT) {
      m = m.slice(0, Math.max(0, LOG_LINE_LIMIT - total));
      truncated = true;
      if (m.length > 0) messages.push(m);
      break;
    }
    total += m.length + 1;
    messages.push(m);
  }
  hostSync("host/log", JSON.stringify({ level, messages, isTruncated: truncated }));
}

function stackHere() {
  const s = String(new Error().stack || "").split("\n").slice(2).join("\n");
  return s;
}

const consoleTimers = new Map();
const counts = new Map();
const consoleObject = {
  log: (...args) => emitLog("LOG", args),
  info: (...args) => emitLog("INFO", args),
  warn: (...args) => emitLog("WARN", args),
  error: (...args) => emitLog("ERROR", args),
  debug: (...args) => emitLog("DEBUG", args),
  trace: (...args) => emitLog("ERROR", args.concat(["\n" + stackHere()])),
  assert: (cond, ...args) => { if (!cond) emitLog("ERROR", ["Assertion failed" + (args.length ? ":" : "")].concat(args)); },
  dir: (v) => emitLog("LOG", [v]),
  table: (v) => emitLog("LOG", [v]),
  count: (label = "default") => { const n = (counts.get(label) || 0) + 1; counts.set(label, n); emitLog("INFO", [label + ": " + n]); },
  countReset: (label = "default") => { counts.delete(label); },
  time: (label = "default") => {
    if (consoleTimers.has(label)) { emitLog("WARN", ["Timer '" + label + "' already exists"]); return; }
    consoleTimers.set(label, Date.now());
  },
  timeLog: (label = "default", ...args) => {
    if (!consoleTimers.has(label)) { emitLog("WARN", ["Timer '" + label + "' does not exist"]); return; }
    emitLog("INFO", [label + ": " + (Date.now() - consoleTimers.get(label)) + "ms"].concat(args));
  },
  timeEnd: (label = "default") => {
    if (!consoleTimers.has(label)) { emitLog("WARN", ["Timer '" + label + "' does not exist"]); return; }
    emitLog("INFO", [label + ": " + (Date.now() - consoleTimers.get(label)) + "ms"]);
    consoleTimers.delete(label);
  },
  group: () => {}, groupCollapsed: () => {}, groupEnd: () => {},
};
defineGlobal("console", consoleObject);
