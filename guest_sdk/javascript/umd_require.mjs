// AMD / UMD modules (when.js, and the many packages written as `define(function (require)
// { var x = require("./x"); ... })` with a CommonJS fallback that calls the factory with
// Node's `require`): in Node, which has no `define`, the factory runs with the module's own
// `require`. Its calls are to a parameter, though, so the bundler does not see them as the
// module's dependencies and leaves them out ("Cannot find module './lib/decorators/timed'"
// at run time). In a file that speaks of `define`, a function parameter named `require` is
// renamed, so the calls inside are the module's own, bundled as Node would load them.
const PARAMS = /\bfunction\b\s*[\w$]*\s*\(([^()]*)\)/g;

export const umdRequirePlugin = {
  name: "wasmhost-umd-require",
  transform(code, id) {
    if (!/\.c?js$/.test(id) || !code.includes("define") || !/\(\s*require\s*[,)]/.test(code)) return null;
    if (!/\btypeof\s+define\b|\bdefine\.amd\b/.test(code)) return null; // not a UMD / AMD module
    let changed = false;
    const out = code.replace(PARAMS, (whole, params) => {
      if (!/(^|,)\s*require\s*(,|$)/.test(params)) return whole;
      changed = true;
      return whole.replace(/\brequire\b/, "__amdRequire");
    });
    return changed ? { code: out, map: null } : null;
  },
};
