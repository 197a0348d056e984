/* text.c — see text.h. */
#include "core/base/text.h"

#include <stdint.h>

/* Decodes one code point at s[i..len); returns its length (1–4), or 0 when
 * the bytes there are not valid UTF-8. */
static size_t decode(const unsigned char *s, size_t i, size_t len, uint32_t *cp)
{
    unsigned char c = s[i];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > len) return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

static int is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0xFFFE ||
           c == 0xFFFF;
}

static int is_bidi(uint32_t c)
{
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
           c == 0x200F || c == 0x061C;
}

static int is_blank(uint32_t c)
{
    return c == 0x20 || c == 0xA0 || c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200D) ||
           c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF || c == 0x3164 ||
           c == 0x115F || c == 0x1160 || c == 0xFFA0;
}

cw_text_verdict cw_text_check(const char *s, size_t len, size_t max_bytes)
{
    if (max_bytes && len > max_bytes) return CW_TEXT_TOO_LONG;
    const unsigned char *u = (const unsigned char *)s;
    int visible = 0;
    cw_text_verdict worst = CW_TEXT_OK;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode(u, i, len, &cp);
        if (!n) return CW_TEXT_BAD_UTF8;
        if (is_control(cp) && worst == CW_TEXT_OK) worst = CW_TEXT_CONTROL;
        if (is_bidi(cp) && worst == CW_TEXT_OK) worst = CW_TEXT_BIDI;
        if (!is_blank(cp) && !is_control(cp) && !is_bidi(cp)) visible = 1;
        i += n;
    }
    if (worst != CW_TEXT_OK) return worst;
    return visible ? CW_TEXT_OK : CW_TEXT_BLANK;
}

const char *cw_text_verdict_message(cw_text_verdict v)
{
    switch (v) {
    case CW_TEXT_OK:
        return "is fine";
    case CW_TEXT_TOO_LONG:
        return "is too long";
    case CW_TEXT_BAD_UTF8:
        return "is not valid UTF-8";
    case CW_TEXT_CONTROL:
        return "has control characters";
    case CW_TEXT_BIDI:
        return "has direction-changing characters";
    case CW_TEXT_BLANK:
        return "is blank";
    }
    return "is not allowed";
}
