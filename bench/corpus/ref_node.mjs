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
const dot = handler.lastIndexOf(".");
const [file, fn] = [handler.slice(0, dot), handler.slice(dot + 1)];
let mod;
try {
  const base = join(task, file);
  const path = [".js", ".mjs", ".cjs"].map((x) => base + x).find(existsSync);
  if (!path) throw Object.assign(new Error(`Cannot find module '${file}'`), { code: "MODULE_NOT_FOUND" });
  mod = await import(pathToFileURL(path).href);
  if (path.endsWith(".js") || path.endsWith(".cjs")) mod = { ...mod.default, ...mod };
} catch (e) {
  if (e instanceof SyntaxError) answer({ error: { errorType: "Runtime.UserCodeSyntaxError", errorMessage: `${e.name}: ${e.message}` } });
  if (e && (e.code === "MODULE_NOT_FOUND" || e.code === "ERR_MODULE_NOT_FOUND")) answer({ error: { errorType: "Runtime.ImportModuleError", errorMessage: `Error: ${e.message}` } });
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
