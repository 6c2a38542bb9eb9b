'use strict';
// Control: a router memoises the compiled pattern of each of its 400 routes on first use. The
// memo fills while the first requests arrive and then stops growing: a one-time jump, no leak.
const { run } = require('./harness');

const ROUTES = 400;
const compiled = new Map();

class CompiledRoute {
  constructor(n) {
    this.pattern = `/api/v1/resource-${n}/:id/items/:item`;
    this.keys = ['id', 'item'];
    this.segments = this.pattern.split('/').filter(Boolean);
  }
}

function route(n) {
  let entry = compiled.get(n);
  if (!entry) {
    entry = new CompiledRoute(n);
    compiled.set(n, entry);
  }
  return entry.segments.length;
}

run((i) => route(i % ROUTES));
