'use strict';
// Three small caches that each keep a little of every request: tokens by session, rendered
// fragments by page, and counters by client. Each grows by about 20 kB per 300 operations;
// together they grow three times as fast. With --min-growth above each cache's growth but
// below their sum, no single group is a leak, yet the heap grows that much in every interval:
// heaplens must say so rather than "no leak".
const { run } = require('./harness');

const tokens = new Map();
const fragments = new Map();
const counters = new Map();

run((i) => {
  tokens.set(`session-${i}`, { token: `t${i}`, issued: i });
  fragments.set(`/page/${i}`, { html: `<li>${i}</li>`, at: i });
  counters.set(`client-${i}`, { hits: 1, last: i });
});
