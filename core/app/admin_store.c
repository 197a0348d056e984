/* admin_store.c — value transactions of the app and the operator commands
 * on them: cw_txn_queue queues a transaction (gold, exp, level, script data)
 * on a loaded character through the group-commit path under a grant number;
 * `grant` is a gold-only one from the console; `grant-status` tells whether
 * one committed. The player is told (events "gold" and "exp") only after the
 * commit (cw_grant_done); the ledger rows written with the save are the
 * audit trail (chaosctl audit checks them), the log lines a second one.
 *
 * Grant numbers (the token of every value transaction, admin's and
 * content's) never repeat, also across restarts and crashes: they come from
 * the database's counter "value_txn" (cw_store_ids_reserve), reserved in
 * blocks of TOKEN_BLOCK — the first at start, the next one fetched ahead
 * when fewer than TOKEN_LOW are left. Without a block (the database was
 * unavailable when one was needed) a transaction is refused with
 * CW_EUNAVAIL and a block is asked for again. Item uids (the new instances
 * a transaction creates) come the same way from the counter "item_uid".
 *
 * A transaction's reason is checked here, at the edge, with the project's
 * text policy (cw_txn_reason_problem): what reaches the ledger and the log
 * is printable UTF-8.
 *
 * The console answers each line synchronously, so `grant` answers
 * "state":"pending" with a grant number at once and `grant-status N` reports
 * "committed" (with the new gold) or "failed" once the transaction has
 * finished. */
#include "core/app/accounts.h"
#include "core/app/script_app.h"
#include "core/app/world_app.h"
#include "core/app/combat_app.h"
#include "core/app/trade_app.h"
#include "core/app/guild_app.h"

#include "core/base/log.h"
#include "core/base/strbuf.h"
#include "core/io/admin/admin.h"
#include "core/io/net/net.h"
#include "core/io/store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GRANTS_KEPT 1024
#define REASON_MAX 128
#define TOKEN_COUNTER "value_txn"
#define ITEM_UID_COUNTER "item_uid"
#define TOKEN_BLOCK 1000
#define TOKEN_LOW 250

enum { G_PENDING, G_COMMITTED, G_FAILED };

typedef struct grant_rec {
    uint64_t token;
    int state, rc;
    int64_t char_id, delta, exp_delta, gold, exp;
    int level;
    char name[CW_NAME_MAX + 1];
    char reason[REASON_MAX];
} grant_rec;

/* Ids reserved from a database counter in blocks: next .. end-1 are ours to
 * hand out; spare .. spare_end-1 the block fetched ahead (none when equal). */
typedef struct id_pool {
    const char *counter;
    uint64_t next, end, spare, spare_end;
    int fetching; /* a reservation is in flight */
    cw_server *s;
} id_pool;

struct cw_grants {
    grant_rec ring[GRANTS_KEPT];
    id_pool tokens; /* grant numbers: "value_txn" */
    id_pool items;  /* item uids: "item_uid" */
};

static void fetch_block(id_pool *pool);

static void on_block(void *ud, int rc, int64_t first, int64_t count)
{
    id_pool *g = ud;
    cw_server *s = g->s;
    g->fetching = 0;
    if (rc != 0) {
        if (!s->store_closing)
            cw_log(CW_LOG_WARN, "could not reserve ids; asked again when needed",
                   CW_S("counter", g->counter), CW_S("error", cw_err_name(rc)), CW_END);
        return;
    }
    if (g->next == g->end) {
        g->next = (uint64_t)first;
        g->end = (uint64_t)(first + count);
    } else {
        g->spare = (uint64_t)first;
        g->spare_end = (uint64_t)(first + count);
    }
}

static void fetch_block(id_pool *g)
{
    cw_server *s = g->s;
    if (g->fetching || !s->store || s->store_closing) return;
    g->fetching = 1;
    cw_store_ids_reserve(s->store, g->counter, TOKEN_BLOCK, on_block, g);
}

/* The next id (not used up until taken: g->next = id + 1), or 0 when there
 * is none to hand out now. Fetches the next block ahead. */
static uint64_t peek_id(id_pool *g)
{
    if (g->next == g->end && g->spare != g->spare_end) {
        g->next = g->spare;
        g->end = g->spare_end;
        g->spare = g->spare_end = 0;
    }
    if (g->end - g->next < TOKEN_LOW && g->spare == g->spare_end) fetch_block(g);
    return g->next < g->end ? g->next : 0;
}

static uint64_t peek_token(cw_server *s)
{
    return peek_id(&s->grants->tokens);
}

/* cw_txn_spec.new_uid: a fresh item uid, used up at once (a refused
 * transaction leaves a gap, never a repeat). */
static int64_t take_item_uid(void *ud)
{
    cw_server *s = ud;
    uint64_t id = s->grants ? peek_id(&s->grants->items) : 0;
    if (id) s->grants->items.next = id + 1;
    return (int64_t)id;
}

static grant_rec *find(cw_server *s, uint64_t token)
{
    if (!s->grants || token == 0) return NULL;
    grant_rec *g = &s->grants->ring[token % GRANTS_KEPT];
    return g->token == token ? g : NULL;
}

static void tell(cw_server *s, const cw_player *p, int64_t gold_delta, int64_t exp_delta, int level)
{
    if (!p || !p->online) return;
    char ev[160];
    if (exp_delta || level) {
        int n = snprintf(ev, sizeof ev, "{\"ev\":\"exp\",\"exp\":%lld,\"level\":%d,\"delta\":%lld}",
                         (long long)p->exp, p->level, (long long)exp_delta);
        cw_world_app_tell(s, p, ev, (size_t)n);
    }
    if (gold_delta) {
        int n = snprintf(ev, sizeof ev, "{\"ev\":\"gold\",\"gold\":%lld,\"delta\":%lld}",
                         (long long)p->gold, (long long)gold_delta);
        cw_world_app_tell(s, p, ev, (size_t)n);
    }
}

void cw_item_done(const cw_player *p, const cw_item *it, int64_t delta, void *ud)
{
    cw_server *s = ud;
    cw_log(CW_LOG_INFO, delta > 0 ? "item added" : "item removed", CW_S("character", p->name),
           CW_I("uid", it->uid), CW_S("template", it->tmpl),
           CW_I("count", delta > 0 ? delta : -delta), CW_I("stack", it->committed), CW_END);
    if (!p->online) return;
    /* template and place: [a-z0-9_.:] only, no escapes; props: the item's
     * stored JSON object (added items only: rarity and rolls of equipment) */
    cw_strbuf ev = CW_STRBUF_INIT;
    int rc = cw_strbuf_printf(&ev,
                              "{\"ev\":\"%s\",\"uid\":%lld,\"template\":\"%s\",\"count\":%lld,"
                              "\"stack\":%lld,\"place\":\"%s\"",
                              delta > 0 ? "item_added" : "item_removed", (long long)it->uid,
                              it->tmpl, (long long)(delta > 0 ? delta : -delta),
                              (long long)it->committed, it->place);
    if (delta > 0 && it->props && it->props[0] == '{') {
        rc |= cw_strbuf_puts(&ev, ",\"props\":");
        rc |= cw_strbuf_puts(&ev, it->props);
    }
    rc |= cw_strbuf_puts(&ev, "}");
    if (rc == 0) cw_world_app_tell(s, p, ev.data, ev.len);
    cw_strbuf_free(&ev);
}

void cw_grant_done(uint64_t token, int rc, const cw_player *p, int64_t gold_delta,
                   int64_t exp_delta, int level, void *ud)
{
    cw_server *s = ud;
    grant_rec *g = find(s, token);
    const char *name = p ? p->name : g ? g->name : "";
    if (rc != 0) {
        cw_log(CW_LOG_WARN, "value transaction failed: not committed, nobody told",
               CW_I("grant", (int64_t)token), CW_S("character", name),
               CW_I("gold_delta", gold_delta), CW_I("exp_delta", exp_delta),
               CW_S("error", cw_err_name(rc)), CW_END);
        if (g) {
            g->state = G_FAILED;
            g->rc = rc;
        }
        if (!cw_trade_app_txn_done(s, token, rc) && !cw_guild_app_txn_done(s, token, rc))
            cw_script_app_txn_done(s, token, rc, p, level, 0);
        return;
    }
    if (gold_delta)
        cw_log(CW_LOG_INFO, "gold granted", CW_I("grant", (int64_t)token), CW_S("character", name),
               CW_I("delta", gold_delta), CW_I("gold", p ? p->gold : 0),
               CW_S("reason", g ? g->reason : ""), CW_END);
    if (g) {
        g->state = G_COMMITTED;
        g->gold = p ? p->gold : 0;
        g->exp = p ? p->exp : 0;
    }
    tell(s, p, gold_delta, exp_delta, level);
    if (!cw_trade_app_txn_done(s, token, 0) &&            /* a trade half: its confirm and events */
        !cw_guild_app_txn_done(s, token, 0))              /* a guild fee: the held guild_create */
        cw_script_app_txn_done(s, token, 0, p, level, 0); /* level_up hook, held op replies */
}

static int parse_i64(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end) return CW_EINVAL;
    *out = v;
    return 0;
}

static void grant_json(cw_strbuf *out, const grant_rec *g)
{
    static const char *const names[] = {"pending", "committed", "failed"};
    cw_strbuf_printf(out,
                     "\"grant\":%llu,\"state\":\"%s\",\"character\":", (unsigned long long)g->token,
                     names[g->state]);
    cw_strbuf_json_str(out, g->name);
    cw_strbuf_printf(out, ",\"delta\":%lld", (long long)g->delta);
    if (g->exp_delta) cw_strbuf_printf(out, ",\"exp_delta\":%lld", (long long)g->exp_delta);
    if (g->level) cw_strbuf_printf(out, ",\"level\":%d", g->level);
    if (g->state == G_COMMITTED) cw_strbuf_printf(out, ",\"gold\":%lld", (long long)g->gold);
    if (g->state == G_COMMITTED && g->exp_delta)
        cw_strbuf_printf(out, ",\"exp\":%lld", (long long)g->exp);
    if (g->state == G_FAILED) cw_strbuf_printf(out, ",\"error\":\"%s\"", cw_err_name(g->rc));
}

static int cmd_grant(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    int64_t delta;
    if (argc < 3 || parse_i64(argv[2], &delta) || delta == 0)
        return cw_error_set(
            err, CW_EINVAL,
            "usage: grant <character-name> <amount> [reason]; amount a non-zero integer");
    if (s->stopping || !s->store || s->store_closing)
        return cw_error_set(err, CW_EUNAVAIL, "the server is shutting down");
    cw_player *p = cw_players_find_name(s->players, argv[1]);
    if (!p)
        return cw_error_set(
            err, CW_ENOTFOUND,
            "character \"%.40s\" is not loaded (grants reach characters in the world)", argv[1]);
    if (p->stale)
        return cw_error_set(err, CW_ESTATE, "character \"%s\" has a stale copy in memory", p->name);
    /* The reason is the rest of the line (words re-joined with spaces). */
    cw_strbuf reason = CW_STRBUF_INIT;
    int brc = cw_strbuf_puts(&reason, argc > 3 ? "" : "operator");
    for (int i = 3; i < argc; i++)
        brc |= cw_strbuf_printf(&reason, "%s%s", i > 3 ? " " : "", argv[i]);
    if (brc) {
        cw_strbuf_free(&reason);
        return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    const char *why = cw_txn_reason_problem(reason.data);
    if (why) {
        cw_strbuf_free(&reason);
        return cw_error_set(err, CW_EINVAL,
                            "the reason %s (a grant's reason: printable UTF-8 text, at most %d "
                            "bytes)",
                            why, CW_GRANT_REASON_MAX);
    }
    uint64_t token;
    cw_txn_spec t = {.gold = delta, .reason = reason.data};
    int rc = cw_txn_queue(s, p, &t, &token);
    cw_strbuf_free(&reason);
    if (rc == CW_EUNAVAIL)
        return cw_error_set(err, rc,
                            "no grant number available (the database is unavailable); try again");
    if (rc != 0)
        return cw_error_set(err, rc, "gold would leave 0..2^53 (gold %lld, change %lld)",
                            (long long)p->gold, (long long)delta);
    grant_rec *g = find(s, token);
    cw_saver_commit_soon(s);
    grant_json(out, g);
    return 0;
}

int cw_txn_queue(cw_server *s, cw_player *p, const cw_txn_spec *t, uint64_t *token)
{
    if (!s->grants || p->stale) return CW_ESTATE;
    if (!t || cw_txn_reason_problem(t->reason)) return CW_EINVAL;
    uint64_t tok = peek_token(s);
    if (!tok) return CW_EUNAVAIL;
    size_t cap = (size_t)s->cfg.lua_data_max_kib * 1024;
    cw_txn_spec spec = *t;
    spec.new_uid = take_item_uid;
    spec.uid_ud = s;
    int rc = cw_player_txn(p, &spec, tok, cap);
    if (rc != 0) return rc;
    s->grants->tokens.next = tok + 1;
    grant_rec *g = &s->grants->ring[tok % GRANTS_KEPT];
    memset(g, 0, sizeof *g);
    g->token = tok;
    g->state = G_PENDING;
    g->char_id = p->id;
    g->delta = t->gold;
    g->exp_delta = t->exp;
    g->level = t->level;
    snprintf(g->name, sizeof g->name, "%s", p->name);
    snprintf(g->reason, sizeof g->reason, "%s", t->reason);
    if (token) *token = tok;
    return 0;
}

/* Takes a grant number for good (a refused commit leaves a gap, never a repeat). */
static uint64_t take_token(cw_server *s)
{
    uint64_t tok = peek_token(s);
    if (tok) s->grants->tokens.next = tok + 1;
    return tok;
}

static void note_half(cw_server *s, uint64_t tok, const cw_player *p, int64_t delta)
{
    grant_rec *g = &s->grants->ring[tok % GRANTS_KEPT];
    memset(g, 0, sizeof *g);
    g->token = tok;
    g->state = G_PENDING;
    g->char_id = p->id;
    g->delta = delta;
    snprintf(g->name, sizeof g->name, "%s", p->name);
    snprintf(g->reason, sizeof g->reason, "trade");
}

int cw_trade_queue(cw_server *s, cw_trades *ts, cw_trade *t, uint64_t tok[2])
{
    if (!s->grants) return CW_ESTATE;
    uint64_t a = take_token(s), b = a ? take_token(s) : 0;
    if (!a || !b) return CW_EUNAVAIL;
    int rc = cw_trade_commit(ts, t, "trade", a, b);
    if (rc != 0) return rc;
    cw_player *pa = cw_players_get(s->players, t->who[0]);
    cw_player *pb = cw_players_get(s->players, t->who[1]);
    int64_t net = t->offer[1].gold - t->offer[0].gold;
    if (pa) note_half(s, a, pa, net);
    if (pb) note_half(s, b, pb, -net);
    tok[0] = a;
    tok[1] = b;
    return 0;
}

int cw_grant_queue(cw_server *s, cw_player *p, int64_t delta, const char *reason, uint64_t *token)
{
    cw_txn_spec t = {.gold = delta, .reason = reason};
    return cw_txn_queue(s, p, &t, token);
}

static int cmd_grant_status(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    cw_server *s = ud;
    int64_t token;
    if (argc != 2 || parse_i64(argv[1], &token) || token <= 0)
        return cw_error_set(err, CW_EINVAL, "usage: grant-status <grant-number>");
    grant_rec *g = find(s, (uint64_t)token);
    if (!g)
        return cw_error_set(err, CW_ENOTFOUND, "no grant %lld (the last %d are kept)",
                            (long long)token, GRANTS_KEPT);
    grant_json(out, g);
    return 0;
}

int cw_admin_store_commands(cw_server *s)
{
    s->grants = calloc(1, sizeof *s->grants);
    if (!s->grants) return CW_ENOMEM;
    s->grants->tokens = (id_pool){.counter = TOKEN_COUNTER, .s = s};
    s->grants->items = (id_pool){.counter = ITEM_UID_COUNTER, .s = s};
    /* the first blocks: their answers come before any character is loaded */
    fetch_block(&s->grants->tokens);
    fetch_block(&s->grants->items);
    int rc = 0;
    rc |= cw_admin_register(s->admin, "grant",
                            "<character> <amount> [reason]: change gold through the group commit "
                            "(reason: printable UTF-8, at most 63 bytes); answers a grant number "
                            "(see grant-status)",
                            cmd_grant, s);
    rc |= cw_admin_register(s->admin, "grant-status",
                            "<grant-number>: pending, committed (with the gold) or failed",
                            cmd_grant_status, s);
    return rc ? CW_ENOMEM : 0;
}

void cw_grants_free(cw_server *s)
{
    free(s->grants);
    s->grants = NULL;
}
