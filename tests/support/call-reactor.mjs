// Loads a WASI reactor built by spygen, calls _initialize, then calls the export named by the
// first argument on a runtime string made from the second, and prints the result:
//   node call-reactor.mjs tinyenc_reactor.wasm 'spy_tinyenc$crc32' 123456789   -> 3421780262
//   node call-reactor.mjs tinyenc_reactor.wasm 'spy_tinyenc$b64encode' foobar  -> Zm9vYmFy
// Strings are the runtime's spy_Str: {size_t length; int32_t hash; char utf8[]} (wasm32: utf8 at +8).
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [path, exportName, text] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [], env: {} });
const module = await WebAssembly.compile(readFileSync(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.initialize(instance);
const ex = instance.exports;
const bytes = new TextEncoder().encode(text);
const str = ex.spy_str_alloc(bytes.length);
new Uint8Array(ex.memory.buffer, str + 8, bytes.length).set(bytes);
const result = ex[exportName](str);
if (exportName.endsWith("crc32")) {
  console.log(result >>> 0);
} else {
  const view = new DataView(ex.memory.buffer);
  const len = view.getUint32(result, true);
  console.log(new TextDecoder().decode(new Uint8Array(ex.memory.buffer, result + 8, len)));
}
