'use strict';
// Benchmark input for `heaplens leaks`: a series of three heap snapshots of one process that
// leaks.
//
// The program is a small in-memory order service. It first builds a large, steady working set
// of many small objects (a product catalog with categories, prices and attributes; customers
// with nested addresses, loyalty records and tags; Map indexes by id, SKU and e-mail), then
// serves two phases of traffic. Each phase places a few thousand orders. Orders are kept in
// `OrderService.history`, a Map that is never trimmed: that is the leak. The rest of each
// phase's allocations (quotes, invoices, the pending queue, a bounded cache of recent
// quotes) is released or replaced, as in a healthy service.
//
// Snapshots, each taken after two full GCs:
//   baseline.heapsnapshot  after building the working set
//   target.heapsnapshot    after phase 1
//   final.heapsnapshot     after phase 2
//
// usage:
//   node --expose-gc --max-old-space-size=8192 bench/leak-series.js --out DIR [--scale N]
//
//   --out DIR    folder to write the snapshots to (created if missing; default: .)
//   --scale N    size of the working set: 400*N products and 1500*N customers. The default
//                (130) gives files of 300, 304 and 308 MB (about 3.8 million nodes each); a file
//                is about 4 + 2.3*N MB. At the default the run takes about a minute and 2 GB of
//                memory, most of it while V8 writes a snapshot.
//
// then:
//   heaplens leaks DIR/baseline.heapsnapshot DIR/target.heapsnapshot DIR/final.heapsnapshot
//
// The expected first leak group is `Order`, held by `OrderService.history`. The object graph
// comes from a seeded generator, so a given scale always gives the same shape.
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const ORDERS_PER_PHASE = 4000;

function parseArgs(argv) {
  const args = { out: '.', scale: 130 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') args.out = argv[++i];
    else if (arg === '--scale') args.scale = Number(argv[++i]);
    else throw new Error(`unknown argument: ${arg}`);
  }
  if (!args.out) throw new Error('--out needs a folder');
  if (!Number.isFinite(args.scale) || args.scale <= 0) throw new Error('--scale needs a positive number');
  return args;
}

// Seeded PRNG (mulberry32), so that a given scale always builds the same graph.
function random(seed) {
  let state = seed | 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}
const rand = random(20240611);

const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger',
  'Radia', 'Niklaus', 'Sophie', 'John', 'Hedy', 'Donald', 'Katherine', 'Tim', 'Annie', 'Guido'];
const LAST_NAMES = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie',
  'Allen', 'Dijkstra', 'Perlman', 'Wirth', 'Wilson', 'McCarthy', 'Lamarr', 'Knuth', 'Johnson', 'Berners-Lee'];
const STREETS = ['Main St', 'High St', 'Station Rd', 'Church Ln', 'Mill Rd', 'Park Ave', 'Elm St', 'Oak Dr',
  'Victoria Rd', 'Green Ln', 'Kingsway', 'Market Sq'];
const CITIES = ['Lyon', 'Leeds', 'Porto', 'Gent', 'Graz', 'Turku', 'Bergen', 'Utrecht', 'Aarhus', 'Bilbao',
  'Brno', 'Cork', 'Kraków', 'Malmö', 'Basel', 'Trieste'];
const COUNTRIES = ['FR', 'GB', 'PT', 'BE', 'AT', 'FI', 'NO', 'NL', 'DK', 'ES', 'CZ', 'IE', 'PL', 'SE', 'CH', 'IT'];
const CUSTOMER_TAGS = ['vip', 'newsletter', 'wholesale', 'b2b', 'returning', 'gift', 'student', 'staff'];
const ADJECTIVES = ['Compact', 'Deluxe', 'Classic', 'Smart', 'Rugged', 'Slim', 'Eco', 'Pro', 'Mini', 'Ultra'];
const NOUNS = ['Kettle', 'Lamp', 'Backpack', 'Chair', 'Headphones', 'Blender', 'Desk', 'Jacket', 'Drill',
  'Camera', 'Teapot', 'Monitor', 'Tent', 'Scarf', 'Speaker', 'Router'];
const COLORS = ['black', 'white', 'red', 'navy', 'olive', 'sand', 'grey', 'teal'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'one size'];
const PRODUCT_TAGS = ['new', 'sale', 'bestseller', 'eco', 'limited', 'bundle', 'gift-idea', 'clearance'];

class Money {
  constructor(cents, currency) {
    this.cents = cents;
    this.currency = currency;
  }
  times(n) {
    return new Money(this.cents * n, this.currency);
  }
  plus(other) {
    return new Money(this.cents + other.cents, this.currency);
  }
  toString() {
    return `${(this.cents / 100).toFixed(2)} ${this.currency}`;
  }
}

class Category {
  constructor(id, name, parent) {
    this.id = id;
    this.name = name;
    this.parent = parent;
    this.children = [];
    this.products = [];
    if (parent) parent.children.push(this);
  }
  get path() {
    return this.parent ? `${this.parent.path} / ${this.name}` : this.name;
  }
}

class Product {
  constructor(id, category) {
    this.id = id;
    this.sku = `SKU-${String(id).padStart(8, '0')}`;
    this.name = `${rand.pick(ADJECTIVES)} ${rand.pick(NOUNS)} ${id % 997}`;
    this.description = `${this.name}: ${rand.pick(ADJECTIVES).toLowerCase()} design, ships in ${1 + rand.int(9)} days (ref ${id.toString(36)})`;
    this.category = category;
    this.price = new Money(199 + rand.int(49800), 'EUR');
    this.stock = rand.int(500);
    this.attributes = { color: rand.pick(COLORS), size: rand.pick(SIZES), weightGrams: 50 + rand.int(5000) };
    this.tags = [];
    for (let i = rand.int(3); i >= 0; i--) this.tags.push(rand.pick(PRODUCT_TAGS));
    category.products.push(this);
  }
}

class Catalog {
  constructor() {
    this.categories = [];
    this.products = new Map();
    this.bySku = new Map();
  }
  static build(productCount) {
    const catalog = new Catalog();
    const departments = ['Home', 'Garden', 'Outdoor', 'Office', 'Fashion', 'Electronics', 'Kitchen', 'Tools'];
    for (const name of departments) {
      const department = new Category(catalog.categories.length, name, null);
      catalog.categories.push(department);
      for (let i = 0; i < 12; i++) {
        catalog.categories.push(new Category(catalog.categories.length, `${name} ${rand.pick(NOUNS)}s ${i}`, department));
      }
    }
    const leaves = catalog.categories.filter((c) => c.parent !== null);
    for (let id = 1; id <= productCount; id++) catalog.add(new Product(id, rand.pick(leaves)));
    return catalog;
  }
  add(product) {
    this.products.set(product.id, product);
    this.bySku.set(product.sku, product);
  }
  randomProduct() {
    return this.products.get(1 + rand.int(this.products.size));
  }
}

class Address {
  constructor() {
    this.street = `${1 + rand.int(240)} ${rand.pick(STREETS)}`;
    const city = rand.int(CITIES.length);
    this.city = CITIES[city];
    this.country = COUNTRIES[city];
    this.postcode = String(10000 + rand.int(89999));
  }
}

class Customer {
  constructor(id) {
    const first = rand.pick(FIRST_NAMES);
    const last = rand.pick(LAST_NAMES);
    this.id = id;
    this.name = `${first} ${last}`;
    this.email = `${first}.${last}.${id}@example.com`.toLowerCase();
    this.phone = `+33 6 ${String(rand.int(1e8)).padStart(8, '0')}`;
    this.billing = new Address();
    this.shipping = rand() < 0.7 ? this.billing : new Address();
    this.loyalty = { tier: rand.pick(['bronze', 'silver', 'gold']), points: rand.int(20000) };
    this.tags = [];
    for (let i = rand.int(3); i > 0; i--) this.tags.push(rand.pick(CUSTOMER_TAGS));
    this.createdAt = new Date(Date.UTC(2015 + rand.int(9), rand.int(12), 1 + rand.int(28)));
  }
}

class CustomerDirectory {
  constructor() {
    this.byId = new Map();
    this.byEmail = new Map();
  }
  static build(count) {
    const directory = new CustomerDirectory();
    for (let id = 1; id <= count; id++) directory.add(new Customer(id));
    return directory;
  }
  add(customer) {
    this.byId.set(customer.id, customer);
    this.byEmail.set(customer.email, customer);
  }
  randomCustomer() {
    return this.byId.get(1 + rand.int(this.byId.size));
  }
}

class OrderLine {
  constructor(product, quantity) {
    this.product = product;
    this.quantity = quantity;
    this.unitPrice = product.price;
  }
  get total() {
    return this.unitPrice.times(this.quantity);
  }
}

class Order {
  constructor(id, customer, lines) {
    this.id = id;
    this.number = `ORD-${String(id).padStart(9, '0')}`;
    this.customer = customer;
    this.lines = lines;
    this.total = lines.reduce((sum, line) => sum.plus(line.total), new Money(0, 'EUR'));
    this.shipTo = customer.shipping;
    this.placedAt = new Date();
    this.status = 'pending';
  }
}

// A bounded cache, least recently used entry out first: it fills up once and then only
// replaces entries, so it does not leak.
class LruCache {
  constructor(capacity) {
    this.capacity = capacity;
    this.entries = new Map();
  }
  get(key) {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key, value) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value);
  }
}

class OrderService {
  constructor(catalog, customers) {
    this.catalog = catalog;
    this.customers = customers;
    this.nextOrderId = 1;
    this.pending = [];
    this.recentQuotes = new LruCache(500);
    // Every order ever placed, for GET /orders/:id. Nothing ever removes from it: the leak.
    this.history = new Map();
  }

  quote(customer, items) {
    const key = `${customer.id}:${items.map((i) => `${i.sku}x${i.quantity}`).join(',')}`;
    let quote = this.recentQuotes.get(key);
    if (!quote) {
      const lines = items.map((i) => new OrderLine(this.catalog.bySku.get(i.sku), i.quantity));
      quote = { key, lines, total: lines.reduce((sum, l) => sum.plus(l.total), new Money(0, 'EUR')) };
      this.recentQuotes.set(key, quote);
    }
    return quote;
  }

  placeOrder(customerEmail, items) {
    const customer = this.customers.byEmail.get(customerEmail);
    const quote = this.quote(customer, items);
    const order = new Order(this.nextOrderId++, customer, quote.lines.map((l) => new OrderLine(l.product, l.quantity)));
    this.history.set(order.id, order);
    this.pending.push(order);
    return order;
  }

  // Ships what is pending: renders an invoice (thrown away) and empties the queue.
  shipPending() {
    let invoiced = 0;
    for (const order of this.pending) {
      const invoice = [`Invoice ${order.number} for ${order.customer.name}`,
        ...order.lines.map((l) => `${l.quantity} x ${l.product.name} @ ${l.unitPrice}`),
        `Total ${order.total}`].join('\n');
      invoiced += invoice.length;
      order.status = 'shipped';
    }
    this.pending = [];
    return invoiced;
  }
}

// One phase of traffic: customers browse and place orders, shipped in batches.
function servePhase(service, orderCount) {
  for (let n = 0; n < orderCount; n++) {
    const customer = service.customers.randomCustomer();
    const items = [];
    for (let i = 1 + rand.int(4); i > 0; i--) {
      items.push({ sku: service.catalog.randomProduct().sku, quantity: 1 + rand.int(3) });
    }
    service.placeOrder(customer.email, items);
    if (service.pending.length >= 250) service.shipPending();
  }
  service.shipPending();
}

function snapshot(dir, name) {
  global.gc();
  global.gc();
  const file = path.join(dir, `${name}.heapsnapshot`);
  const started = Date.now();
  v8.writeHeapSnapshot(file);
  const mb = (fs.statSync(file).size / 1e6).toFixed(0);
  const heapMb = (process.memoryUsage().heapUsed / 1e6).toFixed(0);
  console.log(`${file}: ${mb} MB (heap used ${heapMb} MB, written in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function main() {
  if (typeof global.gc !== 'function') {
    console.error('run with node --expose-gc');
    process.exit(2);
  }
  const { out, scale } = parseArgs(process.argv.slice(2));
  fs.mkdirSync(out, { recursive: true });

  const catalog = Catalog.build(Math.round(scale * 400));
  const customers = CustomerDirectory.build(Math.round(scale * 1500));
  const service = new OrderService(catalog, customers);
  console.log(`working set: ${catalog.products.size} products, ${customers.byId.size} customers`);
  snapshot(out, 'baseline');

  servePhase(service, ORDERS_PER_PHASE);
  snapshot(out, 'target');

  servePhase(service, ORDERS_PER_PHASE);
  snapshot(out, 'final');
  console.log(`orders in history: ${service.history.size}`);
}

main();
