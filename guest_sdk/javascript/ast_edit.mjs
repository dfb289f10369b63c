// Rewriting a module's text at places its syntax tree marks, for the bundler's plugins that
// change what Node accepts but the sandbox cannot run (regexp_properties.mjs: a regular
// expression's \p{...}; dynamic_import.mjs: import() of what the bundle could not hold).
// The tree is oxc's (rolldown's parser), which has no visitor to hand: a walk over every
// object under the program is short and finds what a visitor would.
import { parseSync } from "rolldown/experimental";

/** Every node under `node` (children of a match included) that `match` accepts. */
export function findNodes(node, match, found = []) {
  if (Array.isArray(node)) {
    for (const child of node) findNodes(child, match, found);
  } else if (node && typeof node === "object") {
    if (match(node)) found.push(node);
    for (const key in node) if (node[key] && typeof node[key] === "object") findNodes(node[key], match, found);
  }
  return found;
}

/** `code` with, for each node `match` accepts, the span `edit(node)` gives ([start, end, text])
 * replaced, as a plugin's answer ({ code, map: null }); null when nothing matches or the text
 * does not parse (the bundler then reports it in its own words). Spans must not overlap. */
export function editNodes(file, code, sourceType, match, edit) {
  let program;
  try {
    ({ program } = parseSync(file, code, { sourceType }));
  } catch {
    return null;
  }
  const edits = findNodes(program, match).map(edit).sort((a, b) => b[0] - a[0]);
  if (!edits.length) return null;
  let out = code;
  for (const [start, end, text] of edits) out = `${out.slice(0, start)}${text}${out.slice(end)}`;
  return { code: out, map: null };
}
