/* text.h — the one policy for text other players (or operators) read: chat
 * lines, names, announcements, ledger reasons, later mail and guild names.
 *
 * A text passes when it is:
 *   - valid UTF-8 (no overlong forms, surrogates, or code points past
 *     U+10FFFF), with no NUL;
 *   - printable: no C0 or C1 control characters (U+0000–U+001F,
 *     U+007F–U+009F: so no newline, tab or ESC), no line/paragraph
 *     separators (U+2028, U+2029), no noncharacters (U+FFFE, U+FFFF);
 *   - free of bidirectional controls (U+202A–U+202E embeddings and
 *     overrides, U+2066–U+2069 isolates, U+200E/U+200F marks, U+061C):
 *     they reorder what follows them, so a line could show something else
 *     than it says;
 *   - not blank: something is left after removing whitespace and invisible
 *     characters (U+0020, U+00A0, U+1680, U+180E, U+2000–U+200D, U+202F,
 *     U+205F, U+2060, U+3000, U+FEFF, U+3164, U+115F, U+1160, U+FFA0);
 *   - at most max_bytes long (0: no length limit).
 *
 * Pure functions: no allocation, no global state; exactly len bytes are
 * read (the text need not be NUL-terminated). */
#ifndef CW_BASE_TEXT_H
#define CW_BASE_TEXT_H

#include <stddef.h>

typedef enum cw_text_verdict {
    CW_TEXT_OK = 0,
    CW_TEXT_TOO_LONG,
    CW_TEXT_BAD_UTF8,
    CW_TEXT_CONTROL,
    CW_TEXT_BIDI,
    CW_TEXT_BLANK,
} cw_text_verdict;

cw_text_verdict cw_text_check(const char *s, size_t len, size_t max_bytes);
/* A short sentence for an error message: "is not valid UTF-8", … */
const char *cw_text_verdict_message(cw_text_verdict v);

#endif
