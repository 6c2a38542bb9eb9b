'use strict';
// The platforms the heaplens binary is built for on npm, one package each that holds only the
// binary, named as esbuild and biome name theirs. scripts/npm-package.sh packs a package for
// each binary it finds (cargo's target/<rustTarget>/release/, or target/release/ for the
// machine's own target) and lists the packages in the main package's optionalDependencies, so
// npm installs the one that fits; bin/heaplens.js runs it.
module.exports = [
  { package: '@heaplens/linux-x64', os: 'linux', cpu: 'x64', libc: 'glibc', rustTarget: 'x86_64-unknown-linux-gnu', binary: 'heaplens' },
  { package: '@heaplens/linux-arm64', os: 'linux', cpu: 'arm64', libc: 'glibc', rustTarget: 'aarch64-unknown-linux-gnu', binary: 'heaplens' },
  { package: '@heaplens/darwin-x64', os: 'darwin', cpu: 'x64', rustTarget: 'x86_64-apple-darwin', binary: 'heaplens' },
  { package: '@heaplens/darwin-arm64', os: 'darwin', cpu: 'arm64', rustTarget: 'aarch64-apple-darwin', binary: 'heaplens' },
  { package: '@heaplens/win32-x64', os: 'win32', cpu: 'x64', rustTarget: 'x86_64-pc-windows-msvc', binary: 'heaplens.exe' },
];
