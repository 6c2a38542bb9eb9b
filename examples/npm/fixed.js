'use strict';
// Whether a program of this folder runs as its control (`--fixed`: the library used as its docs
// say). The flag is taken out of the arguments the harness reads.
const at = process.argv.indexOf('--fixed');
if (at !== -1) process.argv.splice(at, 1);

module.exports = { fixed: at !== -1 };
