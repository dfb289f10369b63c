// Error messages as Node.js (V8) words them, where StarlingMonkey (SpiderMonkey) words
// them differently: Lambda's answer for a handler that fails, or that puts an error's
// message into its response, is V8's text.
//
// - JSON.parse: the most common failure in handlers (a body that is not JSON). Its
//   SyntaxError is made here with V8's message (V8 11, Node.js 20: json-parser.cc's
//   rules, including the 10-character context around the unexpected token), computed
//   only after the engine's parse has failed.
// - Engine TypeErrors (reading a property of undefined): their message is set by the
//   engine, so it is translated where Lambda shows it: the error document of an
//   uncaught error, `String(e)` / `${e}` / `new Error(e)`, console output (v8Message).

const SPECIAL = new Set(["NaN", "Infinity", "undefined", "[object Object]"]);
const CONTEXT = 10; // V8's kMaxContextCharacters

class JsonError extends Error {
  constructor(message) {
    super(message);
    this.message = message;
  }
}

function unexpectedToken(src, pos) {
  if (pos >= src.length) return "Unexpected end of JSON input";
  if (SPECIAL.has(src)) return `"${src}" is not valid JSON`;
  const token = src[pos];
  const n = src.length;
  if (n <= 2 * CONTEXT) return `Unexpected token '${token}', "${src}" is not valid JSON`;
  if (pos < CONTEXT) return `Unexpected token '${token}', "${src.slice(0, pos + CONTEXT)}"... is not valid JSON`;
  if (pos < n - CONTEXT) {
    return `Unexpected token '${token}', ..."${src.slice(pos - CONTEXT, pos + CONTEXT)}"... is not valid JSON`;
  }
  return `Unexpected token '${token}', ..."${src.slice(pos - CONTEXT)}" is not valid JSON`;
}

const at = (what, pos) => `${what} in JSON at position ${pos}`;
const isWs = (c) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isDigit = (c) => c >= "0" && c <= "9";

// Scan `src` as V8's parser does and return the message of its first error.
function jsonMessage(src) {
  let i = 0;
  const n = src.length;
  const ws = () => { while (i < n && isWs(src[i])) i++; };
  const fail = (message) => { throw new JsonError(message); };
  function string() {
    i++; // the opening quote
    for (;;) {
      if (i >= n) fail(at("Unterminated string", n));
      const c = src[i];
      if (c === '"') { i++; return; }
      if (c < " ") fail(at("Bad control character in string literal", i));
      if (c === "\\") {
        i++;
        if (i >= n) fail(at("Unterminated string", n));
        const e = src[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(src[i + k] || "")) fail(at("Bad Unicode escape", i + k > n ? n : i));
          }
          i += 4;
        } else if (!'"\\/bfnrt'.includes(e)) {
          fail(at("Bad escaped character", i));
        }
      }
      i++;
    }
  }
  function number() {
    if (src[i] === "-") {
      i++;
      if (!isDigit(src[i] || "")) fail(at("No number after minus sign", i));
    }
    if (src[i] === "0") i++;
    else while (isDigit(src[i] || "")) i++;
    if (src[i] === ".") {
      i++;
      if (!isDigit(src[i] || "")) fail(at("Unterminated fractional number", i));
      while (isDigit(src[i] || "")) i++;
    }
    if (src[i] === "e" || src[i] === "E") {
      i++;
      if (src[i] === "+" || src[i] === "-") i++;
      if (!isDigit(src[i] || "")) fail(at("Exponent part is missing a number", i));
      while (isDigit(src[i] || "")) i++;
    }
  }
  function literal(word) {
    for (let k = 0; k < word.length; k++, i++) {
      if (src[i] !== word[k]) fail(unexpectedToken(src, i));
    }
  }
  function value() {
    ws();
    const c = src[i];
    if (c === '"') return string();
    if (c === "-" || isDigit(c || "")) return number();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "[") {
      i++;
      ws();
      if (src[i] === "]") { i++; return; }
      for (;;) {
        value();
        ws();
        if (src[i] === ",") { i++; continue; }
        if (src[i] === "]") { i++; return; }
        fail(at("Expected ',' or ']' after array element", i));
      }
    }
    if (c === "{") {
      i++;
      ws();
      if (src[i] === "}") { i++; return; }
      let first = true;
      for (;;) {
        ws();
        if (src[i] !== '"') fail(at(first ? "Expected property name or '}'" : "Expected double-quoted property name", i));
        first = false;
        string();
        ws();
        if (src[i] !== ":") fail(at("Expected ':' after property name", i));
        i++;
        value();
        ws();
        if (src[i] === ",") { i++; continue; }
        if (src[i] === "}") { i++; return; }
        fail(at("Expected ',' or '}' after property value", i));
      }
    }
    fail(unexpectedToken(src, i));
  }
  try {
    value();
    ws();
    if (i < n) fail(`Unexpected non-whitespace character after JSON at position ${i}`);
  } catch (e) {
    if (e instanceof JsonError) return e.message;
    throw e;
  }
  return null; // V8 would have parsed it: keep the engine's message
}

// SpiderMonkey's messages that V8 words differently, by the error's name: the ones
// handlers meet (a property read on undefined or null; an object expected; a constant
// assigned; a malformed URI; an invalid date or array length), where SpiderMonkey's text
// holds what V8's needs. (Some cannot be: "Cannot set properties of undefined" is
// SpiderMonkey's same text as a read; a destructuring names no property.)
const ENGINE_MESSAGES = {
  TypeError: [
    // for-of and spread name the expression (`for (const r of event.Records)`, the usual
    // failure); a built-in's argument (SpiderMonkey's self-hosted `items`) is V8's long form
    [/^can't access property Symbol\.iterator, (.+) is (undefined|null)$/s, (m) => (m[1] === "items"
      ? `${m[2]} is not iterable (cannot read property Symbol(Symbol.iterator))` : `${m[1]} is not iterable`)],
    [/^can't access property Symbol\.iterator of (undefined|null)$/s,
      (m) => `${m[1]} is not iterable (cannot read property Symbol(Symbol.iterator))`],
    [/^can't access property "?(.*?)"?, .+ is (undefined|null)$/s, (m) => `Cannot read properties of ${m[2]} (reading '${m[1]}')`],
    [/^can't access property "?(.*?)"? of (undefined|null)$/s, (m) => `Cannot read properties of ${m[2]} (reading '${m[1]}')`],
    [/^can't convert (undefined|null) to object$/, () => "Cannot convert undefined or null to object"],
    [/^\((.*)\) is not iterable$/s, (m) => `${m[1]} is not iterable`],
    [/^invalid assignment to const '.*'$/s, () => "Assignment to constant variable."],
    [/^can't convert BigInt to number$/, () => "Cannot mix BigInt and other types, use explicit conversions"],
    [/^BigInt value can't be serialized in JSON$/, () => "Do not know how to serialize a BigInt"],
    [/^can't convert symbol to string$/, () => "Cannot convert a Symbol value to a string"],
    [/^reduce of empty array with no initial value$/, () => "Reduce of empty array with no initial value"],
  ],
  RangeError: [
    [/^invalid array length$/, () => "Invalid array length"],
    [/^invalid date$/, () => "Invalid time value"],
  ],
  InternalError: [[/^too much recursion$/, () => "Maximum call stack size exceeded"]],
  ReferenceError: [[/^can't access lexical declaration '(.*)' before initialization$/s,
    (m) => `Cannot access '${m[1]}' before initialization`]],
  URIError: [[/^malformed URI sequence$/, () => "URI malformed"]],
  SyntaxError: [[/^invalid assignment left-hand side$/, () => "Invalid left-hand side in assignment"]],
};
const ENGINE = new Set([TypeError, RangeError, ReferenceError, SyntaxError, URIError,
  ...(typeof InternalError === "function" ? [InternalError] : [])]); // eslint-disable-line no-undef

export function v8Message(e) {
  const message = e && e.message;
  if (typeof message !== "string" || !(e instanceof Error)) return message;
  for (const [re, make] of ENGINE_MESSAGES[e.constructor && ENGINE.has(e.constructor) ? e.constructor.name : ""] || []) {
    const m = re.exec(message);
    if (m) return make(m);
  }
  return message;
}

// JSON.stringify of a circular structure: V8 shows where the circle is (json-stringifier.cc:
// the object it starts at, the first two and the last step of the way round, the key
// that closes it), found here by walking the value as stringify does, only once the
// engine has refused it.
const ctorName = (o) => {
  const c = o && o.constructor;
  return (c && typeof c.name === "string" && c.name) || "Object";
};
const keyText = (holder, key) => (Array.isArray(holder) ? `index ${key}` : `property '${key}'`);
function circularMessage(value, replacer) {
  const stack = []; // [key, object] from the root
  const visit = (holder, key, v) => {
    if (v && typeof v.toJSON === "function") v = v.toJSON(key);
    if (typeof replacer === "function") v = replacer.call(holder, key, v);
    if (v === null || typeof v !== "object") return null;
    const at = stack.findIndex(([, o]) => o === v);
    if (at >= 0) {
      const lines = [`Converting circular structure to JSON\n    --> starting at object with constructor '${ctorName(v)}'`];
      const step = (i) => `\n    |     ${keyText(stack[i - 1][1], stack[i][0])} -> object with constructor '${ctorName(stack[i][1])}'`;
      const prefixEnd = Math.min(stack.length, at + 3);
      for (let i = at + 1; i < prefixEnd; i++) lines.push(step(i));
      if (stack.length > prefixEnd + 1) lines.push("\n    |     ...");
      for (let i = Math.max(prefixEnd, stack.length - 1); i < stack.length; i++) lines.push(step(i));
      lines.push(`\n    --- ${keyText(holder, key)} closes the circle`);
      return lines.join("");
    }
    stack.push([key, v]);
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
    for (const k of keys) {
      const found = visit(v, k, v[k]);
      if (found) return found;
    }
    stack.pop();
    return null;
  };
  return visit({ "": value }, "", value);
}

// `new URL("not a url")`: Node's TypeError ("Invalid URL", code ERR_INVALID_URL, the input)
function installUrl() {
  const Native = globalThis.URL;
  if (typeof Native !== "function") return;
  class URL extends Native {
    constructor(url, base) {
      try {
        if (base === undefined) super(url);
        else super(url, base);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        const err = new TypeError("Invalid URL");
        err.code = "ERR_INVALID_URL";
        err.input = String(url);
        if (base !== undefined) err.base = String(base);
        throw err;
      }
    }
  }
  globalThis.URL = URL;
}

export function installV8Messages() {
  installUrl();
  // SpiderMonkey's InternalError (a stack overflow: "too much recursion") is V8's RangeError
  if (typeof InternalError === "function") { // eslint-disable-line no-undef
    Object.setPrototypeOf(InternalError.prototype, RangeError.prototype); // eslint-disable-line no-undef
    Object.defineProperty(InternalError.prototype, "name", { value: "RangeError", writable: true, configurable: true }); // eslint-disable-line no-undef
  }
  const stringify = JSON.stringify;
  JSON.stringify = function (value, replacer, space) {
    try {
      return stringify(value, replacer, space);
    } catch (e) {
      if (!(e instanceof TypeError) || e.message !== "cyclic object value") throw e;
      let message = null;
      try {
        message = circularMessage(value, replacer);
      } catch {
        // a toJSON or replacer that throws when called again: the engine's words stand
      }
      if (message === null) throw e;
      throw new TypeError(message);
    }
  };
  const parse = JSON.parse;
  JSON.parse = function (text, reviver) {
    try {
      return parse(text, reviver);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      const message = jsonMessage(String(text));
      if (message === null) throw e;
      throw new SyntaxError(message);
    }
  };
  const toString = Error.prototype.toString;
  Error.prototype.toString = function () {
    if (this instanceof Error && ENGINE.has(this.constructor) && typeof this.message === "string") {
      const name = this.name === undefined ? "Error" : String(this.name);
      const message = v8Message(this);
      return message ? (name ? `${name}: ${message}` : message) : name;
    }
    return toString.call(this);
  };
}
