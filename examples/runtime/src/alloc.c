/* alloc.c -- memory allocation for the example runtime (SPY_GC_NONE). */
#include <stdio.h>
#include <stdlib.h>

#include "runtime_internal.h"

void spy__out_of_memory(size_t size)
{
    fprintf(stderr, "[spy] fatal: out of memory (requested %zu bytes, target %s)\n",
            size, SPY_TARGET_NAME);
    abort();
}

void *WASM_EXPORT(spy_alloc)(size_t size)
{
    /* malloc(0) may legally return NULL; always ask for at least one byte
       so that NULL unambiguously means failure. */
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        spy__out_of_memory(size);
    return p;
}

void WASM_EXPORT(spy_free)(void *p)
{
    free(p);
}
