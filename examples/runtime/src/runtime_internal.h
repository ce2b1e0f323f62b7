/*
 * runtime_internal.h -- private to the runtime's own sources; not installed
 * and not on any consumer's include path.
 */
#ifndef SPY_RUNTIME_INTERNAL_H
#define SPY_RUNTIME_INTERNAL_H

#include "spy.h"

#if !defined(SPY_GC_NONE)
#  error "the spygen example runtime only implements SPY_GC_NONE (add -DSPY_GC_NONE)"
#endif

/* Print "[spy] fatal: out of memory ..." to stderr and abort. */
SPY_NORETURN void spy__out_of_memory(size_t size);

/* a + b, or abort (as out-of-memory) if the sum does not fit in size_t. */
static inline size_t spy__size_add(size_t a, size_t b)
{
    if (b > SIZE_MAX - a)
        spy__out_of_memory(SIZE_MAX);
    return a + b;
}

#endif /* SPY_RUNTIME_INTERNAL_H */
