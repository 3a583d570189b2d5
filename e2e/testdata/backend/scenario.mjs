// Runs an app scenario (fixtures/apps/<app>/scenario.json) against a
// deployment with ConvexHttpClient (functions) and fetch (HTTP actions).
// Usage: node scenario.mjs <scenario.json> <cloudUrl> <siteUrl>
// Prints one line per step and exits 1 if any expectation fails.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.CONVEX_NODE_MODULES + "/");
const { ConvexHttpClient } = require("convex/browser");
const { makeFunctionReference } = require("convex/server");
const { ConvexError } = require("convex/values");

const [scenarioPath, cloudUrl, siteUrl] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
const client = new ConvexHttpClient(cloudUrl);
const captured = {};

function substitute(x) {
  if (typeof x === "string" && x.startsWith("$") && Object.hasOwn(captured, x)) return captured[x];
  if (Array.isArray(x)) return x.map(substitute);
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, substitute(v)]));
  }
  return x;
}

function deepEqual(a, b) {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}
function canon(x) {
  if (typeof x === "bigint") return x.toString() + "n";
  if (Array.isArray(x)) return x.map(canon);
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canon(x[k])]));
  }
  return x;
}

// matches implements valueMatches / jsonMatches: listed keys must match,
// arrays must have the same length, "$any" "$string" "$number" are wildcards.
function matches(actual, pattern, path = "") {
  if (pattern === "$any") return null;
  if (pattern === "$string") return typeof actual === "string" ? null : `${path}: expected a string, got ${JSON.stringify(actual)}`;
  if (pattern === "$number") return typeof actual === "number" ? null : `${path}: expected a number, got ${JSON.stringify(actual)}`;
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== pattern.length) return `${path}: expected ${pattern.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < pattern.length; i++) {
      const e = matches(actual[i], pattern[i], `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  }
  if (pattern !== null && typeof pattern === "object") {
    if (actual === null || typeof actual !== "object") return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(pattern)) {
      const e = matches(actual[k], v, `${path}.${k}`);
      if (e) return e;
    }
    return null;
  }
  return deepEqual(actual, pattern) ? null : `${path}: expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`;
}

function getPath(obj, dotted) {
  return dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

async function runFunction(step, args) {
  const ref = makeFunctionReference(step.path);
  try {
    let value;
    if (step.kind === "query") value = await client.query(ref, args);
    else if (step.kind === "mutation") value = await client.mutation(ref, args);
    else if (step.kind === "action") value = await client.action(ref, args);
    else throw new Error(`unknown step kind ${step.kind}`);
    return { status: "success", value: value === undefined ? null : value };
  } catch (e) {
    const out = { status: "error", errorMessage: String(e && e.message) };
    if (e instanceof ConvexError) out.errorData = e.data;
    return out;
  }
}

async function runHttp(step) {
  const init = { method: step.method, headers: step.headers ?? {} };
  if (step.body !== undefined) init.body = JSON.stringify(substitute(step.body));
  const resp = await fetch(siteUrl + step.path, init);
  const text = await resp.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { httpStatus: resp.status, json, text };
}

function check(step, r, expect) {
  const errs = [];
  if (step.kind === "http") {
    if (expect.httpStatus !== undefined && r.httpStatus !== expect.httpStatus) errs.push(`HTTP status ${r.httpStatus}, want ${expect.httpStatus} (body ${r.text})`);
    if (expect.json !== undefined && !deepEqual(r.json, expect.json)) errs.push(`json ${JSON.stringify(r.json)}, want ${JSON.stringify(expect.json)}`);
    if (expect.jsonMatches !== undefined) { const e = matches(r.json, expect.jsonMatches, "json"); if (e) errs.push(e); }
    return errs;
  }
  if (expect.status && r.status !== expect.status) {
    errs.push(`status ${r.status}, want ${expect.status}` + (r.errorMessage ? `: ${r.errorMessage}` : `: ${JSON.stringify(r.value)}`));
    return errs;
  }
  if ("value" in expect && !deepEqual(r.value, expect.value)) errs.push(`value ${JSON.stringify(r.value)}, want ${JSON.stringify(expect.value)}`);
  if (expect.valueMatches !== undefined) { const e = matches(r.value, expect.valueMatches, "value"); if (e) errs.push(e); }
  for (const k of expect.absentKeys ?? []) if (r.value && Object.hasOwn(r.value, k)) errs.push(`key ${k} should be absent: ${JSON.stringify(r.value)}`);
  if ("errorData" in expect && !deepEqual(r.errorData, expect.errorData)) errs.push(`errorData ${JSON.stringify(r.errorData)}, want ${JSON.stringify(expect.errorData)} (message: ${r.errorMessage})`);
  if (expect.errorMessageContains && !(r.errorMessage ?? "").includes(expect.errorMessageContains)) errs.push(`errorMessage ${JSON.stringify(r.errorMessage)} lacks ${JSON.stringify(expect.errorMessageContains)}`);
  return errs;
}

let failures = 0;
for (const [i, step] of scenario.steps.entries()) {
  const label = `${i + 1} ${step.name ?? `${step.kind} ${step.path}`}`;
  const deadline = Date.now() + (step.retry?.timeoutMs ?? 0);
  let r, errs;
  for (;;) {
    r = step.kind === "http" ? await runHttp(step) : await runFunction(step, substitute(step.args ?? {}));
    errs = check(step, r, substitute(step.expect ?? {}));
    if (errs.length === 0 || !step.retry || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, step.retry.intervalMs ?? 250));
  }
  if (errs.length > 0) {
    failures++;
    console.log(`FAIL ${label}: ${errs.join("; ")}`);
    continue;
  }
  for (const [name, dotted] of Object.entries(step.capture ?? {})) captured[name] = getPath(r, dotted);
  console.log(`ok   ${label}`);
}
console.log(failures === 0 ? `PASS ${scenario.steps.length} steps` : `FAILED ${failures} of ${scenario.steps.length} steps`);
process.exit(failures === 0 ? 0 : 1);
