//! Fuzzes the `--trace-gc` reader: any bytes, split into lines, through the analyzer and the
//! chart, must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut analyzer = heaplens_gctrace::Analyzer::new();
    for line in text.split('\n') {
        analyzer.feed(line, &mut |_| {});
    }
    let report = analyzer.finish();
    let _ = heaplens_gctrace::chart::svg(&report);
});
