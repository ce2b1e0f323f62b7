// spygen's WASI export caller for node (18+): instantiates a wasi reactor with this directory
// preopened and the environment passed through, runs its _initialize, calls one export with
// the arguments given as type:value words, and prints each result on its own line, as the
// result's type reads (integers signed, i64 in full, floats in shortest decimal without
// exponent, NaN, inf, -inf). A trap prints `wasm trap: MESSAGE` on stderr and exits 1; an exit()
// in the module exits with its code. Written by `spygen run --call`:
//   node wasi-call.mjs MODULE.wasm EXPORT results:TYPE,... TYPE:VALUE...
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { WASI } from 'node:wasi';

const [wasmPath, exportName, resultsWord, ...words] = process.argv.slice(2);

/** Says what is wrong with how the script was called, and exits 2. */
function usage(message) {
  process.stderr.write(`wasi-call.mjs: ${message}\n`);
  process.exit(2);
}

if (wasmPath === undefined || exportName === undefined || !resultsWord?.startsWith('results:')) {
  usage('usage: node wasi-call.mjs MODULE.wasm EXPORT results:TYPE,... TYPE:VALUE...');
}
const resultTypes = resultsWord.slice('results:'.length).split(',').filter((t) => t !== '');

/** The argument word `type:value` as the value wasm takes: i64 as a BigInt, others a Number. */
function argument(word) {
  const colon = word.indexOf(':');
  const [type, text] = [word.slice(0, colon), word.slice(colon + 1)];
  if (type === 'i64') {
    try {
      return BigInt(text);
    } catch {
      usage(`argument \`${word}\` is not an i64`);
    }
  }
  const named = { nan: NaN, inf: Infinity, '-inf': -Infinity }[text.toLowerCase()];
  const value = named ?? (text.trim() === '' ? NaN : Number(text));
  if (!['i32', 'f32', 'f64'].includes(type) || (Number.isNaN(value) && named === undefined)) {
    usage(`argument \`${word}\` is not a type:value word (i32, i64, f32 or f64)`);
  }
  return value;
}

/** The decimal digits of `text` (as JS writes a number: `1.5`, `1e+21`, `2.5e-7`) without exponent. */
function plain(text) {
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) {
    return text;
  }
  const [, sign, lead, rest = '', exp] = match;
  const digits = lead + rest;
  const point = 1 + Number(exp);
  if (point <= 0) {
    return `${sign}0.${'0'.repeat(-point)}${digits}`;
  }
  if (point >= digits.length) {
    return sign + digits + '0'.repeat(point - digits.length);
  }
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A result as its type reads: f32 in the fewest digits that read back as the same f32. */
function show(type, value) {
  if (typeof value === 'bigint' || type === 'i32' || type === 'i64') {
    return String(value);
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'inf' : '-inf';
  }
  if (Object.is(value, -0)) {
    return '-0';
  }
  let text = String(value);
  if (type === 'f32') {
    for (let digits = 1; digits <= 9; digits++) {
      const shorter = String(Number(value.toPrecision(digits)));
      if (Math.fround(Number(shorter)) === value) {
        text = shorter;
        break;
      }
    }
  }
  return plain(text);
}

const args = words.map(argument);
const module = await WebAssembly.compile(await readFile(wasmPath));
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
if (exported.has('_start')) {
  usage(`${wasmPath} is a wasi command module (it exports _start, which runs main): ` +
    'a call needs a reactor (link with -mexec-model=reactor), or run the program without --call');
}
// Not returning on exit: an exit() in _initialize or the export ends the process with its code.
const wasi = new WASI({
  version: 'preview1',
  args: [wasmPath],
  env: process.env,
  preopens: { '.': '.' },
  returnOnExit: false,
});
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const fn = instance.exports[exportName];
if (typeof fn !== 'function') {
  usage(`${wasmPath} exports no function \`${exportName}\``);
}
let returned;
try {
  if (exported.has('_initialize') || instance.exports.memory instanceof WebAssembly.Memory) {
    wasi.initialize(instance);
  }
  returned = fn(...args);
} catch (e) {
  // A trap is a RuntimeError; running out of stack is a RangeError, trapping all the same.
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
    process.stderr.write(`wasm trap: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
// No result is undefined, one is the value, several (a multivalue return) are an array.
const values = resultTypes.length === 0 ? [] : resultTypes.length === 1 ? [returned] : Array.from(returned);
process.stdout.write(values.map((v, i) => `${show(resultTypes[i], v)}\n`).join(''));
process.exitCode = 0;
