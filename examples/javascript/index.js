// hello in JavaScript: "Hello, <name>!", run by StarlingMonkey inside the sandbox.
//   wasmhost deploy hello_js examples/javascript/index.js    (server running: scripts/run)
//   wasmhost invoke hello_js '{"name": "world"}'
export function handler(event, context) {
  const name = (event && event.name) || "world";
  console.log(`greeting ${name} from ${context.functionName}`);
  return `Hello, ${name}!`;
}
