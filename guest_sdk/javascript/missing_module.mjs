// A CommonJS require() of a package that is in neither the function's node_modules, its
// layers nor Lambda's runtime: Node fails it when the require runs, naming the chain of
// modules that led there ("Require stack: - /var/task/ddb.js - /var/task/app.js -
// /var/runtime/index.mjs"); Lambda's answer quotes it. The bundler would leave the call to
// the runtime's require, which knows only the entry, so such a require becomes a module that
// throws Node's error with the stack of the module that asked and the modules that loaded it.
import { builtinModules } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const MARK = "\0wasmhost-unresolved:";
const STACK = "__wasmhostRequireStack__"; // placeholder + the stand-in's id, till renderChunk
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** `places`: [folder on this machine, the folder Lambda sees it as] (code, layers, runtime);
 * `folders`: the node_modules folders searched besides the code's own (layers, runtime). */
export function missingModulePlugin(places, folders) {
  const shown = (file) => {
    for (const [dir, seen] of places) {
      const rel = relative(dir, file);
      if (!rel.startsWith("..")) return `${seen}/${rel}`;
    }
    return file;
  };
  return {
    name: "wasmhost-missing-module",
    // a package folder on the way (cheap) means normal resolution; none, then the resolver
    // confirms (a package requiring itself by name has no folder of its own)
    async resolveId(id, importer, options) {
      if (!importer || options?.kind !== "require-call" || /^[./#]/.test(id) || builtins.has(id)) return null;
      const pkg = id.split("/").slice(0, id.startsWith("@") ? 2 : 1).join("/");
      for (let dir = dirname(importer); ; dir = dirname(dir)) {
        if (existsSync(join(dir, "node_modules", pkg))) return null;
        if (dirname(dir) === dir) break;
      }
      if (folders.some((dir) => existsSync(join(dir, pkg)))) return null;
      if (await this.resolve(id, importer, { ...options, skipSelf: true })) return null;
      return `${MARK}${id}\0${importer}`;
    },
    // the stack is written once the module graph is complete (each module's first importer
    // is then known): the stand-in holds a placeholder till then
    load(id) {
      if (!id.startsWith(MARK)) return null;
      const name = id.slice(MARK.length).split("\0")[0];
      return `const e = new Error(${JSON.stringify(`Cannot find module '${name}'\nRequire stack:\n`)} + "${STACK}${encodeURIComponent(id)}"); `
        + `e.code = "MODULE_NOT_FOUND"; e.requireStack = e.message.split("\\n- ").slice(1, -1); throw e;`;
    },
    renderChunk(code) {
      if (!code.includes(STACK)) return null;
      return code.replace(new RegExp(`"${STACK}([^"]*)"`, "g"), (_, encoded) => {
        const importer = decodeURIComponent(encoded).slice(MARK.length).split("\0")[1];
        const stack = [];
        for (let file = importer, seen = new Set(); file && !seen.has(file); file = this.getModuleInfo(file)?.importers[0]) {
          seen.add(file);
          stack.push(shown(file));
        }
        stack.push("/var/runtime/index.mjs");
        return JSON.stringify(stack.map((f) => `- ${f}`).join("\n"));
      });
    },
  };
}
