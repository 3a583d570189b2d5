// URL and URLSearchParams: a compact WHATWG-style implementation covering
// absolute and relative URLs for special schemes and opaque ones (mailto:).
const SPECIAL_PORTS = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21", "file:": "" };

function formEncode(s) {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
function formDecode(s) {
  s = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s.replace(/%([0-9a-fA-F]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  }
}
function percentEncodeSet(s, re) {
  let out = "";
  for (const ch of s) {
    if (re.test(ch) || ch.charCodeAt(0) > 0x7e || ch.charCodeAt(0) < 0x21) {
      if (ch === "%") { out += ch; continue; }
      for (const b of utf8Encode(ch)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    } else out += ch;
  }
  return out;
}
const PATH_ENCODE = /[ "#<>?`{}]/;
const QUERY_ENCODE = /[ "#<>]/;
const FRAGMENT_ENCODE = /[ "<>`]/;
const USERINFO_ENCODE = /[ "#<>?`{}/:;=@[\\\]^|]/;

function normalizePath(path, special) {
  const segs = path.split("/");
  const out = [];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg === "." || seg.toLowerCase() === "%2e") {
      if (last) out.push("");
      continue;
    }
    if (seg === ".." || /^(\.|%2e)(\.|%2e)$/i.test(seg)) {
      if (out.length > 1) out.pop();
      if (last) out.push("");
      continue;
    }
    out.push(seg);
  }
  let p = out.join("/");
  if (special && !p.startsWith("/")) p = "/" + p;
  return p;
}

function parseURL(input, base) {
  input = String(input).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(input);
  let rec;
  if (m) {
    const protocol = m[1].toLowerCase() + ":";
    let rest = m[2];
    const special = protocol in SPECIAL_PORTS;
    if (special && base && base.protocol === protocol && !/^[\/\\]/.test(rest)) {
      return parseRelative(rest, base);
    }
    rec = { protocol, username: "", password: "", hostname: "", port: "", pathname: "", search: "", hash: "", special, opaque: false };
    if (special) rest = rest.replace(/\\/g, "/");
    const hashI = rest.indexOf("#");
    if (hashI >= 0) { rec.hash = rest.slice(hashI); rest = rest.slice(0, hashI); }
    const qI = rest.indexOf("?");
    if (qI >= 0) { rec.search = rest.slice(qI); rest = rest.slice(0, qI); }
    if (rest.startsWith("//") || (special && protocol !== "file:")) {
      rest = rest.replace(/^\/*/, "");
      const slash = rest.indexOf("/");
      const authority = slash >= 0 ? rest.slice(0, slash) : rest;
      rest = slash >= 0 ? rest.slice(slash) : "";
      parseAuthority(rec, authority);
      if (special && protocol !== "file:" && rec.hostname === "") throw new TypeError("Invalid URL: " + input);
      rec.pathname = normalizePath(rest === "" && special ? "/" : rest, special);
    } else if (rest.startsWith("/")) {
      rec.pathname = normalizePath(rest, special);
    } else {
      rec.opaque = true;
      rec.pathname = rest;
    }
  } else {
    if (!base) throw new TypeError("Invalid URL: " + input);
    return parseRelative(input, base);
  }
  return finishURL(rec);
}

function parseAuthority(rec, authority) {
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userinfo.indexOf(":");
    rec.username = percentEncodeSet(colon >= 0 ? userinfo.slice(0, colon) : userinfo, USERINFO_ENCODE);
    rec.password = colon >= 0 ? percentEncodeSet(userinfo.slice(colon + 1), USERINFO_ENCODE) : "";
  }
  const pm = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!pm) throw new TypeError("Invalid URL host: " + authority);
  rec.hostname = pm[1].toLowerCase();
  if (/[\s<>^|%]/.test(rec.hostname) && !rec.hostname.startsWith("[")) throw new TypeError("Invalid URL host: " + authority);
  rec.port = pm[2] || "";
  if (rec.port !== "") {
    const n = Number(rec.port);
    if (n > 65535) throw new TypeError("Invalid URL port: " + rec.port);
    rec.port = String(n);
    if (SPECIAL_PORTS[rec.protocol] === rec.port) rec.port = "";
  }
}

function parseRelative(input, base) {
  const rec = Object.assign({}, base);
  if (rec.opaque) {
    if (input.startsWith("#")) { rec.hash = input; return finishURL(rec); }
    throw new TypeError("Invalid URL: " + input);
  }
  if (rec.special) input = input.replace(/\\/g, "/");
  if (input.startsWith("//")) {
    return parseURL(rec.protocol + input);
  }
  let hash = "", search = null;
  const hashI = input.indexOf("#");
  if (hashI >= 0) { hash = input.slice(hashI); input = input.slice(0, hashI); }
  const qI = input.indexOf("?");
  if (qI >= 0) { search = input.slice(qI); input = input.slice(0, qI); }
  if (input === "") {
    if (search !== null) rec.search = search;
  } else if (input.startsWith("/")) {
    rec.pathname = normalizePath(input, rec.special);
    rec.search = search || "";
  } else {
    const dir = rec.pathname.slice(0, rec.pathname.lastIndexOf("/") + 1);
    rec.pathname = normalizePath(dir + input, rec.special);
    rec.search = search || "";
  }
  rec.hash = hash;
  return finishURL(rec);
}

function finishURL(rec) {
  if (!rec.opaque) rec.pathname = percentEncodeSet(rec.pathname, PATH_ENCODE);
  if (rec.search === "?") rec.search = "";
  if (rec.search) rec.search = "?" + percentEncodeSet(rec.search.slice(1), QUERY_ENCODE);
  if (rec.hash === "#") rec.hash = "";
  if (rec.hash) rec.hash = "#" + percentEncodeSet(rec.hash.slice(1), FRAGMENT_ENCODE);
  return rec;
}

function serializeURL(rec) {
  let s = rec.protocol;
  if (!rec.opaque && (rec.hostname !== "" || rec.special)) {
    s += "//";
    if (rec.username || rec.password) s += rec.username + (rec.password ? ":" + rec.password : "") + "@";
    s += rec.hostname + (rec.port ? ":" + rec.port : "");
  }
  return s + rec.pathname + rec.search + rec.hash;
}

class URLSearchParams {
  #list = [];
  #url = null;
  constructor(init = "") {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map((p) => [p[0], p[1]]);
    } else if (typeof init === "object" && init !== null) {
      if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const arr = Array.from(pair);
          if (arr.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
          this.#list.push([String(arr[0]), String(arr[1])]);
        }
      } else {
        for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
      }
    } else {
      this.#parse(String(init));
    }
  }
  #parse(s) {
    if (s.startsWith("?")) s = s.slice(1);
    this.#list = [];
    for (const part of s.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const k = eq >= 0 ? part.slice(0, eq) : part;
      const v = eq >= 0 ? part.slice(eq + 1) : "";
      this.#list.push([formDecode(k), formDecode(v)]);
    }
  }
  static _attach(params, url, search) { params.#url = url; params.#parse(search); }
  #update() { if (this.#url) this.#url._setSearchFromParams(this.toString()); }
  get size() { return this.#list.length; }
  append(k, v) { this.#list.push([String(k), String(v)]); this.#update(); }
  delete(k, v) {
    k = String(k);
    this.#list = this.#list.filter((p) => !(p[0] === k && (v === undefined || p[1] === String(v))));
    this.#update();
  }
  get(k) { k = String(k); const p = this.#list.find((p) => p[0] === k); return p ? p[1] : null; }
  getAll(k) { k = String(k); return this.#list.filter((p) => p[0] === k).map((p) => p[1]); }
  has(k, v) { k = String(k); return this.#list.some((p) => p[0] === k && (v === undefined || p[1] === String(v))); }
  set(k, v) {
    k = String(k); v = String(v);
    const i = this.#list.findIndex((p) => p[0] === k);
    if (i < 0) this.#list.push([k, v]);
    else {
      this.#list[i][1] = v;
      this.#list = this.#list.filter((p, j) => j <= i || p[0] !== k);
    }
    this.#update();
  }
  sort() {
    this.#list = this.#list.map((p, i) => [p, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map((x) => x[0]);
    this.#update();
  }
  forEach(cb, thisArg) { for (const [k, v] of this.#list) cb.call(thisArg, v, k, this); }
  *entries() { for (const [k, v] of this.#list) yield [k, v]; }
  *keys() { for (const [k] of this.#list) yield k; }
  *values() { for (const [, v] of this.#list) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
}

class URL {
  #rec;
  #params;
  constructor(url, base) {
    const baseRec = base === undefined ? undefined : (base instanceof URL ? base.#rec : parseURL(base));
    this.#rec = parseURL(url instanceof URL ? url.href : url, baseRec);
    this.#params = new URLSearchParams();
    URLSearchParams._attach(this.#params, this, this.#rec.search);
  }
  static canParse(url, base) { try { new URL(url, base); return true; } catch (e) { return false; } }
  static parse(url, base) { try { return new URL(url, base); } catch (e) { return null; } }
  _setSearchFromParams(s) { this.#rec.search = s ? "?" + s : ""; }
  get href() { return serializeURL(this.#rec); }
  set href(v) { this.#rec = parseURL(v); URLSearchParams._attach(this.#params, this, this.#rec.search); }
  get origin() {
    const r = this.#rec;
    if (!r.special || r.protocol === "file:") return "null";
    return r.protocol + "//" + r.hostname + (r.port ? ":" + r.port : "");
  }
  get protocol() { return this.#rec.protocol; }
  set protocol(v) { v = String(v).replace(/:.*$/, "").toLowerCase() + ":"; if ((v in SPECIAL_PORTS) === this.#rec.special) this.#rec.protocol = v; }
  get username() { return this.#rec.username; }
  set username(v) { this.#rec.username = percentEncodeSet(String(v), USERINFO_ENCODE); }
  get password() { return this.#rec.password; }
  set password(v) { this.#rec.password = percentEncodeSet(String(v), USERINFO_ENCODE); }
  get host() { return this.#rec.hostname + (this.#rec.port ? ":" + this.#rec.port : ""); }
  set host(v) { const r = Object.assign({}, this.#rec); parseAuthority(r, String(v)); this.#rec.hostname = r.hostname; this.#rec.port = r.port; }
  get hostname() { return this.#rec.hostname; }
  set hostname(v) { this.#rec.hostname = String(v).toLowerCase(); }
  get port() { return this.#rec.port; }
  set port(v) {
    v = String(v);
    if (v === "") { this.#rec.port = ""; return; }
    const n = parseInt(v, 10);
    if (!isNaN(n) && n <= 65535) this.#rec.port = SPECIAL_PORTS[this.#rec.protocol] === String(n) ? "" : String(n);
  }
  get pathname() { return this.#rec.pathname; }
  set pathname(v) {
    if (this.#rec.opaque) return;
    v = String(v);
    if (!v.startsWith("/")) v = "/" + v;
    this.#rec.pathname = percentEncodeSet(normalizePath(v, this.#rec.special), PATH_ENCODE);
  }
  get search() { return this.#rec.search; }
  set search(v) {
    v = String(v);
    if (v.startsWith("?")) v = v.slice(1);
    this.#rec.search = v ? "?" + percentEncodeSet(v, QUERY_ENCODE) : "";
    URLSearchParams._attach(this.#params, this, this.#rec.search);
  }
  get searchParams() { return this.#params; }
  get hash() { return this.#rec.hash; }
  set hash(v) {
    v = String(v);
    if (v.startsWith("#")) v = v.slice(1);
    this.#rec.hash = v ? "#" + percentEncodeSet(v, FRAGMENT_ENCODE) : "";
  }
  toString() { return this.href; }
  toJSON() { return this.href; }
}
defineGlobal("URL", URL);
defineGlobal("URLSearchParams", URLSearchParams);
