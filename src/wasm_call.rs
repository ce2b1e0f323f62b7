//! Calling one export of a wasi module from the command line (`spygen run PROGRAM --call
//! EXPORT ARGS...`): the module's exports are read with wasmparser, the arguments are checked
//! against the export's signature and written out as canonical text, and the command runs the
//! call through the target's runner: `wasmtime run --invoke`, or node with spygen's script
//! `wasi-call.mjs`, which prints one result a line.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// spygen's node script calling one export of a reactor, written beside the build files.
const WASI_CALL: &str = include_str!("../templates/wasi-call.mjs");

/// The file name the node script is written under, in spygen's directory of the build.
const WASI_CALL_NAME: &str = "wasi-call.mjs";

/// How many exported functions an error lists before saying how many more there are.
const LISTED_EXPORTS: usize = 20;

/// The entry points a runner calls itself: a reactor's initializer and a command's main.
const ENTRY_POINTS: [&str; 2] = ["_initialize", "_start"];

/// A wasm value type an export takes or returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// A 32-bit integer (signedness is the function's business).
    I32,
    /// A 64-bit integer.
    I64,
    /// A single-precision float.
    F32,
    /// A double-precision float.
    F64,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
        })
    }
}

impl ValType {
    /// The type as the command line can pass it; `None` for v128 and references.
    fn of(ty: wasmparser::ValType) -> Option<ValType> {
        match ty {
            wasmparser::ValType::I32 => Some(ValType::I32),
            wasmparser::ValType::I64 => Some(ValType::I64),
            wasmparser::ValType::F32 => Some(ValType::F32),
            wasmparser::ValType::F64 => Some(ValType::F64),
            wasmparser::ValType::V128 | wasmparser::ValType::Ref(_) => None,
        }
    }

    /// `text` as a value of this type, in the canonical spelling both runners read: integers in
    /// signed decimal (an unsigned or hex one wraps, as the bits are the same), floats in
    /// decimal without exponent, `nan`, `inf` or `-inf`. The error says why it is not one.
    fn canonical(self, text: &str) -> Result<String, &'static str> {
        match self {
            ValType::I32 => integer(text, 32).map(|v| (v as u32 as i32).to_string()),
            ValType::I64 => integer(text, 64).map(|v| (v as u64 as i64).to_string()),
            ValType::F32 => float::<f32>(text).map(|v| float_text(v.is_nan(), v.is_infinite(), v < 0.0, v)),
            ValType::F64 => float::<f64>(text).map(|v| float_text(v.is_nan(), v.is_infinite(), v < 0.0, v)),
        }
    }

    /// What a value of this type is written as, for the help line of a bad argument.
    fn spelling(self) -> &'static str {
        match self {
            ValType::I32 => {
                "an i32 is a whole number from -2147483648 to 4294967295 (signed or unsigned), in decimal or 0x hex"
            }
            ValType::I64 => {
                "an i64 is a whole number from -9223372036854775808 to 18446744073709551615 (signed or unsigned), in decimal or 0x hex"
            }
            ValType::F32 | ValType::F64 => "a float is a decimal number (such as 1.5 or -2e-3), `nan`, `inf` or `-inf`",
        }
    }
}

/// `text` as a whole number that fits in `bits` bits, signed or unsigned: an optional sign,
/// then decimal digits or `0x` and hex digits.
fn integer(text: &str, bits: u32) -> Result<i128, &'static str> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (digits, radix) = match unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (unsigned, 10),
    };
    // from_str_radix takes a sign of its own: only digits may follow ours.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("not a whole number");
    }
    let magnitude = i128::from_str_radix(digits, radix).map_err(|_| "out of range")?;
    let value = if negative { -magnitude } else { magnitude };
    let (min, max) = (-(1i128 << (bits - 1)), (1i128 << bits) - 1);
    if (min..=max).contains(&value) { Ok(value) } else { Err("out of range") }
}

/// `text` as a float: a decimal number, or a NaN or infinity by name (any case). A finite
/// number too large for the type is out of range rather than an infinity.
fn float<F: std::str::FromStr + Copy + Into<f64>>(text: &str) -> Result<F, &'static str> {
    let value: F = text.parse().map_err(|_| "not a number")?;
    let unsigned = text.trim_start_matches(['+', '-']);
    let named = ["inf", "infinity", "nan"].iter().any(|n| unsigned.eq_ignore_ascii_case(n));
    if value.into().is_infinite() && !named {
        return Err("out of range");
    }
    Ok(value)
}

/// The canonical text of a float: `nan`, `inf`, `-inf`, or its shortest decimal digits that
/// read back as the same value, without exponent (Rust's `Display`).
fn float_text<F: fmt::Display>(nan: bool, infinite: bool, negative: bool, value: F) -> String {
    match (nan, infinite, negative) {
        (true, _, _) => "nan".to_string(),
        (false, true, false) => "inf".to_string(),
        (false, true, true) => "-inf".to_string(),
        (false, false, _) => value.to_string(),
    }
}

/// An exported function as [`exported_functions`] lists it: its name, parameter types and
/// result types.
pub type ExportedFunction = (String, Vec<ValType>, Vec<ValType>);

/// One call of an export, its arguments checked against the export's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCall {
    /// The name of the exported function.
    pub export: String,
    /// The types of its parameters, in order.
    pub params: Vec<ValType>,
    /// The types of its results, in order (none, one, or several from a multivalue return).
    pub results: Vec<ValType>,
    /// The arguments, one per parameter, as the runner takes them: canonical decimal text
    /// (integers signed, so an unsigned or hex argument appears as the signed value of the same
    /// bits; floats without exponent, `nan`, `inf`, `-inf`).
    pub args: Vec<String>,
}

/// Reads `wasm` (a reactor or command module) and checks that `export` is an exported function
/// taking exactly `args.len()` numeric arguments that parse as its parameter types.
///
/// Every error is a usage error with a help line: the file is not a wasm module, it has no such
/// export (the help lists its exported functions with their signatures), the export is not a
/// function or is an entry point the runner calls itself (`_initialize`, `_start`), the count of
/// arguments is wrong (the help shows the signature), an argument does not parse as its type
/// (named by position, value and type), or a parameter or result is of a type the command line
/// cannot express (v128, references).
pub fn prepare(wasm: &Path, export: &str, args: &[String]) -> Result<ExportCall> {
    let exports = read_exports(wasm)?;
    let Some(found) = exports.iter().find(|e| e.name == export) else {
        return Err(
            Error::usage(format!("{} has no export `{export}`", wasm.display())).help(listing(&exports, export))
        );
    };
    let signature = match &found.kind {
        ExportKind::Function(signature) => signature,
        ExportKind::Other(what) => {
            return Err(Error::usage(format!("export `{export}` of {} is {what}, not a function", wasm.display()))
                .help(listing(&exports, export)));
        }
    };
    if ENTRY_POINTS.contains(&export) {
        return Err(Error::usage(format!(
            "`{export}` is the entry point a runner calls itself, not an export to call"
        ))
        .help(if export == "_start" {
            "run the program without --call to run its main"
        } else {
            "name an export of the reactor: its _initialize runs before the call"
        }));
    }
    let shown = signature.show(export);
    let (Some(params), Some(results)) = (signature.numeric(&signature.params), signature.numeric(&signature.results))
    else {
        return Err(Error::usage(format!(
            "`{shown}` takes or returns a value the command line cannot express (only i32, i64, f32 and f64)"
        ))
        .help("call it from a host that can make v128 or reference values, such as a node script"));
    };
    if args.len() != params.len() {
        let count = |n: usize| if n == 1 { "1 argument".to_string() } else { format!("{n} arguments") };
        return Err(Error::usage(format!("`{export}` takes {}, {} given", count(params.len()), args.len()))
            .help(format!("its signature: {shown}")));
    }
    let mut canonical = Vec::with_capacity(args.len());
    for (position, (arg, ty)) in args.iter().zip(&params).enumerate() {
        let text = ty.canonical(arg).map_err(|why| {
            Error::usage(format!("argument {} of `{export}`, `{arg}`, is not an {ty}: {why}", position + 1))
                .help(format!("{}; its signature: {shown}", ty.spelling()))
        })?;
        canonical.push(text);
    }
    Ok(ExportCall { export: export.to_string(), params, results, args: canonical })
}

/// The exported functions of `wasm` with their parameter and result types, in the module's
/// order, for messages and `--call` without a name. Only the functions the command line can
/// call are listed: not the entry points `_initialize` and `_start`, nor functions taking or
/// returning v128 or references (which [`prepare`] explains when one is named).
pub fn exported_functions(wasm: &Path) -> Result<Vec<ExportedFunction>> {
    let exports = read_exports(wasm)?;
    Ok(exports
        .iter()
        .filter(|e| !ENTRY_POINTS.contains(&e.name.as_str()))
        .filter_map(|e| match &e.kind {
            ExportKind::Function(s) => Some((e.name.clone(), s.numeric(&s.params)?, s.numeric(&s.results)?)),
            ExportKind::Other(_) => None,
        })
        .collect())
}

/// The command that calls `call` in `wasm` through the target's runner `runner` (resolved
/// words, such as `["/usr/bin/wasmtime", "run", "--dir=."]` or `["/usr/bin/node",
/// "--no-warnings", "/abs/build/.spygen/wasi-run.mjs"]`).
///
/// With wasmtime (the program's file name is `wasmtime`): the runner's words, then
/// `--invoke EXPORT WASM ARGS...`; wasmtime runs a reactor's `_initialize` first and prints
/// the results. With node (the program's file name starts with `node`): node and the options
/// before the runner's script (a word ending in `.mjs`, or the descriptor's `{wasi-run}`), then
/// spygen's call script, written to `spygen_dir` when its content changed, with `WASM EXPORT
/// results:TYPES TYPE:VALUE...` (the result types, comma-separated, let it print each as its
/// type reads). Any other runner is a usage error saying how to choose one of these.
pub fn command(call: &ExportCall, wasm: &Path, runner: &[String], spygen_dir: &Path) -> Result<Vec<String>> {
    let program = runner.first().map(|p| Path::new(p).file_name().unwrap_or_default().to_string_lossy());
    let wasm = utf8(wasm)?;
    match program.as_deref() {
        Some("wasmtime") => {
            let mut words = runner.to_vec();
            words.extend(["--invoke".to_string(), call.export.clone(), wasm.to_string()]);
            words.extend(call.args.iter().cloned());
            Ok(words)
        }
        Some(name) if name.starts_with("node") => {
            let script = spygen_dir.join(WASI_CALL_NAME);
            std::fs::create_dir_all(spygen_dir).map_err(|e| Error::io("create directory", spygen_dir, e))?;
            crate::fsutil::write_if_changed(&script, WASI_CALL.as_bytes())?;
            let is_script = |w: &String| w.ends_with(".mjs") || w.contains("{wasi-run}");
            let options = runner[1..].iter().position(is_script).map_or(runner.len(), |i| i + 1);
            let mut words = runner[..options].to_vec();
            words.extend([utf8(&script)?.to_string(), wasm.to_string(), call.export.clone()]);
            words.push(format!("results:{}", call.results.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",")));
            words.extend(call.params.iter().zip(&call.args).map(|(ty, arg)| format!("{ty}:{arg}")));
            Ok(words)
        }
        _ => Err(Error::usage(format!(
            "--call works through wasmtime or node, and the runner here is {}",
            program.map_or("none".to_string(), |p| format!("`{p}`"))
        ))
        .help("choose one with `--runner wasi=wasmtime` or `--runner wasi=node` (node 18 or newer)")),
    }
}

/// `path` as text, as a command word; a usage error when it is not UTF-8.
fn utf8(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        Error::usage(format!("{} is not a UTF-8 path", path.display()))
            .help("rename it or its directories: the runner takes its path as text")
    })
}

/// A function's parameter and result types, as the module declares them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    /// The parameter types, in order.
    params: Vec<wasmparser::ValType>,
    /// The result types, in order.
    results: Vec<wasmparser::ValType>,
}

impl Signature {
    /// `types` as the command line passes them; `None` when one is v128 or a reference.
    fn numeric(&self, types: &[wasmparser::ValType]) -> Option<Vec<ValType>> {
        types.iter().map(|t| ValType::of(*t)).collect()
    }

    /// The function `name` with this signature, as messages show it: `name(i32, i64) -> f64`,
    /// `name()` when it returns nothing, `-> (i32, i32)` for several results.
    fn show(&self, name: &str) -> String {
        let list = |types: &[wasmparser::ValType]| types.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
        let results = match self.results.len() {
            0 => String::new(),
            1 => format!(" -> {}", list(&self.results)),
            _ => format!(" -> ({})", list(&self.results)),
        };
        format!("{name}({}){results}", list(&self.params))
    }
}

/// What an export of the module is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ExportKind {
    /// A function, with its signature.
    Function(Signature),
    /// Something else, as messages name it: "a memory", "a global"...
    Other(&'static str),
}

/// One export of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Export {
    /// The name it is exported under.
    name: String,
    /// What it is.
    kind: ExportKind,
}

/// The help line of an export that is not there (or not a function): the module's exported
/// functions with their signatures, those whose names contain `asked` first, at most
/// [`LISTED_EXPORTS`] of them.
fn listing(exports: &[Export], asked: &str) -> String {
    let mut functions: Vec<(&str, &Signature)> = exports
        .iter()
        .filter(|e| !ENTRY_POINTS.contains(&e.name.as_str()))
        .filter_map(|e| match &e.kind {
            ExportKind::Function(s) => Some((e.name.as_str(), s)),
            ExportKind::Other(_) => None,
        })
        .collect();
    if functions.is_empty() {
        return "the module exports no function to call: export one (for C, -Wl,--export=NAME or __attribute__((export_name(\"NAME\"))))".to_string();
    }
    let asked = asked.to_lowercase();
    functions.sort_by_key(|(name, _)| !name.to_lowercase().contains(&asked));
    let shown: Vec<String> = functions.iter().take(LISTED_EXPORTS).map(|(name, s)| s.show(name)).collect();
    let more = match functions.len().saturating_sub(LISTED_EXPORTS) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!("its exported functions: {}{more}", shown.join(", "))
}

/// The exports of the module in `wasm`, read from its type, import, function and export
/// sections (the code is not read); a usage error naming the file when it is not a wasm module.
fn read_exports(wasm: &Path) -> Result<Vec<Export>> {
    let bytes = std::fs::read(wasm).map_err(|e| Error::io("read", wasm, e))?;
    let not_wasm = |why: String| {
        Error::usage(format!("{} is not a WebAssembly module: {why}", wasm.display()))
            .help("--call calls an export of a wasi program or reactor (.wasm): name one spygen builds")
    };
    if !bytes.starts_with(b"\0asm") {
        return Err(not_wasm("it does not start with the wasm magic bytes".to_string()));
    }
    let malformed = |e: wasmparser::BinaryReaderError| not_wasm(e.to_string());
    // Each type index's signature (`None`: a struct, array or other non-function type) and
    // each function index's type index, imported functions first.
    let mut types: Vec<Option<Signature>> = Vec::new();
    let mut functions: Vec<u32> = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.map_err(malformed)? {
            wasmparser::Payload::Version { encoding: wasmparser::Encoding::Component, .. } => {
                return Err(not_wasm("it is a component (the component model), not a core module".to_string()));
            }
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(malformed)?.into_types() {
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => {
                                Some(Signature { params: f.params().to_vec(), results: f.results().to_vec() })
                            }
                            _ => None,
                        });
                    }
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let wasmparser::TypeRef::Func(ty) | wasmparser::TypeRef::FuncExact(ty) =
                        import.map_err(malformed)?.ty
                    {
                        functions.push(ty);
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(ty.map_err(malformed)?);
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    let kind = match export.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            let signature = functions
                                .get(export.index as usize)
                                .and_then(|ty| types.get(*ty as usize))
                                .and_then(|s| s.clone())
                                .ok_or_else(|| {
                                    not_wasm(format!("export `{}` names a function it does not have", export.name))
                                })?;
                            ExportKind::Function(signature)
                        }
                        wasmparser::ExternalKind::Table => ExportKind::Other("a table"),
                        wasmparser::ExternalKind::Memory => ExportKind::Other("a memory"),
                        wasmparser::ExternalKind::Global => ExportKind::Other("a global"),
                        wasmparser::ExternalKind::Tag => ExportKind::Other("a tag"),
                    };
                    exports.push(Export { name: export.name.to_string(), kind });
                }
                // Everything after the export section (code, data, custom) is not needed.
                break;
            }
            _ => {}
        }
    }
    Ok(exports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// A module of exports of each kind: functions of every numeric type (after an imported
    /// function and a struct type, which shift the function and type indices), a multivalue
    /// return, a v128 and a reference parameter, a memory, a global and the reactor's
    /// `_initialize`.
    const MODULE: &str = r#"(module
        (type $point (struct (field i32)))
        (import "env" "log" (func $log (param f32)))
        (func (export "_initialize"))
        (func (export "spy_tinyenc$crc32") (param i32) (result i32) local.get 0)
        (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
        (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
        (func (export "scale") (param f32 i32) (result f32) local.get 0)
        (func (export "pair") (result i32 i64) i32.const 1 i64.const 2)
        (func (export "tick"))
        (func (export "splat") (param v128) (result i32) i32.const 0)
        (func (export "hold") (param externref))
        (memory (export "memory") 1)
        (global (export "counter") i32 (i32.const 0))
    )"#;

    /// `wat` assembled into `name` in `dir`, returning its path.
    fn module_file(dir: &Path, name: &str, wat: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, wat::parse_str(wat).expect("the test module assembles")).unwrap();
        path
    }

    /// The error of calling `export` of [`MODULE`] with `args`, checked to be a usage error.
    fn call_error(export: &str, args: &[&str]) -> Error {
        let dir = tempfile::tempdir().unwrap();
        let wasm = module_file(dir.path(), "m.wasm", MODULE);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let err = prepare(&wasm, export, &args).expect_err("the call is refused");
        assert_eq!((err.kind, err.exit_code()), (ErrorKind::Usage, 2), "{err}");
        err
    }

    /// The canonical arguments of calling `export` of [`MODULE`] with `args`.
    fn call_args(export: &str, args: &[&str]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let wasm = module_file(dir.path(), "m.wasm", MODULE);
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        prepare(&wasm, export, &args).unwrap_or_else(|e| panic!("{e}")).args
    }

    #[test]
    fn the_exported_functions_are_listed_with_their_signatures_in_the_modules_order() {
        use ValType::*;
        let dir = tempfile::tempdir().unwrap();
        let wasm = module_file(dir.path(), "m.wasm", MODULE);
        let listed = exported_functions(&wasm).unwrap();
        let expected: Vec<ExportedFunction> = vec![
            ("spy_tinyenc$crc32".into(), vec![I32], vec![I32]),
            ("add64".into(), vec![I64, I64], vec![I64]),
            ("half".into(), vec![F64], vec![F64]),
            ("scale".into(), vec![F32, I32], vec![F32]),
            ("pair".into(), vec![], vec![I32, I64]),
            ("tick".into(), vec![], vec![]),
        ];
        assert_eq!(listed, expected);
        assert_eq!([I32, I64, F32, F64].map(|t| t.to_string()), ["i32", "i64", "f32", "f64"]);
    }

    #[test]
    fn a_call_carries_the_exports_types_and_its_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = module_file(dir.path(), "m.wasm", MODULE);
        let call = prepare(&wasm, "scale", &["2.5".to_string(), "3".to_string()]).unwrap();
        let expected = ExportCall {
            export: "scale".into(),
            params: vec![ValType::F32, ValType::I32],
            results: vec![ValType::F32],
            args: vec!["2.5".into(), "3".into()],
        };
        assert_eq!(call, expected);
    }

    #[test]
    fn an_i32_argument_may_be_signed_or_unsigned_and_is_passed_as_the_signed_value_of_its_bits() {
        let crc = |arg: &str| call_args("spy_tinyenc$crc32", &[arg]).remove(0);
        assert_eq!(crc("4294967295"), "-1");
        assert_eq!(crc("3421780262"), "-873187034");
        assert_eq!(crc("2147483648"), "-2147483648");
        assert_eq!(crc("-2147483648"), "-2147483648");
        assert_eq!(crc("+7"), "7");
        let err = call_error("spy_tinyenc$crc32", &["4294967296"]);
        assert!(err.message.contains("`4294967296`, is not an i32: out of range"), "{err}");
        let err = call_error("spy_tinyenc$crc32", &["-2147483649"]);
        assert!(err.message.contains("out of range"), "{err}");
    }

    #[test]
    fn hex_arguments_are_read_as_their_bits() {
        assert_eq!(call_args("spy_tinyenc$crc32", &["0xff"]), ["255"]);
        assert_eq!(call_args("spy_tinyenc$crc32", &["0XFFFFFFFF"]), ["-1"]);
        assert_eq!(call_args("add64", &["0xffffffffffffffff", "-0x10"]), ["-1", "-16"]);
        for bad in ["0x", "0x+5", "0xg", "--1", "1_000", " 1", ""] {
            let err = call_error("spy_tinyenc$crc32", &[bad]);
            assert!(err.message.contains("not a whole number"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn an_i64_argument_keeps_every_digit_beyond_two_to_the_53rd() {
        let args = call_args("add64", &["9007199254740993", "18446744073709551615"]);
        assert_eq!(args, ["9007199254740993", "-1"]);
        assert_eq!(call_args("add64", &["-9223372036854775808", "0"])[0], "-9223372036854775808");
        let err = call_error("add64", &["1", "18446744073709551616"]);
        assert!(err.message.contains("argument 2 of `add64`"), "{err}");
    }

    #[test]
    fn a_float_argument_is_decimal_nan_or_an_infinity_and_a_finite_overflow_is_an_error() {
        let half = |arg: &str| call_args("half", &[arg]).remove(0);
        assert_eq!(half("1.5e3"), "1500");
        assert_eq!(half("-0.25"), "-0.25");
        assert_eq!(half("1e-7"), "0.0000001");
        assert_eq!(half("NaN"), "nan");
        assert_eq!(half("inf"), "inf");
        assert_eq!(half("-Infinity"), "-inf");
        assert_eq!(call_args("scale", &["0.1", "0"])[0], "0.1");
        let err = call_error("scale", &["1e39", "0"]);
        assert!(err.message.contains("`1e39`, is not an f32: out of range"), "{err}");
        assert!(call_error("half", &["1e309"]).message.contains("out of range"));
        let err = call_error("half", &["one"]);
        assert!(err.message.contains("argument 1 of `half`, `one`, is not an f64: not a number"), "{err}");
        assert!(err.help.as_deref().unwrap().contains("`nan`, `inf` or `-inf`"), "{err}");
    }

    #[test]
    fn a_wrong_argument_count_shows_the_signature() {
        let err = call_error("add64", &["1"]);
        assert_eq!(err.message, "`add64` takes 2 arguments, 1 given");
        assert_eq!(err.help.as_deref(), Some("its signature: add64(i64, i64) -> i64"));
        let err = call_error("tick", &["1"]);
        assert_eq!(err.message, "`tick` takes 0 arguments, 1 given");
        assert_eq!(err.help.as_deref(), Some("its signature: tick()"));
        let err = call_error("spy_tinyenc$crc32", &[]);
        assert_eq!(err.message, "`spy_tinyenc$crc32` takes 1 argument, 0 given");
        let err = call_error("pair", &["1"]);
        assert_eq!(err.help.as_deref(), Some("its signature: pair() -> (i32, i64)"));
    }

    #[test]
    fn an_argument_of_the_wrong_type_is_named_by_position_value_and_type() {
        let err = call_error("scale", &["2", "1.5"]);
        assert_eq!(err.message, "argument 2 of `scale`, `1.5`, is not an i32: not a whole number");
        let help = err.help.unwrap();
        assert!(help.starts_with("an i32 is a whole number from -2147483648 to 4294967295"), "{help}");
        assert!(help.ends_with("its signature: scale(f32, i32) -> f32"), "{help}");
    }

    #[test]
    fn an_unknown_export_lists_the_exported_functions_with_their_signatures_near_names_first() {
        let err = call_error("crc32", &[]);
        assert!(err.message.ends_with("m.wasm has no export `crc32`"), "{err}");
        assert_eq!(
            err.help.as_deref(),
            Some(
                "its exported functions: spy_tinyenc$crc32(i32) -> i32, add64(i64, i64) -> i64, half(f64) -> f64, \
                 scale(f32, i32) -> f32, pair() -> (i32, i64), tick(), splat(v128) -> i32, hold(externref)"
            )
        );
    }

    #[test]
    fn an_unknown_export_of_a_large_module_lists_twenty_functions_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let funcs: String = (0..25).map(|i| format!("(func (export \"f{i:02}\") (param i32))\n")).collect();
        let wasm = module_file(dir.path(), "big.wasm", &format!("(module {funcs})"));
        let err = prepare(&wasm, "g", &[]).unwrap_err();
        let help = err.help.unwrap();
        assert!(help.starts_with("its exported functions: f00(i32), f01(i32),"), "{help}");
        assert!(help.ends_with("f19(i32) and 5 more"), "{help}");
        let wasm = module_file(dir.path(), "none.wasm", "(module (memory (export \"memory\") 1))");
        let help = prepare(&wasm, "g", &[]).unwrap_err().help.unwrap();
        assert!(help.starts_with("the module exports no function to call"), "{help}");
    }

    #[test]
    fn an_export_that_is_not_a_function_says_what_it_is() {
        let err = call_error("memory", &[]);
        assert!(
            err.message.starts_with("export `memory` of ") && err.message.ends_with(" is a memory, not a function")
        );
        assert!(err.help.unwrap().starts_with("its exported functions: "));
        assert!(call_error("counter", &[]).message.ends_with("is a global, not a function"));
    }

    #[test]
    fn the_entry_points_are_the_runners_to_call() {
        let err = call_error("_initialize", &[]);
        assert!(err.message.contains("`_initialize` is the entry point a runner calls itself"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let wasm = module_file(dir.path(), "cmd.wasm", r#"(module (func (export "_start")) (func (export "f")))"#);
        let err = prepare(&wasm, "_start", &[]).unwrap_err();
        assert_eq!(err.help.as_deref(), Some("run the program without --call to run its main"));
        // A command module's other exports can be called (wasmtime does not run main first).
        assert_eq!(prepare(&wasm, "f", &[]).unwrap().export, "f");
        assert_eq!(exported_functions(&wasm).unwrap(), [("f".to_string(), vec![], vec![])]);
    }

    #[test]
    fn a_v128_or_reference_parameter_cannot_be_given_on_the_command_line() {
        let err = call_error("splat", &["0"]);
        assert_eq!(
            err.message,
            "`splat(v128) -> i32` takes or returns a value the command line cannot express (only i32, i64, f32 and f64)"
        );
        assert!(call_error("hold", &[]).message.starts_with("`hold(externref)` takes or returns"));
    }

    #[test]
    fn a_file_that_is_not_a_wasm_module_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        let err = prepare(&text, "f", &[]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert_eq!(
            err.message,
            format!("{} is not a WebAssembly module: it does not start with the wasm magic bytes", text.display())
        );
        let truncated = dir.path().join("truncated.wasm");
        let mut bytes = wat::parse_str(MODULE).unwrap();
        bytes.truncate(20);
        std::fs::write(&truncated, bytes).unwrap();
        let err = exported_functions(&truncated).unwrap_err();
        assert!(err.message.starts_with(&format!("{} is not a WebAssembly module: ", truncated.display())), "{err}");
        let component = module_file(dir.path(), "c.wasm", "(component)");
        let err = prepare(&component, "f", &[]).unwrap_err();
        assert!(err.message.ends_with("it is a component (the component model), not a core module"), "{err}");
        let missing = dir.path().join("missing.wasm");
        let err = prepare(&missing, "f", &[]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Environment);
        assert!(err.message.contains("missing.wasm"), "{err}");
    }

    /// A call of `add64(-5, 7)`, as [`prepare`] makes it.
    fn add64_call() -> ExportCall {
        ExportCall {
            export: "add64".into(),
            params: vec![ValType::I64, ValType::I64],
            results: vec![ValType::I64],
            args: vec!["-5".into(), "7".into()],
        }
    }

    /// `words` as owned strings.
    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn wasmtime_invokes_the_export_after_its_own_words() {
        let dir = tempfile::tempdir().unwrap();
        let runner = strings(&["/usr/bin/wasmtime", "run", "--dir=."]);
        let words = command(&add64_call(), Path::new("/b/m.wasm"), &runner, dir.path()).unwrap();
        assert_eq!(words, ["/usr/bin/wasmtime", "run", "--dir=.", "--invoke", "add64", "/b/m.wasm", "-5", "7"]);
        assert!(!dir.path().join(WASI_CALL_NAME).exists(), "wasmtime needs no script");
    }

    #[test]
    fn node_keeps_its_options_and_runs_the_call_script_written_when_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let spygen_dir = dir.path().join("build/.spygen");
        let runner = strings(&["/usr/bin/node", "--no-warnings", "/b/.spygen/wasi-run.mjs"]);
        let words = command(&add64_call(), Path::new("/b/m.wasm"), &runner, &spygen_dir).unwrap();
        let script = spygen_dir.join(WASI_CALL_NAME);
        let expected = ["/usr/bin/node", "--no-warnings", script.to_str().unwrap(), "/b/m.wasm", "add64"];
        assert_eq!(words[..5], expected);
        assert_eq!(words[5..], ["results:i64", "i64:-5", "i64:7"]);
        assert_eq!(std::fs::read_to_string(&script).unwrap(), WASI_CALL);
        // The same content is not written again: its modification time stays.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options().write(true).open(&script).unwrap().set_modified(old).unwrap();
        // The descriptor's placeholder is the script word too, and a plain `node` has none.
        let runner = strings(&["node20", "--stack-size=4000", "{wasi-run}"]);
        let words = command(&add64_call(), Path::new("m.wasm"), &runner, &spygen_dir).unwrap();
        assert_eq!(words[..3], ["node20", "--stack-size=4000", script.to_str().unwrap()]);
        assert_eq!(std::fs::metadata(&script).unwrap().modified().unwrap(), old);
        let words = command(&add64_call(), Path::new("m.wasm"), &strings(&["node"]), &spygen_dir).unwrap();
        assert_eq!(words[..2], ["node", script.to_str().unwrap()]);
    }

    #[test]
    fn node_is_told_every_result_type_and_none() {
        let dir = tempfile::tempdir().unwrap();
        let runner = strings(&["node"]);
        let mut call = ExportCall { export: "pair".into(), params: vec![], results: vec![], args: vec![] };
        call.results = vec![ValType::I32, ValType::F64];
        assert_eq!(command(&call, Path::new("m.wasm"), &runner, dir.path()).unwrap()[4..], ["results:i32,f64"]);
        call.results.clear();
        assert_eq!(command(&call, Path::new("m.wasm"), &runner, dir.path()).unwrap()[4..], ["results:"]);
    }

    #[test]
    fn another_runner_is_a_usage_error_saying_how_to_choose_one() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            command(&add64_call(), Path::new("m.wasm"), &strings(&["/usr/bin/wasmer", "run"]), dir.path()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert_eq!(err.message, "--call works through wasmtime or node, and the runner here is `wasmer`");
        assert!(err.help.unwrap().contains("`--runner wasi=node`"));
        let err = command(&add64_call(), Path::new("m.wasm"), &[], dir.path()).unwrap_err();
        assert!(err.message.ends_with("the runner here is none"), "{err}");
    }
}
