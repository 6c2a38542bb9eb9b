'use strict';
// A job runner binds every job's emitter to the long-lived process domain for error handling
// and never removes it: `domain.members` grows with every job.
const domain = require('node:domain');
const { EventEmitter } = require('node:events');
const { run } = require('./harness');

const processDomain = domain.create();
processDomain.on('error', (err) => console.error('job failed', err.message));

class JobEmitter extends EventEmitter {
  constructor(id) {
    super();
    this.jobId = id;
    this.payload = { kind: 'thumbnail', sizes: [64, 128, 256], source: `s3://bucket/img-${id}.png` };
  }
}

run((i) => {
  const job = new JobEmitter(i);
  processDomain.add(job);
  job.emit('progress', 1);
});
