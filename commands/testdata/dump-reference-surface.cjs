// Prints the command surface of the reference npm CLI in the format of
// reference-surface.txt, by walking its command tree:
//
//   node commands/testdata/dump-reference-surface.cjs /path/to/node_modules/convex
//
// Lines: "convex <path>" for a command, then "convex <path> :: <fact>" with
// facts "hidden", "alias <name>", "args <usage>" and one line per flag
// ("[-s, ]--name[ <ph>|[ph]][ hidden][ required][ default=v][ choices=a,b]").
// The CLI is one bundle that builds its program and parses process.argv at
// once, so the program is caught as it is built (every Commander command
// assigns this.commands in its constructor) and dumped when `--version`
// makes it exit.
const path = require("path");
const pkg = process.argv[2];
if (!pkg) {
  console.error("usage: node dump-reference-surface.cjs <node_modules/convex>");
  process.exit(2);
}
const built = [];
Object.defineProperty(Object.prototype, "commands", {
  configurable: true,
  set(v) {
    Object.defineProperty(this, "commands", { value: v, writable: true, enumerable: true, configurable: true });
    if (typeof this.addCommand === "function") built.push(this);
  },
});
const realExit = process.exit;
const realWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true; // swallow the version line
process.exit = () => {
  delete Object.prototype.commands;
  const root = built.find((c) => c.name() === "convex" && !c.parent);
  walk(root, ["convex"]);
  realWrite(out.join("\n") + "\n");
  realExit(0);
};
process.env.CI = "1";
process.argv = [process.argv[0], "convex", "--version"];
setImmediate(() => require(path.join(path.resolve(pkg), "dist/cli.bundle.cjs")));

function flagLine(o) {
  let s = (o.short ? o.short + ", " : "") + o.long;
  const ph = o.flags.match(/([<[][^>\]]+[>\]])\s*$/);
  if (ph) s += " " + ph[1];
  if (o.hidden) s += " hidden";
  if (o.mandatory) s += " required";
  if (o.defaultValue !== undefined && o.defaultValue !== false && !o.negate) {
    s += " default=" + String(o.defaultValue);
  }
  if (o.argChoices) s += " choices=" + o.argChoices.join(",");
  return s;
}

const out = [];
function walk(cmd, names) {
  const p = names.join(" ");
  out.push(p);
  if (cmd._hidden) out.push(p + " :: hidden");
  for (const a of cmd._aliases || []) out.push(p + " :: alias " + a);
  const args = (cmd.registeredArguments || [])
    .map((a) => {
      const n = a.name() + (a.variadic ? "..." : "");
      return a.required ? "<" + n + ">" : "[" + n + "]";
    })
    .join(" ");
  if (args) out.push(p + " :: args " + args);
  for (const o of cmd.options) {
    if (o.long === "--help") continue;
    out.push(p + " :: " + flagLine(o));
  }
  for (const sub of cmd.commands) {
    if (sub.name() === "help") continue;
    walk(sub, names.concat(sub.name()));
  }
}
