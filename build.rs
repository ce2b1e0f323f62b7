//! Embeds every `toolchains/*.toml` descriptor in the binary, so a new target is a new file; and
//! warns when `pip install .`'s static link of glibc (pyproject.toml) will not find `libc.a`.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("toolchains");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("toolchains/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    let mut code = String::from("/// Descriptor files compiled into spygen: (file name, text).\n");
    code.push_str("pub const EMBEDDED: &[(&str, &str)] = &[\n");
    for path in names {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_toolchains.rs");
    std::fs::write(out, code).unwrap();
    warn_without_static_glibc();
}

/// On Linux with glibc, `pip install .` links the C library in statically, which needs glibc's
/// static `libc.a`: Debian, Ubuntu and Arch install it with the C compiler's headers, Fedora and
/// RHEL in a package of its own. Without it the link fails with a bare "cannot find -lc"; this
/// says why first (a build script cannot see the final link's flags, so it says it whenever the
/// file is missing).
fn warn_without_static_glibc() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    println!("cargo:rerun-if-env-changed=CC");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(out) = std::process::Command::new(&cc).arg("-print-file-name=libc.a").output() else {
        return;
    };
    // The compiler prints the bare name back when it finds no such file.
    if String::from_utf8_lossy(&out.stdout).trim() == "libc.a" {
        println!(
            "cargo:warning=glibc's static library (libc.a) is not installed: `pip install .` links it in and will fail \
             with \"cannot find -lc\"; install it (Fedora, RHEL: `dnf install glibc-static`) or build with cargo (README, Install)"
        );
    }
}
