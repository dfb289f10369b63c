// Build wasmhost's JavaScript runtime component: bundle runtime/ (with unenv's Node.js
// built-ins) into one ES module with rolldown, then componentize it (StarlingMonkey).
//   node build.mjs <wit file> <out.wasm>
import { rolldown } from "rolldown";
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFileSync, mkdtempSync } from "node:fs";
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
