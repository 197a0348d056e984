#include "core/base/err.h"

#include <stdarg.h>
#include <stdio.h>

int cw_error_set(cw_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *cw_err_name(int code)
{
    switch (code) {
    case CW_OK:
        return "ok";
    case CW_EINVAL:
        return "einval";
    case CW_ENOMEM:
        return "enomem";
    case CW_EIO:
        return "eio";
    case CW_ENOTFOUND:
        return "enotfound";
    case CW_ELIMIT:
        return "elimit";
    case CW_ESCRIPT:
        return "escript";
    case CW_ESTATE:
        return "estate";
    case CW_EEXIST:
        return "eexist";
    case CW_EUNAVAIL:
        return "eunavail";
    case CW_EFULL:
        return "efull";
    case CW_EABORT:
        return "eabort";
    case CW_EBUSY:
        return "ebusy";
    default:
        return "unknown";
    }
}
