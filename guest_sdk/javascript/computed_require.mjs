// A require() whose path is computed from strings (mongoose 4's
// `require(driver + '/connection')`, knex's `require(`./dialects/${name}/index.js`)`):
// Node reads the file when the call runs; the bundler sees no path, so the file is left
// out and the call fails at run time ("Cannot find module"). Where the computed path has
// fixed parts, the package's files that fit them are bundled beside the call, each
// compiled only if that call asks for it; a path that fits none still goes to `require`
// (a package name: the function's declared dependencies, Node's built-ins).
import { parseSync } from "rolldown/experimental";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const MAX_FILES = 2000, MAX_MATCHES = 200;

// the argument as fixed text and holes: ["./dialects/", null, "/index.js"], or null if it has no fixed part
function shape(arg) {
  if (arg.type === "Literal" && typeof arg.value === "string") return [arg.value];
  if (arg.type === "Identifier" && arg.name === "__dirname") return ["."];
  if (arg.type === "CallExpression" && isPathJoin(arg.callee) && arg.arguments.length) {
    // path.join(__dirname, "models", file): Sequelize's models/index.js, route loaders
    const parts = [];
    arg.arguments.forEach((a, i) => parts.push(...(i ? ["/"] : []), ...(shape(a) || [null])));
    return merged(parts);
  }
  if (arg.type === "BinaryExpression" && arg.operator === "+") {
    const left = shape(arg.left), right = shape(arg.right);
    return [...(left || [null]), ...(right || [null])];
  }
  if (arg.type === "TemplateLiteral") {
    const parts = [];
    arg.quasis.forEach((q, i) => {
      parts.push(q.value.cooked);
      if (i < arg.expressions.length) parts.push(null);
    });
    return parts;
  }
  return null;
}

const isPathJoin = (callee) => (callee.type === "Identifier" && /^(join|resolve)$/.test(callee.name))
  || (callee.type === "MemberExpression" && !callee.computed && /^(join|resolve)$/.test(callee.property.name));

// adjacent fixed parts as one, with path.join's single slashes
function merged(parts) {
  const out = [];
  for (const p of parts) {
    if (p !== null && typeof out[out.length - 1] === "string") out[out.length - 1] += p;
    else out.push(p);
  }
  return out.map((p) => (p === null ? p : p.replace(/\/{2,}/g, "/")));
}

// the folder of the package the file is in: its package.json's, or the function's own
// folder (the bundler's working directory) for a function with none
function packageRoot(file) {
  const top = process.cwd();
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) || dir === top) return dir;
    if (dirname(dir) === dir) return null;
  }
}

function codeFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (out.length > MAX_FILES || name === "node_modules" || name.startsWith(".")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(c?js|json)$/.test(name)) out.push(path);
    }
  };
  walk(root);
  return out.length > MAX_FILES ? null : out;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export const computedRequirePlugin = {
  name: "wasmhost-computed-require",
  transform(code, id) {
    // a call whose argument is not one string literal: a name, a template, or a string + something
    if (!/\.c?js$/.test(id) || !/\brequire\s*\(\s*(?:[^'"\s)]|(['"])[^'"\n]*\1\s*\+)/.test(code)) return null;
    let program;
    try {
      ({ program } = parseSync(id, code, { sourceType: "script" }));
    } catch {
      return null;
    }
    const calls = [];
    const visit = (n) => {
      if (!n || typeof n.type !== "string") return;
      if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "require"
        && n.arguments.length === 1) {
        const parts = shape(n.arguments[0]);
        const fixed = parts && parts.filter((p) => p).join("");
        // a computed package name (parts[0] not a relative path) is left to `require`
        // enough fixed text to narrow the files down, or a folder of the code's own ("./" + name)
        if (parts && parts.includes(null) && (fixed.length >= 3 || /^\.{1,2}\/$/.test(parts[0]))
          && (parts[0] === null || /^(\.{1,2}|\/var\/task)\//.test(parts[0]))) {
          calls.push([n, parts]);
        }
      }
      for (const key of Object.keys(n)) {
        const v = n[key];
        if (Array.isArray(v)) v.forEach(visit);
        else if (v && typeof v === "object" && key !== "parent") visit(v);
      }
    };
    visit(program);
    if (!calls.length) return null;
    const root = packageRoot(id);
    const files = root && codeFiles(root);
    if (!files) return null;
    const here = dirname(id);
    const specs = files.map((f) => {
      const rel = relative(here, f);
      const spec = rel.startsWith("../") ? rel : `./${rel}`;
      // the names a require of this file may use: with or without its extension, its folder for an index
      const names = new Set([spec, spec.replace(/\.(c?js|json)$/, "")]);
      const deployed = relative(process.cwd(), f);  // its path on Lambda: a require(path.join(__dirname, name))
      if (!deployed.startsWith("../")) names.add(`/var/task/${deployed}`).add(`/var/task/${deployed}`.replace(/\.(c?js|json)$/, ""));
      if (/\/index\.(c?js|json)$/.test(spec)) names.add(spec.replace(/\/index\.(c?js|json)$/, ""));
      return { spec, names: [...names] };
    });
    const edits = [];
    for (const [call, parts] of calls) {
      const pattern = new RegExp(`^${parts.map((p) => (p === null ? ".+" : escape(p))).join("")}$`);
      const found = specs.filter((s) => s.names.some((n) => pattern.test(n)));
      if (!found.length || found.length > MAX_MATCHES) continue;
      const entries = found.flatMap((s) => s.names.map((n) => `${JSON.stringify(n)}: () => require(${JSON.stringify(s.spec)})`));
      const arg = code.slice(call.arguments[0].start, call.arguments[0].end);
      edits.push([call.start, call.end, `((s, m) => (Object.hasOwn(m, s) ? m[s]() : require(s)))(${arg}, {${entries.join(", ")}})`]);
    }
    if (!edits.length) return null;
    let out = code;
    for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
    return { code: out, map: null };
  },
};
