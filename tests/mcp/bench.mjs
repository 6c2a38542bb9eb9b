// Times `heaplens mcp` as an agent's host sees it, with the MCP TypeScript SDK's client: the
// round trip of find_leaks on a fresh server (every snapshot read and analysed), a follow-up
// retainers on the first leak's example (from memory), and find_leaks again (from memory).
//   HEAPLENS_MCP_SDK=target/mcp-test node tests/mcp/bench.mjs HEAPLENS RUNS SNAPSHOT...
// Prints each run's seconds and the medians.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve(process.env.HEAPLENS_MCP_SDK, 'x.js'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const [heaplens, runs, ...snapshots] = process.argv.slice(2);

async function timed(client, name, args) {
  const started = performance.now();
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 3600000 });
  if (result.isError) throw new Error(`${name}: ${result.content[0].text}`);
  return { seconds: (performance.now() - started) / 1000, result };
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const times = { find_leaks: [], retainers: [], find_leaks_again: [] };
for (let run = 1; run <= Number(runs); run++) {
  const client = new Client({ name: 'heaplens-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: heaplens, args: ['mcp'], stderr: 'ignore' }));
  const leaks = await timed(client, 'find_leaks', { paths: snapshots });
  const example = leaks.result.structuredContent.groups.find(g => g.leak).example.id;
  const retainers = await timed(client, 'retainers', { path: snapshots.at(-1), node_id: example });
  const again = await timed(client, 'find_leaks', { paths: snapshots });
  await client.close();
  times.find_leaks.push(leaks.seconds);
  times.retainers.push(retainers.seconds);
  times.find_leaks_again.push(again.seconds);
  console.log(`run ${run}: find_leaks ${leaks.seconds.toFixed(2)} s, retainers @${example} ${retainers.seconds.toFixed(3)} s, find_leaks again ${again.seconds.toFixed(2)} s`);
}
for (const [name, values] of Object.entries(times)) console.log(`median ${name}: ${median(values).toFixed(3)} s`);
