use std::time::Instant;
use vectlite::text::analyzer::Analyzer;
fn main() {
    let raw = std::fs::read("/tmp/probe/docs.json").unwrap();
    let docs: Vec<String> = match vectlite::json::parse(&raw, "docs").unwrap() {
        vectlite::json::Json::Array(a) => a.into_iter().map(|d| d.as_str().unwrap().to_string()).collect(),
        _ => panic!(),
    };
    let a = Analyzer::english();
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0;
        for d in &docs { n += a.terms(d).len(); }
        let terms = t.elapsed();
        let t = Instant::now();
        for d in &docs { n += a.term_frequencies_json(d).len(); }
        let json = t.elapsed();
        let t = Instant::now();
        for d in &docs { n += vectlite::text::tokenizer::tokenize(d).len(); }
        let tok = t.elapsed();
        println!("terms {:?} ({:.1} us/doc), tf json {:?}, tokenize {:?} [{n}]", terms, terms.as_secs_f64() * 1e6 / docs.len() as f64, json, tok);
    }
}
