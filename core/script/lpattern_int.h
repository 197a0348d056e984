/* lpattern_int.h — the matcher shared by lpattern_match.c (matching) and
 * lpattern_lib.c (the Lua functions); private to those two files.
 *
 * A cw_lpm lives on the C stack of one pattern-function call and points into
 * strings the caller keeps on the Lua stack; it owns nothing. Every failure is
 * a Lua error raised in ms->L (malformed pattern, too many captures, the
 * budget, the step cap, nesting), so the functions return only on success. */
#ifndef CW_SCRIPT_LPATTERN_INT_H
#define CW_SCRIPT_LPATTERN_INT_H

#include "core/script/lpattern.h"

#include <stddef.h>
#include <stdint.h>

#define CW_LPM_MAX_CAPTURES 32
#define CW_LPM_MAX_DEPTH 200    /* as LuaJIT's LJ_MAX_XLEVEL */
#define CW_LPM_CHECK_EVERY 1024 /* steps between calls to check */

enum { CW_LPM_OPEN = -1, CW_LPM_POSITION = -2 }; /* capture lengths with a meaning */

typedef struct cw_lpm_capture {
    const char *at;
    ptrdiff_t len; /* >= 0, or CW_LPM_OPEN / CW_LPM_POSITION */
} cw_lpm_capture;

typedef struct cw_lpm {
    lua_State *L;
    const char *fname; /* "string.find", for the budget errors */
    const char *subj, *subj_end;
    const char *pat_end; /* the pattern stops at its first NUL, as LuaJIT's does */
    int level;           /* captures opened so far */
    int depth;           /* matcher recursion */
    uint64_t steps, next_check, cap;
    cw_lpattern_check_fn check;
    cw_lpm_capture cap_of[CW_LPM_MAX_CAPTURES];
} cw_lpm;

/* Sets up ms for one call on subject s (ls bytes) and pattern p (lp bytes). */
void cw_lpm_init(cw_lpm *ms, lua_State *L, const char *fname, cw_lpattern_check_fn check,
                 uint64_t cap, const char *s, size_t ls, const char *p, size_t lp);

/* Tries the pattern at p (inside the one given to init) anchored at subject
 * position s; returns the end of the match or NULL. Clears captures first. */
const char *cw_lpm_match_at(cw_lpm *ms, const char *s, const char *p);

/* Pushes capture i of the last match [s, e) (the whole match when there are
 * no captures and i == 0). */
void cw_lpm_push_capture(cw_lpm *ms, int i, const char *s, const char *e);

/* Pushes every capture of the last match; with none, the whole match when s
 * is not NULL (string.match) or nothing (string.find). Returns the count. */
int cw_lpm_push_captures(cw_lpm *ms, const char *s, const char *e);

#endif
