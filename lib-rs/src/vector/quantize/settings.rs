//! Which quantization each vector space of a database uses: chosen at creation (the open
//! option `quantization`), stored in the snapshot (its QUANTIZATION section) and changed
//! only by a compaction that asks for another.
//!
//! The option is one name for every space (`"int8"`), or an object by space name: `""` is
//! the main vectors, `"*"` every named space not listed; what is not given is `"none"`.

use super::Quantization;
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::json::Json;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quantizations {
    pub main: Quantization,
    /// Named spaces given by name.
    pub named: BTreeMap<String, Quantization>,
    /// Every other named space, including those created later.
    pub other_named: Quantization,
}

impl Quantizations {
    /// The quantization of the space `name` ("" the main vectors).
    pub fn of(&self, name: &str) -> Quantization {
        if name.is_empty() {
            return self.main;
        }
        self.named.get(name).copied().unwrap_or(self.other_named)
    }

    /// What a database created without the option keeps: int8 codes in every space.
    /// Measured with bench/ann.ts (100,000 x 384): at each efSearch int8 had the recall of
    /// float32 within 0.004 and 1.2-1.4x its queries per second, and only the codes stay
    /// resident. A file without a QUANTIZATION section (older ones) is unquantized.
    pub fn for_new_database() -> Quantizations {
        Quantizations { main: Quantization::Int8, named: BTreeMap::new(), other_named: Quantization::Int8 }
    }

    /// Whether every space is unquantized (the snapshot then has no QUANTIZATION section).
    pub fn is_none(&self) -> bool {
        self.main == Quantization::None && self.other_named == Quantization::None && self.named.values().all(|q| *q == Quantization::None)
    }

    /// Reads the option's JSON form.
    pub fn from_json(j: &Json) -> Result<Quantizations> {
        let one = |j: &Json, at: &str| match j {
            Json::String(s) => Quantization::parse(s).map_err(|e| Error::invalid(format!("{at}: {}", e.message))),
            other => Err(Error::invalid(format!("{at} must be \"none\", \"int8\" or \"binary\", found {}", other.to_json()))),
        };
        match j {
            Json::Object(fields) => {
                let mut out = Quantizations::default();
                for (name, value) in fields {
                    let q = one(value, &format!("quantization[{name:?}]"))?;
                    match name.as_str() {
                        "" => out.main = q,
                        "*" => out.other_named = q,
                        _ => {
                            out.named.insert(name.to_string(), q);
                        }
                    }
                }
                Ok(out)
            }
            other => {
                let q = one(other, "quantization")?;
                Ok(Quantizations { main: q, named: BTreeMap::new(), other_named: q })
            }
        }
    }

    /// The JSON form `info` shows and the option accepts: a name when every space has the
    /// same, else an object.
    pub fn to_json(&self) -> String {
        if self.named.values().all(|q| *q == self.main) && self.other_named == self.main {
            return format!("\"{}\"", self.main.name());
        }
        let mut out = format!("{{\"\":\"{}\",\"*\":\"{}\"", self.main.name(), self.other_named.name());
        for (name, q) in &self.named {
            out.push(',');
            crate::json::write_string(name, &mut out);
            out.push_str(&format!(":\"{}\"", q.name()));
        }
        out.push('}');
        out
    }

    /// The QUANTIZATION section: u8 main, u8 other named, varint count, then per named
    /// space given by name: name, u8.
    pub fn encode(&self, w: &mut Writer) {
        w.u8(self.main.code());
        w.u8(self.other_named.code());
        w.varint(self.named.len() as u64);
        for (name, q) in &self.named {
            w.str(name);
            w.u8(q.code());
        }
    }

    pub fn decode(r: &mut Reader) -> Result<Quantizations> {
        let one = |r: &mut Reader| {
            let code = r.u8()?;
            Quantization::from_code(code).ok_or_else(|| r.corrupt(&format!("unknown quantization {code}")))
        };
        let main = one(r)?;
        let other_named = one(r)?;
        let mut named = BTreeMap::new();
        for _ in 0..r.len(2)? {
            let name = r.str()?.to_string();
            named.insert(name, one(r)?);
        }
        if !r.at_end() {
            return Err(r.corrupt("QUANTIZATION section holds more data than it describes"));
        }
        Ok(Quantizations { main, named, other_named })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_or_an_object_by_space() {
        let parse = |s: &str| Quantizations::from_json(&crate::json::parse(s.as_bytes(), "q").unwrap());
        let all = parse("\"int8\"").unwrap();
        assert_eq!((all.of(""), all.of("title")), (Quantization::Int8, Quantization::Int8));
        assert_eq!(all.to_json(), "\"int8\"");
        let mixed = parse(r#"{"":"int8","title":"binary"}"#).unwrap();
        assert_eq!((mixed.of(""), mixed.of("title"), mixed.of("other")), (Quantization::Int8, Quantization::Binary, Quantization::None));
        assert_eq!(parse(&mixed.to_json()).unwrap(), mixed);
        let mut w = Writer::new();
        mixed.encode(&mut w);
        assert_eq!(Quantizations::decode(&mut Reader::new(&w.buf, 0, "f")).unwrap(), mixed);
        assert!(parse("\"int4\"").unwrap_err().message.contains("int4"));
        assert!(parse(r#"{"t":1}"#).unwrap_err().message.contains("quantization[\"t\"]"));
        assert!(Quantizations::default().is_none() && !all.is_none());
    }
}
