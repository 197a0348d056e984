/* guilds.c — guilds, their members and invites (store.h; tables guilds and
 * guild_members of migration 0001, guilds.fee of 0006, guild_invites of 0008),
 * written once against db.h. Every change runs in one transaction that ends by reading the guild
 * back, so the callback sees the guild exactly as that change left it. The
 * rules of who may do what (ranks, costs) are the caller's; this file keeps
 * the invariants: one guild per character, one leader per guild, the
 * leader is a member. */
#include "core/io/store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { G_CREATE, G_OF, G_JOIN, G_REMOVE, G_RANK, G_FEE, G_DELETE, G_INVITE, G_ACCEPT, G_DECLINE };

typedef struct guild_job {
    cw_store_job job;
    cw_store_guild_cb cb;
    cw_store_guild_invite_cb icb; /* invite: answered through this instead */
    void *ud;
    int kind;
    char *name; /* create: the guild's; invite: the invitee's; accept/decline: the guild's */
    char *rank; /* set_rank: argument */
    int64_t guild_id, character_id;
    int64_t fee;       /* set_fee: the fee; join/invite/accept: the member cap (see cap_of) */
    int64_t when;      /* invite: expires_at; accept/decline: now */
    int64_t target_id; /* invite: the invitee found */
    char *target_name; /* invite: its stored name */
    /* the result, owned by the job */
    cw_guild g;
    char *gname;
    cw_guild_member *members;
    char **strs; /* 2 per member: name, rank */
} guild_job;

static void result_free(guild_job *j)
{
    for (int i = 0; i < j->g.nmembers; i++) {
        free(j->strs[2 * i]);
        free(j->strs[2 * i + 1]);
    }
    free(j->strs);
    free(j->members);
    free(j->gname);
    j->strs = NULL;
    j->members = NULL;
    j->gname = NULL;
    memset(&j->g, 0, sizeof j->g);
}

static void guild_done(cw_store_job *jb)
{
    guild_job *j = (guild_job *)jb;
    if (!j->g.name) j->g.name = "";
    if (j->icb) {
        cw_guild_invite inv = {j->g.id, j->g.name, j->target_id,
                               j->target_name ? j->target_name : "", j->when};
        if (jb->rc != 0) inv = (cw_guild_invite){0, "", 0, "", 0};
        j->icb(j->ud, jb->rc, &inv);
    } else if (j->cb) {
        j->cb(j->ud, jb->rc, &j->g);
    }
    result_free(j);
    free(j->name);
    free(j->rank);
    free(j->target_name);
    free(j);
}

static char *dup_text(const char *t)
{
    return strdup(t ? t : "");
}

/* Reads guild_id and its roster into j->g. CW_ENOTFOUND when it is gone. */
static int read_guild(cw_db *db, guild_job *j, int64_t guild_id, cw_error *err)
{
    result_free(j);
    cw_db_param p[1] = {CW_DBP_INT(guild_id)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(db, "SELECT id, name, leader_character_id, fee FROM guilds WHERE id = $1",
                         p, 1, &r, err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) == 0) {
        cw_db_res_free(db, r);
        return CW_ENOTFOUND;
    }
    j->g.id = cw_db_i64(db, r, 0, 0);
    j->gname = dup_text(cw_db_text(db, r, 0, 1));
    j->g.leader_id = cw_db_i64(db, r, 0, 2);
    j->g.fee = cw_db_i64(db, r, 0, 3);
    cw_db_res_free(db, r);
    if (!j->gname) return CW_ENOMEM;
    j->g.name = j->gname;
    r = NULL;
    rc = cw_db_query(db,
                     "SELECT m.character_id, c.name, m.rank FROM guild_members m "
                     "JOIN characters c ON c.id = m.character_id WHERE m.guild_id = $1 "
                     "ORDER BY CASE m.rank WHEN 'leader' THEN 0 WHEN 'officer' THEN 1 ELSE 2 END, "
                     "m.joined_at, m.character_id",
                     p, 1, &r, err);
    if (rc != 0) return rc;
    int n = cw_db_nrows(db, r);
    if (n > 0) {
        j->members = calloc((size_t)n, sizeof *j->members);
        j->strs = calloc((size_t)n * 2, sizeof *j->strs);
        if (!j->members || !j->strs) {
            cw_db_res_free(db, r);
            return CW_ENOMEM;
        }
    }
    for (int i = 0; i < n; i++) {
        j->g.nmembers = i + 1;
        j->strs[2 * i] = dup_text(cw_db_text(db, r, i, 1));
        j->strs[2 * i + 1] = dup_text(cw_db_text(db, r, i, 2));
        if (!j->strs[2 * i] || !j->strs[2 * i + 1]) {
            cw_db_res_free(db, r);
            return CW_ENOMEM;
        }
        j->members[i] =
            (cw_guild_member){cw_db_i64(db, r, i, 0), j->strs[2 * i], j->strs[2 * i + 1]};
    }
    j->g.members = j->members;
    cw_db_res_free(db, r);
    return 0;
}

/* The guild id of character_id (0 when none), and its rank into rank[16]. */
static int guild_of(cw_db *db, int64_t character_id, int64_t *guild_id, char *rank, cw_error *err)
{
    cw_db_param p[1] = {CW_DBP_INT(character_id)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(db, "SELECT guild_id, rank FROM guild_members WHERE character_id = $1", p,
                         1, &r, err);
    if (rc != 0) return rc;
    *guild_id = 0;
    if (rank) rank[0] = '\0';
    if (cw_db_nrows(db, r) > 0) {
        *guild_id = cw_db_i64(db, r, 0, 0);
        const char *t = cw_db_text(db, r, 0, 1);
        if (rank) snprintf(rank, 16, "%s", t ? t : "");
    }
    cw_db_res_free(db, r);
    return 0;
}

static int64_t scalar(cw_db *db, const char *sql, const cw_db_param *p, int np, int *rc,
                      cw_error *err)
{
    cw_db_res *r = NULL;
    *rc = cw_db_query(db, sql, p, np, &r, err);
    int64_t v = (*rc == 0 && cw_db_nrows(db, r) > 0) ? cw_db_i64(db, r, 0, 0) : -1;
    cw_db_res_free(db, r);
    return v;
}

static int do_create(cw_db *db, guild_job *j, cw_error *err)
{
    int64_t in = 0;
    int rc = guild_of(db, j->character_id, &in, NULL, err);
    if (rc == 0 && in) return CW_ESTATE;
    cw_db_param p[2] = {CW_DBP_TEXT(j->name), CW_DBP_INT(j->character_id)};
    if (rc == 0) {
        int64_t n = scalar(db, "SELECT count(*) FROM characters WHERE id = $1", p + 1, 1, &rc, err);
        if (rc == 0 && n <= 0) return CW_ENOTFOUND;
    }
    if (rc == 0)
        j->guild_id = scalar(db,
                             "INSERT INTO guilds (name, leader_character_id) VALUES ($1, $2) "
                             "RETURNING id",
                             p, 2, &rc, err);
    if (rc == 0) {
        cw_db_param m[2] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id)};
        rc = cw_db_query(db,
                         "INSERT INTO guild_members (guild_id, character_id, rank) "
                         "VALUES ($1, $2, 'leader')",
                         m, 2, NULL, err);
    }
    return rc;
}

/* The most members the guild may have for this job: the caller's cap
 * (1..CW_GUILD_MEMBERS_MAX), or CW_GUILD_MEMBERS_MAX when it gave none. */
static int64_t cap_of(const guild_job *j)
{
    return j->fee > 0 && j->fee < CW_GUILD_MEMBERS_MAX ? j->fee : CW_GUILD_MEMBERS_MAX;
}

static int do_join(cw_db *db, guild_job *j, cw_error *err)
{
    int64_t in = 0;
    int rc = guild_of(db, j->character_id, &in, NULL, err);
    if (rc != 0) return rc;
    if (in) {
        read_guild(db, j, in, err); /* tell which guild it is in */
        return CW_EEXIST;
    }
    cw_db_param p[2] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id)};
    int64_t n =
        scalar(db, "SELECT count(*) FROM guild_members WHERE guild_id = $1", p, 1, &rc, err);
    if (rc == 0 && n >= cap_of(j)) return CW_ELIMIT;
    if (rc == 0)
        rc = cw_db_query(db,
                         "INSERT INTO guild_members (guild_id, character_id, rank) "
                         "VALUES ($1, $2, 'member')",
                         p, 2, NULL, err);
    return rc; /* a missing guild or character: foreign key, CW_ENOTFOUND */
}

static int do_remove(cw_db *db, guild_job *j, cw_error *err)
{
    int64_t in = 0;
    char rank[16];
    int rc = guild_of(db, j->character_id, &in, rank, err);
    if (rc != 0) return rc;
    if (in != j->guild_id) return CW_ENOTFOUND;
    if (strcmp(rank, "leader") == 0) return CW_ESTATE;
    cw_db_param p[2] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id)};
    return cw_db_query(db, "DELETE FROM guild_members WHERE guild_id = $1 AND character_id = $2", p,
                       2, NULL, err);
}

static int do_rank(cw_db *db, guild_job *j, cw_error *err)
{
    int64_t in = 0;
    char rank[16];
    int rc = guild_of(db, j->character_id, &in, rank, err);
    if (rc != 0) return rc;
    if (in != j->guild_id) return CW_ENOTFOUND;
    if (strcmp(rank, j->rank) == 0) return 0;
    if (strcmp(rank, "leader") == 0) return CW_ESTATE;
    cw_db_param p[3] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id), CW_DBP_TEXT(j->rank)};
    if (strcmp(j->rank, "leader") == 0) {
        rc = cw_db_query(db,
                         "UPDATE guild_members SET rank = 'officer' "
                         "WHERE guild_id = $1 AND rank = 'leader'",
                         p, 1, NULL, err);
        if (rc == 0)
            rc = cw_db_query(db, "UPDATE guilds SET leader_character_id = $2 WHERE id = $1", p, 2,
                             NULL, err);
    }
    if (rc == 0)
        rc = cw_db_query(db,
                         "UPDATE guild_members SET rank = $3 "
                         "WHERE guild_id = $1 AND character_id = $2",
                         p, 3, NULL, err);
    return rc;
}

static int do_fee(cw_db *db, guild_job *j, cw_error *err)
{
    cw_db_param p[2] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->fee)};
    int rc = 0;
    int64_t id =
        scalar(db, "UPDATE guilds SET fee = $2 WHERE id = $1 RETURNING id", p, 2, &rc, err);
    return rc == 0 && id <= 0 ? CW_ENOTFOUND : rc;
}

static int do_delete(cw_db *db, guild_job *j, cw_error *err)
{
    int rc = read_guild(db, j, j->guild_id, err); /* as it was */
    cw_db_param p[1] = {CW_DBP_INT(j->guild_id)};
    if (rc == 0)
        rc = cw_db_query(db, "DELETE FROM guild_members WHERE guild_id = $1", p, 1, NULL, err);
    if (rc == 0) rc = cw_db_query(db, "DELETE FROM guilds WHERE id = $1", p, 1, NULL, err);
    return rc;
}

/* ---- invites ---- */

static int do_invite(cw_db *db, guild_job *j, cw_error *err)
{
    int rc = read_guild(db, j, j->guild_id, err);
    if (rc != 0) return rc;
    if (j->g.nmembers >= cap_of(j)) return CW_ELIMIT;
    cw_db_param p[1] = {CW_DBP_TEXT(j->name)};
    cw_db_res *r = NULL;
    rc = cw_db_query(db, "SELECT id, name FROM characters WHERE lower(name) = lower($1)", p, 1, &r,
                     err);
    if (rc != 0) return rc;
    if (cw_db_nrows(db, r) == 0) {
        cw_db_res_free(db, r);
        return CW_ENOTFOUND;
    }
    j->target_id = cw_db_i64(db, r, 0, 0);
    free(j->target_name);
    j->target_name = dup_text(cw_db_text(db, r, 0, 1));
    cw_db_res_free(db, r);
    if (!j->target_name) return CW_ENOMEM;
    int64_t in = 0;
    rc = guild_of(db, j->target_id, &in, NULL, err);
    if (rc != 0) return rc;
    if (in) return CW_EEXIST;
    cw_db_param q[4] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->target_id),
                        CW_DBP_INT(j->character_id), CW_DBP_INT(j->when)};
    rc = cw_db_query(db, "DELETE FROM guild_invites WHERE guild_id = $1 AND character_id = $2", q,
                     2, NULL, err);
    if (rc == 0)
        rc = cw_db_query(db,
                         "INSERT INTO guild_invites (guild_id, character_id, inviter, expires_at) "
                         "VALUES ($1, $2, $3, $4)",
                         q, 4, NULL, err);
    return rc;
}

/* accept/decline: the guild by id, or else by name, into j->guild_id. */
static int resolve_guild(cw_db *db, guild_job *j, cw_error *err)
{
    int rc = 0;
    int64_t id;
    if (j->guild_id > 0) {
        cw_db_param p[1] = {CW_DBP_INT(j->guild_id)};
        id = scalar(db, "SELECT id FROM guilds WHERE id = $1", p, 1, &rc, err);
    } else {
        cw_db_param p[1] = {CW_DBP_TEXT(j->name)};
        id = scalar(db, "SELECT id FROM guilds WHERE lower(name) = lower($1)", p, 1, &rc, err);
    }
    if (rc != 0) return rc;
    if (id <= 0) return CW_ENOTFOUND;
    j->guild_id = id;
    return 0;
}

static int do_accept(cw_db *db, guild_job *j, cw_error *err)
{
    int64_t in = 0;
    int rc = guild_of(db, j->character_id, &in, NULL, err);
    if (rc == 0 && in) {
        read_guild(db, j, in, err); /* tell which guild it is in */
        return CW_EEXIST;
    }
    if (rc == 0) rc = resolve_guild(db, j, err);
    if (rc != 0) return rc;
    cw_db_param p[3] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id), CW_DBP_INT(j->when)};
    int64_t n = scalar(db,
                       "SELECT count(*) FROM guild_invites WHERE guild_id = $1 AND "
                       "character_id = $2 AND expires_at > $3",
                       p, 3, &rc, err);
    if (rc != 0) return rc;
    if (n <= 0) return CW_ENOTFOUND;
    rc = do_join(db, j, err);
    if (rc == 0)
        rc = cw_db_query(db, "DELETE FROM guild_invites WHERE guild_id = $1 AND character_id = $2",
                         p, 2, NULL, err);
    return rc;
}

static int do_decline(cw_db *db, guild_job *j, cw_error *err)
{
    int rc = resolve_guild(db, j, err);
    if (rc != 0) return rc;
    cw_db_param p[3] = {CW_DBP_INT(j->guild_id), CW_DBP_INT(j->character_id), CW_DBP_INT(j->when)};
    int64_t n = scalar(db,
                       "SELECT count(*) FROM guild_invites WHERE guild_id = $1 AND "
                       "character_id = $2 AND expires_at > $3",
                       p, 3, &rc, err);
    if (rc != 0) return rc;
    if (n <= 0) return CW_ENOTFOUND;
    return cw_db_query(db, "DELETE FROM guild_invites WHERE guild_id = $1 AND character_id = $2", p,
                       2, NULL, err);
}

static int guild_run(cw_db *db, cw_store_job *jb, cw_error *err)
{
    guild_job *j = (guild_job *)jb;
    result_free(j);
    int rc = cw_db_begin(db, err);
    if (rc != 0) return rc;
    switch (j->kind) {
    case G_CREATE:
        rc = do_create(db, j, err);
        break;
    case G_OF:
        rc = guild_of(db, j->character_id, &j->guild_id, NULL, err);
        if (rc == 0 && !j->guild_id) rc = CW_ENOTFOUND;
        break;
    case G_JOIN:
        rc = do_join(db, j, err);
        break;
    case G_REMOVE:
        rc = do_remove(db, j, err);
        break;
    case G_RANK:
        rc = do_rank(db, j, err);
        break;
    case G_FEE:
        rc = do_fee(db, j, err);
        break;
    case G_INVITE:
        rc = do_invite(db, j, err);
        break;
    case G_ACCEPT:
        rc = do_accept(db, j, err);
        break;
    case G_DECLINE:
        rc = do_decline(db, j, err);
        break;
    default:
        rc = do_delete(db, j, err);
        break;
    }
    if (rc == 0 && j->kind != G_DELETE && j->kind != G_INVITE)
        rc = read_guild(db, j, j->guild_id, err);
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    if (rc == CW_EUNAVAIL) result_free(j); /* retried: read again */
    return rc;
}

static void submit(cw_store *s, int kind, const char *name, const char *rank, int64_t guild_id,
                   int64_t character_id, int64_t fee, int64_t when, cw_store_guild_cb cb,
                   cw_store_guild_invite_cb icb, void *ud)
{
    guild_job *j = calloc(1, sizeof *j);
    if (!j) { /* cannot even queue: answer now */
        cw_guild none = {0, "", 0, 0, NULL, 0};
        cw_guild_invite inone = {0, "", 0, "", 0};
        if (icb)
            icb(ud, CW_ENOMEM, &inone);
        else if (cb)
            cb(ud, CW_ENOMEM, &none);
        return;
    }
    j->job.run = guild_run;
    j->job.done = guild_done;
    j->cb = cb;
    j->icb = icb;
    j->when = when;
    j->ud = ud;
    j->kind = kind;
    j->guild_id = guild_id;
    j->character_id = character_id;
    j->fee = fee;
    j->name = name ? strdup(name) : NULL;
    j->rank = rank ? strdup(rank) : NULL;
    int bad = 0;
    if (kind == G_CREATE) {
        size_t n = name ? strlen(name) : 0;
        bad = n == 0 || n > CW_GUILD_NAME_MAX || character_id <= 0;
    } else if (kind == G_OF) {
        bad = character_id <= 0;
    } else if (kind == G_INVITE) {
        size_t n = name ? strlen(name) : 0;
        bad = guild_id <= 0 || character_id <= 0 || n == 0 || n > 64;
    } else if (kind == G_ACCEPT || kind == G_DECLINE) {
        size_t n = name ? strlen(name) : 0;
        bad = character_id <= 0 || (guild_id <= 0 && (n == 0 || n > CW_GUILD_NAME_MAX));
    } else {
        bad = guild_id <= 0 || (kind != G_FEE && kind != G_DELETE && character_id <= 0);
    }
    if (kind == G_RANK)
        bad = bad || !rank ||
              (strcmp(rank, "leader") != 0 && strcmp(rank, "officer") != 0 &&
               strcmp(rank, "member") != 0);
    if (kind == G_FEE) bad = bad || fee < 0;
    int oom = (name && !j->name) || (rank && !j->rank);
    if (bad || oom)
        cw_store_reject(s, &j->job, bad ? CW_EINVAL : CW_ENOMEM);
    else
        cw_store_submit(s, &j->job);
}

void cw_store_guild_create(cw_store *s, const char *name, int64_t leader_id, cw_store_guild_cb cb,
                           void *ud)
{
    submit(s, G_CREATE, name, NULL, 0, leader_id, 0, 0, cb, NULL, ud);
}

void cw_store_guild_of(cw_store *s, int64_t character_id, cw_store_guild_cb cb, void *ud)
{
    submit(s, G_OF, NULL, NULL, 0, character_id, 0, 0, cb, NULL, ud);
}

void cw_store_guild_join(cw_store *s, int64_t guild_id, int64_t character_id, int max_members,
                         cw_store_guild_cb cb, void *ud)
{
    submit(s, G_JOIN, NULL, NULL, guild_id, character_id, max_members, 0, cb, NULL, ud);
}

void cw_store_guild_remove(cw_store *s, int64_t guild_id, int64_t character_id,
                           cw_store_guild_cb cb, void *ud)
{
    submit(s, G_REMOVE, NULL, NULL, guild_id, character_id, 0, 0, cb, NULL, ud);
}

void cw_store_guild_set_rank(cw_store *s, int64_t guild_id, int64_t character_id, const char *rank,
                             cw_store_guild_cb cb, void *ud)
{
    submit(s, G_RANK, NULL, rank, guild_id, character_id, 0, 0, cb, NULL, ud);
}

void cw_store_guild_set_fee(cw_store *s, int64_t guild_id, int64_t fee, cw_store_guild_cb cb,
                            void *ud)
{
    submit(s, G_FEE, NULL, NULL, guild_id, 0, fee, 0, cb, NULL, ud);
}

void cw_store_guild_delete(cw_store *s, int64_t guild_id, cw_store_guild_cb cb, void *ud)
{
    submit(s, G_DELETE, NULL, NULL, guild_id, 0, 0, 0, cb, NULL, ud);
}

void cw_store_guild_invite(cw_store *s, int64_t guild_id, int64_t inviter_id, const char *name,
                           int64_t expires_at, int max_members, cw_store_guild_invite_cb cb,
                           void *ud)
{
    submit(s, G_INVITE, name, NULL, guild_id, inviter_id, max_members, expires_at, NULL, cb, ud);
}

void cw_store_guild_accept(cw_store *s, int64_t guild_id, const char *guild_name,
                           int64_t character_id, int64_t now, int max_members, cw_store_guild_cb cb,
                           void *ud)
{
    submit(s, G_ACCEPT, guild_id > 0 ? NULL : guild_name, NULL, guild_id, character_id, max_members,
           now, cb, NULL, ud);
}

void cw_store_guild_decline(cw_store *s, int64_t guild_id, const char *guild_name,
                            int64_t character_id, int64_t now, cw_store_guild_cb cb, void *ud)
{
    submit(s, G_DECLINE, guild_id > 0 ? NULL : guild_name, NULL, guild_id, character_id, 0, now, cb,
           NULL, ud);
}
