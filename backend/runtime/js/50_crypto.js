// crypto: randomness and hashing come from the host (seeded in queries and
// mutations, so they stay deterministic). subtle supports digest and HMAC.
function getRandomValues(arr) {
  if (!ArrayBuffer.isView(arr) || arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof DataView) {
    throw new TypeError("getRandomValues: argument must be an integer TypedArray");
  }
  if (arr.byteLength > 65536) {
    throw new DOMException("getRandomValues: at most 65536 bytes may be requested", "QuotaExceededError");
  }
  const bytes = base64ToBytes(hostSync("host/randomBytes", String(arr.byteLength)));
  new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(bytes);
  return arr;
}

function randomUUID() {
  const b = getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

function algName(alg) {
  const n = typeof alg === "string" ? alg : alg && alg.name;
  if (typeof n !== "string") throw new TypeError("crypto.subtle: algorithm name required");
  return n.toUpperCase();
}
function hashName(h) {
  const n = algName(h);
  if (!["SHA-1", "SHA-256", "SHA-384", "SHA-512"].includes(n)) throw new DOMException("Unsupported hash " + n, "NotSupportedError");
  return n;
}
function bytesCopy(data) {
  const b = toBytes(data);
  return new Uint8Array(b);
}

class CryptoKey {
  #raw;
  constructor(key, type, extractable, algorithm, usages, raw) {
    if (key !== cryptoKeyTag) throw new TypeError("Illegal constructor");
    this.type = type;
    this.extractable = extractable;
    this.algorithm = algorithm;
    this.usages = usages;
    this.#raw = raw;
  }
  _raw() { return this.#raw; }
}
const cryptoKeyTag = {};

function hostDigest(alg, bytes) {
  return base64ToBytes(hostSync("host/digest", JSON.stringify({ alg, data: bytesToBase64(bytes) })));
}
function hostHmac(hash, key, bytes) {
  return base64ToBytes(hostSync("host/hmac", JSON.stringify({ hash, key: bytesToBase64(key), data: bytesToBase64(bytes) })));
}

const subtle = {
  async digest(alg, data) {
    return hostDigest(hashName(alg), toBytes(data)).slice().buffer;
  },
  async importKey(format, keyData, alg, extractable, usages) {
    const name = algName(alg);
    if (name !== "HMAC") throw new DOMException("crypto.subtle.importKey: only HMAC keys are supported", "NotSupportedError");
    let raw;
    if (format === "raw") raw = bytesCopy(keyData);
    else if (format === "jwk") raw = base64ToBytes(String(keyData.k).replace(/-/g, "+").replace(/_/g, "/"));
    else throw new DOMException("crypto.subtle.importKey: unsupported format " + format, "NotSupportedError");
    const hash = hashName(alg.hash);
    return new CryptoKey(cryptoKeyTag, "secret", !!extractable, { name: "HMAC", hash: { name: hash }, length: raw.length * 8 }, Array.from(usages || []), raw);
  },
  async exportKey(format, key) {
    if (!key.extractable) throw new DOMException("key is not extractable", "InvalidAccessError");
    if (format === "raw") return key._raw().slice().buffer;
    throw new DOMException("crypto.subtle.exportKey: unsupported format " + format, "NotSupportedError");
  },
  async generateKey(alg, extractable, usages) {
    const name = algName(alg);
    if (name !== "HMAC") throw new DOMException("crypto.subtle.generateKey: only HMAC keys are supported", "NotSupportedError");
    const hash = hashName(alg.hash);
    const len = alg.length ? alg.length / 8 : (hash === "SHA-384" || hash === "SHA-512" ? 128 : 64);
    const raw = getRandomValues(new Uint8Array(len));
    return new CryptoKey(cryptoKeyTag, "secret", !!extractable, { name: "HMAC", hash: { name: hash }, length: len * 8 }, Array.from(usages || []), raw);
  },
  async sign(alg, key, data) {
    if (algName(alg) !== "HMAC" || !(key instanceof CryptoKey)) throw new DOMException("crypto.subtle.sign: only HMAC is supported", "NotSupportedError");
    return hostHmac(key.algorithm.hash.name, key._raw(), toBytes(data)).slice().buffer;
  },
  async verify(alg, key, signature, data) {
    const expected = new Uint8Array(await subtle.sign(alg, key, data));
    const got = toBytes(signature);
    if (expected.length !== got.length) return false;
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff |= expected[i] ^ got[i];
    return diff === 0;
  },
};

defineGlobal("CryptoKey", CryptoKey);
defineGlobal("crypto", { getRandomValues, randomUUID, subtle });

// structuredClone handles the types Convex values and common libraries use;
// functions and symbols are rejected as browsers do.
function structuredCloneImpl(value, seen) {
  if (typeof value === "function" || typeof value === "symbol") {
    throw new DOMException(String(value) + " could not be cloned.", "DataCloneError");
  }
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  let out;
  if (Array.isArray(value)) {
    out = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = structuredCloneImpl(value[i], seen);
    return out;
  }
  if (value instanceof Date) { out = new Date(value.getTime()); seen.set(value, out); return out; }
  if (value instanceof RegExp) { out = new RegExp(value.source, value.flags); seen.set(value, out); return out; }
  if (value instanceof ArrayBuffer) { out = value.slice(0); seen.set(value, out); return out; }
  if (ArrayBuffer.isView(value)) {
    const buf = structuredCloneImpl(value.buffer, seen);
    out = value instanceof DataView ? new DataView(buf, value.byteOffset, value.byteLength)
      : new value.constructor(buf, value.byteOffset, value.length);
    seen.set(value, out);
    return out;
  }
  if (value instanceof Map) {
    out = new Map(); seen.set(value, out);
    value.forEach((v, k) => out.set(structuredCloneImpl(k, seen), structuredCloneImpl(v, seen)));
    return out;
  }
  if (value instanceof Set) {
    out = new Set(); seen.set(value, out);
    value.forEach((v) => out.add(structuredCloneImpl(v, seen)));
    return out;
  }
  if (value instanceof Error) {
    out = new Error(value.message); seen.set(value, out);
    out.name = value.name;
    if (value.stack) out.stack = value.stack;
    return out;
  }
  if (value instanceof Blob) { out = value.slice(0, value.size, value.type); seen.set(value, out); return out; }
  if (typeof value.then === "function" || value instanceof WeakMap || value instanceof WeakSet) {
    throw new DOMException("#<Object> could not be cloned.", "DataCloneError");
  }
  out = {};
  seen.set(value, out);
  for (const k of Object.keys(value)) out[k] = structuredCloneImpl(value[k], seen);
  return out;
}
defineGlobal("structuredClone", function structuredClone(value) {
  return structuredCloneImpl(value, new Map());
});

const timeOrigin = Date.now();
defineGlobal("performance", {
  timeOrigin,
  now: () => Date.now() - timeOrigin,
  mark: () => {},
  measure: () => {},
});
