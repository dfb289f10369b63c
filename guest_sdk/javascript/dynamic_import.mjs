// `import("os")` left in a bundle (a built-in module, or a name computed at run time: rolldown
// bundles the rest) would reach StarlingMonkey's own module loader, which has no modules and
// traps the instance: the MongoDB driver's `await import("os")` killed every MongoClient. Each
// such import() becomes the runtime's __wasmhostImport() (runtime.js), which loads the module
// as require() does and gives it as Node gives a built-in to import(): a namespace with the
// module as `default` and its properties as named exports; a name it cannot load rejects.
import { parseSync } from "rolldown/experimental";

function imports(node, found) {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) imports(child, found);
    return;
  }
  if (node.type === "ImportExpression") found.push(node);
  for (const key in node) if (node[key] && typeof node[key] === "object") imports(node[key], found);
}

export const dynamicImportPlugin = {
  name: "wasmhost-dynamic-import",
  renderChunk(code, chunk, options) {
    if (!code.includes("import(")) return null;
    let program;
    try {
      ({ program } = parseSync(chunk.fileName, code, { sourceType: options.format === "es" ? "module" : "script" }));
    } catch {
      return null;
    }
    const found = [];
    imports(program, found);
    if (!found.length) return null;
    let out = code;
    for (const node of found.sort((a, b) => b.start - a.start)) {
      out = `${out.slice(0, node.start)}__wasmhostImport${out.slice(node.start + "import".length)}`;
    }
    return { code: out, map: null };
  },
};
