// util.types as Node answers: unenv's leaves most of them "not implemented" (node-fetch 3
// calls isBoxedPrimitive on every body) and answers isNumberObject(1) true. Each check is the
// engine's own brand check (a built-in's method that throws on anything else) or its
// Object.prototype.toString tag, as V8's are; written here because they are a line each
// (the browserify `util` package does the same through six small packages).
// isProxy cannot be told from inside JavaScript: it answers false.
import { KeyObject } from "./crypto_keys.js";

const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);
const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";

function branded(method) {
  return (v) => {
    if (!isObject(v)) return false;
    try {
      method.call(v);
      return true;
    } catch {
      return false;
    }
  };
}
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const typedArrayName = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);
const typedArray = (name) => (v) => typedArrayName.call(v) === name;

const types = {
  isExternal: () => false,
  isProxy: () => false,
  isDate: branded(Date.prototype.getTime),
  isRegExp: branded(getter(RegExp.prototype, "global")),
  isMap: branded(getter(Map.prototype, "size")),
  isSet: branded(getter(Set.prototype, "size")),
  isWeakMap: branded(WeakMap.prototype.has),
  isWeakSet: branded(WeakSet.prototype.has),
  isNumberObject: (v) => typeof v === "object" && branded(Number.prototype.valueOf)(v),
  isStringObject: (v) => typeof v === "object" && branded(String.prototype.valueOf)(v),
  isBooleanObject: (v) => typeof v === "object" && branded(Boolean.prototype.valueOf)(v),
  isBigIntObject: (v) => typeof v === "object" && branded(BigInt.prototype.valueOf)(v),
  isSymbolObject: (v) => typeof v === "object" && branded(Symbol.prototype.valueOf)(v),
  isPromise: (v) => isObject(v) && tag(v) === "Promise" && v instanceof Promise,
  isNativeError: (v) => isObject(v) && tag(v) === "Error",
  isArgumentsObject: (v) => isObject(v) && tag(v) === "Arguments",
  isAsyncFunction: (v) => typeof v === "function" && /^Async(Generator)?Function$/.test(tag(v)),
  isGeneratorFunction: (v) => typeof v === "function" && /^(Async)?GeneratorFunction$/.test(tag(v)),
  isGeneratorObject: (v) => isObject(v) && tag(v) === "Generator",
  isMapIterator: (v) => isObject(v) && tag(v) === "Map Iterator",
  isSetIterator: (v) => isObject(v) && tag(v) === "Set Iterator",
  isModuleNamespaceObject: (v) => isObject(v) && tag(v) === "Module" && Object.getPrototypeOf(v) === null,
  isArrayBuffer: branded(getter(ArrayBuffer.prototype, "byteLength")),
  isSharedArrayBuffer: typeof SharedArrayBuffer === "function"
    ? branded(getter(SharedArrayBuffer.prototype, "byteLength")) : () => false,
  isDataView: branded(getter(DataView.prototype, "byteLength")),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isTypedArray: (v) => typedArrayName.call(v) !== undefined,
  isCryptoKey: (v) => typeof CryptoKey === "function" && v instanceof CryptoKey,
  isKeyObject: (v) => v instanceof KeyObject,
};
types.isAnyArrayBuffer = (v) => types.isArrayBuffer(v) || types.isSharedArrayBuffer(v);
types.isBoxedPrimitive = (v) => types.isNumberObject(v) || types.isStringObject(v) || types.isBooleanObject(v)
  || types.isBigIntObject(v) || types.isSymbolObject(v);
for (const name of ["Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "Int8Array", "Int16Array",
  "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
  types[`is${name}`] = typedArray(name);
}

export default types;
