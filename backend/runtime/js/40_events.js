// DOMException, Event, EventTarget, AbortController/AbortSignal.
const DOM_CODES = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
  InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, TimeoutError: 23,
  InvalidCharacterError: 5, DataCloneError: 25 };

class DOMException extends Error {
  #name;
  constructor(message = "", name = "Error") {
    super(message);
    this.#name = String(name);
  }
  get name() { return this.#name; }
  get code() { return DOM_CODES[this.#name] || 0; }
}
defineGlobal("DOMException", DOMException);

class Event {
  #type; #stopped = false; #canceled = false;
  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event: type is required");
    this.#type = String(type);
    this.bubbles = !!init.bubbles;
    this.cancelable = !!init.cancelable;
    this.composed = !!init.composed;
    this.timeStamp = Date.now();
    this.target = null;
    this.currentTarget = null;
  }
  get type() { return this.#type; }
  get defaultPrevented() { return this.#canceled; }
  preventDefault() { if (this.cancelable) this.#canceled = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this.#stopped = true; }
  get _stopped() { return this.#stopped; }
}
defineGlobal("Event", Event);

class CustomEvent extends Event {
  constructor(type, init = {}) { super(type, init); this.detail = init.detail === undefined ? null : init.detail; }
}
defineGlobal("CustomEvent", CustomEvent);

class EventTarget {
  #listeners = new Map();
  addEventListener(type, listener, options) {
    if (listener == null) return;
    const once = typeof options === "object" && options !== null && !!options.once;
    const list = this.#listeners.get(type) || [];
    if (list.some((l) => l.listener === listener)) return;
    list.push({ listener, once });
    this.#listeners.set(type, list);
    if (typeof options === "object" && options !== null && options.signal) {
      options.signal.addEventListener("abort", () => this.removeEventListener(type, listener));
    }
  }
  removeEventListener(type, listener) {
    const list = this.#listeners.get(type);
    if (list) this.#listeners.set(type, list.filter((l) => l.listener !== listener));
  }
  dispatchEvent(event) {
    try { event.target = this; event.currentTarget = this; } catch (e) { /* read-only in subclasses */ }
    const handler = this["on" + event.type];
    const list = (this.#listeners.get(event.type) || []).slice();
    if (typeof handler === "function") list.unshift({ listener: handler, once: false });
    for (const l of list) {
      if (l.once) this.removeEventListener(event.type, l.listener);
      try {
        if (typeof l.listener === "function") l.listener.call(this, event);
        else if (l.listener && typeof l.listener.handleEvent === "function") l.listener.handleEvent(event);
      } catch (e) {
        console.error(e);
      }
      if (event._stopped) break;
    }
    return !event.defaultPrevented;
  }
}
defineGlobal("EventTarget", EventTarget);

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  constructor(key) {
    super();
    if (key !== abortKey) throw new TypeError("Illegal constructor");
    this.onabort = null;
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  _abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    this.dispatchEvent(new Event("abort"));
  }
  static abort(reason) { const s = new AbortSignal(abortKey); s._abort(reason); return s; }
  static timeout(ms) {
    const s = new AbortSignal(abortKey);
    setTimeout(() => s._abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
    return s;
  }
  static any(signals) {
    const s = new AbortSignal(abortKey);
    for (const sig of signals) {
      if (sig.aborted) { s._abort(sig.reason); return s; }
      sig.addEventListener("abort", () => s._abort(sig.reason));
    }
    return s;
  }
}
const abortKey = {};
class AbortController {
  #signal = new AbortSignal(abortKey);
  get signal() { return this.#signal; }
  abort(reason) { this.#signal._abort(reason); }
}
defineGlobal("AbortSignal", AbortSignal);
defineGlobal("AbortController", AbortController);
