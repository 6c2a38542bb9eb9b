'use strict';
// A job worker renders a report for every job, measures it with a small helper closure, then
// registers a completion callback in a long-lived registry (a Map of arrays of functions). The
// callback only returns the job's id, but V8 gives all closures made in one scope a single
// context: `summarize` used `report`, so every `onJobDone` keeps its job's 16 KiB report alive
// (the "unused variable in a shared closure context" leak the Node.js leak guides describe).
const crypto = require('node:crypto');
const { run } = require('./harness');

class CallbackRegistry {
  constructor() {
    this.handlers = new Map();
  }

  on(event, callback) {
    let list = this.handlers.get(event);
    if (!list) this.handlers.set(event, (list = []));
    list.push(callback);
  }
}

const registry = new CallbackRegistry();

function render(job) {
  return new Promise((resolve) => setImmediate(() => resolve(crypto.randomBytes(8192).toString('hex') + job.id)));
}

class JobWorker {
  constructor(callbacks) {
    this.callbacks = callbacks;
    this.finished = 0;
  }

  async process(job) {
    const report = await render(job);
    const summarize = () => report.length;
    job.size = summarize();
    this.callbacks.on('done', function onJobDone() {
      return job.id;
    });
    this.finished++;
  }
}

const worker = new JobWorker(registry);
run((i) => worker.process({ id: `job-${i}`, size: 0 }));
