// Bundle a Node.js Lambda function (CommonJS or ES modules, its own files and the
// node_modules in its zip or its layers) into one CommonJS script for the runtime.
// Node's built-in modules stay `require`s: the runtime provides them. Code with top-level
// await is written as one ES module instead (CommonJS cannot hold it).
//   node bundle.mjs <entry file> <out file> [extra node_modules folders...]
import { rolldown } from "rolldown";
import { writeFileSync } from "node:fs";
import { builtinModules } from "node:module";

const [entry, out, ...modules] = process.argv.slice(2);
const ESM_MARK = "//# wasmhost: es module\n";
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
try {
  const bundle = await rolldown({
    input: entry,
    platform: "node",
    external: (id) => builtins.has(id) || id.startsWith("node:"),
    resolve: { modules: ["node_modules", ...modules] },
    logLevel: "silent",
    treeshake: false, // a handler module's side effects (and its exports) are its own business
  });
  let code;
  try {
    code = (await bundle.generate({ format: "cjs", codeSplitting: false, exports: "named" })).output[0].code;
  } catch (e) {
    // top-level await has no CommonJS form: an ES module, marked for the host to rewrite
    // (wasmhost/runtimes/esm.py) into a body the runtime runs as an async function
    if (!String(e.message || e).includes("top-level await")) throw e;
    code = ESM_MARK + (await bundle.generate({ format: "esm", codeSplitting: false })).output[0].code;
  }
  writeFileSync(out, code);
} catch (e) {
  const errors = e.errors || [e];
  process.stderr.write(errors.map((x) => x.message || String(x)).join("\n") + "\n");
  process.exit(1);
}
