'use strict';
// A control: a response cache bounded with lru-cache (100 entries, full once warmed up) over an unbounded key space.
// Entries are evicted as new ones come, so memory plateaus: no leak.
//   node --expose-gc lru-cache-bounded.js --out DIR [--ops N]
const { LRUCache } = require('lru-cache');
const { run } = require('../leaks/harness');

class CachedResponse {
  constructor(key) {
    this.key = key;
    this.body = `{"key":"${key}","items":[1,2,3]}`;
    this.headers = { 'content-type': 'application/json' };
  }
}

const cache = new LRUCache({ max: 100 });

run((i) => {
  const key = `/search?q=${i}`;
  if (!cache.has(key)) cache.set(key, new CachedResponse(key));
  return cache.get(key);
});
