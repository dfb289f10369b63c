// Build wasmhost's JavaScript runtime component: bundle runtime/ (with unenv's Node.js
// built-ins) into one ES module with rolldown, then componentize it (StarlingMonkey).
//   node build.mjs <wit file> <out.wasm>
import { rolldown } from "rolldown";
import { componentize } from "@bytecodealliance/componentize-js";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const [wit, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const ownProcess = join(here, "runtime", "process.js");

const bundle = await rolldown({
  input: process.env.WASMHOST_JS_ENTRY || join(here, "runtime", "runtime.js"),
  platform: "neutral",
  external: [/^wasmhost:/], // the host's WIT imports (wasmhost_sdk.js), left to componentize
  logLevel: "silent",
  plugins: [{
    // `import text from "<file>?text"`: the file's source as a string, for code the runtime
    // compiles only when first needed (normalize.js's Unicode tables)
    name: "source-as-text",
    async resolveId(id, importer) {
      if (!id.endsWith("?text")) return null;
      const found = await this.resolve(id.slice(0, -5), importer, { skipSelf: true });
      return found && `${found.id}?text`;
    },
    load(id) {
      return id.endsWith("?text") ? `export default ${JSON.stringify(readFileSync(id.slice(0, -5), "utf8"))};` : null;
    },
  }, {
    name: "node-builtins-from-unenv",
    async resolveId(id, importer) {
      if (id === "node:process" || id === "process") return ownProcess;
      if (id.startsWith("node:")) return this.resolve(`unenv/node/${id.slice(5)}`, importer, { skipSelf: true });
      return null;
    },
  }],
});
const { output } = await bundle.generate({ format: "esm", codeSplitting: false });
const dir = mkdtempSync(join(tmpdir(), "wasmhost-js-"));
const source = join(dir, "runtime.js");
writeFileSync(source, output[0].code);
const { component } = await componentize({
  sourcePath: source, witPath: wit, worldName: "javascript", disableFeatures: ["http", "fetch-event"],
});
writeFileSync(out, component);
