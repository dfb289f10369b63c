// Where a place in the function's bundle came from: its own file, line and column, as
// Node prints them in a stack (/var/task/lib/x.js:5:9). The map is bundle.mjs's
// (stack_map.mjs: each generated line's segments start from zero), held as the text it
// came in and read one line at a time, only when a stack is read.

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
let text = null; // the map's JSON until first used
let map = null; // { sources, lines: the mappings split by line }

export function setMap(json) {
  text = json;
  map = null;
}

function segments(line) {
  const out = [];
  const state = [0, 0, 0, 0];
  let k = 0, value = 0, shift = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === ",") continue;
    const digit = B64.indexOf(line[i]);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    state[k] += value & 1 ? -(value >>> 1) : value >>> 1;
    value = shift = 0;
    if (++k === 4) {
      out.push(state.slice());
      k = 0;
    }
  }
  return out;
}

// `line` and `column` 1-based, in the bundle; answers { file, line, column } 1-based, or
// null where the bundle has no map or the place is the bundle's own code.
export function original(line, column) {
  if (map === null) {
    if (text === null) return null;
    const doc = JSON.parse(text);
    map = { sources: doc.sources, lines: doc.mappings.split(";") };
    text = null;
  }
  const found = map.lines[line - 1];
  if (!found) return null;
  let best = null;
  for (const s of segments(found)) {
    if (s[0] > column - 1) break;
    best = s;
  }
  if (best === null) return null;
  // the token's own place (V8 names where a call or a throw starts)
  return { file: map.sources[best[1]], line: best[2] + 1, column: best[3] + 1 };
}
