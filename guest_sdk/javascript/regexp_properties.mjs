// Unicode property escapes (`/[$_\p{ID_Start}]/u`: path-to-regexp 8, so Express 5) need
// the Unicode data of ICU, which StarlingMonkey's engine is built without: such a literal
// is a SyntaxError when the bundle loads. At bundle time, each `\p{...}` / `\P{...}` in a
// regular expression literal is rewritten to the code point ranges Node's own engine says
// it matches (what Babel's regexpu does), so the code runs as it does on Node 20.
import { editNodes } from "./ast_edit.mjs";

const ESCAPE = /\\[pP]\{[^}]+\}/;
const ranges = new Map();

// the class body (`\u{24}\u{41}-\u{5a}...`) of every code point `escape` matches
function classBody(escape) {
  if (ranges.has(escape)) return ranges.get(escape);
  const re = new RegExp(`^${escape}$`, "u");
  const hex = (c) => `\\u{${c.toString(16)}}`;
  let body = "", start = -1;
  for (let c = 0; c <= 0x110000; c++) {
    const hit = c < 0x110000 && re.test(String.fromCodePoint(c));
    if (hit && start < 0) start = c;
    else if (!hit && start >= 0) {
      body += start === c - 1 ? hex(start) : `${hex(start)}-${hex(c - 1)}`;
      start = -1;
    }
  }
  ranges.set(escape, body);
  return body;
}

function rewrite(pattern) {
  let out = "", inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const m = ESCAPE.exec(pattern.slice(i, i + 64));
      if (m && m.index === 0) {
        out += inClass ? classBody(m[0]) : `[${classBody(m[0])}]`;
        i += m[0].length - 1;
      } else {
        out += ch + (pattern[i + 1] ?? "");
        i++;
      }
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "]") inClass = false;
    out += ch;
  }
  return out;
}

export const regexpPropertiesPlugin = {
  name: "wasmhost-regexp-unicode-properties",
  transform(code, id) {
    if (!/\.[cm]?js$/.test(id) || !/\\[pP]\{/.test(code)) return null;
    return editNodes(id, code, "unambiguous", (node) => typeof node.regex?.pattern === "string"
      && node.regex.flags.includes("u") && ESCAPE.test(node.regex.pattern),
    (node) => [node.start, node.end, `/${rewrite(node.regex.pattern)}/${node.regex.flags}`]);
  },
};
