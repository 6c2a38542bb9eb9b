'use strict';
// catalog-api: an HTTP service with a per-client rate limiter. Each client gets a sliding
// window of request times, kept in a Map by client id. Windows are trimmed but never removed,
// so every client ever seen stays in memory: the Map grows with the number of clients.
//   PORT=3000 node examples/hunt/rate-limited-api.js
//   heaplens hunt --url 'http://127.0.0.1:{port}/items?client=c{i}' -- node examples/hunt/rate-limited-api.js
const http = require('node:http');

const WINDOW_MS = 60_000;
const LIMIT = 100;

class ClientWindow {
  constructor(clientId) {
    this.clientId = clientId;
    this.firstSeen = Date.now();
    this.hits = [];
  }

  record(now) {
    this.hits.push(now);
    while (this.hits.length > 0 && now - this.hits[0] > WINDOW_MS) this.hits.shift();
    return this.hits.length;
  }
}

const windows = new Map(); // clientId -> ClientWindow; nothing ever deletes an entry

function allow(clientId) {
  let window = windows.get(clientId);
  if (!window) {
    window = new ClientWindow(clientId);
    windows.set(clientId, window);
  }
  return window.record(Date.now()) <= LIMIT;
}

const ITEMS = Array.from({ length: 50 }, (_, n) => ({ id: n, name: `item ${n}`, price: 3 + (n % 11) }));

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/items') {
    res.statusCode = 404;
    return res.end();
  }
  if (!allow(url.searchParams.get('client') || req.socket.remoteAddress)) {
    res.statusCode = 429;
    return res.end('slow down');
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(ITEMS.slice(0, 10)));
});

server.listen(Number(process.env.PORT) || 3000, '127.0.0.1', () => {
  console.log(`catalog-api listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
