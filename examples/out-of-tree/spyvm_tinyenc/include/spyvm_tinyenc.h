/*
 * spyvm_tinyenc.h -- the `tinyenc` SPy module: exposes the vendored tinyenc
 * library on runtime objects.  On wasm every function is exported under its
 * C name, `$` included (e.g. the export "spy_tinyenc$crc32").
 */
#ifndef SPYVM_TINYENC_H
#define SPYVM_TINYENC_H

#include <stdint.h>

#include "spy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* New string with the base64 (RFC 4648, padded) encoding of s's bytes. */
SPY_API spy_Str *WASM_EXPORT(spy_tinyenc$b64encode)(spy_Str *s);

/* New string with the base32 (RFC 4648, padded) encoding of s's bytes. */
SPY_API spy_Str *WASM_EXPORT(spy_tinyenc$b32encode)(spy_Str *s);

/* CRC-32 (IEEE) of s's bytes.  A JS host sees the wasm i32 as signed; use
   `result >>> 0` to get the unsigned value. */
SPY_API uint32_t WASM_EXPORT(spy_tinyenc$crc32)(spy_Str *s);

#ifdef __cplusplus
}
#endif

#endif /* SPYVM_TINYENC_H */
