//! CRC32C (Castagnoli), written here because std has none; every section of the .vdb and
//! every WAL frame carries one. The CPU's own CRC32C instruction is used where it has one
//! (SSE4.2 on x86-64, the CRC extension on AArch64; picked at run time): about five times
//! the speed of the portable slicing-by-8 tables, which are built at compile time and serve
//! everywhere else. An open verifies tens of MB of sections, so this is most of its time.

const POLY: u32 = 0x82F6_3B78; // reflected Castagnoli polynomial

const fn make_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
}

static TABLES: [[u32; 256]; 8] = make_tables();

/// Continues a CRC32C over `data` (start with `crc = 0`).
pub fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU has SSE4.2 (checked just above).
        return unsafe { hardware::crc32c_append(crc, data) };
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("crc") {
        // SAFETY: the CPU has the CRC extension (checked just above).
        return unsafe { hardware::crc32c_append(crc, data) };
    }
    portable_append(crc, data)
}

/// `crc32c_append` with the tables alone.
fn portable_append(crc: u32, data: &[u8]) -> u32 {
    let mut crc = !crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let lo = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ crc;
        let hi = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        crc = TABLES[7][(lo & 0xFF) as usize]
            ^ TABLES[6][((lo >> 8) & 0xFF) as usize]
            ^ TABLES[5][((lo >> 16) & 0xFF) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][(hi & 0xFF) as usize]
            ^ TABLES[2][((hi >> 8) & 0xFF) as usize]
            ^ TABLES[1][((hi >> 16) & 0xFF) as usize]
            ^ TABLES[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ b as u32) & 0xFF) as usize];
    }
    !crc
}

/// CRC32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c_append(0, data)
}

#[cfg(target_arch = "x86_64")]
mod hardware {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};

    /// # Safety
    /// The CPU must have SSE4.2.
    #[target_feature(enable = "sse4.2")]
    pub unsafe fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
        let mut crc = !crc as u64;
        let mut chunks = data.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7]]);
            crc = _mm_crc32_u64(crc, word);
        }
        let mut crc = crc as u32;
        for &b in chunks.remainder() {
            crc = _mm_crc32_u8(crc, b);
        }
        !crc
    }
}

#[cfg(target_arch = "aarch64")]
mod hardware {
    use std::arch::aarch64::{__crc32cb, __crc32cd};

    /// # Safety
    /// The CPU must have the CRC extension.
    #[target_feature(enable = "crc")]
    pub unsafe fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
        let mut crc = !crc;
        let mut chunks = data.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7]]);
            crc = __crc32cd(crc, word);
        }
        for &b in chunks.remainder() {
            crc = __crc32cb(crc, b);
        }
        !crc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_check_value() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn the_instruction_and_the_tables_agree() {
        // Every length to 64 and larger ones, at every alignment of the start, in pieces.
        let data: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for start in 0..8 {
            for len in (0..64).chain([255, 1000, 4000]) {
                let slice = &data[start..start + len];
                assert_eq!(crc32c(slice), portable_append(0, slice), "start {start} len {len}");
                let seed = crc32c(&data[..start + 3]);
                assert_eq!(crc32c_append(seed, slice), portable_append(seed, slice));
            }
        }
    }

    #[test]
    fn appending_equals_one_pass() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
        let split = crc32c_append(crc32c(&data[..377]), &data[377..]);
        assert_eq!(split, crc32c(&data));
    }
}
