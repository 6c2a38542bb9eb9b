'use strict';
// A service counts requests with prom-client and labels them with the user id. Every distinct
// label value creates a series that the registry keeps forever, so the metric grows with the
// number of users: the high-cardinality misuse prom-client's and Prometheus' docs warn about.
//   node --expose-gc prom-client-labels.js --out DIR [--ops N] [--fixed]
// With --fixed, the label is the route, one of 8: the control.
const client = require('prom-client');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');


const requests = new client.Counter({ name: 'http_requests_total', help: 'Requests served', labelNames: ['who'] });

run((i) => {
  requests.inc({ who: fixed ? `/route/${i % 8}` : `user-${i}` });
});
