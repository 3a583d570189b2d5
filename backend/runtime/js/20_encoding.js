// TextEncoder/TextDecoder, base64, atob/btoa.
function utf8Encode(str) {
  str = String(str);
  const out = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

function utf8Decode(bytes, fatal) {
  let s = "";
  const parts = [];
  const n = bytes.length;
  let i = 0;
  const bad = () => {
    if (fatal) throw new TypeError("The encoded data was not valid UTF-8");
    return 0xfffd;
  };
  let codes = [];
  while (i < n) {
    const b = bytes[i];
    let c;
    if (b < 0x80) { c = b; i++; }
    else if (b >= 0xc2 && b < 0xe0 && i + 1 < n && (bytes[i + 1] & 0xc0) === 0x80) {
      c = ((b & 31) << 6) | (bytes[i + 1] & 63); i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < n && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80) {
      c = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63); i += 3;
      if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)) c = bad();
    } else if (b >= 0xf0 && b < 0xf5 && i + 3 < n && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80 && (bytes[i + 3] & 0xc0) === 0x80) {
      c = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63); i += 4;
      if (c < 0x10000 || c > 0x10ffff) c = bad();
    } else { c = bad(); i++; }
    if (c >= 0x10000) {
      c -= 0x10000;
      codes.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023));
    } else codes.push(c);
    if (codes.length >= 8192) { parts.push(String.fromCharCode.apply(null, codes)); codes = []; }
  }
  parts.push(String.fromCharCode.apply(null, codes));
  s = parts.join("");
  return s;
}

function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("Expected an ArrayBuffer or ArrayBufferView");
}

class TextEncoder {
  get encoding() { return "utf-8"; }
  encode(input = "") { return utf8Encode(input); }
  encodeInto(src, dest) {
    const b = utf8Encode(src);
    const n = Math.min(b.length, dest.length);
    dest.set(b.subarray(0, n));
    return { read: String(src).length, written: n };
  }
}

// utf8Complete returns how many leading bytes form whole UTF-8 sequences
// (a streaming decode keeps the rest for the next chunk).
function utf8Complete(b) {
  const n = b.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const c = b[n - back];
    if ((c & 0xc0) === 0x80) continue; // continuation byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

class TextDecoder {
  #fatal; #ignoreBOM; #pending = null; #seenBOM = false;
  constructor(label = "utf-8", options = {}) {
    const l = String(label).toLowerCase().trim();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError("TextDecoder: unsupported encoding '" + label + "' (only utf-8)");
    }
    this.#fatal = !!options.fatal;
    this.#ignoreBOM = !!options.ignoreBOM;
  }
  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }
  decode(input, options = {}) {
    let b = input === undefined ? new Uint8Array(0) : toBytes(input);
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + b.length);
      joined.set(this.#pending);
      joined.set(b, this.#pending.length);
      b = joined;
      this.#pending = null;
    }
    if (options.stream) {
      const k = utf8Complete(b);
      if (k < b.length) this.#pending = b.slice(k);
      b = b.subarray(0, k);
    }
    if (!this.#ignoreBOM && !this.#seenBOM && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    if (b.length > 0) this.#seenBOM = true;
    if (!options.stream) this.#seenBOM = false;
    return utf8Decode(b, this.#fatal);
  }
}
defineGlobal("TextEncoder", TextEncoder);
defineGlobal("TextDecoder", TextDecoder);

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_LOOKUP = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_LOOKUP[B64.charCodeAt(i)] = i;
B64_LOOKUP["-".charCodeAt(0)] = 62;
B64_LOOKUP["_".charCodeAt(0)] = 63;

function bytesToBase64(bytes) {
  let out = "";
  const chunks = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
    if (out.length > 8192) { chunks.push(out); out = ""; }
  }
  if (i < bytes.length) {
    const rem = bytes.length - i;
    const n = (bytes[i] << 16) | (rem > 1 ? bytes[i + 1] << 8 : 0);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (rem > 1 ? B64[(n >> 6) & 63] : "=") + "=";
  }
  chunks.push(out);
  return chunks.join("");
}

function base64ToBytes(s) {
  s = String(s).replace(/[\t\n\f\r ]/g, "");
  if (s.length % 4 === 0) s = s.replace(/==?$/, "");
  if (s.length % 4 === 1) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B64_LOOKUP[s.charCodeAt(i) & 255];
    if (v < 0 || s.charCodeAt(i) > 255) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 255;
    }
  }
  return out.subarray(0, j);
}

defineGlobal("btoa", function btoa(s) {
  s = String(s);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new DOMException("Invalid character", "InvalidCharacterError");
    b[i] = c;
  }
  return bytesToBase64(b);
});
defineGlobal("atob", function atob(s) {
  const b = base64ToBytes(s);
  let out = "";
  for (let i = 0; i < b.length; i += 8192) out += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
  return out;
});
