/* spyvm_libmagic.c -- glue between the runtime's spy_Str and libmagic. */
#include <string.h>

#include <magic.h>

#include "spyvm_libmagic.h"

#if defined(__wasm__)
#  error "spyvm_libmagic is native only: there is no wasm build of libmagic"
#endif

/* One cookie for the whole process, opened on first use.  The flags are
   set before every query, since identify and mime share it.  Not
   thread-safe (neither is a magic_t). */
static magic_t cookie;
static const char *cookie_error;   /* set if opening/loading failed */

static spy_Str *error_str(const char *msg)
{
    spy_Str *prefix = spy_str_from_cstr("error: ");
    spy_Str *text = spy_str_from_cstr(msg ? msg : "unknown libmagic error");
    spy_Str *r = spy_str_add(prefix, text);
    spy_free(prefix);
    spy_free(text);
    return r;
}

static int ensure_cookie(void)
{
    if (cookie != NULL)
        return 1;
    if (cookie_error != NULL)
        return 0;
    cookie = magic_open(MAGIC_NONE);
    if (cookie == NULL) {
        cookie_error = "magic_open failed";
        return 0;
    }
    if (magic_load(cookie, NULL) != 0) {
        /* Keep the text: magic_error() needs a live cookie. */
        static char msg[256];
        const char *e = magic_error(cookie);
        strncpy(msg, e ? e : "magic_load failed", sizeof msg - 1);
        cookie_error = msg;
        magic_close(cookie);
        cookie = NULL;
        return 0;
    }
    spy_debug_log("libmagic: database loaded (libmagic %d)", magic_version());
    return 1;
}

static spy_Str *query(spy_Str *path, int flags)
{
    const char *result;

    if (!ensure_cookie())
        return error_str(cookie_error);
    /* utf8 is NUL-terminated, but a path cannot contain an inner NUL. */
    if (memchr(path->utf8, '\0', path->length) != NULL)
        return error_str("path contains a NUL byte");
    if (magic_setflags(cookie, flags) != 0)
        return error_str(magic_error(cookie));
    result = magic_file(cookie, path->utf8);
    if (result == NULL)
        return error_str(magic_error(cookie));
    spy_debug_log("libmagic: %s -> %s", path->utf8, result);
    return spy_str_from_cstr(result);
}

spy_Str *WASM_EXPORT(spy_libmagic$identify)(spy_Str *path)
{
    return query(path, MAGIC_NONE);
}

spy_Str *WASM_EXPORT(spy_libmagic$mime)(spy_Str *path)
{
    return query(path, MAGIC_MIME_TYPE);
}
