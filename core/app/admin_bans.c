/* admin_bans.c — the operator commands `ban ACCOUNT [DURATION] [REASON…]`
 * and `unban ACCOUNT` (accounts.h), over the store's account bans
 * (store.h: kept in the database, so a ban survives restarts and holds on
 * every server sharing the database).
 *
 * A ban is checked at login (ops_account.c: `banned`, with the time left
 * and the reason). An account online on this server — or, with Redis, on
 * any server of the cluster (claims.h) — when it is banned is kicked at
 * once ({"ev":"kicked","reason":"banned","text":REASON}); its character is
 * saved as on logout. Both commands answer once the database
 * has (deferred console answers). */
#include "core/app/accounts.h"
#include "core/app/claims.h"

#include "core/base/log.h"
#include "core/io/admin/admin.h"
#include "core/io/store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Ten years: longer is "permanent" in all but name, and stays far from overflow. */
#define BAN_SECONDS_MAX (3650LL * 86400)

int cw_ban_duration_parse(const char *text, int64_t *seconds)
{
    if (!text || !*text) return CW_EINVAL;
    if (strcmp(text, "none") == 0 || strcmp(text, "permanent") == 0) {
        *seconds = 0;
        return 0;
    }
    if (*text < '0' || *text > '9') return CW_EINVAL; /* no sign, no space */
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || n <= 0 || end[0] == '\0' || end[1] != '\0') return CW_EINVAL;
    long long unit;
    switch (end[0]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return CW_EINVAL;
    }
    if (n > BAN_SECONDS_MAX / unit) return CW_EINVAL;
    *seconds = n * unit;
    return 0;
}

typedef struct ban_answer {
    cw_server *s;
    cw_admin_pending *pending;
    int64_t seconds; /* 0 = permanent */
    char name[CW_NAME_MAX + 1];
    char reason[CW_OPERATOR_TEXT_MAX + 1];
} ban_answer;

static int store_ready(cw_server *s, cw_error *err)
{
    if (s->stopping || !s->store || s->store_closing)
        return cw_error_set(err, CW_EUNAVAIL, "the server is shutting down");
    return 0;
}

static int account_arg(const char *name, cw_error *err)
{
    if (!cw_name_valid(name, strlen(name)))
        return cw_error_set(err, CW_EINVAL,
                            "ACCOUNT must be an account name: 3 to 24 of A-Z, a-z, 0-9 and _");
    return 0;
}

static void answer_store_error(ban_answer *b, int rc, const cw_ban *ban)
{
    cw_error err = {0, ""};
    if (rc == CW_ENOTFOUND && ban->account_id)
        cw_error_set(&err, rc, "%s is not banned", ban->account);
    else if (rc == CW_ENOTFOUND)
        cw_error_set(&err, rc, "no account named \"%s\"", b->name);
    else if (rc == CW_EUNAVAIL)
        cw_error_set(&err, rc, "the database is unavailable; nothing changed");
    else
        cw_error_set(&err, rc, "the database refused: %s", cw_err_name(rc));
    cw_admin_answer(b->pending, rc, NULL, err.msg);
}

static void ban_stored(void *ud, int rc, const cw_ban *ban)
{
    ban_answer *b = ud;
    cw_server *s = b->s;
    if (rc != 0) {
        answer_store_error(b, rc, ban);
        free(b);
        return;
    }
    cw_log(CW_LOG_INFO, "account banned", CW_I("account_id", ban->account_id),
           CW_S("account", ban->account), CW_I("seconds", b->seconds), CW_S("reason", b->reason),
           CW_END);
    /* Online here: out at once (its character saved as on logout). */
    cw_session *se = s->accounts ? cw_session_find_account(s, ban->account_id, NULL) : NULL;
    if (se) cw_session_kick_out(s, se, "banned", b->reason, NULL, NULL);
    cw_claims_kick_banned(s, ban->account, b->reason); /* and wherever else it plays */
    cw_strbuf out = CW_STRBUF_INIT;
    cw_strbuf_puts(&out, "\"account\":");
    cw_strbuf_json_str(&out, ban->account);
    if (b->seconds)
        cw_strbuf_printf(&out, ",\"seconds\":%lld", (long long)b->seconds);
    else
        cw_strbuf_puts(&out, ",\"permanent\":true");
    cw_strbuf_puts(&out, ",\"reason\":");
    cw_strbuf_json_str(&out, b->reason);
    cw_strbuf_printf(&out, ",\"replaced\":%s,\"kicked\":%s", ban->was_banned ? "true" : "false",
                     se ? "true" : "false");
    cw_admin_answer(b->pending, 0, out.data, NULL);
    cw_strbuf_free(&out);
    free(b);
}

/* ban ACCOUNT [DURATION] [REASON…] */
static int cmd_ban(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)out;
    cw_server *s = ud;
    if (argc < 2)
        return cw_error_set(err, CW_EINVAL,
                            "usage: ban ACCOUNT [DURATION] [REASON…]; DURATION like 30m, 12h, "
                            "7d, or none (permanent, the default)");
    int rc = account_arg(argv[1], err);
    if (rc) return rc;
    int64_t seconds = 0;
    if (argc > 2 && cw_ban_duration_parse(argv[2], &seconds) != 0)
        return cw_error_set(err, CW_EINVAL,
                            "DURATION must be a whole number of s, m, h or d (30m, 12h, 7d; at "
                            "most 3650d) or none (permanent), not \"%.40s\"",
                            argv[2]);
    cw_strbuf reason = CW_STRBUF_INIT;
    rc = cw_admin_text_arg(argc, argv, 3, CW_OPERATOR_TEXT_MAX, "REASON", &reason, err);
    if (rc == 0) rc = store_ready(s, err);
    ban_answer *b = rc == 0 ? calloc(1, sizeof *b) : NULL;
    if (rc == 0 && !b) rc = cw_error_set(err, CW_ENOMEM, "out of memory");
    if (b && !(b->pending = cw_admin_defer(s->admin)))
        rc = cw_error_set(err, CW_ENOMEM, "cannot wait for the database (out of memory)");
    if (rc) {
        free(b);
        cw_strbuf_free(&reason);
        return rc;
    }
    b->s = s;
    b->seconds = seconds;
    snprintf(b->name, sizeof b->name, "%s", argv[1]);
    snprintf(b->reason, sizeof b->reason, "%s", reason.data ? reason.data : "");
    cw_strbuf_free(&reason);
    cw_store_ban_set(s->store, b->name, seconds, b->reason, ban_stored, b);
    return CW_ADMIN_DEFERRED;
}

static void unban_stored(void *ud, int rc, const cw_ban *ban)
{
    ban_answer *b = ud;
    if (rc != 0) {
        answer_store_error(b, rc, ban);
        free(b);
        return;
    }
    cw_log(CW_LOG_INFO, "account unbanned", CW_I("account_id", ban->account_id),
           CW_S("account", ban->account), CW_END);
    cw_strbuf out = CW_STRBUF_INIT;
    cw_strbuf_puts(&out, "\"account\":");
    cw_strbuf_json_str(&out, ban->account);
    cw_admin_answer(b->pending, 0, out.data, NULL);
    cw_strbuf_free(&out);
    free(b);
}

/* unban ACCOUNT */
static int cmd_unban(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)out;
    cw_server *s = ud;
    if (argc != 2) return cw_error_set(err, CW_EINVAL, "usage: unban ACCOUNT");
    int rc = account_arg(argv[1], err);
    if (rc == 0) rc = store_ready(s, err);
    ban_answer *b = rc == 0 ? calloc(1, sizeof *b) : NULL;
    if (rc == 0 && !b) rc = cw_error_set(err, CW_ENOMEM, "out of memory");
    if (b && !(b->pending = cw_admin_defer(s->admin)))
        rc = cw_error_set(err, CW_ENOMEM, "cannot wait for the database (out of memory)");
    if (rc) {
        free(b);
        return rc;
    }
    b->s = s;
    snprintf(b->name, sizeof b->name, "%s", argv[1]);
    cw_store_ban_clear(s->store, b->name, unban_stored, b);
    return CW_ADMIN_DEFERRED;
}

int cw_bans_admin_commands(cw_server *s)
{
    int rc = 0;
    rc |= cw_admin_register(s->admin, "ban",
                            "ACCOUNT [DURATION] [REASON…]: refuse the account's logins for "
                            "DURATION (30m, 12h, 7d; none = permanent, the default) and kick it "
                            "if online here",
                            cmd_ban, s);
    rc |= cw_admin_register(s->admin, "unban", "ACCOUNT: lift the account's ban", cmd_unban, s);
    return rc ? CW_ENOMEM : 0;
}
