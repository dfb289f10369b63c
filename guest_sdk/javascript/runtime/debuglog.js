// Node's util.debuglog: a logger that writes (to stderr, as "SECTION pid: message") only
// when NODE_DEBUG names its section (commas or spaces between names, `*` as a wildcard),
// read at the section's first use. unenv's writes every call: readable-stream's
// "[stream] ..." lines filled a winston function's log.
import { format } from "./format.js";
import process from "./process.js";

const escape = (text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");

export function debuglog(section, onReady) {
  let enabled;
  const test = () => {
    if (enabled === undefined) {
      enabled = (process.env.NODE_DEBUG || "").split(/[\s,]+/).filter(Boolean)
        .some((name) => new RegExp(`^${escape(name)}$`, "i").test(section));
      if (onReady) onReady(log);
    }
    return enabled;
  };
  const log = (...args) => {
    if (test()) process.stderr.write(`${section.toUpperCase()} ${process.pid}: ${format(...args)}\n`);
  };
  Object.defineProperty(log, "enabled", { get: test });
  return log;
}
