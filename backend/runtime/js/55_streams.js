// ReadableStream, WritableStream and TransformStream: a compact in-memory
// implementation (no byte streams, no backpressure beyond a queue). Bodies
// built from streams are read to the end when consumed.
class ReadableStream {
  #queue = [];
  #state = "readable"; // readable, closed, errored
  #error = undefined;
  #waiters = [];
  #source;
  #pulling = false;
  #locked = false;
  #controller;
  constructor(source = {}, strategy = {}) {
    this.#source = source || {};
    const stream = this;
    this.#controller = {
      get desiredSize() { return stream.#state === "readable" ? Math.max(0, (strategy.highWaterMark ?? 1) - stream.#queue.length) : 0; },
      enqueue(chunk) {
        if (stream.#state !== "readable") throw new TypeError("ReadableStream: cannot enqueue after close");
        const w = stream.#waiters.shift();
        if (w) w.resolve({ done: false, value: chunk });
        else stream.#queue.push(chunk);
      },
      close() {
        if (stream.#state !== "readable") return;
        stream.#state = "closed";
        if (stream.#queue.length === 0) stream.#flushWaiters();
      },
      error(e) {
        if (stream.#state !== "readable") return;
        stream.#state = "errored";
        stream.#error = e;
        stream.#queue = [];
        stream.#flushWaiters();
      },
    };
    if (typeof this.#source.start === "function") {
      const r = this.#source.start(this.#controller);
      if (r && typeof r.then === "function") r.then(undefined, (e) => this.#controller.error(e));
    }
  }
  #flushWaiters() {
    for (const w of this.#waiters.splice(0)) {
      if (this.#state === "errored") w.reject(this.#error);
      else w.resolve({ done: true, value: undefined });
    }
  }
  async _read() {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift();
      if (this.#queue.length === 0 && this.#state === "closed") this.#flushWaiters();
      return { done: false, value };
    }
    if (this.#state === "closed") return { done: true, value: undefined };
    if (this.#state === "errored") throw this.#error;
    const p = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (typeof this.#source.pull === "function" && !this.#pulling) {
      this.#pulling = true;
      try {
        await this.#source.pull(this.#controller);
      } catch (e) {
        this.#controller.error(e);
      } finally {
        this.#pulling = false;
      }
    }
    return p;
  }
  async _cancel(reason) {
    this.#queue = [];
    if (this.#state === "readable") {
      this.#state = "closed";
      this.#flushWaiters();
    }
    if (typeof this.#source.cancel === "function") await this.#source.cancel(reason);
  }
  get locked() { return this.#locked; }
  getReader() {
    if (this.#locked) throw new TypeError("ReadableStream is locked");
    this.#locked = true;
    const stream = this;
    let released = false;
    return {
      read() { return released ? Promise.reject(new TypeError("reader released")) : stream._read(); },
      releaseLock() { released = true; stream.#locked = false; },
      cancel(reason) { return stream._cancel(reason); },
      get closed() { return Promise.resolve(); },
    };
  }
  cancel(reason) { return this._cancel(reason); }
  [Symbol.asyncIterator]() {
    const reader = this.getReader();
    return {
      next: () => reader.read(),
      return: async () => { await reader.cancel(); reader.releaseLock(); return { done: true, value: undefined }; },
      [Symbol.asyncIterator]() { return this; },
    };
  }
  values() { return this[Symbol.asyncIterator](); }
  async pipeTo(dest) {
    const writer = dest.getWriter();
    const reader = this.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writer.write(value);
    }
    await writer.close();
  }
  pipeThrough(transform) {
    this.pipeTo(transform.writable).then(undefined, () => {});
    return transform.readable;
  }
  tee() {
    const chunks = [];
    const reader = this.getReader();
    const pump = (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        chunks.push(r.value);
      }
    })();
    const branch = () => new ReadableStream({
      async start(c) { await pump; for (const x of chunks) c.enqueue(x); c.close(); },
    });
    return [branch(), branch()];
  }
  static from(iterable) {
    const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    return new ReadableStream({
      async pull(c) {
        const r = await it.next();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
    });
  }
}

// collectStream reads a stream of byte chunks (or strings) to one array.
async function collectStream(stream) {
  const reader = stream.getReader();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(typeof value === "string" ? utf8Encode(value) : new Uint8Array(toBytes(value)));
  }
  reader.releaseLock();
  return concatBytes(chunks);
}

class WritableStream {
  #sink; #locked = false; #closed = false;
  constructor(sink = {}) {
    this.#sink = sink || {};
    if (typeof this.#sink.start === "function") this.#sink.start({ error() {} });
  }
  get locked() { return this.#locked; }
  getWriter() {
    if (this.#locked) throw new TypeError("WritableStream is locked");
    this.#locked = true;
    const s = this;
    return {
      async write(chunk) {
        if (s.#closed) throw new TypeError("WritableStream is closed");
        if (typeof s.#sink.write === "function") await s.#sink.write(chunk, { error() {} });
      },
      async close() {
        s.#closed = true;
        if (typeof s.#sink.close === "function") await s.#sink.close();
      },
      async abort(reason) {
        s.#closed = true;
        if (typeof s.#sink.abort === "function") await s.#sink.abort(reason);
      },
      releaseLock() { s.#locked = false; },
      get ready() { return Promise.resolve(); },
      get closed() { return Promise.resolve(); },
      get desiredSize() { return 1; },
    };
  }
}

class TransformStream {
  #readable; #writable;
  constructor(transformer = {}) {
    let rc;
    this.#readable = new ReadableStream({ start(c) { rc = c; } });
    const controller = {
      enqueue: (x) => rc.enqueue(x),
      error: (e) => rc.error(e),
      terminate: () => rc.close(),
      get desiredSize() { return rc.desiredSize; },
    };
    if (typeof transformer.start === "function") transformer.start(controller);
    this.#writable = new WritableStream({
      async write(chunk) {
        if (typeof transformer.transform === "function") await transformer.transform(chunk, controller);
        else controller.enqueue(chunk);
      },
      async close() {
        if (typeof transformer.flush === "function") await transformer.flush(controller);
        rc.close();
      },
      async abort(reason) { rc.error(reason); },
    });
  }
  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
}

defineGlobal("ReadableStream", ReadableStream);
defineGlobal("WritableStream", WritableStream);
defineGlobal("TransformStream", TransformStream);
