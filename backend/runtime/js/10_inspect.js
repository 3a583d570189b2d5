// Console: every argument is rendered the way object-inspect does with a
// two-space indent, as the reference runtime logs them: strings in single
// quotes (also at top level), non-empty objects one property per line,
// arrays on one line unless an element spans lines.
const KEY_NEEDS_QUOTES = /[^\w$]/;
const MAX_STRING = 32768;

function quoteString(s) {
  let suffix = "";
  if (s.length > MAX_STRING) {
    suffix = "... " + (s.length - MAX_STRING) + " more character" + (s.length - MAX_STRING > 1 ? "s" : "");
    s = s.slice(0, MAX_STRING);
  }
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")
    .replace(/[\x00-\x1f]/g, (c) => {
      const n = c.charCodeAt(0);
      const short = { 8: "b", 9: "t", 10: "n", 12: "f", 13: "r" }[n];
      return short ? "\\" + short : "\\x" + n.toString(16).toUpperCase().padStart(2, "0");
    }) + "'" + suffix;
}

function functionName(f) {
  const n = f.name;
  return n ? "[Function: " + n + "]" : "[Function (anonymous)]";
}

function indentedJoin(parts, depth) {
  if (parts.length === 0) return "";
  const prev = "  ".repeat(depth);
  const joiner = "\n" + prev + "  ";
  return joiner + parts.join("," + joiner) + "\n" + prev;
}

function formatKey(k) {
  return KEY_NEEDS_QUOTES.test(k) ? quoteString(k) : k;
}

function ownEntries(value, inner) {
  const parts = [];
  for (const k of Object.keys(value)) parts.push(formatKey(k) + ": " + inner(value[k]));
  for (const s of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, s)) parts.push("[" + s.toString() + "]: " + inner(value[s]));
  }
  return parts;
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
  }
  if (value === null) return "null";
  if (seen.includes(value)) return "[Circular]";
  const inner = (v) => inspect(v, depth + 1, seen.concat([value]));
  if (typeof value === "function") {
    const parts = depth >= 5 ? [] : ownEntries(value, inner);
    return parts.length ? "{ " + functionName(value) + " " + parts.join(", ") + " }" : functionName(value);
  }
  if (depth >= 5) return Array.isArray(value) ? "[Array]" : "[Object]";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const parts = [];
    for (let i = 0; i < value.length; i++) parts.push(i in value ? inner(value[i]) : "");
    for (const k of Object.keys(value)) if (!/^\d+$/.test(k)) parts.push(formatKey(k) + ": " + inner(value[k]));
    if (parts.some((p) => p.includes("\n"))) return "[" + indentedJoin(parts, depth) + "]";
    return "[ " + parts.join(", ") + " ]";
  }
  if (value instanceof Error) {
    const head = "[" + String(value) + "]";
    const parts = ownEntries(value, inner).filter((p) => !p.startsWith("stack: "));
    return parts.length ? "{ " + head + " " + parts.join(", ") + " }" : head;
  }
  if (value instanceof Date) return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Map) {
    const parts = [];
    value.forEach((v, k) => parts.push(inner(k) + " => " + inner(v)));
    return "Map (" + value.size + ") {" + indentedJoin(parts, depth) + "}";
  }
  if (value instanceof Set) {
    const parts = [];
    value.forEach((v) => parts.push(inner(v)));
    return "Set (" + value.size + ") {" + indentedJoin(parts, depth) + "}";
  }
  if (value instanceof WeakMap) return "WeakMap { ? }";
  if (value instanceof WeakSet) return "WeakSet { ? }";
  if (value instanceof Promise) return "Promise { <unknown> }";
  if (value instanceof ArrayBuffer) return "ArrayBuffer { byteLength: " + value.byteLength + " }";
  const proto = Object.getPrototypeOf(value);
  let tag = "";
  if (proto === null) {
    tag = "[Object: null prototype] ";
  } else if (proto !== Object.prototype && typeof value.constructor === "function" && value.constructor.name) {
    tag = value.constructor.name + " ";
  }
  const parts = ownEntries(value, inner);
  if (parts.length === 0) return tag + "{}";
  return tag + "{" + indentedJoin(parts, depth) + "}";
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
