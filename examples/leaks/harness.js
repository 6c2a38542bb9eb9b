'use strict';
// Runs a leak program in phases and writes one heap snapshot after each, the way a developer
// does the three-snapshot technique by hand: warm-up, then `--snapshots N` phases of `--ops`
// operations, each followed by two full GCs and `v8.writeHeapSnapshot`.
//   node --expose-gc PROGRAM.js --out DIR [--ops 400] [--warmup 100] [--snapshots 3]
// Snapshots are named like Node names them (Heap.<date>.<time>.<pid>.0.<seq>.heapsnapshot).
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

function options() {
  const args = process.argv.slice(2);
  const o = { out: null, ops: 400, warmup: 100, snapshots: 3 };
  for (let i = 0; i < args.length; i++) {
    const key = args[i].replace(/^--/, '');
    if (!(key in o)) throw new Error(`unknown option ${args[i]}`);
    o[key] = key === 'out' ? args[++i] : Number(args[++i]);
  }
  if (!o.out) throw new Error('--out DIR is required');
  fs.mkdirSync(o.out, { recursive: true });
  return o;
}

function nodeStyleName(seq) {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const day = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
  const time = `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `Heap.${day}.${time}.${process.pid}.0.${p(seq, 3)}.heapsnapshot`;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/// Runs `operation(i)` (sync or async) in phases and snapshots after warm-up and each phase.
async function run(operation) {
  const o = options();
  let i = 0;
  const phase = async (count) => {
    for (let k = 0; k < count; k++) await operation(i++);
    await settle();
    global.gc();
    global.gc();
  };
  await phase(o.warmup);
  for (let seq = 1; seq <= o.snapshots; seq++) {
    if (seq > 1) await phase(o.ops);
    else { global.gc(); global.gc(); }
    v8.writeHeapSnapshot(path.join(o.out, nodeStyleName(seq)));
  }
  process.exit(0);
}

module.exports = { run };
