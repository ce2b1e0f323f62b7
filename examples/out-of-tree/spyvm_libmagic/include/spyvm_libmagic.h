/*
 * spyvm_libmagic.h -- the `libmagic` SPy module: file type identification
 * through the system libmagic (link with -lmagic).  Native targets only.
 */
#ifndef SPYVM_LIBMAGIC_H
#define SPYVM_LIBMAGIC_H

#include "spy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Description of the file at `path`, the same text as `file --brief path`
   (libmagic with MAGIC_NONE and the default magic database).  On failure
   the result is "error: <magic_error() text>". */
SPY_API spy_Str *WASM_EXPORT(spy_libmagic$identify)(spy_Str *path);

/* MIME type of the file at `path`, like `file --brief --mime-type path`.
   Errors are reported as for spy_libmagic$identify. */
SPY_API spy_Str *WASM_EXPORT(spy_libmagic$mime)(spy_Str *path);

#ifdef __cplusplus
}
#endif

#endif /* SPYVM_LIBMAGIC_H */
