// Node's modules as Lambda's Node.js runtime loads them: their format (below) and where
// each one is (modulePathsPlugin, at the end).
//
// Formats, for the function's own
// files (node_modules are the packages' business): rolldown reads every file as whatever
// it can, so code that Node refuses would run here. A file is an ES module if it is
// `.mjs`, or `.js` under a package.json with "type": "module", or `.js` with ES-module
// syntax and no "type" (Node 20.19+ detects it: nodejs20.x and later; Node 18, so
// nodejs18.x, does not, and refuses the syntax: WASMHOST_NODE_DETECTS_MODULES=0);
// `.cjs` and `.js` under "type": "commonjs" are CommonJS. Where Node refuses the code, the deploy (or the reference, at
// run time) fails with Node's words:
// - ES-module syntax in CommonJS: SyntaxError, found at deploy (Runtime.UserCodeSyntaxError);
// - an ES module importing a relative path that is not a file (no extension, a folder):
//   Node's resolver error, found at deploy (Lambda reports it as a plain Error);
// - an ES module importing a package that is not there: Node's "Cannot find package";
// - `require`, `module`, `exports`, `__filename`, `__dirname` in an ES module: a
//   ReferenceError where the name is evaluated, as in Node (`typeof module` is "undefined").
import { parseSync } from "rolldown/experimental";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const TASK = "/var/task";
const CJS_NAMES = new Set(["require", "module", "exports", "__filename", "__dirname"]);
const DETECTS = process.env.WASMHOST_NODE_DETECTS_MODULES !== "0"; // javascript.py: from the function's runtime

/** The "type" of the nearest package.json ("module", "commonjs" or undefined) and its path. */
function packageType(dir) {
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        return { type: JSON.parse(readFileSync(pkg, "utf8")).type, pkg };
      } catch {
        return { type: undefined, pkg };
      }
    }
    if (dirname(dir) === dir) return { type: undefined, pkg: null };
    dir = dirname(dir);
  }
}

/** The Lambda error a deploy fails with: bundle.mjs's exit status 2, "<type>: <message>". */
function refuse(type, message) {
  process.stderr.write(`${type}: ${message}\n`);
  process.exit(2);
}

const isFile = (p) => existsSync(p) && statSync(p).isFile();

// what Node suggests after a failed ES-module resolution: the file CommonJS would find
function commonjsFinds(abs) {
  for (const f of [`${abs}.js`, `${abs}.json`, `${abs}.node`, join(abs, "index.js"), join(abs, "index.json")]) {
    if (isFile(f)) return f;
  }
  return null;
}

function checkImport(spec, id, shown) {
  if (!/^(\.{1,2}\/|\/)/.test(spec)) return;
  const abs = resolve(dirname(id), spec.split(/[?#]/)[0]);
  if (isFile(abs)) return;
  const found = commonjsFinds(abs);
  let hint = "";
  if (found) {
    const rel = relative(dirname(id), found);
    hint = `\nDid you mean to import "${rel.startsWith("../") ? rel : `./${rel}`}"?`;
  }
  if (existsSync(abs)) {
    refuse("Error", `Directory import '${shown(abs)}' is not supported resolving ES modules imported from `
      + `${shown(id)}${hint}`);
  }
  refuse("Error", `Cannot find module '${shown(abs)}' imported from ${shown(id)}${hint}`);
}

// every node of the tree, with its parent
function walk(node, parent, visit) {
  if (!node || typeof node.type !== "string") return;
  visit(node, parent);
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (item && typeof item === "object") walk(item, node, visit);
    } else if (value && typeof value === "object" && key !== "parent") {
      walk(value, node, visit);
    }
  }
}

function bindingNames(pattern, out) {
  if (!pattern) return;
  switch (pattern.type) {
    case "Identifier": out.add(pattern.name); break;
    case "ObjectPattern": for (const p of pattern.properties) bindingNames(p.type === "RestElement" ? p : p.value, out); break;
    case "ArrayPattern": for (const p of pattern.elements) bindingNames(p, out); break;
    case "RestElement": bindingNames(pattern.argument, out); break;
    case "AssignmentPattern": bindingNames(pattern.left, out); break;
  }
}

/** The names of `CJS_NAMES` the file declares itself (then they are its own, not Node's). */
function declared(program) {
  const names = new Set();
  walk(program, null, (n) => {
    if (n.type === "VariableDeclarator") bindingNames(n.id, names);
    else if (/^(Function|Class)(Declaration|Expression)$/.test(n.type) && n.id) names.add(n.id.name);
    else if (/Function/.test(n.type) && n.params) for (const p of n.params) bindingNames(p, names);
    else if (n.type === "CatchClause") bindingNames(n.param, names);
    else if (/^Import(Default|Namespace)?Specifier$/.test(n.type)) names.add(n.local.name);
  });
  return names;
}

const isReference = (n, parent) => !(
  (parent.type === "MemberExpression" && parent.property === n && !parent.computed)
  || ((parent.type === "Property" || parent.type === "MethodDefinition" || parent.type === "PropertyDefinition")
    && parent.key === n && !parent.computed && !parent.shorthand)
  || (parent.type === "AssignmentExpression" && parent.left === n)
  || /Label|Break|Continue|Export|Import/.test(parent.type));

/** The ES module with each use of a CommonJS name failing as in Node (or null: unchanged). */
function esmScope(code, program, message) {
  const own = declared(program);
  const edits = [];
  walk(program, null, (n, parent) => {
    if (n.type === "UnaryExpression" && n.operator === "typeof" && n.argument.type === "Identifier"
      && CJS_NAMES.has(n.argument.name) && !own.has(n.argument.name)) {
      edits.push([n.start, n.end, '"undefined"']);
    } else if (n.type === "Identifier" && CJS_NAMES.has(n.name) && !own.has(n.name) && parent && isReference(n, parent)
      && !(parent.type === "UnaryExpression" && parent.operator === "typeof")) {
      // Node adds the words after "is not defined" to a throw while the module is evaluated
      // (runtime.js appends them at init), not to one in a handler called later
      const fail = `(() => { throw Object.assign(new ReferenceError("${n.name} is not defined"), `
        + `{ [Symbol.for("wasmhost.esmScope")]: ${JSON.stringify(message(n.name))} }); })()`;
      edits.push([n.start, n.end, parent.type === "Property" && parent.shorthand ? `${n.name}: ${fail}` : fail]);
    }
  });
  // a `typeof x` edit contains its identifier's: the outer one wins (applyEdits)
  return applyEdits(code, edits);
}

/** ``code`` with each [start, end, text] edit made; an edit inside an earlier,
 * longer one is dropped (the outer one wins); null when there is none. */
function applyEdits(code, edits) {
  if (!edits.length) return null;
  edits.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = "", at = 0;
  for (const [start, end, text] of edits) {
    if (start < at) continue;
    out += code.slice(at, start) + text;
    at = end;
  }
  return out + code.slice(at);
}

/** rolldown's plugin; `root` is the function's code folder (shown as /var/task). */
export function moduleFormatPlugin(root) {
  const shown = (p) => (p.startsWith(root + "/") ? `${TASK}/${relative(root, p)}` : p);
  return {
    name: "wasmhost-node-module-format",
    async transform(code, id) {
      if (id.includes("/node_modules/") || !id.startsWith(root + "/") || !/\.[cm]?js$/.test(id)) return null;
      const { program } = parseSync(id, code, { sourceType: "module" });
      const esmSyntax = program.body.find((s) => /^(Import|Export\w+)Declaration$/.test(s.type));
      const { type, pkg } = id.endsWith(".js") ? packageType(dirname(id)) : { type: undefined, pkg: null };
      const esm = id.endsWith(".mjs")
        || (id.endsWith(".js") && (type === "module" || (type !== "commonjs" && DETECTS && !!esmSyntax)));
      if (!esm) {
        if (esmSyntax) {
          refuse("Runtime.UserCodeSyntaxError", esmSyntax.type === "ImportDeclaration"
            ? "SyntaxError: Cannot use import statement outside a module" : "SyntaxError: Unexpected token 'export'");
        }
        return null;
      }
      for (const s of program.body) {
        if (!s.source || typeof s.source.value !== "string") continue;
        const spec = s.source.value;
        checkImport(spec, id, shown);
        if (!/^(\.{1,2}\/|\/)/.test(spec) && !(await this.resolve(spec, id))) {
          refuse("Error", `Cannot find package '${spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/")
            : spec.split("/")[0]}' imported from ${shown(id)}`);
        }
      }
      const why = id.endsWith(".js") && type === "module" ? "\nThis file is being treated as an ES module because it has a "
        + `'.js' file extension and '${shown(pkg)}' contains "type": "module". To treat it as a CommonJS script, rename `
        + "it to use the '.cjs' file extension." : "";
      const changed = esmScope(code, program,
        (name) => ` in ES module scope${name === "require" ? ", you can use import instead" : ""}${why}`);
      return changed === null ? null : { code: changed, map: null };
    },
  };
}

// -- where a module is: __dirname, __filename and require.resolve as Node gives them --------
// The runtime runs the bundle as one script at /var/task; each module's own folder is
// what Node gives it (a handler in src/ reading path.join(__dirname, "template.html"),
// a package reading a file next to its code). A file a package finds by
// require.resolve("<literal>") is sent with the code (`out + ".files"`: javascript.py
// mounts them), so the read that follows finds it.
const PATH_NAMES = new Set(["__dirname", "__filename"]);

export function modulePathsPlugin(root, sdk, layerModules) {
  const lambdaPath = (p) => {
    if (p === root || p.startsWith(root + "/")) return `${TASK}${p.slice(root.length)}`;
    if (p.startsWith(sdk + "/")) return `/var/runtime${p.slice(dirname(sdk).length)}`;
    for (const m of layerModules) {
      const layer = m.slice(0, m.lastIndexOf("/nodejs/"));
      if (p.startsWith(layer + "/")) return `/opt${p.slice(layer.length)}`;
    }
    return null;
  };
  const resolved = new Set();
  return {
    name: "wasmhost-module-paths",
    resolvedFiles: resolved,
    async transform(code, id) {
      if (!/\.[cm]?js$/.test(id) || !/__dirname|__filename|require\.resolve\(/.test(code)) return null;
      const here = lambdaPath(id);
      if (here === null) return null;
      let program;
      try {
        ({ program } = parseSync(id, code, { sourceType: "module" }));
      } catch {
        return null;
      }
      const own = declared(program);
      const edits = [];
      const pending = [];
      walk(program, null, (n, parent) => {
        if (n.type === "Identifier" && PATH_NAMES.has(n.name) && !own.has(n.name) && parent && isReference(n, parent)) {
          const value = JSON.stringify(n.name === "__dirname" ? dirname(here) : here);
          edits.push([n.start, n.end, parent.type === "Property" && parent.shorthand ? `${n.name}: ${value}` : value]);
        } else if (n.type === "CallExpression" && n.callee.type === "MemberExpression" && !n.callee.computed
          && n.callee.object.type === "Identifier" && n.callee.object.name === "require" && !own.has("require")
          && n.callee.property.name === "resolve" && n.arguments.length === 1 && n.arguments[0].type === "Literal"
          && typeof n.arguments[0].value === "string") {
          pending.push(n);
        }
      });
      for (const n of pending) {
        const spec = n.arguments[0].value;
        const found = /^(\.{1,2}\/|\/)/.test(spec) ? [resolve(dirname(id), spec), `${resolve(dirname(id), spec)}.js`,
          join(resolve(dirname(id), spec), "index.js")].find(isFile) : (await this.resolve(spec, id))?.id;
        const path = found && !found.startsWith("\0") && isFile(found) ? lambdaPath(found) : null;
        if (path === null) continue;
        resolved.add(found);
        edits.push([n.start, n.end, JSON.stringify(path)]);
      }
      const out = applyEdits(code, edits);
      return out === null ? null : { code: out, map: null };
    },
  };
}
