/* lpattern_match.c — a backtracking matcher for Lua 5.1 patterns (as LuaJIT
 * 2.1 reads them) that counts its steps. See lpattern_int.h. */
#include "core/script/lpattern_int.h"

#include <lauxlib.h>
#include <string.h>

#define ESC '%'

/* ---------------------------------------------------------------------------
 * Steps and limits
 * ------------------------------------------------------------------------- */

static void too_complex(cw_lpm *ms, const char *why)
{
    luaL_error(ms->L, "%s: pattern too complex (%s)", ms->fname, why);
}

/* Slow path of charge(): the cap, then the check function on each multiple of
 * CW_LPM_CHECK_EVERY. */
static void over_limit(cw_lpm *ms)
{
    if (ms->steps >= ms->cap) too_complex(ms, "ran past the step cap");
    uint64_t tick = ms->steps - ms->steps % CW_LPM_CHECK_EVERY + CW_LPM_CHECK_EVERY;
    if (ms->check && ms->check(ms->L)) too_complex(ms, "ran past the script budget");
    ms->next_check = tick < ms->cap ? tick : ms->cap;
}

static inline void charge(cw_lpm *ms, uint64_t n)
{
    ms->steps += n;
    if (ms->steps >= ms->next_check) over_limit(ms);
}

/* ---------------------------------------------------------------------------
 * Character classes (ASCII, whatever the C locale says)
 * ------------------------------------------------------------------------- */

static int is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}
static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_alpha(int c)
{
    return is_lower(c) || is_upper(c);
}
static int is_graph(int c)
{
    return c > 32 && c < 127;
}
static int is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Does byte c belong to class letter cl (the letter after '%')? An unknown
 * letter or any other byte stands for itself. */
static int class_has(int c, int cl)
{
    int in;
    switch (cl | 0x20) {
    case 'a':
        in = is_alpha(c);
        break;
    case 'c':
        in = c < 32 || c == 127;
        break;
    case 'd':
        in = is_digit(c);
        break;
    case 'g':
        in = is_graph(c);
        break;
    case 'l':
        in = is_lower(c);
        break;
    case 'p':
        in = is_graph(c) && !is_alpha(c) && !is_digit(c);
        break;
    case 's':
        in = is_space(c);
        break;
    case 'u':
        in = is_upper(c);
        break;
    case 'w':
        in = is_alpha(c) || is_digit(c);
        break;
    case 'x':
        in = is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
        break;
    case 'z':
        in = c == 0;
        break;
    default:
        return cl == c;
    }
    return is_upper(cl) ? !in : in;
}

/* Set [..] from `open` (its '[') to `close` (its ']'): does it hold c? */
static int set_has(int c, const char *open, const char *close)
{
    const unsigned char *p = (const unsigned char *)open + 1;
    const unsigned char *end = (const unsigned char *)close;
    int want = 1;
    if (*p == '^') {
        want = 0;
        p++;
    }
    while (p < end) {
        if (*p == ESC) {
            if (class_has(c, p[1])) return want;
            p += 2;
        } else if (p[1] == '-' && p + 2 < end) {
            if (p[0] <= c && c <= p[2]) return want;
            p += 3;
        } else {
            if (*p == c) return want;
            p++;
        }
    }
    return !want;
}

/* The end of the single-character item at p (a byte, '.', %x or a set). */
static const char *item_end(cw_lpm *ms, const char *p)
{
    const char *pe = ms->pat_end;
    if (*p == ESC) {
        if (p + 1 >= pe) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 2;
    }
    if (*p != '[') return p + 1;
    p++;
    if (p < pe && *p == '^') p++;
    /* The first byte is part of the set even when it is ']'. */
    do {
        if (p >= pe) luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*p++ == ESC && p < pe) p++;
    } while (p >= pe || *p != ']');
    return p + 1;
}

/* Does subject byte c match the item [p, ep)? */
static int item_has(cw_lpm *ms, int c, const char *p, const char *ep)
{
    charge(ms, 1);
    switch (*p) {
    case '.':
        return 1;
    case ESC:
        return class_has(c, (unsigned char)p[1]);
    case '[':
        return set_has(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

/* ---------------------------------------------------------------------------
 * The matcher
 * ------------------------------------------------------------------------- */

static const char *match(cw_lpm *ms, const char *s, const char *p);

static int byte_at(const char *s, const char *end)
{
    return s < end ? (unsigned char)*s : 0;
}

/* %bxy at p (pointing at x): the end of a balanced run starting at s. */
static const char *balanced(cw_lpm *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->pat_end) luaL_error(ms->L, "unbalanced pattern");
    if (s >= ms->subj_end || *s != *p) return NULL;
    const char *from = s;
    int depth = 1;
    while (++s < ms->subj_end) {
        if (*s == p[1]) {
            if (--depth == 0) {
                charge(ms, (uint64_t)(s - from));
                return s + 1;
            }
        } else if (*s == *p) {
            depth++;
        }
    }
    charge(ms, (uint64_t)(s - from));
    return NULL;
}

/* %1..%9 at subject position s: the end of the repeated text or NULL. */
static const char *backref(cw_lpm *ms, const char *s, int digit)
{
    int i = digit - '1';
    if (i < 0 || i >= ms->level || ms->cap_of[i].len == CW_LPM_OPEN)
        luaL_error(ms->L, "invalid capture index");
    ptrdiff_t len = ms->cap_of[i].len;
    if (len < 0) /* a position capture never matches again */
        return NULL;
    charge(ms, (uint64_t)len);
    if (ms->subj_end - s >= len && memcmp(ms->cap_of[i].at, s, (size_t)len) == 0) return s + len;
    return NULL;
}

static const char *open_capture(cw_lpm *ms, const char *s, const char *p, ptrdiff_t kind)
{
    if (ms->level >= CW_LPM_MAX_CAPTURES) luaL_error(ms->L, "too many captures");
    int i = ms->level++;
    ms->cap_of[i].at = s;
    ms->cap_of[i].len = kind;
    const char *r = match(ms, s, p);
    if (!r) ms->level--;
    return r;
}

static const char *close_capture(cw_lpm *ms, const char *s, const char *p)
{
    int i = ms->level - 1;
    while (i >= 0 && ms->cap_of[i].len != CW_LPM_OPEN)
        i--;
    if (i < 0) luaL_error(ms->L, "invalid pattern capture");
    ms->cap_of[i].len = s - ms->cap_of[i].at;
    const char *r = match(ms, s, p);
    if (!r) ms->cap_of[i].len = CW_LPM_OPEN;
    return r;
}

/* Item [p, ep) repeated as often as possible, then fewer until the rest
 * (after the quantifier at ep) matches. */
static const char *longest(cw_lpm *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t n = 0;
    while (s + n < ms->subj_end && item_has(ms, (unsigned char)s[n], p, ep))
        n++;
    for (; n >= 0; n--) {
        const char *r = match(ms, s + n, ep + 1);
        if (r) return r;
    }
    return NULL;
}

/* Item [p, ep) repeated as rarely as possible. */
static const char *shortest(cw_lpm *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(ms, s, ep + 1);
        if (r) return r;
        if (s < ms->subj_end && item_has(ms, (unsigned char)*s, p, ep))
            s++;
        else
            return NULL;
    }
}

/* One item with its optional quantifier; sets *s / *p and returns 1 to go on
 * with the rest of the pattern, or returns 0 with the final result in *out. */
static int single(cw_lpm *ms, const char **s, const char **p, const char **out)
{
    const char *ep = item_end(ms, *p);
    int hit = *s < ms->subj_end && item_has(ms, (unsigned char)**s, *p, ep);
    int q = ep < ms->pat_end ? *ep : 0;
    switch (q) {
    case '?':
        if (hit && (*out = match(ms, *s + 1, ep + 1)) != NULL) return 0;
        *p = ep + 1;
        return 1;
    case '+':
        *out = hit ? longest(ms, *s + 1, *p, ep) : NULL;
        return 0;
    case '*':
        *out = longest(ms, *s, *p, ep);
        return 0;
    case '-':
        *out = shortest(ms, *s, *p, ep);
        return 0;
    default:
        if (!hit) {
            *out = NULL;
            return 0;
        }
        (*s)++;
        *p = ep;
        return 1;
    }
}

static const char *match(cw_lpm *ms, const char *s, const char *p)
{
    const char *pe = ms->pat_end;
    const char *r = NULL;
    if (++ms->depth > CW_LPM_MAX_DEPTH) too_complex(ms, "too deeply nested");
    charge(ms, 1);
    for (;;) {
        if (p >= pe) {
            r = s;
            break;
        }
        int next = p + 1 < pe ? p[1] : 0;
        if (*p == '(') {
            if (next == ')')
                r = open_capture(ms, s, p + 2, CW_LPM_POSITION);
            else
                r = open_capture(ms, s, p + 1, CW_LPM_OPEN);
            break;
        }
        if (*p == ')') {
            r = close_capture(ms, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == pe) {
            r = s == ms->subj_end ? s : NULL;
            break;
        }
        if (*p == ESC && next == 'b') {
            s = balanced(ms, s, p + 2);
            if (!s) break;
            p += 4;
            continue;
        }
        if (*p == ESC && next == 'f') {
            p += 2;
            if (p >= pe || *p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char *ep = item_end(ms, p);
            int before = s == ms->subj ? 0 : (unsigned char)s[-1];
            charge(ms, 1);
            if (set_has(before, p, ep - 1) || !set_has(byte_at(s, ms->subj_end), p, ep - 1)) break;
            p = ep;
            continue;
        }
        if (*p == ESC && is_digit(next)) {
            s = backref(ms, s, next);
            if (!s) break;
            p += 2;
            continue;
        }
        if (!single(ms, &s, &p, &r)) break;
    }
    ms->depth--;
    return r;
}

/* ---------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------- */

void cw_lpm_init(cw_lpm *ms, lua_State *L, const char *fname, cw_lpattern_check_fn check,
                 uint64_t cap, const char *s, size_t ls, const char *p, size_t lp)
{
    const char *nul = memchr(p, '\0', lp);
    ms->L = L;
    ms->fname = fname;
    ms->check = check;
    ms->subj = s;
    ms->subj_end = s + ls;
    ms->pat_end = nul ? nul : p + lp;
    ms->level = 0;
    ms->depth = 0;
    ms->steps = 0;
    ms->cap = cap;
    ms->next_check = cap < CW_LPM_CHECK_EVERY ? cap : CW_LPM_CHECK_EVERY;
}

const char *cw_lpm_match_at(cw_lpm *ms, const char *s, const char *p)
{
    ms->level = 0;
    ms->depth = 0;
    return match(ms, s, p);
}

void cw_lpm_push_capture(cw_lpm *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index");
        lua_pushlstring(ms->L, s, (size_t)(e - s));
        return;
    }
    const cw_lpm_capture *c = &ms->cap_of[i];
    if (c->len == CW_LPM_OPEN) luaL_error(ms->L, "unfinished capture");
    if (c->len == CW_LPM_POSITION)
        lua_pushinteger(ms->L, (lua_Integer)(c->at - ms->subj) + 1);
    else
        lua_pushlstring(ms->L, c->at, (size_t)c->len);
}

int cw_lpm_push_captures(cw_lpm *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        cw_lpm_push_capture(ms, i, s, e);
    return n;
}
