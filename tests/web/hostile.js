// Writes three snapshots of a process that keeps objects whose property names and strings are
// HTML and script: the web app and the report must show this text and run none of it.
//   node --expose-gc tests/web/hostile.js OUT_DIR
'use strict';
const v8 = require('v8');
const path = require('path');

const out = process.argv[2];
const kept = [];
function round(n) {
  for (let i = 0; i < n; i++) {
    kept.push({ '<img src=x onerror=alert(1)>': `</script><script>alert(2)</script>${i}`, n: i });
  }
}
round(500);
for (const name of ['1', '2', '3']) {
  round(2000);
  global.gc();
  global.gc();
  v8.writeHeapSnapshot(path.join(out, `${name}.heapsnapshot`));
}
