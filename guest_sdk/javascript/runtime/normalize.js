// String.prototype.normalize, which StarlingMonkey lacks without ICU (hapi's and joi's
// validators normalize every domain and string they check: without it they throw "x is
// not a function"). ASCII text is its own normal form in all four forms, so it is
// answered at once; anything else goes to unorm (the Unicode normalization algorithm and
// its data in JavaScript), compiled when first needed: its tables, built at load, take
// ~9 MB of the engine's heap, which every instance would carry otherwise.
// Node words a bad form as V8 does.
import unormSource from "unorm/lib/unorm.js?text"; // build.mjs: the file's text

const FORMS = new Set(["NFC", "NFD", "NFKC", "NFKD"]);
const ASCII = /^[\x00-\x7f]*$/;
let unorm = null;

function load() {
  const module = { exports: {} };
  new Function("module", "exports", unormSource)(module, module.exports);
  return module.exports;
}

export function installNormalize() {
  if (typeof String.prototype.normalize === "function") return;
  Object.defineProperty(String.prototype, "normalize", {
    configurable: true, writable: true, enumerable: false,
    value: function normalize(form = undefined) {
      if (this === null || this === undefined) {
        throw new TypeError("String.prototype.normalize called on null or undefined");
      }
      const text = String(this);
      const name = form === undefined ? "NFC" : String(form);
      if (!FORMS.has(name)) throw new RangeError("The normalization form should be one of NFC, NFD, NFKC, NFKD.");
      if (ASCII.test(text)) return text;
      unorm ??= load();
      return unorm[name.toLowerCase()](text);
    },
  });
}
