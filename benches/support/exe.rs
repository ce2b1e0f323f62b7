//! The spygen a benchmark measures: the one `cargo bench` builds, or the one `SPYGEN_BENCH_EXE`
//! names, such as the `pip install .` one, whose C library is linked in statically (see
//! pyproject.toml) as users run it:
//!
//!     SPYGEN_BENCH_EXE=$(which spygen) cargo bench --bench flags

/// The binary to measure, found (and announced) on first use.
pub static EXE: std::sync::LazyLock<String> = std::sync::LazyLock::new(spygen);

/// The binary to measure; says on stderr which one it is and how it is linked.
fn spygen() -> String {
    let exe = std::env::var("SPYGEN_BENCH_EXE").unwrap_or_else(|_| env!("CARGO_BIN_EXE_spygen").to_string());
    let linked = match std::fs::read(&exe) {
        Ok(bytes) if has_interpreter(&bytes) => "dynamically linked",
        Ok(bytes) if bytes.starts_with(b"\x7fELF") => "statically linked",
        Ok(_) => "not ELF",
        Err(e) => panic!("cannot read {exe} (SPYGEN_BENCH_EXE?): {e}"),
    };
    eprintln!("measuring {exe} ({linked})");
    exe
}

/// Whether a 64-bit little-endian ELF file names a dynamic loader (a PT_INTERP program header).
fn has_interpreter(elf: &[u8]) -> bool {
    let read = |at: usize, len: usize| -> Option<u64> {
        let bytes = elf.get(at..at + len)?;
        Some(bytes.iter().rev().fold(0, |n, &b| n << 8 | u64::from(b)))
    };
    let (Some(phoff), Some(phentsize), Some(phnum)) = (read(0x20, 8), read(0x36, 2), read(0x38, 2)) else {
        return false;
    };
    (0..phnum).any(|i| read((phoff + i * phentsize) as usize, 4) == Some(3))
}
