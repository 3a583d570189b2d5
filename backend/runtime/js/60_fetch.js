// Headers, Blob, File, FormData, Request, Response and fetch. Bodies are
// bytes in memory, or a ReadableStream read to the end when consumed.
function normalizeHeaderName(name) {
  name = String(name);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError("Invalid header name: " + name);
  return name.toLowerCase();
}
function normalizeHeaderValue(v) {
  return String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

class Headers {
  #map = new Map(); // lower-case name -> array of values
  constructor(init) {
    if (init == null) return;
    if (init instanceof Headers) {
      init.#map.forEach((vals, k) => this.#map.set(k, vals.slice()));
    } else if (typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const arr = Array.from(pair);
        if (arr.length !== 2) throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(arr[0], arr[1]);
      }
    } else if (typeof init === "object") {
      for (const k of Object.keys(init)) this.append(k, init[k]);
    } else {
      throw new TypeError("Headers: invalid init");
    }
  }
  append(name, value) {
    const k = normalizeHeaderName(name);
    const vals = this.#map.get(k);
    if (vals) vals.push(normalizeHeaderValue(value));
    else this.#map.set(k, [normalizeHeaderValue(value)]);
  }
  delete(name) { this.#map.delete(normalizeHeaderName(name)); }
  get(name) {
    const vals = this.#map.get(normalizeHeaderName(name));
    return vals ? vals.join(", ") : null;
  }
  getSetCookie() { return (this.#map.get("set-cookie") || []).slice(); }
  has(name) { return this.#map.has(normalizeHeaderName(name)); }
  set(name, value) { this.#map.set(normalizeHeaderName(name), [normalizeHeaderValue(value)]); }
  forEach(cb, thisArg) { for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this); }
  *entries() {
    const names = Array.from(this.#map.keys()).sort();
    for (const k of names) {
      if (k === "set-cookie") for (const v of this.#map.get(k)) yield [k, v];
      else yield [k, this.#map.get(k).join(", ")];
    }
  }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
}
defineGlobal("Headers", Headers);

function concatBytes(chunks) {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
}

class Blob {
  #bytes; #type;
  constructor(parts = [], options = {}) {
    const chunks = [];
    for (const p of parts) {
      if (p instanceof Blob) chunks.push(p.#bytes);
      else if (p instanceof ArrayBuffer || ArrayBuffer.isView(p)) chunks.push(new Uint8Array(toBytes(p)));
      else chunks.push(utf8Encode(String(p)));
    }
    this.#bytes = concatBytes(chunks);
    const t = options.type === undefined ? "" : String(options.type);
    this.#type = /[^\x20-\x7e]/.test(t) ? "" : t.toLowerCase();
  }
  get size() { return this.#bytes.length; }
  get type() { return this.#type; }
  _bytes() { return this.#bytes; }
  async text() { return utf8Decode(this.#bytes, false); }
  async arrayBuffer() { return this.#bytes.slice().buffer; }
  async bytes() { return this.#bytes.slice(); }
  slice(start = 0, end = this.#bytes.length, type = "") {
    return new Blob([this.#bytes.slice(start, end)], { type });
  }
  stream() { throw new TypeError("Blob.stream() is not supported in this runtime"); }
}
class File extends Blob {
  #name; #lastModified;
  constructor(parts, name, options = {}) {
    super(parts, options);
    this.#name = String(name);
    this.#lastModified = options.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
}
defineGlobal("Blob", Blob);
defineGlobal("File", File);

class FormData {
  #list = [];
  append(name, value, filename) { this.#list.push([String(name), this.#entry(value, filename)]); }
  #entry(value, filename) {
    if (value instanceof Blob) {
      if (!(value instanceof File) || filename !== undefined) return new File([value], filename === undefined ? "blob" : filename, { type: value.type });
      return value;
    }
    return String(value);
  }
  delete(name) { this.#list = this.#list.filter((p) => p[0] !== String(name)); }
  get(name) { const p = this.#list.find((p) => p[0] === String(name)); return p ? p[1] : null; }
  getAll(name) { return this.#list.filter((p) => p[0] === String(name)).map((p) => p[1]); }
  has(name) { return this.#list.some((p) => p[0] === String(name)); }
  set(name, value, filename) {
    const e = this.#entry(value, filename);
    const i = this.#list.findIndex((p) => p[0] === String(name));
    if (i < 0) this.#list.push([String(name), e]);
    else { this.#list[i] = [String(name), e]; this.#list = this.#list.filter((p, j) => j <= i || p[0] !== String(name)); }
  }
  forEach(cb, thisArg) { for (const [k, v] of this.#list) cb.call(thisArg, v, k, this); }
  *entries() { for (const p of this.#list) yield [p[0], p[1]]; }
  *keys() { for (const p of this.#list) yield p[0]; }
  *values() { for (const p of this.#list) yield p[1]; }
  [Symbol.iterator]() { return this.entries(); }
}
defineGlobal("FormData", FormData);

function encodeMultipart(form) {
  const boundary = "----convexFormBoundary" + randomUUID().replace(/-/g, "");
  const chunks = [];
  for (const [name, value] of form) {
    const esc = (s) => s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
    let head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + esc(name) + "\"";
    if (typeof value === "string") {
      chunks.push(utf8Encode(head + "\r\n\r\n"), utf8Encode(value), utf8Encode("\r\n"));
    } else {
      head += "; filename=\"" + esc(value.name) + "\"\r\nContent-Type: " + (value.type || "application/octet-stream");
      chunks.push(utf8Encode(head + "\r\n\r\n"), value._bytes(), utf8Encode("\r\n"));
    }
  }
  chunks.push(utf8Encode("--" + boundary + "--\r\n"));
  return { bytes: concatBytes(chunks), type: "multipart/form-data; boundary=" + boundary };
}

function parseMultipart(bytes, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new TypeError("multipart body without a boundary");
  const boundary = "--" + (m[1] || m[2]);
  // Work on a latin1 string so byte offsets equal string offsets.
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  const form = new FormData();
  const parts = s.split(boundary);
  for (let i = 1; i < parts.length; i++) {
    let part = parts[i];
    if (part.startsWith("--")) break;
    part = part.replace(/^\r\n/, "").replace(/\r\n$/, "");
    const sep = part.indexOf("\r\n\r\n");
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    const body = part.slice(sep + 4);
    const disp = /content-disposition:[^\r\n]*name="([^"]*)"(?:; *filename="([^"]*)")?/i.exec(head);
    if (!disp) continue;
    const ctype = /content-type: *([^\r\n]+)/i.exec(head);
    const raw = new Uint8Array(body.length);
    for (let j = 0; j < body.length; j++) raw[j] = body.charCodeAt(j);
    if (disp[2] !== undefined) form.append(disp[1], new File([raw], disp[2], { type: ctype ? ctype[1] : "" }));
    else form.append(disp[1], utf8Decode(raw, false));
  }
  return form;
}

// extractBody turns a BodyInit into bytes plus a default content type.
function extractBody(body) {
  if (body === null || body === undefined) return { bytes: null, type: null };
  if (typeof body === "string") return { bytes: utf8Encode(body), type: "text/plain;charset=UTF-8" };
  if (body instanceof URLSearchParams) return { bytes: utf8Encode(body.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (body instanceof Blob) return { bytes: body._bytes(), type: body.type || null };
  if (body instanceof FormData) return encodeMultipart(body);
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { bytes: new Uint8Array(toBytes(body)), type: null };
  if (body instanceof ReadableStream) return { bytes: null, stream: body, type: null };
  return { bytes: utf8Encode(String(body)), type: "text/plain;charset=UTF-8" };
}

function bodyMixin(cls) {
  Object.defineProperties(cls.prototype, Object.getOwnPropertyDescriptors({
    get body() { return this._bodyStream(); },
    get bodyUsed() { return this._bodyUsed(); },
    async arrayBuffer() { return (await this._consume()).slice().buffer; },
    async bytes() { return (await this._consume()).slice(); },
    async text() { return utf8Decode(await this._consume(), false); },
    async json() { return JSON.parse(utf8Decode(await this._consume(), false)); },
    async blob() {
      const b = await this._consume();
      return new Blob([b], { type: this.headers.get("content-type") || "" });
    },
    async formData() {
      const b = await this._consume();
      const ct = this.headers.get("content-type") || "";
      if (/^multipart\/form-data/i.test(ct)) return parseMultipart(b, ct);
      if (/^application\/x-www-form-urlencoded/i.test(ct)) {
        const form = new FormData();
        for (const [k, v] of new URLSearchParams(utf8Decode(b, false))) form.append(k, v);
        return form;
      }
      throw new TypeError("Could not parse content as FormData.");
    },
  }));
}

const EMPTY = new Uint8Array(0);

// BodyState holds a body as bytes or as a stream, for Request and Response.
class BodyState {
  constructor(bytes, stream) { this.bytes = bytes; this.stream = stream || null; this.used = false; }
  asStream() {
    if (this.stream === null && this.bytes !== null) {
      const bytes = this.bytes;
      this.stream = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
      this.bytes = null;
    }
    return this.stream;
  }
  syncBytes() {
    if (this.stream !== null) throw new TypeError("this body is a stream; read it with await first");
    return this.bytes;
  }
  async allBytes() {
    if (this.stream !== null) {
      this.bytes = await collectStream(this.stream);
      this.stream = null;
    }
    return this.bytes;
  }
  async consume() {
    if (this.used || (this.stream !== null && this.stream.locked)) throw new TypeError("Body is unusable: Body has already been read");
    this.used = true;
    return (await this.allBytes()) || EMPTY;
  }
  clone() {
    if (this.used) throw new TypeError("clone: body has already been read");
    if (this.stream !== null) {
      const [a, b] = this.stream.tee();
      this.stream = a;
      return new BodyState(null, b);
    }
    return new BodyState(this.bytes, null);
  }
}

class Request {
  #url; #method; #headers; #body; #signal; #redirect;
  constructor(input, init = {}) {
    let base = null;
    if (input instanceof Request) base = input;
    this.#url = base ? base.url : new URL(String(input)).href;
    let method = init.method !== undefined ? String(init.method) : base ? base.method : "GET";
    const upper = method.toUpperCase();
    if (["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"].includes(upper)) method = upper;
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : base ? base.headers : undefined);
    this.#signal = init.signal || (base ? base.signal : new AbortController().signal);
    this.#redirect = init.redirect || (base ? base.redirect : "follow");
    if (init.body !== undefined && init.body !== null) {
      if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
      const { bytes, stream, type } = extractBody(init.body);
      this.#body = new BodyState(bytes, stream);
      if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
    } else {
      this.#body = base ? base._body().clone() : new BodyState(null, null);
    }
  }
  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  _body() { return this.#body; }
  _bodyStream() { return this.#body.asStream(); }
  _bodyUsed() { return this.#body.used; }
  _consume() { return this.#body.consume(); }
  clone() { return new Request(this); }
}
bodyMixin(Request);
defineGlobal("Request", Request);

class Response {
  #status; #statusText; #headers; #body; #url = ""; #type = "default"; #redirected = false;
  constructor(body = null, init = {}) {
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError("Response: status must be between 200 and 599, got " + init.status);
    }
    this.#status = status;
    this.#statusText = init.statusText === undefined ? "" : String(init.statusText);
    this.#headers = new Headers(init.headers);
    const { bytes, stream, type } = extractBody(body);
    if ((bytes !== null || stream) && (status === 204 || status === 205 || status === 304)) {
      throw new TypeError("Response with null body status cannot have body");
    }
    this.#body = new BodyState(bytes, stream);
    if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
  }
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: data is not JSON serializable");
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, Object.assign({}, init, { headers }));
  }
  static error() { const r = new Response(null, { status: 200 }); r._setMeta(0, "", "error"); return r; }
  static redirect(url, status = 302) {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError("Invalid redirect status " + status);
    return new Response(null, { status, headers: { location: new URL(String(url)).href } });
  }
  _setMeta(status, url, type, redirected) {
    if (status !== undefined) this.#status = status;
    if (url !== undefined) this.#url = url;
    if (type !== undefined) this.#type = type;
    this.#redirected = !!redirected;
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status < 300; }
  get headers() { return this.#headers; }
  get url() { return this.#url; }
  get type() { return this.#type; }
  get redirected() { return this.#redirected; }
  _body() { return this.#body; }
  _bodyStream() { return this.#body.asStream(); }
  _bodyUsed() { return this.#body.used; }
  _consume() { return this.#body.consume(); }
  clone() {
    const r = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
    r._setMeta(this.#status, this.#url, this.#type, this.#redirected);
    r._replaceBody(this.#body.clone());
    return r;
  }
  _replaceBody(b) { this.#body = b; }
}
bodyMixin(Response);
defineGlobal("Response", Response);

function headerPairs(headers) {
  const out = [];
  for (const [k, v] of headers) out.push([k, v]);
  return out;
}

async function fetchImpl(input, init = {}) {
  if (!isActionLike()) {
    throw new Error("Can't use fetch() in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.");
  }
  const req = new Request(input, init);
  const signal = req.signal;
  if (signal && signal.aborted) throw signal.reason;
  const url = new URL(req.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("fetch: unsupported URL scheme " + url.protocol);
  const bytes = await req._body().allBytes();
  const pending = hostAsync("host/fetch", JSON.stringify({
    url: req.url, method: req.method, headers: headerPairs(req.headers),
    body: bytes === null ? null : bytesToBase64(bytes), redirect: req.redirect,
  }));
  let raw;
  if (signal) {
    raw = await new Promise((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      pending.then(resolve, reject);
    });
  } else {
    raw = await pending;
  }
  const r = JSON.parse(raw);
  if (r.error) throw new TypeError("fetch failed: " + r.error);
  const nullBody = r.status === 204 || r.status === 205 || r.status === 304 || req.method === "HEAD";
  const resp = new Response(nullBody ? null : base64ToBytes(r.body || ""), {
    status: r.status < 200 ? 200 : r.status, statusText: r.statusText, headers: r.headers,
  });
  resp._setMeta(r.status, r.url, "basic", r.redirected);
  return resp;
}
defineGlobal("fetch", function fetch(input, init) { return fetchImpl(input, init); });
