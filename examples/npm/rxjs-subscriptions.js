'use strict';
// A service broadcasts price updates on a long-lived RxJS Subject. Each request subscribes to
// follow updates for its cart and never unsubscribes, so the Subject keeps one subscriber (and
// the request's cart) per request forever: the classic RxJS leak its docs warn about ("always
// unsubscribe", takeUntil) and its issue tracker keeps seeing.
//   node --expose-gc rxjs-subscriptions.js --out DIR [--ops N] [--fixed]
// With --fixed, each subscription takes one update and ends (take(1)): the control.
const { Subject, take } = require('rxjs');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');


const priceUpdates = new Subject();

class CartView {
  constructor(i) {
    this.id = `cart-${i}`;
    this.lines = Array.from({ length: 4 }, (_, k) => ({ sku: `sku-${k}`, price: 10 + k }));
    this.total = 0;
  }

  apply(update) {
    this.total = this.lines.reduce((sum, line) => sum + line.price * update.factor, 0);
  }
}

run((i) => {
  const cart = new CartView(i);
  const updates = fixed ? priceUpdates.pipe(take(1)) : priceUpdates;
  updates.subscribe((update) => cart.apply(update));
  priceUpdates.next({ factor: 1 + (i % 5) / 100 });
});
