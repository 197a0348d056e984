/* app.c — the client's connection life: hello, requests in flight (id → op,
 * so answers reach the model with their op), the receive pump, movement at
 * the allowed speed, the interactive refetches, and reconnecting with
 * backoff after a lost connection (logging in and entering again), and the
 * cluster hand-off: after {"ev":"handoff"} the closing connection is not a
 * loss; the client connects to the named process and sends `resume`. */
#include "tools/chaos-client/client.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int cc_app_init(cc_app *a, const char *host, int port, const char *record)
{
    memset(a, 0, sizeof *a);
    cc_net_init(&a->net, host, port);
    cc_model_init(&a->m);
    a->next_id = 1;
    if (record) {
        a->net.record = fopen(record, "w");
        if (!a->net.record) return -1;
    }
    return 0;
}

void cc_app_free(cc_app *a)
{
    for (int i = 0; i < a->npend; i++)
        json_decref(a->pend[i].req);
    a->npend = 0;
    for (int i = 0; i < a->nevents; i++)
        json_decref(a->events[i]);
    free(a->events);
    json_decref(a->last_answer);
    cc_model_free(&a->m);
    cc_net_free(&a->net);
}

static void lost(cc_app *a, const char *why)
{
    if (!a->connected) return;
    a->connected = 0;
    cc_net_close(&a->net);
    for (int i = 0; i < a->npend; i++)
        json_decref(a->pend[i].req);
    a->npend = 0;
    if (!a->m.lost[0]) snprintf(a->m.lost, sizeof a->m.lost, "%s", why);
    cc_log_add(&a->m.sys, 2, "connection lost: %s", a->m.lost);
    cc_model_leave_world(&a->m);
    a->m.logged_in = 0;
    int shift = a->reconnect_tries < 5 ? a->reconnect_tries : 5;
    a->reconnect_at_ns = cc_now_ns() + (1000000000ull << shift);
}

int cc_app_connect(cc_app *a)
{
    char err[160];
    if (cc_net_connect(&a->net, err, sizeof err) != 0) {
        snprintf(a->m.lost, sizeof a->m.lost, "%s", err);
        return -1;
    }
    a->connected = 1;
    a->m.lost[0] = 0;
    cc_app_request(a, json_pack("{s:s, s:i}", "op", "hello", "version", 1));
    return 0;
}

long long cc_app_request(cc_app *a, json_t *req)
{
    if (!req) return -1;
    if (!a->connected || a->npend == (int)(sizeof a->pend / sizeof a->pend[0])) {
        if (a->connected) cc_log_add(&a->m.sys, 2, "too many requests in flight");
        json_decref(req);
        return -1;
    }
    long long id = a->next_id++;
    json_object_set_new(req, "id", json_integer(id));
    char *s = json_dumps(req, JSON_COMPACT);
    int rc = s ? cc_net_send(&a->net, s, strlen(s)) : -1;
    free(s);
    if (rc != 0) {
        json_decref(req);
        lost(a, "write failed");
        return -1;
    }
    cc_pending *p = &a->pend[a->npend++];
    p->id = id;
    snprintf(p->op, sizeof p->op, "%s", json_string_value(json_object_get(req, "op")));
    p->req = req;
    return id;
}

int cc_app_pending(const cc_app *a, long long id)
{
    for (int i = 0; i < a->npend; i++)
        if (a->pend[i].id == id) return 1;
    return 0;
}

double cc_app_speed(const cc_app *a)
{
    if (a->speed > 0) return a->speed;
    return a->m.speed > 0 ? a->m.speed * 0.9 : 6.0 * 0.9;
}

static const char *char_named(cc_app *a, const char *name, long long *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(a->m.chars, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && strcasecmp(n, name) == 0) {
            *id = json_integer_value(json_object_get(c, "id"));
            return n;
        }
    }
    return NULL;
}

/* After a reconnect: login → characters → enter_world of the character played. */
static void auto_enter(cc_app *a, const char *op, json_t *ans)
{
    if (!a->interactive || json_object_get(ans, "error")) return;
    if (strcmp(op, "hello") == 0 && a->user[0] && a->reconnect_tries > 0) {
        cc_app_request(
            a, json_pack("{s:s, s:s, s:s}", "op", "login", "name", a->user, "password", a->pass));
    } else if (strcmp(op, "login") == 0) {
        cc_app_request(a, json_pack("{s:s}", "op", "characters"));
    } else if (strcmp(op, "characters") == 0 && a->want_char[0] && a->reconnect_tries > 0) {
        long long id;
        if (char_named(a, a->want_char, &id))
            cc_app_request(
                a, json_pack("{s:s, s:I}", "op", "enter_world", "character", (json_int_t)id));
    } else if ((strcmp(op, "enter_world") == 0 || strcmp(op, "resume") == 0) && a->m.in_world) {
        snprintf(a->want_char, sizeof a->want_char, "%s", a->m.name);
        a->reconnect_tries = 0;
    }
}

static void handle(cc_app *a, json_t *f)
{
    const char *op = NULL;
    if (json_object_get(f, "ev")) {
        cc_model_event(&a->m, f);
        if (!strcmp(json_string_value(json_object_get(f, "ev")), "zone"))
            a->last_move_ns = cc_now_ns();
        if (!a->interactive) {
            if (a->nevents == a->capevents) {
                int cap = a->capevents ? a->capevents * 2 : 64;
                json_t **v = realloc(a->events, (size_t)cap * sizeof *v);
                if (v) a->events = v, a->capevents = cap;
            }
            if (a->nevents < a->capevents) a->events[a->nevents++] = json_incref(f);
        }
    } else {
        json_t *id = json_object_get(f, "id");
        int k = -1;
        for (int i = 0; i < a->npend; i++)
            if (json_is_integer(id) && a->pend[i].id == json_integer_value(id)) k = i;
        if (k >= 0) {
            cc_pending p = a->pend[k];
            memmove(&a->pend[k], &a->pend[k + 1], (size_t)(a->npend - k - 1) * sizeof p);
            a->npend--;
            op = p.op[0] ? p.op : "?";
            cc_model_answer(&a->m, op, p.req, f);
            if (json_object_get(f, "handoff")) a->handing = 1; /* the event and close follow */
            if (!strcmp(op, "resume")) a->handing = 0;
            if (!strcmp(op, "enter_world") || !strcmp(op, "resume"))
                a->last_move_ns = cc_now_ns(); /* no time banked yet */
            json_decref(a->last_answer);
            a->last_answer = json_incref(f);
            snprintf(a->last_op, sizeof a->last_op, "%s", op);
            auto_enter(a, op, f);
            if (a->on_frame) a->on_frame(a->on_frame_ud, f, op);
            json_decref(p.req);
            return;
        }
        cc_model_answer(&a->m, "?", NULL, f);
    }
    if (a->on_frame) a->on_frame(a->on_frame_ud, f, op);
}

/* The server told where the character went and closed: connect there and resume. The old
 * connection's requests are gone (their answers never come). */
static void handoff(cc_app *a)
{
    cc_model *m = &a->m;
    m->handoff = 0;
    a->connected = 0;
    cc_net_close(&a->net);
    for (int i = 0; i < a->npend; i++)
        json_decref(a->pend[i].req);
    a->npend = 0;
    cc_model_leave_world(m);
    snprintf(a->net.host, sizeof a->net.host, "%s", m->ho_host);
    a->net.port = m->ho_port;
    cc_log_add(&m->sys, 3, "hand-off to %s:%d (zone %s)", m->ho_host, m->ho_port, m->ho_zone);
    a->handing = 1;
    if (cc_app_connect(a) != 0) {
        a->handing = 0;
        a->connected = 1; /* so that lost() reports it and the reconnect loop retries there */
        char why[200] = "";
        snprintf(why, sizeof why, "hand-off to %.60s:%d failed: %.100s", m->ho_host, m->ho_port,
                 m->lost);
        m->lost[0] = 0;
        lost(a, why);
        return;
    }
    cc_app_request(a, json_pack("{s:s, s:s}", "op", "resume", "token", m->ho_token));
}

int cc_app_pump(cc_app *a, int timeout_ms, int watch_stdin)
{
    struct pollfd p[2];
    int n = 0, in_ix = -1;
    if (a->connected) p[n++] = (struct pollfd){.fd = a->net.fd, .events = POLLIN};
    if (watch_stdin) {
        in_ix = n;
        p[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    }
    if (n == 0) {
        if (timeout_ms > 0) usleep((useconds_t)timeout_ms * 1000);
        return a->connected ? 0 : -1;
    }
    int r = poll(p, (nfds_t)n, timeout_ms);
    if (r < 0 && errno != EINTR) return -1;
    if (a->connected && r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        char err[160];
        int rc = cc_net_read(&a->net, err, sizeof err);
        int bad;
        json_t *f;
        while ((f = cc_net_next(&a->net, &bad)) != NULL) {
            handle(a, f);
            json_decref(f);
        }
        if (bad) cc_log_add(&a->m.sys, 2, "a frame from the server was not a JSON object");
        if (rc != 0 && a->m.handoff)
            handoff(a);
        else if (rc != 0)
            lost(a, err);
    }
    if (!a->connected) return -1;
    return in_ix >= 0 && r > 0 && (p[in_ix].revents & POLLIN) ? 1 : 0;
}

json_t *cc_app_wait(cc_app *a, long long id, int timeout_ms)
{
    uint64_t end = cc_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (cc_app_pending(a, id)) {
        uint64_t now = cc_now_ns();
        if (now >= end || !a->connected) return NULL;
        if (cc_app_pump(a, (int)((end - now) / 1000000u) + 1, 0) < 0) return NULL;
    }
    return a->last_answer;
}

int cc_app_settle(cc_app *a, int timeout_ms)
{
    uint64_t end = cc_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (a->handing) {
        uint64_t now = cc_now_ns();
        if (now >= end) return -1;
        if (cc_app_pump(a, (int)((end - now) / 1000000u) + 1, 0) < 0) return -1;
    }
    return 0;
}

int cc_app_step_toward(cc_app *a, double tx, double ty, double min_step)
{
    if (!a->m.in_world) return -1;
    uint64_t now = cc_now_ns();
    double el = a->last_move_ns ? (double)(now - a->last_move_ns) / 1e9 : 1.0;
    if (el > 1.0) el = 1.0; /* the server banks at most one second */
    double budget = el * cc_app_speed(a);
    double dx = tx - a->m.x, dy = ty - a->m.y, d = hypot(dx, dy);
    if (d < CC_ARRIVED) return 0;
    if (budget < min_step && d > budget) return 0; /* wait for a worthwhile step */
    double nx = tx, ny = ty;
    if (d > budget) nx = a->m.x + dx * budget / d, ny = a->m.y + dy * budget / d;
    a->last_move_ns = now;
    a->m.x = nx; /* predicted; the answer (or bad_move) corrects it */
    a->m.y = ny;
    return cc_app_request(a, json_pack("{s:s, s:f, s:f}", "op", "move", "x", nx, "y", ny)) > 0;
}

void cc_app_tick(cc_app *a)
{
    cc_model *m = &a->m;
    if (!a->connected) {
        if (a->quit || !a->interactive || !a->reconnect_at_ns) return;
        if (!strncmp(m->lost, "kicked: logged_in_elsewhere", 27) ||
            !strncmp(m->lost, "kicked: banned", 14) || !strncmp(m->lost, "kicked: operator", 16))
            return; /* not against the operator's or the other session's will: /reconnect */
        if (cc_now_ns() < a->reconnect_at_ns) return;
        a->reconnect_tries++;
        char why[160];
        snprintf(why, sizeof why, "%s", m->lost);
        if (cc_app_connect(a) != 0) {
            int shift = a->reconnect_tries < 5 ? a->reconnect_tries : 5;
            a->reconnect_at_ns = cc_now_ns() + (1000000000ull << shift);
            cc_log_add(&m->sys, 2, "reconnect %d failed: %s", a->reconnect_tries, m->lost);
            snprintf(m->lost, sizeof m->lost, "%s", why);
        } else {
            cc_log_add(&m->sys, 1, "reconnected");
        }
        return;
    }
    if (!a->interactive || !m->in_world) return;
    if (!m->want_zone && m->zinfo && hypot(m->x - m->zinfo_x, m->y - m->zinfo_y) > 100)
        m->want_zone = 1;
    if (m->want_zone) {
        m->want_zone = 0;
        cc_app_request(a, json_pack("{s:s, s:i}", "op", "zone_info", "radius", 250));
    }
    if (m->want_skills) {
        m->want_skills = 0;
        cc_app_request(a, json_pack("{s:s}", "op", "skills"));
        cc_app_request(a, json_pack("{s:s}", "op", "sheet"));
    }
    if (m->want_inventory) {
        m->want_inventory = 0;
        cc_app_request(a, json_pack("{s:s}", "op", "inventory"));
    }
    if (m->want_quests) {
        m->want_quests = 0;
        cc_app_request(a, json_pack("{s:s}", "op", "quests"));
    }
    if (m->want_guild) {
        m->want_guild = 0;
        cc_app_request(a, json_pack("{s:s}", "op", "guild_roster"));
        cc_app_request(a, json_pack("{s:s}", "op", "party"));
    }
}
