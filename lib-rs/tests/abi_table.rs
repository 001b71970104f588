//! The C ABI has two sides: the `extern "C"` functions in `src/abi/` and the one symbol table
//! in `ffi/symbols.ts` that every runtime loads. This test reads both and checks they agree:
//! the same symbols, parameter names, types and result; the same status codes in the same
//! order; the same ABI version; the same constants (flags, limits) where both sides use one. A change on one side only fails here, not in a user's process.

use std::collections::BTreeMap;
use vectlite::error::Code;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One side's view of a symbol: (name, type) per parameter, and the result type.
type Signature = (Vec<(String, String)>, String);

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The table's native type for a Rust parameter or result type.
fn native_type(rust: &str) -> &'static str {
    match rust.replace(' ', "").as_str() {
        "u64" => "u64",
        "u32" => "u32",
        "i32" => "i32",
        "usize" => "usize",
        "" => "void",
        t if t.starts_with('*') => "buffer",
        other => panic!("no native type for Rust type {other}"),
    }
}

fn rust_symbols() -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(format!("{ROOT}/src/abi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("extern \"C\" fn vl_") {
            rest = &rest[at + "extern \"C\" fn ".len()..];
            let open = rest.find('(').unwrap();
            let name = rest[..open].to_string();
            let close = rest.find(')').unwrap();
            let params = rest[open + 1..close]
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, t) = p.split_once(':').unwrap();
                    (n.trim().to_string(), native_type(t).to_string())
                })
                .collect();
            let tail = &rest[close + 1..rest.find('{').unwrap()];
            let result = native_type(tail.trim().trim_start_matches("->")).to_string();
            out.insert(name, (params, result));
        }
    }
    out
}

/// The quoted strings of a `[...]` list.
fn strings(list: &str) -> Vec<String> {
    list.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

fn table_symbols(ts: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for line in ts.lines().map(str::trim).filter(|l| l.starts_with("vl_")) {
        let name = line[..line.find(':').unwrap()].to_string();
        let field = |key: &str| {
            let at = line.find(&format!("{key}: ")).unwrap_or_else(|| panic!("{name}: no {key}")) + key.len() + 2;
            let rest = &line[at..];
            if rest.starts_with('[') { rest[..=rest.find(']').unwrap()].to_string() } else { rest[..rest.find([',', ' ']).unwrap()].to_string() }
        };
        let types = strings(&field("parameters"));
        let names = strings(&field("names"));
        assert_eq!(types.len(), names.len(), "{name}: parameters and names differ in length");
        let result = field("result").trim_matches('"').to_string();
        out.insert(name, (names.into_iter().zip(types).collect(), result));
    }
    out
}

#[test]
fn the_symbol_table_matches_the_exported_functions() {
    let rust = rust_symbols();
    let table = table_symbols(&read("../ffi/symbols.ts"));
    let only_rust: Vec<_> = rust.keys().filter(|k| !table.contains_key(*k)).collect();
    let only_table: Vec<_> = table.keys().filter(|k| !rust.contains_key(*k)).collect();
    assert!(only_rust.is_empty() && only_table.is_empty(), "exported but not in ffi/symbols.ts: {only_rust:?}; in the table but not exported: {only_table:?}");
    for (name, signature) in &rust {
        let mut expected = signature.clone();
        let listed = &table[name];
        // A pointer the library handed out (vl_buf_free) crosses as the u64 it was given.
        for (param, (_, t)) in expected.0.iter_mut().zip(&listed.0) {
            if param.1 == "buffer" && t == "u64" && name == "vl_buf_free" {
                param.1 = "u64".into();
            }
        }
        assert_eq!(listed, &expected, "{name}: ffi/symbols.ts differs from the Rust declaration");
    }
    assert!(rust.len() > 20, "only {} symbols found: the parser missed some", rust.len());
}

#[test]
fn status_codes_and_the_abi_version_agree() {
    let ts = read("../ffi/symbols.ts");
    let list = &ts[ts.find("STATUS_CODES = [").unwrap()..];
    let names = strings(&list[..list.find(']').unwrap()]);
    let rust: Vec<String> = (1..=14).map(|i| code_of(i).name().to_string()).collect();
    assert_eq!(names[0], "OK");
    assert_eq!(names[1..], rust[..], "STATUS_CODES in ffi/symbols.ts differ from lib-rs/src/error.rs");
    let errors = read("../src/errors.ts");
    for name in &rust {
        assert!(errors.contains(&format!("| \"{name}\"")), "src/errors.ts's ErrorCode lacks {name}");
    }
    let version = ts[ts.find("ABI_VERSION = ").unwrap() + 14..].split(';').next().unwrap().trim().parse::<u32>().unwrap();
    assert_eq!(version, vectlite::abi::ABI_VERSION, "ABI_VERSION differs between ffi/symbols.ts and lib-rs/src/abi/mod.rs");
}

/// The value of `const NAME = <integer>;` in a TypeScript file.
fn ts_const(ts: &str, name: &str) -> u64 {
    let at = ts.find(&format!("const {name} = ")).unwrap_or_else(|| panic!("no const {name}")) + name.len() + 9;
    let text: String = ts[at..].chars().take_while(|c| *c != ';').filter(|c| *c != '_').collect();
    text.trim().parse().unwrap_or_else(|_| panic!("const {name} = {text} is not an integer"))
}

#[test]
fn constants_shared_with_typescript_agree() {
    use vectlite::abi::{database, maintenance, output};
    let cases: &[(&str, &str, u64)] = &[
        ("src/codec.ts", "NATIVE_MAX_DEPTH", vectlite::json::MAX_DEPTH as u64),
        ("src/codec.ts", "FLAG_SCORES", output::FLAG_SCORES as u64),
        ("src/codec.ts", "FLAG_VECTORS", output::FLAG_VECTORS as u64),
        ("src/analyzers.ts", "NGRAM_MIN", vectlite::text::analyzer::NGRAM_MIN as u64),
        ("src/analyzers.ts", "NGRAM_MAX", vectlite::text::analyzer::NGRAM_MAX as u64),
        ("src/database.ts", "INSERT_ONLY", database::WRITE_INSERT_ONLY as u64),
        ("src/bulk-ingest.ts", "DEFER_INDEX", database::WRITE_DEFER_INDEX as u64),
        ("src/maintenance.ts", "FLAG_OVERWRITE", maintenance::FLAG_OVERWRITE as u64),
        ("src/codec.ts", "MAX_COUNT_OPTION", vectlite::search::options::MAX_COUNT_OPTION as u64),
        ("ffi/native.ts", "READ_MAY_RUN_INLINE", vectlite::abi::reads::READ_MAY_RUN_INLINE as u64),
        ("ffi/completions.ts", "PROGRESS_BIT", vectlite::abi::jobs::PROGRESS.trailing_zeros() as u64),
    ];
    for (file, name, rust) in cases {
        assert_eq!(ts_const(&read(&format!("../{file}")), name), *rust, "{file}: {name} differs from the Rust side");
    }
}

fn code_of(i: i32) -> Code {
    [
        Code::InvalidArgument,
        Code::DimensionMismatch,
        Code::DuplicateId,
        Code::NotFound,
        Code::InvalidFilter,
        Code::ReadOnly,
        Code::Locked,
        Code::Closed,
        Code::Corrupt,
        Code::Io,
        Code::AbiMismatch,
        Code::Transaction,
        Code::Internal,
        Code::Aborted,
    ]
    .into_iter()
    .find(|c| *c as i32 == i)
    .unwrap()
}
