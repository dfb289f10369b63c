// An assignment to a `const` is a TypeError in Node only when it runs ("Assignment to
// constant variable."); rolldown refuses the whole bundle for it (ILLEGAL_REASSIGNMENT), so a
// handler with one on a path it rarely takes (Alexa's trivia sample) could not deploy. The
// bundle is built again with each such assignment rewritten, at the places rolldown reported,
// into code that evaluates what Node would evaluate and then throws Node's TypeError.
import { editNodes } from "./ast_edit.mjs";

const THROW = '(() => { throw new TypeError("Assignment to constant variable."); })()';
const LOGICAL = new Set(["||=", "&&=", "??="]);

/** The places ({ id: Set of positions }) of rolldown's ILLEGAL_REASSIGNMENT errors, or null when
 * the build failed for anything else too. */
export function constAssignments(errors) {
  if (!errors.length || !errors.every((e) => e.code === "ILLEGAL_REASSIGNMENT" && e.id && typeof e.pos === "number")) {
    return null;
  }
  const places = new Map();
  for (const e of errors) places.set(e.id, (places.get(e.id) || new Set()).add(e.pos));
  return places;
}

function rewrite(code, node) {
  const text = (n) => code.slice(n.start, n.end);
  if (node.type === "UpdateExpression") return [node.start, node.end, `(+${text(node.argument)}, ${THROW})`];
  const target = text(node.left), value = text(node.right);
  if (node.operator === "=") return [node.start, node.end, `(${value}, ${THROW})`];
  if (LOGICAL.has(node.operator)) {  // no assignment (so no error) when the operator short-circuits
    return [node.start, node.end, `(${target} ${node.operator.slice(0, -1)} (${value}, ${THROW}))`];
  }
  return [node.start, node.end, `(${target}, ${value}, ${THROW})`];
}

/** A plugin, last among the transforms, rewriting the reported assignments of `places`. */
export function constAssignPlugin(places) {
  return {
    name: "wasmhost-const-assignment",
    transform(code, id) {
      const at = places.get(id);
      if (!at) return null;
      const target = (node) => (node.type === "AssignmentExpression" ? node.left
        : node.type === "UpdateExpression" ? node.argument : null);
      return editNodes(id, code, "unambiguous", (node) => {
        const t = target(node);
        return t && t.type === "Identifier" && at.has(t.start);
      }, (node) => rewrite(code, node));
    },
  };
}
