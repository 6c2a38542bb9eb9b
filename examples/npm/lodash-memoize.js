'use strict';
// A pricing service memoizes its quote function with lodash. The cache key is the first
// argument, and callers pass a request-specific string (customer and cart), so every call adds
// an entry that is never evicted: lodash's docs say memoize's cache is unbounded unless
// _.memoize.Cache is replaced, and its issue tracker has many "memoize leaks" reports.
//   node --expose-gc lodash-memoize.js --out DIR [--ops N] [--fixed]
// With --fixed, the key is the product alone, one of 40: the control.
const _ = require('lodash');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');


class PriceQuote {
  constructor(key) {
    this.key = key;
    this.net = key.length * 3.5;
    this.tax = this.net * 0.2;
    this.lines = [{ sku: key, qty: 1 }];
  }
}

const quote = _.memoize((key) => new PriceQuote(key));

run((i) => {
  const product = `sku-${i % 40}`;
  return quote(fixed ? product : `${product}:customer-${i}:cart-${i * 7}`);
});
