'use strict';
// An API validates each request body against a schema that it builds and compiles on every
// call. Ajv caches every compiled schema, keyed by the schema object, for as long as the Ajv
// instance lives, so each call adds a compiled validator: the misuse Ajv's docs warn about
// ("compile schemas once") and its issue tracker keeps seeing as "memory leak".
//   node --expose-gc ajv-compile-per-call.js --out DIR [--ops N] [--fixed]
// With --fixed, the schema is compiled once and the validator reused: the control.
const Ajv = require('ajv');
const { run } = require('../leaks/harness');
const { fixed } = require('./fixed');


const ajv = new Ajv({ allErrors: true });

function orderSchema() {
  return {
    type: 'object',
    required: ['id', 'items'],
    properties: {
      id: { type: 'string', minLength: 3 },
      items: { type: 'array', items: { type: 'object', required: ['sku', 'qty'], properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } } } },
      note: { type: 'string', maxLength: 200 },
    },
  };
}

const compiledOnce = ajv.compile(orderSchema());

run((i) => {
  const validate = fixed ? compiledOnce : ajv.compile(orderSchema());
  return validate({ id: `order-${i}`, items: [{ sku: `sku-${i % 9}`, qty: 1 + (i % 3) }] });
});
