/* strbuf.h — a growable byte string. The struct is owned by the caller; its
 * data by the strbuf until cw_strbuf_free. Appends return 0 or CW_ENOMEM (the
 * buffer is left as it was). data is always NUL-terminated once non-empty. */
#ifndef CW_BASE_STRBUF_H
#define CW_BASE_STRBUF_H

#include <stddef.h>

typedef struct cw_strbuf {
    char *data;
    size_t len;
    size_t cap;
} cw_strbuf;

#define CW_STRBUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

int cw_strbuf_append(cw_strbuf *b, const char *s, size_t n);
/* Room for n more bytes after len (and the NUL), growing by doubling; the
 * caller writes them at data + len and adds n to len. 0 or CW_ENOMEM. */
int cw_strbuf_reserve(cw_strbuf *b, size_t n);
int cw_strbuf_puts(cw_strbuf *b, const char *s);
int cw_strbuf_printf(cw_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int cw_strbuf_json_str(cw_strbuf *b, const char *s);
/* The JSON escape for byte c ("\\n", "\\u0001", …), or NULL when c stands
 * as itself. tmp is scratch space the result may point into. */
const char *cw_json_escape_char(unsigned char c, char tmp[8]);
/* Appends v rounded to the nearest 1/100 as the shortest JSON number that
 * holds it ("500", "503.5", "-0.25"; halves away from zero): the wire form
 * of world positions (docs/protocol.md). Non-finite v appends 0; |v| of
 * 1e13 and more is printed with %.17g instead. No printf on the common path. */
int cw_strbuf_coord(cw_strbuf *b, double v);
/* Appends v in decimal ("-12", "0"), without printf. */
int cw_strbuf_i64(cw_strbuf *b, long long v);
void cw_strbuf_reset(cw_strbuf *b);
void cw_strbuf_free(cw_strbuf *b);

#endif
