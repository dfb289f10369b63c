// A syntax error in the function's code in V8's words, as Lambda's Runtime.UserCodeSyntaxError
// quotes it ("SyntaxError: Identifier 'S3' has already been declared"): the bundler's parser
// (oxc, through rolldown) words them its own way and draws the place ("[PARSE_ERROR] Identifier
// `S3` has already been declared ╭─[ widgets.js:31:9 ]"). Its common ones are reworded; where
// V8 names the token it stopped at, the token is read at the place oxc gives. Anything else
// keeps oxc's first line.
import { readFileSync } from "node:fs";

const KEYWORDS = new Set(("break case catch class const continue debugger default delete do else export extends "
  + "false finally for function if import in instanceof new null return super switch this throw true try typeof "
  + "var void while with").split(" "));
const PUNCTUATORS = [">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
  "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>"];

// V8's "Unexpected ..." for the token that starts at `at` in `text`
function unexpected(text, at) {
  const rest = text.slice(at).replace(/^\s+/, "");
  if (!rest) return "Unexpected end of input";
  const word = rest.match(/^[A-Za-z_$][\w$]*/);
  if (word) return KEYWORDS.has(word[0]) ? `Unexpected token '${word[0]}'` : `Unexpected identifier '${word[0]}'`;
  if (/^\d|^\.\d/.test(rest)) return "Unexpected number";
  if (/^["']/.test(rest)) return "Unexpected string";
  if (rest[0] === "`") return "Unexpected template string";
  return `Unexpected token '${PUNCTUATORS.find((p) => rest.startsWith(p)) || rest[0]}'`;
}

function offset(text, line, column) {
  let at = 0;
  for (let i = 1; i < line; i++) at = text.indexOf("\n", at) + 1;
  return at + column - 1;
}

/** V8's words for one of rolldown's PARSE_ERROR messages, or null when it is not one. */
export function v8SyntaxMessage(message) {
  if (!message.startsWith("[PARSE_ERROR] ")) return null;
  const first = message.slice(14).split("\n")[0];
  const place = message.match(/╭─\[ (.+):(\d+):(\d+) \]/);
  let text = null;
  try {
    text = place && readFileSync(place[1], "utf8");
  } catch {
    text = null;
  }
  const declared = first.match(/^Identifier `(.+)` has already been declared/);
  let v8;
  if (declared) v8 = `Identifier '${declared[1]}' has already been declared`;
  else if (/found `EOF`|Unexpected end of/.test(first)) v8 = "Unexpected end of input";
  else if (/^Unterminated (string|template)/.test(first)) v8 = "Invalid or unexpected token";
  else if (/^`await` is only allowed within async functions/.test(first)) {
    v8 = "await is only valid in async functions and the top level bodies of modules";
  } else if (/^Unexpected token|^Expected .* but found/.test(first) && text !== null) {
    v8 = unexpected(text, offset(text, Number(place[2]), Number(place[3])));
  }
  return `SyntaxError: ${v8 || first.replace(/`/g, "'")}`;
}
