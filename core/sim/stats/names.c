/* names.c — the interchange spellings of the engine's enums, one table each. */
#include <string.h>

#include "core/sim/stats/stats.h"

static const char *const buckets[] = {"FLAT", "MULT", "POST_ADD", "OVERRIDE"};
static const char *const operators[] = {"SUM", "MAX", "MIN", "AVERAGE", "MULTIPLY"};
static const char *const modes[] = {"BASELINE", "ADDITIVE", "HARD_MAX", "HARD_MIN", "OVERRIDE"};
static const char *const kinds[] = {"max", "min"};
static const char *const across[] = {"INTERSECT", "PRIORITIZED_OVERRIDE"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int lookup(const char *const *table, int n, const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(table[i], s) == 0) return i;
    return -1;
}

static const char *name_of(const char *const *table, int n, int v)
{
    return (v >= 0 && v < n) ? table[v] : "?";
}

int cw_stats_bucket_parse(const char *s)
{
    return lookup(buckets, COUNT(buckets), s);
}

int cw_stats_operator_parse(const char *s)
{
    return lookup(operators, COUNT(operators), s);
}

int cw_stats_cap_mode_parse(const char *s)
{
    return lookup(modes, COUNT(modes), s);
}

int cw_stats_cap_kind_parse(const char *s)
{
    return lookup(kinds, COUNT(kinds), s);
}

int cw_stats_across_parse(const char *s)
{
    return lookup(across, COUNT(across), s);
}

const char *cw_stats_bucket_name(int b)
{
    return name_of(buckets, COUNT(buckets), b);
}

const char *cw_stats_operator_name(int op)
{
    return name_of(operators, COUNT(operators), op);
}

const char *cw_stats_cap_mode_name(int m)
{
    return name_of(modes, COUNT(modes), m);
}

const char *cw_stats_across_name(int a)
{
    return name_of(across, COUNT(across), a);
}
