//! Reading the CODES section (the main vectors' inverse norms and the parameters of their
//! quantized codes, per namespace; layout in format.rs) and, through it, each namespace's
//! part of CODE_BYTES.

use super::bulk_section::{BulkStream, CodeBytes};
use super::format::{find_namespace, LoadedNamespace};
use super::source::Source;
use crate::codec::Reader;
use crate::error::Result;
use crate::vector::quantize::Codes;

/// The CODES section: each namespace's inverse norms and code parameters, checked against
/// its records; the codes themselves come from CODE_BYTES (`codes`), in the same order.
pub(super) fn read(r: &mut Reader, namespaces: &mut [LoadedNamespace], dim: usize, src: &mut dyn Source, stream: &mut Option<BulkStream>) -> Result<()> {
    for _ in 0..r.len(2)? {
        let name = r.str()?;
        let ns = find_namespace(namespaces, name).ok_or_else(|| r.corrupt(&format!("codes for unknown namespace {name:?}")))?;
        if ns.inv_norms.is_some() {
            return Err(r.corrupt(&format!("two sets of codes for namespace {name:?}")));
        }
        let count = ns.records.len();
        if r.varint()? != count as u64 {
            return Err(r.corrupt(&format!("codes of namespace {name:?} do not match its record count")));
        }
        let mut norms = Vec::new();
        r.f32s_into(count, &mut norms)?;
        if norms.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(r.corrupt("an inverse norm out of range"));
        }
        ns.inv_norms = Some(norms);
        match r.u8()? {
            0 => {}
            1 => {
                let mut codes = Codes::decode_params(r, dim)?;
                for _ in 0..r.len(1)? {
                    let at = r.varint()?;
                    if at >= count as u64 {
                        return Err(r.corrupt("an outlier beyond the records"));
                    }
                    codes.push_outlier(at as u32);
                }
                let len = count.checked_mul(codes.stride()).ok_or_else(|| r.corrupt("codes too large"))?;
                let stream = stream.as_mut().ok_or_else(|| r.corrupt("codes without a CODE_BYTES section"))?;
                match stream.bytes(src, r.file(), len)? {
                    CodeBytes::Mapped(mapped) => codes.use_mapped(mapped),
                    CodeBytes::Memory(bytes) => codes.extend_stored(&bytes),
                }
                ns.codes = Some(codes);
            }
            _ => return Err(r.corrupt("unknown codes flag")),
        }
    }
    if !r.at_end() {
        return Err(r.corrupt("CODES section holds more data than its count says"));
    }
    Ok(())
}

