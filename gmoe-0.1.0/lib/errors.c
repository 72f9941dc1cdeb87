/* errors.c -- status codes and error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "internal.h"

const char *gmoe_strerror(int status)
{
    switch (status) {
    case GMOE_OK: return "success";
    case GMOE_EINVAL: return "invalid argument";
    case GMOE_ENOMEM: return "out of memory";
    case GMOE_EIO: return "input/output error";
    case GMOE_EFORMAT: return "malformed file";
    case GMOE_EDATA: return "unusable data";
    case GMOE_ESING: return "singular system";
    case GMOE_ENOTSUP: return "not supported";
    case GMOE_ENUMERIC: return "non-finite value in computation";
    default: return "unknown error";
    }
}

void gmoe_err_clear(gmoe_err *err)
{
    if (err) {
        err->code = GMOE_OK;
        err->msg[0] = '\0';
    }
}

int gmoe_verror(gmoe_err *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        err->code = code;
    }
    return code;
}

int gmoe_error(gmoe_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gmoe_verror(err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *gmoe_version(void)
{
    return PACKAGE_VERSION;
}
