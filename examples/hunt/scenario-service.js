'use strict';
// Runs one of the shared leak scenarios (../shared/scenarios/*/server.js) as a plain,
// long-running service on $PORT, without the harness that drives and snapshots it itself,
// so that `heaplens hunt` can do both from outside:
//   heaplens hunt --url 'http://127.0.0.1:{port}/quote?customer=c{i}&seed={i}' \
//     -H 'x-request-id: req-{rand}-{i}' -- node examples/hunt/scenario-service.js ../shared/scenarios/a-request-cache/server.js
const path = require('node:path');

const entry = path.resolve(process.argv[2] || '');
const harness = path.join(path.dirname(entry), '..', 'lib', 'harness.js');

// Stand in for the scenario harness: listen and serve until stopped.
require.cache[harness] = {
  id: harness,
  filename: harness,
  loaded: true,
  exports: {
    runHttpScenario(server) {
      server.listen(Number(process.env.PORT) || 3000, '127.0.0.1', () => {
        console.log(`${path.basename(path.dirname(entry))} listening on port ${server.address().port}`);
      });
      process.on('SIGTERM', () => process.exit(0));
    },
    runLocalScenario() {
      throw new Error(`${entry} drives itself; run it directly`);
    },
  },
};
require(entry);
