'use strict';
// heaplens/trigger: writes a series of heap snapshots from inside a Node process, for
// `heaplens leaks DIR`, where no inspector can be opened. A baseline after a warm-up, then one
// snapshot each time the heap that survives major GCs has grown by a set amount since the last.
//
//   node --require heaplens/trigger app.js          (or NODE_OPTIONS='--require heaplens/trigger')
//   require('heaplens/trigger')                      (first thing in the program)
//
// Configured by environment variables (README.md, "In-process trigger", says more):
//   HEAPLENS_TRIGGER_DIR         folder for the snapshots, owner-only (default ./heaplens-trigger.<pid>)
//   HEAPLENS_TRIGGER_WARMUP_S    seconds from start to the baseline (default 60)
//   HEAPLENS_TRIGGER_STEP_MB     growth of the heap after GC, in MB, that writes the next snapshot (default 64)
//   HEAPLENS_TRIGGER_MAX_FILES   snapshots kept; the oldest of this process's go first (default 5, at least 3)
//   HEAPLENS_TRIGGER_NEAR_LIMIT  1: Node also writes one snapshot near the heap limit (default 0)
//
// It never throws into the program, never forces a GC, keeps no timer or handle that holds the
// process alive, and writes one line to stderr for each file. Only the main thread is watched.

const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');

const MB = 1024 * 1024;
const VARIABLES = {
  HEAPLENS_TRIGGER_DIR: 'folder',
  HEAPLENS_TRIGGER_WARMUP_S: 'seconds',
  HEAPLENS_TRIGGER_STEP_MB: 'megabytes',
  HEAPLENS_TRIGGER_MAX_FILES: 'count',
  HEAPLENS_TRIGGER_NEAR_LIMIT: 'switch',
};

/** Writes one line to stderr; a closed or full stderr loses the line, never the program. */
function note(message) {
  try {
    fs.writeSync(2, `heaplens trigger: ${message}\n`);
  } catch {
    // stderr is gone: there is nowhere left to say anything.
  }
}

/** The settings the environment gives, or an Error naming the variable that is wrong. */
function readSettings(env) {
  const unknown = Object.keys(env).filter((name) => name.startsWith('HEAPLENS_TRIGGER_') && !(name in VARIABLES));
  if (unknown.length > 0) {
    return new Error(`unknown variable ${unknown[0]} (known: ${Object.keys(VARIABLES).join(', ')})`);
  }
  const number = (name, fallback, isValid, expected) => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return fallback;
    const value = Number(text);
    if (!isValid(value)) throw new Error(`${name} must be ${expected}, not ${JSON.stringify(text)}`);
    return value;
  };
  try {
    const nearLimit = env.HEAPLENS_TRIGGER_NEAR_LIMIT ?? '0';
    if (nearLimit !== '0' && nearLimit !== '1') {
      throw new Error(`HEAPLENS_TRIGGER_NEAR_LIMIT must be 0 or 1, not ${JSON.stringify(nearLimit)}`);
    }
    return {
      dir: path.resolve(env.HEAPLENS_TRIGGER_DIR || `heaplens-trigger.${process.pid}`),
      warmupSeconds: number('HEAPLENS_TRIGGER_WARMUP_S', 60, (v) => v >= 0 && v < 2 ** 31 / 1000, 'a number of seconds'),
      stepBytes: MB * number('HEAPLENS_TRIGGER_STEP_MB', 64, (v) => v > 0 && Number.isFinite(v), 'a positive number of MB'),
      maxFiles: number('HEAPLENS_TRIGGER_MAX_FILES', 5, (v) => Number.isInteger(v) && v >= 3, 'a whole number of at least 3 (heaplens leaks needs 3 snapshots)'),
      nearLimit: nearLimit === '1',
    };
  } catch (error) {
    return error;
  }
}

/** Creates the folder owner-only, or checks that an existing one is only its owner's. */
function prepareFolder(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (process.platform === 'win32') return;
  if (stat.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8);
    throw new Error(`${dir} is open to other users (mode ${mode}) and snapshots hold the program's secrets: chmod 700 it or name a new folder`);
  }
}

/** Where Node writes its own snapshot near the heap limit: its diagnostic directory. */
function diagnosticDirectory() {
  const words = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  let dir = null;
  words.forEach((word, i) => {
    if (word.startsWith('--diagnostic-dir=')) dir = word.slice('--diagnostic-dir='.length);
    else if (word === '--diagnostic-dir' && i + 1 < words.length) dir = words[i + 1];
  });
  return dir ? `${path.resolve(dir)} (--diagnostic-dir)` : `the working directory (now ${process.cwd()})`;
}

/** Node's own name for a snapshot: Heap.YYYYMMDD.HHMMSS.PID.THREAD.SEQ.heapsnapshot, local time. */
function snapshotName(seq) {
  const now = new Date();
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  const day = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `Heap.${day}.${time}.${process.pid}.0.${pad(seq, 3)}.heapsnapshot`;
}

/** Bytes in the old generation: right after a major GC, the heap that survived it. */
function heapAfterGc() {
  let bytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  }
  return bytes;
}

const megabytes = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

/** The trigger of one process: its settings, the files it wrote and the heap at the last one. */
class Trigger {
  constructor(settings) {
    this.settings = settings;
    this.files = [];
    this.seq = 0;
    this.heapAtLastSnapshot = 0;
    this.observer = null;
  }

  start() {
    const { dir, warmupSeconds, stepBytes, maxFiles, nearLimit } = this.settings;
    prepareFolder(dir);
    note(`snapshots go to ${dir}: a baseline in ${warmupSeconds} s, then one per ${megabytes(stepBytes)} of heap growth after GC, at most ${maxFiles} kept`);
    if (nearLimit) this.armNearLimit();
    setTimeout(() => this.guard(() => this.baseline()), warmupSeconds * 1000).unref();
  }

  armNearLimit() {
    if (typeof v8.setHeapSnapshotNearHeapLimit !== 'function') {
      note(`this Node (${process.version}) cannot write a snapshot near the heap limit (Node 18.10 and later can)`);
      return;
    }
    v8.setHeapSnapshotNearHeapLimit(1);
    note(`near the heap limit Node writes one snapshot to ${diagnosticDirectory()}`);
  }

  baseline() {
    this.write('baseline');
    this.observer = new PerformanceObserver((list) => this.guard(() => this.afterGc(list)));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  afterGc(list) {
    const major = list.getEntries().some((entry) => (entry.detail ?? entry).kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (!major) return;
    const growth = heapAfterGc() - this.heapAtLastSnapshot;
    if (growth >= this.settings.stepBytes) this.write(`+${megabytes(growth)} since the last`);
  }

  write(reason) {
    const file = path.join(this.settings.dir, snapshotName(++this.seq));
    const unfinished = `${file}.part`;
    const started = Date.now();
    // The file exists, owner-only, before V8 writes a byte into it (V8 truncates, keeping the mode);
    // `wx` also refuses to follow anything planted under that name.
    fs.closeSync(fs.openSync(unfinished, 'wx', 0o600));
    try {
      v8.writeHeapSnapshot(unfinished);
      fs.renameSync(unfinished, file);
    } catch (error) {
      fs.rmSync(unfinished, { force: true });
      throw error;
    }
    this.heapAtLastSnapshot = heapAfterGc();
    this.files.push(file);
    const removed = this.files.length > this.settings.maxFiles ? this.files.shift() : null;
    if (removed) fs.rmSync(removed, { force: true });
    const size = fs.statSync(file).size;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const dropped = removed ? `; removed the oldest, ${path.basename(removed)}` : '';
    note(`wrote ${file} (${megabytes(size)} in ${seconds} s; ${reason}; heap after GC ${megabytes(this.heapAtLastSnapshot)})${dropped}`);
  }

  /** Runs `step`; a failure turns the trigger off with a note instead of reaching the program. */
  guard(step) {
    try {
      step();
    } catch (error) {
      this.stop(error);
    }
  }

  stop(error) {
    if (this.observer) this.observer.disconnect();
    this.observer = null;
    note(`${error.message}; the trigger is off`);
  }
}

function main() {
  if (!isMainThread) return;
  const settings = readSettings(process.env);
  if (settings instanceof Error) {
    note(`${settings.message}; the trigger is off`);
    return;
  }
  const trigger = new Trigger(settings);
  trigger.guard(() => trigger.start());
}

main();
