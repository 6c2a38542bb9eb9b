// Drives `heaplens mcp` with the official MCP TypeScript SDK's client, as agents' hosts do, and
// prints what it got as one JSON document for crates/cli/tests/mcp.rs to judge:
//   node tests/mcp/client.mjs HEAPLENS SERIES_DIR LAST_SNAPSHOT CORRUPT_FILE MISSING_PATH
// HEAPLENS_MCP_SDK: a folder whose node_modules holds @modelcontextprotocol/sdk.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve(process.env.HEAPLENS_MCP_SDK, 'x.js'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const [heaplens, series, last, corrupt, missing] = process.argv.slice(2);

const client = new Client({ name: 'heaplens-test', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: heaplens, args: ['mcp'], stderr: 'inherit' }));

// A call's result as the test judges it, with its round-trip time. The client checks
// structured content against the tool's output schema (and throws when it does not fit).
async function call(name, args) {
  const started = performance.now();
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 600000 });
  return {
    seconds: (performance.now() - started) / 1000,
    isError: result.isError === true,
    text: result.content.map(c => c.text).join(''),
    structured: result.structuredContent ?? null,
  };
}

// The server still answers: a ping and a question about the snapshot it keeps.
async function alive() {
  await client.ping();
  return !(await call('summary', { path: last, top: 1 })).isError;
}

const transcript = { server: client.getServerVersion() };
transcript.tools = (await client.listTools()).tools.map(t => ({ name: t.name, input: t.inputSchema, output: t.outputSchema }));
transcript.find_leaks = await call('find_leaks', { paths: [series] });
const group = transcript.find_leaks.structured.groups.find(g => g.leak);
transcript.example = group.example.id;
transcript.retainers = await call('retainers', { path: last, node_id: group.example.id });
transcript.retainers_by_text_id = await call('retainers', { path: last, node_id: `@${group.example.id}` });
transcript.bad = {};
const bad = {
  missing_file: ['find_leaks', { paths: [missing, missing, missing] }],
  corrupt_file: ['summary', { path: corrupt }],
  unknown_node: ['retainers', { path: last, node_id: 4294967295 }],
  node_id_of_wrong_type: ['retainers', { path: last, node_id: true }],
  path_of_wrong_type: ['summary', { path: 42 }],
  missing_argument: ['show', { node_id: group.example.id }],
  unknown_tool: ['no_such_tool', {}],
};
for (const [what, [name, args]] of Object.entries(bad)) {
  const result = await call(name, args);
  transcript.bad[what] = { isError: result.isError, text: result.text, alive: await alive() };
}
await client.close();
console.log(JSON.stringify(transcript));
