#!/usr/bin/env node
'use strict';
// The `heaplens` command of the npm package: runs the native binary from the platform package
// npm installed for this machine (one of the main package's optionalDependencies), with the
// same arguments and stdio, and ends as it ends: its exit code, or the signal that killed it.
// SIGINT, SIGTERM and SIGHUP sent to this launcher are passed on. Without a platform package
// that fits, it exits 2 with one line naming the platform.

const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { constants } = require('node:os');
const manifest = require('../package.json');
const platforms = require('../platforms.js');

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** `glibc` or `musl` on Linux (as npm tells them apart), else null. */
function libc() {
  if (process.platform !== 'linux') return null;
  return process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The binary of the installed platform package that fits this machine, or an Error saying why none. */
function findBinary() {
  const machineLibc = libc();
  const machine = `${process.platform} ${process.arch}${machineLibc ? ` (${machineLibc})` : ''}`;
  const shipped = manifest.optionalDependencies || {};
  const fitting = platforms.filter(
    (p) => p.package in shipped && p.os === process.platform && p.cpu === process.arch && (!p.libc || p.libc === machineLibc),
  );
  for (const platform of fitting) {
    try {
      const platformManifest = require.resolve(`${platform.package}/package.json`);
      return path.join(path.dirname(platformManifest), 'bin', platform.binary);
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  const elsewhere = `get heaplens another way: cargo install --locked --git ${manifest.repository.url} heaplens`;
  if (fitting.length === 0) {
    return new Error(`heaplens ${manifest.version} has no binary for ${machine}; ${elsewhere}`);
  }
  const names = fitting.map((p) => p.package).join(' or ');
  return new Error(
    `the binary for ${machine} comes in ${names}, which is not installed (optional dependencies left out?); reinstall heaplens with them, or ${elsewhere}`,
  );
}

/**
 * Whether a signal from the terminal (Ctrl-C, a hangup) reached the child as well: on Windows
 * the console signals every process on it; elsewhere when this process's group, which the
 * child shares, is the terminal's foreground group. Passing such a signal on would deliver it
 * twice, and heaplens takes a second Ctrl-C as "stop at once, skip the clean-up".
 */
function terminalReachedChild(signal) {
  if (signal === 'SIGTERM') return false;
  if (process.platform === 'win32') return true;
  try {
    let group;
    let foreground;
    if (process.platform === 'linux') {
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      [group, , , foreground] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(2);
    } else {
      [group, foreground] = execFileSync('ps', ['-o', 'pgid=,tpgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
    }
    return group === foreground;
  } catch {
    return false;
  }
}

function run(binary) {
  const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
  const forwarders = FORWARDED_SIGNALS.map((signal) => {
    const forward = () => {
      if (!terminalReachedChild(signal)) child.kill(signal);
    };
    process.on(signal, forward);
    return [signal, forward];
  });
  child.on('error', (error) => {
    process.stderr.write(`heaplens: cannot run ${binary}: ${error.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    for (const [name, forward] of forwarders) process.removeListener(name, forward);
    if (signal === null) process.exit(code);
    // Die of the same signal; should it be one Node ignores (SIGPIPE), exit as a shell reports it.
    process.exitCode = 128 + (constants.signals[signal] || 0);
    process.kill(process.pid, signal);
  });
}

const binary = findBinary();
if (binary instanceof Error) {
  process.stderr.write(`heaplens: ${binary.message}\n`);
  process.exit(2);
}
run(binary);
