#include "core/base/log.h"

#include "core/base/clock.h"
#include "core/base/strbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

static cw_log_level g_level = CW_LOG_INFO;
static FILE *g_sink;

void cw_log_setup(cw_log_level level, FILE *sink)
{
    g_level = level;
    g_sink = sink;
}

cw_log_level cw_log_get_level(void)
{
    return g_level;
}

int cw_log_level_parse(const char *name)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

size_t cw_json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *rep = cw_json_escape_char(c, tmp);
        size_t len;
        if (rep) {
            len = strlen(rep);
            if (n + len >= cap)
                break;
            memcpy(out + n, rep, len);
            n += len;
        } else {
            if (n + 1 >= cap)
                break;
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

static void put_str(char *line, size_t cap, size_t *n, const char *s)
{
    if (*n + 2 >= cap)
        return;
    line[(*n)++] = '"';
    *n += cw_json_escape(line + *n, cap - *n - 1, s ? s : "");
    line[(*n)++] = '"';
    line[*n] = '\0';
}

void cw_log_fields(cw_log_level level, const char *msg, const cw_field *fields)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < g_level || level >= CW_LOG_OFF)
        return;
    char line[8192];
    const size_t cap = sizeof line - 2; /* room for "}\n" */
    char ts[40];
    size_t n;
    cw_wall_rfc3339(ts, sizeof ts);
    n = (size_t)snprintf(line, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[level]);
    put_str(line, cap, &n, msg);
    for (;; fields++) {
        cw_field f = *fields;
        if (f.type == CW_F_END || n + 64 >= cap)
            break;
        line[n++] = ',';
        put_str(line, cap, &n, f.key);
        line[n++] = ':';
        line[n] = '\0';
        switch (f.type) {
        case CW_F_STR: put_str(line, cap, &n, f.s); break;
        case CW_F_INT: n += (size_t)snprintf(line + n, cap - n, "%" PRId64, f.i); break;
        case CW_F_DBL:
            if (f.d != f.d || f.d - f.d != 0) /* NaN or infinite: not JSON */
                n += (size_t)snprintf(line + n, cap - n, "null");
            else
                n += (size_t)snprintf(line + n, cap - n, "%.17g", f.d);
            break;
        case CW_F_BOOL: n += (size_t)snprintf(line + n, cap - n, "%s", f.i ? "true" : "false"); break;
        }
        if (n >= cap)
            n = cap - 1;
    }
    line[n++] = '}';
    line[n++] = '\n';
    FILE *out = g_sink ? g_sink : stderr;
    fwrite(line, 1, n, out);
    fflush(out);
}

void cw_log(cw_log_level level, const char *msg, ...)
{
    if (level < g_level || level >= CW_LOG_OFF)
        return;
    cw_field f[32];
    int n = 0;
    va_list ap;
    va_start(ap, msg);
    while (n < 31) {
        f[n] = va_arg(ap, cw_field);
        if (f[n].type == CW_F_END)
            break;
        n++;
    }
    va_end(ap);
    f[n] = CW_END;
    cw_log_fields(level, msg, f);
}
