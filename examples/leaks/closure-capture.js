'use strict';
// A config reloader keeps the newest config; each reload builds a closure `describe` that only
// uses `current`, but it shares its scope with `diff`, which captured `previous`: every config
// holds the one before it, forever (the classic V8 shared-context leak).
const { run } = require('./harness');

class ServiceConfig {
  constructor(version) {
    this.version = version;
    this.routes = Array.from({ length: 6 }, (_, k) => ({ path: `/api/v${version}/r${k}`, timeoutMs: 1000 + k }));
    this.describe = null;
  }
}

let active = new ServiceConfig(0);

function reload(version) {
  const previous = active;
  const current = new ServiceConfig(version);
  const diff = () => previous && previous.version !== current.version;
  if (diff()) current.describe = () => `config v${current.version}`;
  active = current;
}

run((i) => reload(i + 1));
