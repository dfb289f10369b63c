// Lambda's answer for a Node.js handler, from a plain Node.js 20 process set up as
// Lambda's nodejs20.x runtime sets one up (reference for corpus_replay.py): the module
// loaded as Lambda loads it (.mjs / "type": "module" as ESM, else CommonJS), async,
// promise and callback handlers, context.succeed/fail/done, the error document.
//   node ref_node.mjs <task dir> <handler> <event.json> <env.json>
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [task, handler, eventFile, envFile] = process.argv.slice(2);
for (const k of Object.keys(process.env)) delete process.env[k];
Object.assign(process.env, JSON.parse(readFileSync(envFile, "utf8")));
const REQUEST_ID = process.env._REQUEST_ID;
delete process.env._REQUEST_ID;
process.chdir(task);
const answer = (doc) => {
  process.stdout.write("\n__ANSWER__" + JSON.stringify(doc) + "\n");
  process.exit(0);
};
const errDoc = (e) => (e instanceof Error ? { errorType: e.name, errorMessage: e.message }
  : { errorType: typeof e, errorMessage: String(e) });
// the handler string and the module, found and loaded as Lambda's runtime interface client
// does (src/UserFunction.js): the module is the last path part up to its first dot; a `.js`
// file is require()d unless its package.json says "type": "module" (then import()ed),
// then `.mjs` is import()ed and `.cjs` require()d
const [, moduleRoot, moduleAndHandler] = handler.match(/^(.*?)([^/]*)$/);
const [, file, fn] = moduleAndHandler.match(/^([^.]*)\.(.*)$/) || [null, moduleAndHandler, ""];
const require = createRequire("/var/runtime/index.mjs"); // the require stack's last entry, as on Lambda
const typeModule = (dir) => {
  const pkg = join(dir, "package.json");
  if (existsSync(pkg)) {
    try {
      return JSON.parse(readFileSync(pkg, "utf8")).type === "module";
    } catch {
      return false;
    }
  }
  return dir !== "/" && typeModule(join(dir, ".."));
};
let mod;
try {
  const base = join(task, moduleRoot, file);
  const esm = existsSync(base + ".js") && typeModule(join(base, ".."));
  if (existsSync(base)) mod = require(base);
  else if (!esm && existsSync(base + ".js")) mod = require(base + ".js");
  else if (esm) mod = await import(pathToFileURL(base + ".js").href);
  else if (existsSync(base + ".mjs")) mod = await import(pathToFileURL(base + ".mjs").href);
  else if (existsSync(base + ".cjs")) mod = require(base + ".cjs");
  else {
    try {
      require.resolve(moduleRoot + file, { paths: [task, join(task, moduleRoot)] });
    } catch {
      answer({ error: { errorType: "Runtime.ImportModuleError",
        errorMessage: `Error: Cannot find module '${moduleRoot}${file}'\nRequire stack:\n- /var/runtime/index.mjs` } });
    }
    mod = require(require.resolve(moduleRoot + file, { paths: [task, join(task, moduleRoot)] }));
  }
} catch (e) {
  if (e instanceof SyntaxError) answer({ error: { errorType: "Runtime.UserCodeSyntaxError", errorMessage: `${e.name}: ${e.message}` } });
  if (e && e.code === "MODULE_NOT_FOUND") {
    answer({ error: { errorType: "Runtime.ImportModuleError", errorMessage: `Error: ${e.message}` } });
  }
  answer({ error: errDoc(e) });
}
let target = mod;
for (const p of fn.split(".")) target = target?.[p];
if (typeof target !== "function") answer({ error: { errorType: "Runtime.HandlerNotFound", errorMessage: `${handler} is undefined or not exported` } });
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const deadline = Date.now() + 30000;
let done = false;
const finish = (err, result) => {
  if (done) return;
  done = true;
  if (err !== null && err !== undefined) {
    const doc = errDoc(err);
    answer({ error: doc });
  }
  answer({ ok: result === undefined ? null : JSON.parse(JSON.stringify(result ?? null)) });
};
let pendingCb = null;
const callback = (err, result) => {
  if (context.callbackWaitsForEmptyEventLoop) { pendingCb = [err, result]; } else finish(err, result);
};
const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
const context = {
  callbackWaitsForEmptyEventLoop: true, functionName: name, functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`, memoryLimitInMB: "128",
  awsRequestId: REQUEST_ID, logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => deadline - Date.now(),
  succeed: (r) => callback(null, r), fail: (e) => callback(e ?? "handled"), done: (e, r) => callback(e, r),
};
process.on("beforeExit", () => { if (pendingCb) finish(...pendingCb); else finish(null, null); });
process.on("uncaughtException", (e) => finish(e));
process.on("unhandledRejection", (e) => finish(e));
try {
  const ret = target(event, context, callback);
  if (ret && typeof ret.then === "function") ret.then((r) => { if (!pendingCb) finish(null, r); }, (e) => finish(e ?? new Error(String(e))));
} catch (e) {
  finish(e);
}
