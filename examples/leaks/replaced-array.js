'use strict';
// A metrics buffer is "copied on write": every sample makes a new array with the old samples
// plus the new one, and nothing ever drops old samples.
const { run } = require('./harness');

let samples = [];

function record(i) {
  const sample = { route: `/checkout/${i % 7}`, ms: (i * 7) % 230, at: Date.now() };
  samples = samples.concat([sample]);
}

run(record);
