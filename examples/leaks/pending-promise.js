'use strict';
// A database client queues every query behind `await this.ready`; the connection attempt
// failed silently, so `ready` never settles and each query's frame (with its QueryRequest)
// stays on the pending promise's reaction list.
const { run } = require('./harness');

class QueryRequest {
  constructor(sql, params) {
    this.sql = sql;
    this.params = params;
    this.startedAt = Date.now();
    this.trace = { caller: 'orders-service', attempt: 1 };
  }
}

class DatabaseClient {
  constructor() {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve; // never called: the reconnect path forgot it
    });
  }

  async query(sql, params) {
    const request = new QueryRequest(sql, params);
    await this.ready;
    return { rows: [], request };
  }
}

const db = new DatabaseClient();

run((i) => {
  db.query('SELECT * FROM orders WHERE customer_id = $1', [`customer-${i}`, i]);
});
