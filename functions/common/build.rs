//! The embedded catalogue as JSON, `$OUT_DIR/catalogue.json`: the data of
//! `infra/catalogue.toml`, which every function parses at each cold start
//! (domain/catalogue.rs). serde_json reads it several times faster than the
//! toml crate reads the TOML (BENCHMARKS.md, « Cold starts »). A syntax error
//! in the file fails the build; the catalogue's rules are still checked when
//! it is loaded.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let source = manifest.join("../../infra/catalogue.toml");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let value: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("infra/catalogue.toml: {e}"));
    let json = serde_json::to_string(&value).expect("the catalogue in JSON");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("catalogue.json");
    std::fs::write(&out, json).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
