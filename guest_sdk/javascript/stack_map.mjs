// A bundle's source map, made small for the runtime to turn a stack frame's place in the
// bundle into the place in the function's own file, as Node prints it
// (/var/task/lib/x.js:5:9). The runtime looks up one line at a time, only when an error's
// stack is read: the map's mappings are re-encoded so each generated line starts from
// zero (a standard map's segments are relative to the previous line's, so reading line
// 30000 would mean decoding the 29999 before it), and its sources are the paths Lambda
// would show: /var/task for the function's code, /opt for a layer's, /var/runtime for the
// AWS SDK Lambda includes.
// The mappings' Base64 VLQ is ten lines of code, written here rather than taken from a
// package: the runtime's half (runtime/sourcemap.js) must decode it without one.
import { dirname, relative, resolve } from "node:path";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeLine(text, state) {
  const segments = [];
  let seg = [], value = 0, shift = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === ",") {
      if (seg.length) segments.push(seg);
      seg = [];
      continue;
    }
    const digit = B64.indexOf(text[i]);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    const n = value & 1 ? -(value >>> 1) : value >>> 1;
    seg.push(state[seg.length] += n);
    value = shift = 0;
  }
  return segments;
}

function encode(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1, out = "";
  do {
    const digit = v & 31;
    v >>>= 5;
    out += B64[v ? digit | 32 : digit];
  } while (v);
  return out;
}

// `map` is rolldown's (its sources absolute paths); `cwd` the function's code root, `sdk`
// the AWS SDK's node_modules, `layers` the layers' node_modules folders.
export function compactMap(map, cwd, sdk, layers) {
  const place = (source) => {
    const abs = resolve(source);
    if (abs.startsWith(cwd + "/")) return `/var/task/${relative(cwd, abs)}`;
    if (abs.startsWith(sdk + "/")) return `/var/runtime/node_modules/${relative(sdk, abs)}`;
    for (const m of layers) {
      if (abs.startsWith(m + "/")) return `/opt/${relative(m.replace(/\/nodejs\/(node\d+\/)?node_modules$/, ""), abs)}`;
    }
    return `node:internal/${relative(dirname(dirname(abs)), abs)}`; // wasmhost's own parts of Node's modules
  };
  const state = [0, 0, 0, 0, 0];
  const lines = map.mappings.split(";").map((text) => {
    state[0] = 0;
    const prev = [0, 0, 0, 0];
    return decodeLine(text, state).filter((s) => s.length >= 4).map((s) => {
      const out = encode(s[0] - prev[0]) + encode(s[1] - prev[1]) + encode(s[2] - prev[2]) + encode(s[3] - prev[3]);
      prev.splice(0, 4, s[0], s[1], s[2], s[3]);
      return out;
    }).join(",");
  });
  return { sources: map.sources.map(place), mappings: lines.join(";") };
}
