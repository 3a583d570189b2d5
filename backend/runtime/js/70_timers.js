// Timers fire only in actions and HTTP actions; in queries and mutations they
// are accepted but never run (the result must not depend on time).
let nextTimerId = 1;
let liveTimers = new Map();

function scheduleTimer(fn, ms, args, repeat) {
  const id = nextTimerId++;
  if (typeof fn !== "function") {
    if (typeof fn === "string") throw new TypeError("setTimeout: string callbacks are not supported");
    throw new TypeError("setTimeout: callback must be a function");
  }
  const timers = liveTimers;
  timers.set(id, true);
  if (!isActionLike()) return id;
  const delay = Math.max(0, Number(ms) || 0);
  const tick = () => {
    hostAsync("host/sleep", String(delay)).then(() => {
      if (!timers.get(id)) return;
      if (!repeat) timers.delete(id);
      try {
        fn(...args);
      } catch (e) {
        console.error(e);
      }
      if (repeat && timers.get(id)) tick();
    }, () => { timers.delete(id); });
  };
  tick();
  return id;
}
function clearTimer(id) {
  liveTimers.delete(Number(id));
}
defineGlobal("setTimeout", (fn, ms, ...args) => scheduleTimer(fn, ms, args, false));
defineGlobal("setInterval", (fn, ms, ...args) => scheduleTimer(fn, ms, args, true));
defineGlobal("clearTimeout", clearTimer);
defineGlobal("clearInterval", clearTimer);
defineGlobal("queueMicrotask", (fn) => { Promise.resolve().then(fn); });
