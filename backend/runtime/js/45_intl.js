// A small Intl for code that formats numbers, dates and lists: en-US rules
// and UTC only, which is what a server-side function usually wants.
function groupDigits(intPart) {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
const CURRENCY_SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CAD: "CA$", AUD: "A$", CNY: "CN¥" };

class NumberFormat {
  #o;
  constructor(locale, options = {}) {
    const style = options.style || "decimal";
    const currencyDigits = style === "currency" ? (options.currency === "JPY" ? 0 : 2) : 0;
    const min = options.minimumFractionDigits ?? (style === "currency" ? currencyDigits : 0);
    const max = options.maximumFractionDigits ?? Math.max(min, style === "currency" ? currencyDigits : style === "percent" ? 0 : 3);
    if (style === "currency" && !options.currency) throw new TypeError("Currency code is required with currency style.");
    this.#o = { locale: "en-US", style, currency: options.currency ? String(options.currency).toUpperCase() : undefined,
      minimumFractionDigits: min, maximumFractionDigits: max, useGrouping: options.useGrouping !== false,
      notation: options.notation || "standard" };
  }
  format(n) {
    const o = this.#o;
    n = Number(n);
    if (Number.isNaN(n)) return "NaN";
    if (!Number.isFinite(n)) return (n < 0 ? "-" : "") + "∞";
    if (o.style === "percent") n *= 100;
    const neg = n < 0;
    let s = Math.abs(n).toFixed(o.maximumFractionDigits);
    let [i, f = ""] = s.split(".");
    f = f.replace(/0+$/, "");
    while (f.length < o.minimumFractionDigits) f += "0";
    if (o.useGrouping) i = groupDigits(i);
    let out = f ? i + "." + f : i;
    if (o.style === "percent") out += "%";
    if (o.style === "currency") out = (CURRENCY_SYMBOLS[o.currency] || o.currency + " ") + out;
    return (neg && /[1-9]/.test(out) ? "-" : "") + out;
  }
  formatToParts(n) { return [{ type: "literal", value: this.format(n) }]; }
  resolvedOptions() { return Object.assign({ numberingSystem: "latn" }, this.#o); }
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

class DateTimeFormat {
  #o;
  constructor(locale, options = {}) {
    this.#o = Object.assign({}, options, { locale: "en-US", timeZone: "UTC", calendar: "gregory", numberingSystem: "latn" });
  }
  format(date) {
    const d = date === undefined ? new Date() : new Date(date);
    if (isNaN(d.getTime())) throw new RangeError("Invalid time value");
    const o = this.#o;
    const pad = (x) => String(x).padStart(2, "0");
    const parts = [];
    const hasDate = o.year || o.month || o.day || o.weekday || o.dateStyle;
    const hasTime = o.hour || o.minute || o.second || o.timeStyle;
    const y = d.getUTCFullYear(), m = d.getUTCMonth(), day = d.getUTCDate();
    if (hasDate || !hasTime) {
      if (o.dateStyle === "full" || o.dateStyle === "long" || o.month === "long" || o.month === "short") {
        const mon = o.month === "short" || o.dateStyle === "medium" ? MONTHS[m].slice(0, 3) : MONTHS[m];
        let s = mon + " " + day + ", " + y;
        if (o.weekday || o.dateStyle === "full") s = (o.weekday === "short" ? DAYS[d.getUTCDay()].slice(0, 3) : DAYS[d.getUTCDay()]) + ", " + s;
        parts.push(s);
      } else if (o.dateStyle === "medium") {
        parts.push(MONTHS[m].slice(0, 3) + " " + day + ", " + y);
      } else {
        parts.push((m + 1) + "/" + day + "/" + y);
      }
    }
    if (hasTime) {
      const h = d.getUTCHours();
      const h12 = o.hour12 === false || o.hourCycle === "h23" ? null : (h % 12 === 0 ? 12 : h % 12);
      let s = (h12 === null ? pad(h) : String(h12)) + ":" + pad(d.getUTCMinutes());
      if (o.second || o.timeStyle === "medium" || o.timeStyle === "long" || o.timeStyle === "full") s += ":" + pad(d.getUTCSeconds());
      if (h12 !== null) s += " " + (h < 12 ? "AM" : "PM");
      parts.push(s);
    }
    return parts.join(", ");
  }
  formatToParts(date) { return [{ type: "literal", value: this.format(date) }]; }
  resolvedOptions() { return Object.assign({}, this.#o); }
}

class Collator {
  #o;
  constructor(locale, options = {}) { this.#o = Object.assign({ locale: "en-US", sensitivity: "variant" }, options); }
  compare = (a, b) => {
    a = String(a); b = String(b);
    if (this.#o.sensitivity === "base" || this.#o.sensitivity === "accent") { a = a.toLowerCase(); b = b.toLowerCase(); }
    if (this.#o.numeric) {
      const na = Number(a), nb = Number(b);
      if (!isNaN(na) && !isNaN(nb)) return na < nb ? -1 : na > nb ? 1 : 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  };
  resolvedOptions() { return Object.assign({}, this.#o); }
}

class PluralRules {
  #type;
  constructor(locale, options = {}) { this.#type = options.type || "cardinal"; }
  select(n) {
    n = Number(n);
    if (this.#type === "ordinal") {
      const t = n % 100, u = n % 10;
      if (u === 1 && t !== 11) return "one";
      if (u === 2 && t !== 12) return "two";
      if (u === 3 && t !== 13) return "few";
      return "other";
    }
    return n === 1 ? "one" : "other";
  }
  resolvedOptions() { return { locale: "en-US", type: this.#type }; }
}

class RelativeTimeFormat {
  #numeric;
  constructor(locale, options = {}) { this.#numeric = options.numeric || "always"; }
  format(value, unit) {
    value = Number(value);
    unit = String(unit).replace(/s$/, "");
    if (this.#numeric === "auto") {
      if (unit === "day" && value === 0) return "today";
      if (unit === "day" && value === 1) return "tomorrow";
      if (unit === "day" && value === -1) return "yesterday";
    }
    const abs = Math.abs(value);
    const label = abs === 1 ? unit : unit + "s";
    return value < 0 || Object.is(value, -0) ? abs + " " + label + " ago" : "in " + abs + " " + label;
  }
}

class ListFormat {
  #type;
  constructor(locale, options = {}) { this.#type = options.type || "conjunction"; }
  format(list) {
    const xs = Array.from(list, String);
    const word = this.#type === "disjunction" ? "or" : "and";
    if (xs.length <= 1) return xs.join("");
    if (xs.length === 2) return xs[0] + " " + word + " " + xs[1];
    return xs.slice(0, -1).join(", ") + ", " + word + " " + xs[xs.length - 1];
  }
}

// Intl constructors may be called with or without new.
function callableCtor(C) {
  const f = function (...args) { return new C(...args); };
  Object.defineProperty(f, "name", { value: C.name });
  f.prototype = C.prototype;
  f.supportedLocalesOf = (l) => (l === undefined ? [] : [].concat(l));
  return f;
}

if (typeof G.Intl === "undefined") {
  defineGlobal("Intl", {
    NumberFormat: callableCtor(NumberFormat), DateTimeFormat: callableCtor(DateTimeFormat),
    Collator: callableCtor(Collator), PluralRules: callableCtor(PluralRules),
    RelativeTimeFormat: callableCtor(RelativeTimeFormat), ListFormat: callableCtor(ListFormat),
    getCanonicalLocales: (l) => (l === undefined ? [] : [].concat(l)),
    supportedValuesOf: () => [],
  });
}
