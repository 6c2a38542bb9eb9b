'use strict';
// A service that handles a stream of requests on its own for a while, then stops, for the
// in-process trigger's tests (`node --require heaplens/trigger examples/trigger/service.js`).
// Each request builds a response (garbage the GC collects) and records the client's session;
// a batch of requests runs every 10 ms until all are done.
//   node service.js [--leak] [--requests 160000] [--requests-per-tick 200]
// Without --leak the sessions live in a cache bounded to the last 5000 clients: the heap stays
// level. With --leak every session stays in a Map forever: the heap that survives GC grows by
// about 300 bytes a request, however fast the machine is. It needs no --expose-gc and ends on
// its own: nothing else holds the event loop open, so a trigger that did would show as a
// process that never ends.

const options = { leak: false, requests: 160000, 'requests-per-tick': 200 };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const key = args[i].replace(/^--/, '');
  if (!(key in options)) throw new Error(`unknown option ${args[i]}`);
  options[key] = key === 'leak' ? true : Number(args[++i]);
}

class ClientSession {
  constructor(id) {
    this.id = id;
    this.startedAt = Date.now();
    this.cart = [{ sku: `sku-${id % 97}`, quantity: 1 + (id % 3) }];
    this.token = `token-${id}-${Math.random().toString(16).slice(2)}`;
  }
}

const sessions = new Map();
const boundedSessions = new Map();
const BOUNDED_CLIENTS = 5000;

function handle(id) {
  const session = new ClientSession(id);
  if (options.leak) {
    sessions.set(session.token, session);
  } else {
    boundedSessions.set(id % BOUNDED_CLIENTS, session);
  }
  const page = Array.from({ length: 20 }, (_, row) => ({ row, label: `item ${row} for ${id}` }));
  return JSON.stringify(page).length;
}

let next = 0;
const ticker = setInterval(() => {
  for (let k = 0; k < options['requests-per-tick'] && next < options.requests; k++) handle(next++);
  if (next >= options.requests) clearInterval(ticker);
}, 10);
