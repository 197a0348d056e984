/* err.h — error codes and the error message carrier shared by every module.
 *
 * Convention (ARCHITECTURE.md): a function that can fail returns 0 on success or
 * a negative CW_E* code, and writes a human-readable message into the caller's
 * cw_error when one is passed (NULL is allowed: the message is then dropped).
 * The cw_error is owned by the caller, lives on its stack, never allocates. */
#ifndef CW_BASE_ERR_H
#define CW_BASE_ERR_H

enum {
    CW_OK = 0,
    CW_EINVAL = -1,    /* bad argument or malformed input */
    CW_ENOMEM = -2,    /* allocation failed */
    CW_EIO = -3,       /* operating system or socket failure */
    CW_ENOTFOUND = -4, /* a named thing does not exist */
    CW_ELIMIT = -5,    /* a configured limit was hit */
    CW_ESCRIPT = -6,   /* a Lua script failed to load or run */
    CW_ESTATE = -7,    /* call not valid in the current state */
    CW_EEXIST = -8,    /* already exists */
    CW_EUNAVAIL = -9,  /* a backing service is unavailable */
    CW_EFULL = -10,    /* no room (e.g. a full inventory) */
    CW_EABORT = -11,   /* undone because something it was tied to failed */
    CW_EBUSY = -12,    /* in use by something else (e.g. an item offered in a trade) */
};

#define CW_ERROR_MAX 1024

typedef struct cw_error {
    int code;
    char msg[CW_ERROR_MAX];
} cw_error;

/* Sets err (if not NULL) and returns code, so callers can write
 * `return cw_error_set(err, CW_EINVAL, "bad %s", what);`. */
int cw_error_set(cw_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short stable name of a code ("einval", ...). Never NULL. */
const char *cw_err_name(int code);

#endif
