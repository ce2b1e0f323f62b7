/* debug.c -- debug logging and version information. */
#include <stdarg.h>
#include <stdio.h>

#include "runtime_internal.h"

#define SPY_RUNTIME_VERSION "spy-runtime 0.1"

const char *WASM_EXPORT(spy_runtime_version)(void)
{
    return SPY_RUNTIME_VERSION;
}

/* The parentheses around the name stop the function-like spy_debug_log
   macro (defined by spy.h in non-debug builds) from expanding here, so the
   symbol exists in every build; release callers just never reach it. */
void (spy_debug_log)(const char *fmt, ...)
{
#if defined(SPY_DEBUG)
    va_list ap;
    fputs("[spy] ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
#else
    (void)fmt;
#endif
}
