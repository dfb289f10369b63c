// hello in JavaScript: "Hello, <name>!", run by StarlingMonkey inside the sandbox as
// Lambda's Node.js runtime runs it (an async handler: its Promise is the answer).
//   wasmhost deploy hello_js examples/javascript/index.js    (server running: scripts/run)
//   wasmhost invoke hello_js '{"name": "world"}'
export const handler = async (event, context) => {
  const name = (event && event.name) || "world";
  console.log(`greeting ${name} from ${context.functionName}`);
  return `Hello, ${name}!`;
};
