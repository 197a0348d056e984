/* script.c — --script FILE: plays the command language without a terminal.
 * Each request waits for its answer; every frame received is printed as one
 * JSON line on stdout. /wait ev NAME waits for an event (received since the
 * last matched one; FIELD=VALUE equal, FIELD~TEXT contains), /expect checks the last answer, /sleep
 * pumps for a while. A request that starts a cluster hand-off (a move through a portal, an
 * enter_world) returns once the character is resumed on the other process. Exit codes: 0 done, 1 an
 * /expect or /wait failed, 2 the connection was lost unexpectedly, 3 a bad script line. */
#include "tools/chaos-client/client.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_TIMEOUT_MS 30000

static void print_frame(void *ud, json_t *f, const char *op)
{
    (void)ud;
    (void)op;
    char *s = json_dumps(f, JSON_COMPACT);
    if (s) {
        puts(s);
        fflush(stdout);
    }
    free(s);
}

/* The text form a script compares against: strings as they are, numbers shortest. */
static void as_text(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.17g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, n, "true");
    else if (json_is_false(v))
        snprintf(buf, n, "false");
    else if (json_is_null(v))
        snprintf(buf, n, "null");
    else if (!v)
        snprintf(buf, n, "(absent)");
    else {
        char *s = json_dumps(v, JSON_COMPACT);
        snprintf(buf, n, "%s", s ? s : "?");
        free(s);
    }
}

static int same(json_t *v, const char *want)
{
    char got[512];
    as_text(v, got, sizeof got);
    if (strcmp(got, want) == 0) return 1;
    if (!json_is_number(v)) return 0;
    char *end;
    double b = strtod(want, &end);
    return *want && *end == 0 && fabs(json_number_value(v) - b) < 1e-9;
}

/* a.b.0.c: object keys and array indexes */
static json_t *path_get(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strtok(buf, "."); p && v; p = strtok(NULL, ".")) {
        if (json_is_array(v) && isdigit((unsigned char)*p))
            v = json_array_get(v, (size_t)atoi(p));
        else
            v = json_object_get(v, p);
    }
    return v;
}

static int match_event(json_t *ev, char **tok, int ntok)
{
    const char *name = json_string_value(json_object_get(ev, "ev"));
    if (!name || strcmp(name, tok[0]) != 0) return 0;
    for (int i = 1; i < ntok; i++) {
        char *eq = strpbrk(tok[i], "=~");
        if (!eq) continue;
        char op = *eq;
        *eq = 0;
        json_t *v = path_get(ev, tok[i]);
        int ok = op == '=' ? same(v, eq + 1)
                           : json_is_string(v) && strstr(json_string_value(v), eq + 1) != NULL;
        *eq = op;
        if (!ok) return 0;
    }
    return 1;
}

/* /wait ev NAME [SECONDS] [FIELD=VALUE…] */
static int do_wait(cc_app *a, char **tok, int ntok)
{
    if (ntok < 3 || strcmp(tok[1], "ev") != 0) return 3;
    double secs = 10;
    int first_cond = 3;
    if (ntok > 3 && !strpbrk(tok[3], "=~")) {
        secs = atof(tok[3]);
        first_cond = 4;
    }
    char *conds[16];
    int nc = 0;
    conds[nc++] = tok[2];
    for (int i = first_cond; i < ntok && nc < 16; i++)
        conds[nc++] = tok[i];
    uint64_t end = cc_now_ns() + (uint64_t)(secs * 1e9);
    for (;;) {
        for (int i = a->ev_cursor; i < a->nevents; i++)
            if (match_event(a->events[i], conds, nc)) {
                a->ev_cursor = i + 1;
                return 0;
            }
        a->ev_cursor = a->nevents > a->ev_cursor ? a->ev_cursor : a->nevents;
        uint64_t now = cc_now_ns();
        if (now >= end) {
            fprintf(stderr, "chaos-client: /wait ev %s: timed out after %gs\n", tok[2], secs);
            return 1;
        }
        if (cc_app_pump(a, (int)((end - now) / 1000000u) + 1, 0) < 0) return 2;
    }
}

/* /expect ok|CODE[|CODE…]   or   /expect field PATH VALUE */
static int do_expect(cc_app *a, char **tok, int ntok, const char *line)
{
    json_t *ans = a->last_answer;
    if (ntok < 2) return 3;
    if (!ans) {
        fprintf(stderr, "chaos-client: %s: no answer yet\n", line);
        return 1;
    }
    if (strcmp(tok[1], "field") == 0) {
        if (ntok != 4) return 3;
        if (same(path_get(ans, tok[2]), tok[3])) return 0;
        char got[256];
        as_text(path_get(ans, tok[2]), got, sizeof got);
        fprintf(stderr, "chaos-client: %s: %s is %s\n", line, tok[2], got);
        return 1;
    }
    json_t *err = json_object_get(ans, "error");
    const char *got = err ? json_string_value(json_object_get(err, "code")) : "ok";
    char alts[256];
    snprintf(alts, sizeof alts, "%s", tok[1]);
    for (char *p = strtok(alts, "|"); p; p = strtok(NULL, "|"))
        if (got && strcmp(p, got) == 0) return 0;
    char *s = json_dumps(ans, JSON_COMPACT);
    fprintf(stderr, "chaos-client: %s: the %s answer was %s\n", line, a->last_op, s ? s : "?");
    free(s);
    return 1;
}

static int do_walk(cc_app *a, double tx, double ty)
{
    char zone[64];
    snprintf(zone, sizeof zone, "%s", a->m.zone);
    int refused = 0;
    while (hypot(tx - a->m.x, ty - a->m.y) >= CC_ARRIVED) {
        int r = cc_app_step_toward(a, tx, ty, 3.0);
        if (r < 0) {
            fprintf(stderr, "chaos-client: walk: not in the world\n");
            return 1;
        }
        if (r == 0) {
            if (cc_app_pump(a, 50, 0) < 0) return 2;
            continue;
        }
        if (!cc_app_wait(a, a->next_id - 1, ANSWER_TIMEOUT_MS)) return 2;
        if (cc_app_settle(a, ANSWER_TIMEOUT_MS) != 0) return 2; /* through a hand-off */
        if (json_object_get(a->last_answer, "error")) {
            if (++refused >= 3) {
                fprintf(stderr, "chaos-client: walk to (%g, %g) refused at (%g, %g)\n", tx, ty,
                        a->m.x, a->m.y);
                return 1;
            }
        } else {
            refused = 0;
        }
        if (strcmp(zone, a->m.zone) != 0) break; /* a portal took us elsewhere */
    }
    return 0;
}

static int run_line(cc_app *a, const char *line, int lineno)
{
    cc_cmd_out o;
    cc_cmd_result r = cc_cmd_run(a, line, &o);
    switch (r) {
    case CC_CMD_QUIT:
        a->quit = 1;
        return 0;
    case CC_CMD_ERROR:
        fprintf(stderr, "chaos-client: script line %d: %s\n", lineno, o.msg);
        return a->connected ? 3 : 2;
    case CC_CMD_WALK:
        return do_walk(a, o.walk_x, o.walk_y);
    case CC_CMD_OK:
        if (o.msg[0]) fprintf(stderr, "chaos-client: %s\n", o.msg);
        if (o.sent > 0 && !cc_app_wait(a, o.sent, ANSWER_TIMEOUT_MS)) return 2;
        return cc_app_settle(a, ANSWER_TIMEOUT_MS) != 0 ? 2 : 0;
    case CC_CMD_SCRIPT:
        break;
    }
    char buf[1200], *tok[24];
    int ntok = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *p = strtok(buf + 1, " \t"); p && ntok < 24; p = strtok(NULL, " \t"))
        tok[ntok++] = p;
    if (ntok == 0) {
        fprintf(stderr, "chaos-client: script line %d: a script command after the dot is missing\n",
                lineno);
        return 3;
    }
    int rc = 3;
    if (strcmp(tok[0], "wait") == 0) {
        rc = do_wait(a, tok, ntok);
    } else if (strcmp(tok[0], "expect") == 0) {
        rc = do_expect(a, tok, ntok, line);
    } else if (strcmp(tok[0], "sleep") == 0 && ntok == 2) {
        uint64_t end = cc_now_ns() + (uint64_t)(atof(tok[1]) * 1e9);
        rc = 0;
        while (cc_now_ns() < end)
            if (cc_app_pump(a, (int)((end - cc_now_ns()) / 1000000u) + 1, 0) < 0) return 2;
    }
    if (rc == 3) fprintf(stderr, "chaos-client: script line %d: bad command: %s\n", lineno, line);
    return rc;
}

int cc_script_run(cc_app *a, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos-client: cannot open %s\n", path);
        return 3;
    }
    a->interactive = 0;
    a->on_frame = print_frame;
    int rc = 0;
    if (cc_app_connect(a) != 0) {
        fprintf(stderr, "chaos-client: %s\n", a->m.lost);
        rc = 2;
    }
    char line[1200];
    int lineno = 0;
    while (rc == 0 && !a->quit && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        rc = run_line(a, line, lineno);
    }
    if (rc == 2)
        fprintf(stderr, "chaos-client: connection lost: %s\n", a->m.lost[0] ? a->m.lost : "?");
    if (f != stdin) fclose(f);
    return rc;
}
