/* play.c — chaos-load's play scenario: the login chain (register, login,
 * create_character, enter_world), random walking that respects the
 * server's speed rule, fighters attacking the nearest monster, and the
 * play result line. */
#include "tools/chaos-load/load.h"
#include "tools/chaos-load/wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* ---- play scenario: login chain and moves ------------------------------ */

static void play_fail(lconn *c, const char *what, const char *p, size_t n)
{
    load *L = c->L;
    if (L->errors_shown++ < 5)
        fprintf(stderr, "chaos-load: %s%d: %s failed: %.*s\n", L->o.prefix, c->index, what,
                (int)(n > 300 ? 300 : n), p);
    c->ps = PS_FAILED;
    L->login_failed++;
    L->errors++;
    L->last_progress_ns = now_ns();
}

static void play_send_op(lconn *c, int ps, const char *json, int n)
{
    c->ps = ps;
    c->op_ns = now_ns();
    send_json(c, json, (size_t)n);
}

void play_register(lconn *c)
{
    load *L = c->L;
    char json[160];
    int n = snprintf(json, sizeof json,
                     "{\"op\":\"register\",\"id\":\"reg\",\"name\":\"%s%d\",\"password\":\"%s\"}",
                     L->o.prefix, c->index, PLAY_PASSWORD);
    if (L->t_first_reg == 0) L->t_first_reg = now_ns();
    play_send_op(c, PS_REG, json, n);
}

static void play_login(lconn *c)
{
    load *L = c->L;
    char json[160];
    int n = snprintf(json, sizeof json,
                     "{\"op\":\"login\",\"id\":\"login\",\"name\":\"%s%d\",\"password\":\"%s\"}",
                     L->o.prefix, c->index, PLAY_PASSWORD);
    if (L->t_first_login == 0) L->t_first_login = now_ns();
    play_send_op(c, PS_LOGIN, json, n);
}

static void play_create(lconn *c)
{
    char json[160];
    int n = snprintf(json, sizeof json,
                     "{\"op\":\"create_character\",\"id\":\"create\",\"name\":\"%s%d\","
                     "\"race\":\"human\",\"job\":\"warrior\"}",
                     c->L->o.prefix, c->index);
    play_send_op(c, PS_CREATE, json, n);
}

static void play_enter(lconn *c)
{
    char json[96];
    int n = snprintf(json, sizeof json,
                     "{\"op\":\"enter_world\",\"id\":\"enter\",\"character\":%lld}", c->character);
    play_send_op(c, PS_ENTER, json, n);
}

/* The number after key (e.g. "\"x\":") at or after from; NAN if absent. */
double num_after(const char *p, size_t n, const char *from, const char *key)
{
    if (!from) from = p;
    const char *k = memmem(from, (size_t)(p + n - from), key, strlen(key));
    if (!k) return NAN;
    k += strlen(key);
    char tmp[48];
    size_t m = 0;
    while (k < p + n && m < sizeof tmp - 1 && strchr("0123456789+-.eE", *k))
        tmp[m++] = *k++;
    tmp[m] = 0;
    if (m == 0) return NAN;
    return strtod(tmp, NULL);
}

static int nearest_monster(const lconn *c)
{
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < c->nmon; i++) {
        double d = hypot(c->mon[i].x - c->x, c->mon[i].y - c->y);
        if (d < bd) bd = d, best = i;
    }
    return best;
}

static void pick_target(lconn *c)
{
    load *L = c->L;
    if (c->fighter) {
        /* from the spawn straight north to (500,650), then inside the wall-free box
         * x 10..990, y 610..990 toward the nearest monster (the wolves' home 700,700) */
        if (c->stage == 0 && c->y < 649) {
            c->tx = 500;
            c->ty = 650;
            return;
        }
        c->stage = 1;
        int m = nearest_monster(c);
        double mx = m >= 0 ? c->mon[m].x : 700, my = m >= 0 ? c->mon[m].y : 700;
        c->tx = mx < 10 ? 10 : mx > 990 ? 990 : mx;
        c->ty = my < 610 ? 610 : my > 990 ? 990 : my;
        c->tx = lw_grid(c->tx + cw_rng_range(&L->rng, -1, 1));
        c->ty = lw_grid(c->ty + cw_rng_range(&L->rng, -1, 1));
        return;
    }
    c->tx = lw_grid(cw_rng_range(&L->rng, L->o.box[0], L->o.box[2]));
    c->ty = lw_grid(cw_rng_range(&L->rng, L->o.box[1], L->o.box[3]));
}

/* One move toward the walk target, stamped t (the scheduled time), now the
 * wheel's clock. Positions stay on the 1/100 grid: a partial step is
 * rounded toward where the client stands, so it never exceeds the budget. */
void send_move(lconn *c, uint64_t t, uint64_t now)
{
    load *L = c->L;
    slot *s = &c->ring[c->next_seq & c->mask];
    if (s->seq != 0) { /* backlog full */
        if (in_window(L, t)) L->errors++;
        return;
    }
    if (c->fighter && c->stage == 1) pick_target(c);
    double el = now > c->last_move_ns ? (double)(now - c->last_move_ns) / 1e9 : 0.0;
    if (el > 1.0) el = 1.0; /* the server banks at most one second */
    double budget = el * L->o.speed * (1.0 - L->o.margin);
    double dx = c->tx - c->x, dy = c->ty - c->y, d = hypot(dx, dy);
    int64_t xc, yc;
    if (d <= budget) { /* the target (on the grid) is reached */
        xc = lw_cents_near(c->tx);
        yc = lw_cents_near(c->ty);
        c->x = c->tx;
        c->y = c->ty;
        pick_target(c);
    } else {
        xc = lw_cents_toward(c->x + dx * budget / d, lw_cents_near(c->x));
        yc = lw_cents_toward(c->y + dy * budget / d, lw_cents_near(c->y));
    }
    uint64_t seq = c->next_seq++;
    s->seq = seq;
    s->t_ns = t;
    c->outstanding++;
    if (in_window(L, t)) L->window_outstanding++;
    L->moves_sent++;
    c->x = (double)xc / 100.0;
    c->y = (double)yc / 100.0;
    c->last_move_ns = now;
    uint8_t f[LW_FRAME_MAX];
    send_frame(c, f, lw_move(f, seq, xc, yc));
}

/* The wheel reached c's next attack: one a second while playing. */
void attack_tick(lconn *c, uint64_t now)
{
    load *L = c->L;
    if (c->up != 1 || c->ps != PS_PLAY) return;
    sched_add(L, &c->atk, cw_wheel_round(&L->wheel, now + 1000000000ull));
    if (!sending(L, now)) return;
    int m = nearest_monster(c);
    if (m < 0) {
        if (in_window(L, now)) L->no_monster++;
        return;
    }
    char json[96];
    int n = snprintf(json, sizeof json, "{\"op\":\"attack\",\"id\":\"atk\",\"target\":%lld}",
                     c->mon[m].e);
    send_json(c, json, (size_t)n);
    if (in_window(L, now)) L->attacks++;
}

static void start_moving(lconn *c)
{
    load *L = c->L;
    uint64_t phase = (uint64_t)(cw_rng_double(&L->rng) * (double)L->interval_ns);
    c->last_move_ns = now_ns();
    c->next_ns = c->last_move_ns + phase;
    pick_target(c);
    if (!c->tick.queued) sched_add(L, &c->tick, cw_wheel_round(&L->wheel, c->next_ns));
    if (c->fighter && !c->atk.queued)
        sched_add(L, &c->atk, cw_wheel_round(&L->wheel, c->last_move_ns + 1000000000ull));
}

/* A response to a login-phase request (string id). */
void play_step(lconn *c, const char *p, size_t n, uint64_t now)
{
    load *L = c->L;
    int is_error = memmem(p, n, "\"error\":", 8) != NULL;
    int taken = is_error && memmem(p, n, "\"name_taken\"", 12) != NULL;
    switch (c->ps) {
    case PS_REG:
        if (is_error && !taken) return play_fail(c, "register", p, n);
        L->n_reg++;
        L->t_last_reg = now;
        play_login(c);
        break;
    case PS_LOGIN:
        if (is_error) return play_fail(c, "login", p, n);
        L->n_login++;
        L->t_last_login = now;
        cw_hist_record(&L->login_hist, now - c->op_ns);
        play_create(c);
        break;
    case PS_CREATE:
        if (taken) { /* a rerun against the same database: use the existing one */
            static const char chars[] = "{\"op\":\"characters\",\"id\":\"chars\"}";
            play_send_op(c, PS_CHARS, chars, (int)sizeof chars - 1);
            return;
        }
        if (is_error) return play_fail(c, "create_character", p, n);
        L->n_create++;
        /* fallthrough */
    case PS_CHARS: {
        const char *from = memmem(p, n, c->ps == PS_CHARS ? "\"characters\":[" : "\"character\":",
                                  c->ps == PS_CHARS ? 14 : 12);
        double id = from && !is_error ? num_after(p, n, from, "\"id\":") : NAN;
        if (!(id > 0)) return play_fail(c, "create_character/characters", p, n);
        c->character = (long long)id;
        play_enter(c);
        break;
    }
    case PS_ENTER: {
        if (is_error) return play_fail(c, "enter_world", p, n);
        const char *from = memmem(p, n, "\"character\":", 12);
        double x = num_after(p, n, from, "\"x\":"), y = num_after(p, n, from, "\"y\":");
        if (isnan(x) || isnan(y)) return play_fail(c, "enter_world (no position)", p, n);
        c->x = lw_grid(x);
        c->y = lw_grid(y);
        c->ps = PS_PLAY;
        L->n_enter++;
        L->entered++;
        L->last_progress_ns = now;
        if (L->entered + L->login_failed >= L->o.connections) L->entered_all_ns = now;
        start_moving(c);
        break;
    }
    default:
        L->errors++; /* unexpected */
    }
}

void track_event(lconn *c, const char *p, size_t n, uint64_t now)
{
    if (n >= 12 && memcmp(p, "{\"ev\":\"zone\"", 12) == 0) { /* respawn, portal */
        double x = num_after(p, n, NULL, "\"x\":"), y = num_after(p, n, NULL, "\"y\":");
        if (!isnan(x) && !isnan(y)) {
            c->x = lw_grid(x);
            c->y = lw_grid(y);
            c->stage = 0;
            c->last_move_ns = now;
            pick_target(c);
        }
        return;
    }
    if (!c->fighter) return;
    double e = num_after(p, n, NULL, "\"e\":");
    if (isnan(e)) return;
    int i = 0;
    while (i < c->nmon && c->mon[i].e != (long long)e)
        i++;
    if (memcmp(p, "{\"ev\":\"leave\"", n >= 13 ? 13 : n) == 0 ||
        (n >= 13 && memcmp(p, "{\"ev\":\"death\"", 13) == 0)) {
        if (i < c->nmon) c->mon[i] = c->mon[--c->nmon];
        return;
    }
    int is_enter = n >= 13 && memcmp(p, "{\"ev\":\"enter\"", 13) == 0;
    if (is_enter && !memmem(p, n, "\"kind\":\"monster\"", 16)) return;
    if (!is_enter && !(n >= 12 && memcmp(p, "{\"ev\":\"move\"", 12) == 0)) return;
    if (i == c->nmon) {
        if (!is_enter || c->nmon == 16) return; /* a player's move, or full */
        c->nmon++;
        c->mon[i].e = (long long)e;
    }
    double x = num_after(p, n, NULL, "\"x\":"), y = num_after(p, n, NULL, "\"y\":");
    if (!isnan(x) && !isnan(y)) {
        c->mon[i].x = x;
        c->mon[i].y = y;
    }
}

void count_event(load *L, const char *p, size_t n, uint64_t now)
{
    if (!in_window(L, now)) return;
    L->ev_total++;
    L->ev_bytes += 4 + n;
    if (n >= 12 && memcmp(p, "{\"ev\":\"move\"", 12) == 0)
        L->ev_move++;
    else if (n >= 13 && memcmp(p, "{\"ev\":\"enter\"", 13) == 0)
        L->ev_enter++;
    else if (n >= 13 && memcmp(p, "{\"ev\":\"leave\"", 13) == 0)
        L->ev_leave++;
    else
        L->ev_other++;
}

double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double rate_of(uint64_t n, uint64_t t0, uint64_t t1)
{
    return n && t1 > t0 ? (double)n / ((double)(t1 - t0) / 1e9) : 0.0;
}

void print_play(load *L)
{
    double dur = (double)(L->measure_end - L->measure_start) / 1e9;
    L->errors += L->window_outstanding; /* never answered */
    double us = 1e3;
    uint64_t acks = L->requests + L->bad_moves + L->dead_moves;
    printf(
        "{\"scenario\":\"play\",\"connections\":%d,\"entered\":%d,\"connected\":%d,"
        "\"login_failed\":%d,\"login_pending\":%d,\"rate\":%.2f,\"duration_s\":%.3f,\"moves\":%llu,"
        "\"move_rps\":%.1f,\"bad_moves\":%llu,\"errors\":%llu,\"p50_us\":%.1f,\"p90_us\":%.1f,"
        "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"events_rx\":%llu,"
        "\"events_rx_per_s\":%.1f,\"ev_bytes_rx_per_s\":%.1f,\"ev_move\":%llu,"
        "\"ev_enter\":%llu,\"ev_leave\":%llu,\"ev_other\":%llu,\"login_s\":%.3f,"
        "\"registers_per_s\":%.1f,\"logins_per_s\":%.1f,\"login_p50_ms\":%.2f,"
        "\"login_p99_ms\":%.2f,\"fighters\":%d,\"attacks\":%llu,\"attacks_ok\":%llu,"
        "\"attacks_refused\":%llu,\"first_refusal\":\"%s\",\"attack_no_monster\":%llu,"
        "\"dead_moves\":%llu,"
        "\"box\":[%g,%g,%g,%g],\"client_cpu_pct\":%.1f}\n",
        L->o.connections, L->entered, L->connected, L->login_failed,
        L->attempted - L->entered - L->login_failed - L->lost_playing, L->o.rate, dur,
        (unsigned long long)L->requests, dur > 0 ? (double)acks / dur : 0.0,
        (unsigned long long)L->bad_moves, (unsigned long long)L->errors,
        (double)cw_hist_quantile(&L->hist, 0.50) / us,
        (double)cw_hist_quantile(&L->hist, 0.90) / us,
        (double)cw_hist_quantile(&L->hist, 0.99) / us,
        (double)cw_hist_quantile(&L->hist, 0.999) / us, (double)L->hist.max / us,
        (unsigned long long)L->ev_total, dur > 0 ? (double)L->ev_total / dur : 0.0,
        dur > 0 ? (double)L->ev_bytes / dur : 0.0, (unsigned long long)L->ev_move,
        (unsigned long long)L->ev_enter, (unsigned long long)L->ev_leave,
        (unsigned long long)L->ev_other, (double)(L->entered_all_ns - L->t0) / 1e9,
        rate_of(L->n_reg, L->t_first_reg, L->t_last_reg),
        rate_of(L->n_login, L->t_first_login, L->t_last_login),
        (double)cw_hist_quantile(&L->login_hist, 0.50) / 1e6,
        (double)cw_hist_quantile(&L->login_hist, 0.99) / 1e6,
        L->o.fighters < L->o.connections ? L->o.fighters : L->o.connections,
        (unsigned long long)L->attacks, (unsigned long long)L->attacks_ok,
        (unsigned long long)L->attacks_refused, L->refused_code, (unsigned long long)L->no_monster,
        (unsigned long long)L->dead_moves, L->o.box[0], L->o.box[1], L->o.box[2], L->o.box[3],
        dur > 0 ? 100.0 * (L->cpu_end - L->cpu_start) / dur : 0.0);
    fflush(stdout);
}

/* 10 ms housekeeping tick: moves between phases. */
