// `import("os")` left in a bundle (a built-in module, or a name computed at run time: rolldown
// bundles the rest) would reach StarlingMonkey's own module loader, which has no modules and
// traps the instance: the MongoDB driver's `await import("os")` killed every MongoClient. Each
// such import() becomes the runtime's __wasmhostImport() (runtime.js), which loads the module
// as require() does and gives it as Node gives a built-in to import(): a namespace with the
// module as `default` and its properties as named exports; a name it cannot load rejects.
import { editNodes } from "./ast_edit.mjs";

export const dynamicImportPlugin = {
  name: "wasmhost-dynamic-import",
  renderChunk(code, chunk, options) {
    if (!code.includes("import(")) return null;
    return editNodes(chunk.fileName, code, options.format === "es" ? "module" : "script",
      (node) => node.type === "ImportExpression", (node) => [node.start, node.start + "import".length, "__wasmhostImport"]);
  },
};
