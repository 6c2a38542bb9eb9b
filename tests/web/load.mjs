// Load on `heaplens serve`, as a user with several tabs who clicks fast: CLIENTS loops at a
// time, each on its own keep-alive connection to 127.0.0.1, send requests in turn from a mix of
// every API route of the app (the page too), until REQUESTS requests are answered. Among them,
// requests the server must refuse: a wrong token, a foreign Host, a foreign Origin, an
// oversized URL, a malformed request and a huge limit. Prints one JSON document: per route the
// count, failures and latency percentiles, and every refusal's status and time.
//
//   node tests/web/load.mjs URL [--clients 16] [--requests 4000]
//
// URL is what serve printed (http://127.0.0.1:PORT/?token=T); serve must have loaded at least
// two snapshots (Comparison needs a base) and computed its views ahead (status.prepared).
import http from 'node:http';
import net from 'node:net';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const url = new URL(args[0]);
const CLIENTS = option('clients', 16);
const REQUESTS = option('requests', 4000);
if (url.hostname !== '127.0.0.1') throw new Error(`load goes to 127.0.0.1 only, not ${url.hostname}`);
const port = Number(url.port);
const token = url.searchParams.get('token');

// One GET on `agent`: resolves to { status, body, ms }.
function get(agent, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        body: Buffer.concat(chunks).toString('utf8'),
        ms: Number(process.hrtime.bigint() - start) / 1e6,
      }));
    });
    req.on('error', reject);
  });
}

const api = (name, params) => `/api/${name}?${new URLSearchParams({ token, ...params })}`;

// A raw request, for what an HTTP client will not send: its status line's code and its time.
function raw(text) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (d) => {
      received += d;
      if (received.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve({
      status: Number((received.match(/^HTTP\/1\.[01] (\d+)/) || [])[1] || 0),
      ms: Number(process.hrtime.bigint() - start) / 1e6,
    }));
    socket.on('error', reject);
  });
}

// The ids and keys the mix needs, found the way the page finds them.
const discovery = new http.Agent({ keepAlive: true, maxSockets: 1 });
const json = async (path) => {
  const r = await get(discovery, path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body);
};
const status = await json(api('status', {}));
if (status.snapshots.length < 2 || !status.prepared) throw new Error('serve must have two snapshots loaded and its views computed');
const s = status.snapshots.length - 1;
const root = status.snapshots[s].figures.root;
const summary = await json(api('summary', { s }));
const key = summary.rows[0].key;
const instances = await json(api('instances', { s, key }));
const instance = instances.rows[0].node;
const id = instances.rows[0].id;
const holders = await json(api('retainers', { s, node: instance }));
const holder = holders.rows[0].node;
const comparison = await json(api('comparison', { s, base: s - 1 }));
const diffKey = comparison.rows[0].key;
discovery.destroy();

// Every route of the app. `computed` marks the views serve answers from what it computed
// ahead (or what costs a lookup); the rest compute on the spot (an ignored retainer makes
// distances be recomputed).
const mix = [
  ['page', () => `/?token=${token}`, true],
  ['status', () => api('status', {}), true],
  ['summary', () => api('summary', { s }), true],
  ['summary sorted', () => api('summary', { s, sort: 'name', order: 'asc', offset: 200 }), true],
  ['summary filtered', () => api('summary', { s, filter: 'Array' }), true],
  ['summary allocated after', () => api('summary', { s, between: s - 1 }), true],
  ['instances', () => api('instances', { s, key }), true],
  ['children', () => api('children', { s, node: root }), true],
  ['children of an instance', () => api('children', { s, node: instance }), true],
  ['retainers', () => api('retainers', { s, node: instance }), true],
  ['dominated', () => api('dominated', { s, node: root }), true],
  ['statistics', () => api('statistics', { s }), true],
  ['node', () => api('node', { s, id }), true],
  ['comparison', () => api('comparison', { s, base: s - 1 }), true],
  ['comparison objects', () => api('comparison_objects', { s, base: s - 1, key: diffKey, side: 'added' }), true],
  ['leaks', () => api('leaks', {}), true],
  ['retainers ignoring one', () => api('retainers', { s, node: instance, ignore: holder }), false],
];

// What must be refused, and with which status.
const refusals = [
  ['wrong token', 403, (agent) => get(agent, api('status', {}).replace(token, '0'.repeat(token.length)))],
  ['no token', 403, (agent) => get(agent, '/api/status')],
  ['foreign Host', 403, (agent) => get(agent, api('status', {}), { Host: `attacker.example:${port}` })],
  ['foreign Origin', 403, (agent) => get(agent, api('status', {}), { Origin: 'http://attacker.example' })],
  ['oversized URL', 414, (agent) => get(agent, api('summary', { s, filter: 'x'.repeat(64 * 1024) }))],
  ['malformed request', 400, () => raw(`GET /api/status?token=${token} HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n`)],
  ['huge limit', 400, (agent) => get(agent, api('summary', { s, limit: 10 ** 12 }))],
];

const routes = new Map(mix.map(([name, , computed]) => [name, { computed, times: [], failures: [] }]));
const refused = new Map(refusals.map(([name, expected]) => [name, { expected, statuses: [], times: [] }]));
let sent = 0;

async function client(n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let k = n; sent < REQUESTS; k += CLIENTS) {
    sent++;
    // One request in ten is one that must be refused.
    if (k % 10 === 9) {
      const [name, , send] = refusals[Math.floor(k / 10) % refusals.length];
      const r = await send(agent);
      refused.get(name).statuses.push(r.status);
      refused.get(name).times.push(r.ms);
      continue;
    }
    const [name, path] = mix[k % mix.length];
    const route = routes.get(name);
    try {
      const r = await get(agent, path());
      route.times.push(r.ms);
      if (r.status !== 200) route.failures.push(`HTTP ${r.status}: ${r.body.slice(0, 120)}`);
    } catch (e) {
      route.failures.push(String(e));
    }
  }
  agent.destroy();
}

const percentile = (times, p) => {
  if (!times.length) return null;
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const figures = (times) => ({
  count: times.length,
  p50_ms: percentile(times, 50),
  p95_ms: percentile(times, 95),
  p99_ms: percentile(times, 99),
  max_ms: percentile(times, 100),
});

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const computed = [...routes.values()].filter((r) => r.computed).flatMap((r) => r.times);
console.log(JSON.stringify({
  clients: CLIENTS,
  requests: sent,
  seconds,
  requests_per_s: sent / seconds,
  failures: [...routes.values()].reduce((n, r) => n + r.failures.length, 0),
  computed_views: figures(computed),
  routes: Object.fromEntries([...routes].map(([name, r]) => [name, { computed: r.computed, ...figures(r.times), failures: r.failures.slice(0, 5) }])),
  refusals: Object.fromEntries([...refused].map(([name, r]) => [name, {
    expected: r.expected,
    statuses: [...new Set(r.statuses)],
    ...figures(r.times),
  }])),
}));
