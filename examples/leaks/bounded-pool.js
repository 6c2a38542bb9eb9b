'use strict';
// Control: a connection pool of fixed size recycles its connections; a rolling window keeps
// the last 200 latencies. Memory plateaus: no leak.
const { run } = require('./harness');

class PooledConnection {
  constructor(n) {
    this.n = n;
    this.buffer = Buffer.alloc(256);
    this.lastQuery = null;
  }
}

const pool = Array.from({ length: 16 }, (_, n) => new PooledConnection(n));
const latencies = [];
const recent = new Map();

run((i) => {
  const conn = pool[i % pool.length];
  conn.lastQuery = { sql: `SELECT ${i}`, at: Date.now() };
  latencies.push(i % 17);
  if (latencies.length > 200) latencies.shift();
  recent.set(`k${i}`, { i });
  if (recent.size > 100) recent.delete(recent.keys().next().value);
});
