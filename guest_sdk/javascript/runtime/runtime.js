// wasmhost's JavaScript runtime: StarlingMonkey (componentize-js) running
// `export function handler(event, context)` as Lambda's Node.js runtime calls it.
// Built once; the user's source is evaluated at instance init.
import "./wasmhost_sdk.js"; // fetch and wasmhost.kv through the host's capabilities

let handler = null;

function errorDoc(e) {
  const err = e instanceof Error ? e : new Error(String(e));
  return JSON.stringify({
    errorType: err.name || "Error",
    errorMessage: err.message,
    stackTrace: String(err.stack || "").split("\n").filter((l) => l),
  });
}

// ES module syntax cannot run inside `new Function`: turn `export` declarations into
// assignments to `exports` (handlers are plain functions, as Lambda's are).
function toScript(source) {
  const names = [];
  let body = source.replace(/^export\s+default\s+/m, "exports.default = ");
  body = body.replace(/^export\s+(async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/gm, (m, a, name) => {
    names.push(name);
    return `${a || ""}function ${name}`;
  });
  body = body.replace(/^export\s+(const|let|var)\s+([A-Za-z_$][\w$]*)/gm, (m, kind, name) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  return body + "\n" + names.map((n) => `exports.${n} = ${n};`).join("\n");
}

class Context {
  constructor(doc) {
    this.awsRequestId = doc.request_id || "";
    this.functionName = doc.function_name || "";
    this.functionVersion = doc.function_version || "$LATEST";
    this.memoryLimitInMB = String(doc.memory_limit_in_mb || "");
    this.invokedFunctionArn = doc.invoked_function_arn || "";
    this.logGroupName = "/aws/lambda/" + this.functionName;
    this._deadline = doc.deadline_ms || 0;
  }
  getRemainingTimeInMillis() {
    return Math.max(0, Math.floor(this._deadline - Date.now()));
  }
}

export function init(source, name) {
  try {
    const module = { exports: {} };
    new Function("module", "exports", toScript(source))(module, module.exports);
    handler = module.exports[name];
    if (typeof handler !== "function") {
      throw new TypeError(`the source exports no function named '${name}'`);
    }
  } catch (e) {
    throw errorDoc(e);
  }
}

export function handle(event, context) {
  let ev;
  try {
    ev = event ? JSON.parse(event) : {};
  } catch (e) {
    ev = event;
  }
  try {
    const result = handler(ev, new Context(JSON.parse(context)));
    if (result && typeof result.then === "function") {
      throw new TypeError("async handlers are not supported yet: return the value, not a Promise");
    }
    return JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    throw errorDoc(e);
  }
}
