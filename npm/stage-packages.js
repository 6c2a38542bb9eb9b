'use strict';
// Stages the npm packages for scripts/npm-package.sh: one folder per platform whose heaplens
// binary cargo built (only the binary and a package.json that declares os, cpu and libc), and
// the main package (the launcher, the trigger, the platform list, the README) listing those
// platform packages in optionalDependencies at its own version. Prints the staged folders.
// The machine's own binary loses its debug info on the way (strip --strip-debug: a quarter of
// the size, function names kept); cross-built ones are taken as built.
//   node npm/stage-packages.js --version V --license L --repository URL --host-target TRIPLE \
//     --cargo-target-dir DIR --out STAGE_DIR
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const platforms = require('./heaplens/platforms.js');

function options() {
  const wanted = ['version', 'license', 'repository', 'host-target', 'cargo-target-dir', 'out'];
  const given = {};
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '');
    if (!wanted.includes(key) || args[i + 1] === undefined) throw new Error(`stage-packages: unknown or empty option ${args[i]}`);
    given[key] = args[i + 1];
  }
  const missing = wanted.filter((key) => !given[key]);
  if (missing.length > 0) throw new Error(`stage-packages: missing or empty --${missing.join(", --")}`);
  return given;
}

/** Where cargo puts the binary for a Rust target: target/release/ for the machine's own. */
function builtBinary(o, platform) {
  const release = platform.rustTarget === o['host-target'] ? 'release' : path.join(platform.rustTarget, 'release');
  return path.join(o['cargo-target-dir'], release, platform.binary);
}

function writeManifest(folder, manifest) {
  fs.writeFileSync(path.join(folder, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function main() {
  const o = options();
  const common = { version: o.version, license: o.license, repository: { type: 'git', url: o.repository } };
  const staged = [];
  const optionalDependencies = {};
  for (const platform of platforms) {
    const binary = builtBinary(o, platform);
    if (!fs.existsSync(binary)) continue;
    const folder = path.join(o.out, platform.package.replace('/', '+'));
    fs.mkdirSync(path.join(folder, 'bin'), { recursive: true });
    const packed = path.join(folder, 'bin', platform.binary);
    fs.copyFileSync(binary, packed);
    fs.chmodSync(packed, 0o755);
    if (platform.rustTarget === o['host-target']) execFileSync('strip', ['--strip-debug', packed]);
    writeManifest(folder, {
      name: platform.package,
      ...common,
      description: `The heaplens binary for ${platform.os} ${platform.cpu}${platform.libc ? ` (${platform.libc})` : ''}; install heaplens, which runs it.`,
      os: [platform.os],
      cpu: [platform.cpu],
      ...(platform.libc ? { libc: [platform.libc] } : {}),
      files: [`bin/${platform.binary}`],
      preferUnplugged: true,
    });
    optionalDependencies[platform.package] = o.version;
    staged.push(folder);
  }
  if (staged.length === 0) throw new Error(`stage-packages: no heaplens binary under ${o['cargo-target-dir']}`);

  const source = path.join(__dirname, 'heaplens');
  const main = path.join(o.out, 'heaplens');
  const template = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'));
  delete template['//'];
  for (const file of [...template.files, 'README.md']) {
    fs.mkdirSync(path.dirname(path.join(main, file)), { recursive: true });
    fs.copyFileSync(path.join(source, file), path.join(main, file));
  }
  fs.chmodSync(path.join(main, template.bin.heaplens), 0o755);
  writeManifest(main, { name: template.name, ...common, ...template, optionalDependencies });
  staged.push(main);
  process.stdout.write(`${staged.join('\n')}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
