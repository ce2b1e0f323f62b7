// Instantiates a WASI reactor, calls _initialize, then calls each named export (no arguments)
// in order and prints one result per line: node call-exports.mjs bundle.wasm a_get b_bump ...
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const [path, ...names] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [], env: {} });
const module = await WebAssembly.compile(readFileSync(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
wasi.initialize(instance);
for (const name of names) {
  const fn = instance.exports[name];
  if (typeof fn !== "function") {
    console.log(`missing ${name}`);
  } else {
    console.log(fn());
  }
}
