// Bundle a Node.js Lambda function (CommonJS or ES modules, its own files and the
// node_modules in its zip or its layers) into one CommonJS script for the runtime.
// Node's built-in modules stay `require`s: the runtime provides them. Code with top-level
// await is written as one ES module instead (CommonJS cannot hold it).
//
// The AWS SDK for JavaScript v3, as Lambda's Node.js runtimes include it: packages the
// function does not ship are found in aws-sdk/node_modules (the last folder searched, as
// /var/runtime/node_modules is on Lambda), so only a function that imports them carries
// them. Whichever copy a function uses sends through aws-sdk/http-handler.mjs (the host's
// fetch) in place of Node's sockets, and `stream` is readable-stream (Node's own streams
// as a package: the runtime's built-in one has no data flow; `http`'s server messages and
// `zlib`'s streams build on it, from bundled/). An `@aws-sdk/...` package
// found nowhere loads as a stand-in that fails, saying so, when used.
//   node bundle.mjs <entry file> <out file> [extra node_modules folders...]
// (and <out file>.lazy: the large bundle's modules compiled when first required; <out
// file>.map: where each line of a one-script bundle came from, for errors' stacks; <out
// file>.zones: the IANA time zone database, for a function that names timeZone)
import { rolldown } from "rolldown";
import { parseSync } from "rolldown/experimental";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { moduleFormatPlugin, modulePathsPlugin } from "./module_format.mjs";
import { regexpPropertiesPlugin } from "./regexp_properties.mjs";
import { compactMap } from "./stack_map.mjs";
import { computedRequirePlugin } from "./computed_require.mjs";
import { umdRequirePlugin } from "./umd_require.mjs";
import { missingModulePlugin } from "./missing_module.mjs";
import { v8SyntaxMessage } from "./v8_syntax.mjs";
import { dynamicImportPlugin } from "./dynamic_import.mjs";
import { constAssignPlugin, constAssignments } from "./const_assign.mjs";
import { zoneText } from "./zone_data.mjs";

const [entry, out, ...modules] = process.argv.slice(2);
const ESM_MARK = "//# wasmhost: es module\n";
const HERE = dirname(fileURLToPath(import.meta.url));
const SDK = join(HERE, "aws-sdk");
const hasSdk = existsSync(join(SDK, "node_modules", "readable-stream"));
const OWN = hasSdk ? new Set(["stream", "node:stream"]) : new Set(); // resolved by the plugin below
const PROMISES = hasSdk ? new Set(["stream/promises", "node:stream/promises"]) : new Set();
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// Built-ins whose Node behaviour needs those streams come from bundled/ (each builds on the
// runtime's module of the same name): `http` with Node's server-side messages (the adapters
// that run Express and its kind in Lambda: serverless-http and the like), `fs` with its file
// streams, `events` as Node's function (the package), `zlib` with its streams (over fflate,
// the runtime's codec, found beside this file)
const FFLATE = join(HERE, "node_modules", "fflate", "esm", "browser.js");
const BUNDLED = new Map((hasSdk ? ["http", "fs", "events", ...(existsSync(FFLATE) ? ["zlib"] : [])] : [])
  .flatMap((m) => [[m, join(HERE, "bundled", `${m}.cjs`)], [`node:${m}`, join(HERE, "bundled", `${m}.cjs`)]]));
const bundled = (id, importer) => BUNDLED.has(id) && importer !== BUNDLED.get(id);
// and `string_decoder` is the package of Node's own (which readable-stream depends on):
// unenv's is a placeholder (iconv-lite, so body-parser, decodes UTF-8 with it)
const DECODER = hasSdk ? new Set(["string_decoder", "node:string_decoder"]) : new Set();
const MISSING = "\0wasmhost-missing:";
const STREAM = join(HERE, "bundled", "stream.cjs");

// A module whose every export is a stand-in: constructing a client works (handlers make
// them at module top), calling or sending fails naming the package.
const standIn = (name) => `
const message = ${JSON.stringify(hasSdk ? `${name} is not among the AWS SDK for JavaScript v3 packages wasmhost's `
  + "Node.js runtime includes, and the function's code does not ship it: add it to the function's package.json "
  + "(node_modules in the zip or a layer)" : `${name}: this wasmhost was installed without the AWS SDK for `
  + `JavaScript v3 that Node.js functions find as on Lambda (npm ci --prefix ${SDK}); or ship it in the function's zip`)};
const fail = () => { const e = new Error(message); e.code = "MODULE_NOT_FOUND"; return e; };
function make(key) {
  return function StandIn() {
    if (!new.target) throw fail();
    this.config = {};
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {} };
    this.send = () => Promise.reject(fail());
    this.destroy = () => {};
    // an aggregated client's methods (new IoT().describeEndpoint(...)) fail the same way
    return new Proxy(this, { get: (t, k) => (k in t || typeof k !== "string" || k === "then" ? t[k]
      : () => Promise.reject(fail())) });
  };
}
const made = new Map();
const proto = new Proxy({}, { get(t, key) {
  if (typeof key !== "string" || key === "then" || key === "__esModule") return undefined;
  if (!made.has(key)) made.set(key, make(key));
  return made.get(key);
} });
module.exports = Object.create(proto);
`;

// readable-stream calls EventEmitter as a function (EventEmitter.call(this)), which the
// runtime's (a class) refuses: it gets the `events` package it depends on
const inStreams = (importer) => (importer || "").includes("/node_modules/readable-stream/");

const sdkPlugin = {
  name: "wasmhost-aws-sdk",
  async resolveId(id, importer) {
    if (id === "@smithy/node-http-handler") return join(SDK, "http-handler.mjs");
    if (OWN.has(id) && !inStreams(importer)) return STREAM; // the legacy Stream carrying readable-stream's classes
    if (id === "readable-stream" && importer === STREAM) {
      return this.resolve("readable-stream/lib/ours/browser.js", join(SDK, "http-handler.mjs"), { skipSelf: true });
    }
    if (PROMISES.has(id)) { // pipeline/finished of the same streams, awaited
      return this.resolve("readable-stream/lib/stream/promises.js", join(SDK, "http-handler.mjs"), { skipSelf: true });
    }
    if (bundled(id, importer)) return BUNDLED.get(id);
    if (id === "fflate" && importer === BUNDLED.get("zlib")) return FFLATE;
    if (DECODER.has(id)) return this.resolve("string_decoder/", join(SDK, "http-handler.mjs"), { skipSelf: true });
    if (id === "events" && (inStreams(importer) || importer === BUNDLED.get("events"))) {
      return this.resolve("events/", join(SDK, "http-handler.mjs"), { skipSelf: true });
    }
    if (id.startsWith("@aws-sdk/")) {
      const found = await this.resolve(id, importer, { skipSelf: true });
      return found || MISSING + id;
    }
    return null;
  },
  load(id) {
    return id.startsWith(MISSING) ? standIn(id.slice(MISSING.length)) : null;
  },
};
// The function's declared dependencies, for a require() whose name is computed at run time
// (node-config's `require(JS_YAML_DEP)`, plugin loaders): a CommonJS entry registers a lazy
// require of each installed one, which the runtime's require() falls back to.
function declaredDependencies(file) {
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      let doc;
      try {
        doc = JSON.parse(readFileSync(pkg, "utf8"));
      } catch {
        return { names: [], esm: false };
      }
      const names = Object.keys(doc.dependencies || {}).filter((n) => !n.startsWith("@aws-sdk/")
        && existsSync(join(dir, "node_modules", n, "package.json")));
      return { names, esm: doc.type === "module" };
    }
    if (dirname(dir) === dir) return { names: [], esm: false };
  }
}
const deps = declaredDependencies(entry);
const commonjsEntry = entry.endsWith(".cjs") || (entry.endsWith(".js") && !deps.esm);
const registryPlugin = {
  name: "wasmhost-declared-dependencies",
  transform(code, id) {
    if (!commonjsEntry || !deps.names.length || id !== resolve(entry)) return null;
    const lines = deps.names.map((n) => `  ${JSON.stringify(n)}: () => require(${JSON.stringify(n)}),`);
    // first, so the entry's own top-level requires (of a package that requires by a computed name) find them
    return `Object.assign(globalThis.__wasmhostDependencies ??= {}, {\n${lines.join("\n")}\n});\n${code}`;
  },
};
// rolldown parses every module as strict code, but Node runs a CommonJS file in sloppy
// mode, where old packages use what strict mode forbids: legacy octal literals (mkdirp
// 0.5's `0777`) and `delete` of a variable (forecast.io). Those are rewritten to their
// sloppy-mode meaning, at the places the parser reports: 0777 is 0o777, 08 is 8, and
// `delete x` of a declared variable does nothing and is false.
const sloppyPlugin = {
  name: "wasmhost-sloppy-commonjs",
  transform(code, id) {
    if (!/\.c?js$/.test(id) || !/\bdelete\s|(^|[^\w.$"'])0[0-9]/.test(code)) return null;
    if (/^\s*(import|export)\b/m.test(code)) return null; // an ES module: strict in Node too
    const { errors } = parseSync(id, code, { sourceType: "module", showSemanticErrors: true });
    const fixes = [];
    for (const e of errors) {
      const span = e.labels && e.labels[0];
      if (!span) continue;
      const text = code.slice(span.start, span.end);
      if (/octal literals|leading zeros/.test(e.message) && /^0\d+$/.test(text)) {
        fixes.push([span.start, span.end, /^0[0-7]+$/.test(text) ? `0o${text.slice(1)}` : String(Number(text))]);
      } else if (/Delete of an unqualified identifier/.test(e.message)) {
        const m = /delete\s*$/.exec(code.slice(0, span.start));
        if (m) fixes.push([m.index, span.end, "false"]);
      }
    }
    if (!fixes.length) return null;
    let out = code;
    for (const [start, end, text] of fixes.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
    return { code: out, map: null };
  },
};
// Node reads and compiles a package's file only when it is first required; one script
// holding every module is compiled whole at init, and SpiderMonkey keeps what it learns
// of every function in it (twilio 3's 9 MB bundle needs more than 256 MB to load, and
// loads three of its 700 modules). In a large bundle, each CommonJS module's code is
// moved out of the script into a side text (out + ".lazy"; the runtime holds it as one
// string) and compiled when first required, by a direct eval in the same scope, so it
// sees the bundle's bindings as before.
const LAZY_BUNDLE = 2 << 20, LAZY_MODULE = 256; // characters: bundles up to the AWS SDK's size stay one script
function lazyModules(code) {
  if (code.length < LAZY_BUNDLE) return { code, lazy: "" };
  const { program } = parseSync("bundle.js", code, { sourceType: "module" });
  const cuts = [];
  let lazy = "";
  for (const stmt of program.body) {
    const decl = stmt.type === "VariableDeclaration" && stmt.declarations.length === 1 ? stmt.declarations[0] : null;
    const call = decl && decl.init;
    if (!call || call.type !== "CallExpression" || call.callee.type !== "Identifier"
      || call.callee.name !== "__commonJSMin" || call.arguments.length !== 1) continue;
    const arg = call.arguments[0];
    const fn = arg.type === "ParenthesizedExpression" ? arg.expression : arg;
    if (fn.type !== "ArrowFunctionExpression" || fn.async || fn.body.type !== "BlockStatement"
      || fn.end - fn.start < LAZY_MODULE || fn.params.some((p) => p.type !== "Identifier")) continue;
    const params = fn.params.map((p) => p.name).join(", ");
    const start = lazy.length;
    lazy += code.slice(fn.start, fn.end) + "\n";
    cuts.push([arg.start, arg.end, `((${params}) => eval(__wasmhostLazy(${start}, ${lazy.length}))(${params}))`]);
  }
  let out = "";
  let at = 0;
  for (const [start, end, text] of cuts) {
    out += code.slice(at, start) + text;
    at = end;
  }
  return { code: out + code.slice(at), lazy };
}
// A native addon (`.node`: sharp, bcrypt, better-sqlite3) cannot run in the WebAssembly
// sandbox: requiring one fails then, naming it (a package that loads it only on some path
// still deploys and runs the rest).
const NATIVE = "\0wasmhost-native:";
const nativePlugin = {
  name: "wasmhost-native-addons",
  resolveId(id, importer) {
    return id.endsWith(".node") ? NATIVE + (importer ? resolve(dirname(importer), id) : id) : null;
  },
  load(id) {
    if (!id.startsWith(NATIVE)) return null;
    const file = id.slice(NATIVE.length).replace(process.cwd() + "/", "/var/task/");
    const message = `Cannot load ${file}: a native Node.js addon, which wasmhost's WebAssembly sandbox cannot run `
      + "(a package's pure-JavaScript or WebAssembly build runs)";
    return `const e = new Error(${JSON.stringify(message)}); e.code = "ERR_DLOPEN_FAILED"; throw e;`;
  },
};
const paths = modulePathsPlugin(process.cwd(), join(SDK, "node_modules"), modules.map((m) => resolve(m)));
// the bundle, with `extra` plugins last among the transforms
const build = (extra) => rolldown({
  input: entry,
  platform: "node",
  external: (id, importer) => !OWN.has(id) && !PROMISES.has(id) && !DECODER.has(id) && !bundled(id, importer)
    && !(id === "events" && (inStreams(importer) || importer === BUNDLED.get("events")))
    && (builtins.has(id) || id.startsWith("node:")),
  resolve: { modules: ["node_modules", ...modules, ...(hasSdk ? [join(SDK, "node_modules")] : [])] },
  plugins: [moduleFormatPlugin(process.cwd()), paths, nativePlugin, sdkPlugin, registryPlugin, sloppyPlugin,
    regexpPropertiesPlugin, umdRequirePlugin, computedRequirePlugin,
    missingModulePlugin([[process.cwd(), "/var/task"], ...modules.map((m) => [resolve(m), `/opt${m.slice(m.lastIndexOf("/nodejs/"))}`]),
      [join(SDK, "node_modules"), "/var/runtime/node_modules"]], [...modules, join(SDK, "node_modules")]),
    dynamicImportPlugin, ...extra],
  logLevel: "silent",
  treeshake: false, // a handler module's side effects (and its exports) are its own business
});
// minify: false, as the code was written: rolldown's default pass removes "dead" code and
// inlines constants, which changes what Node would do and say (a let read before its
// declaration no longer throws; `const X = 1; new X()` fails as "1 is not a constructor")
async function generate(bundle) {
  try {
    return (await bundle.generate({ format: "cjs", codeSplitting: false, exports: "named", minify: false,
      sourcemap: "hidden", sourcemapPathTransform: (source, mapFile) => resolve(dirname(mapFile), source) })).output[0];
  } catch (e) {
    // top-level await has no CommonJS form: an ES module, marked for the host to rewrite
    // (wasmhost/runtimes/esm.py) into a body the runtime runs as an async function
    if (!String(e.message || e).includes("top-level await")) throw e;
    return { code: ESM_MARK + (await bundle.generate({ format: "esm", codeSplitting: false, minify: false })).output[0].code,
      map: null };
  }
}
try {
  let output;
  try {
    output = await generate(await build([]));
  } catch (e) {
    const places = constAssignments(e.errors || []); // const reassignments only: Node throws them when run
    if (!places) throw e;
    output = await generate(await build([constAssignPlugin(places)]));
  }
  const { code, map } = output;
  const zones = zoneText(code); // the time zone database, for a function that names timeZone
  if (zones) writeFileSync(`${out}.zones`, zones);
  const split = lazyModules(code);
  writeFileSync(out, split.code);
  if (split.lazy) writeFileSync(`${out}.lazy`, split.lazy);
  else if (map) { // a lazy bundle's modules are moved: its frames keep the bundle's places
    const layers = modules.map((m) => resolve(m));
    writeFileSync(`${out}.map`, JSON.stringify(compactMap(map, process.cwd(), join(SDK, "node_modules"),
      layers)));
  }
  if (paths.resolvedFiles.size) writeFileSync(`${out}.files`, JSON.stringify([...paths.resolvedFiles]));
} catch (e) {
  const errors = e.errors || [e];
  process.stderr.write(errors.map((x) => v8SyntaxMessage(x.message || String(x)) || x.message || String(x)).join("\n") + "\n");
  process.exit(1);
}
