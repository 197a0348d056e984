/* audit.c — the ledger audit (cw_store_audit, for chaosctl audit), written
 * once against db.h. Everything is read inside one read-only transaction
 * (one snapshot: a save that commits meanwhile is either wholly seen or not
 * at all), in pages by id so memory stays bounded on large databases. Only
 * the problems found are kept (the first CW_AUDIT_LIST_MAX listed). */
#include "core/io/store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 500

typedef struct audit_job {
    cw_store_job job;
    cw_store_audit_cb cb;
    void *ud;
    cw_audit_report rep;
    cw_audit_issue *list; /* rep.list; strings owned (name, stored) */
} audit_job;

static void clear(audit_job *a)
{
    for (int i = 0; i < a->rep.nlist; i++) {
        free((char *)a->list[i].name);
        free((char *)a->list[i].stored);
    }
    free(a->list);
    a->list = NULL;
    memset(&a->rep, 0, sizeof a->rep);
}

static int add_issue(audit_job *a, int64_t id, const char *name, const char *field,
                     const char *problem, const char *stored, int64_t ledger)
{
    a->rep.issues++;
    if (a->rep.nlist >= CW_AUDIT_LIST_MAX) return 0;
    if (!a->list) {
        a->list = calloc(CW_AUDIT_LIST_MAX, sizeof *a->list);
        if (!a->list) return CW_ENOMEM;
    }
    cw_audit_issue *i = &a->list[a->rep.nlist];
    i->name = strdup(name ? name : "");
    i->stored = strdup(stored ? stored : "null");
    if (!i->name || !i->stored) {
        free((char *)i->name);
        free((char *)i->stored);
        return CW_ENOMEM;
    }
    i->character_id = id;
    i->field = field;
    i->problem = problem;
    i->ledger = ledger;
    a->rep.nlist++;
    return 0;
}

/* A stored value (JSON text of the document's member, NULL when absent) as
 * a count: 1 and *out when an integer (absent = 0), else 0. */
static int stored_count(const char *text, int64_t *out)
{
    if (!text) {
        *out = 0;
        return 1;
    }
    const char *p = text + (*text == '-');
    if (!*p || strspn(p, "0123456789") != strlen(p)) return 0;
    errno = 0;
    *out = strtoll(text, NULL, 10);
    return errno == 0;
}

static int check_field(audit_job *a, int64_t id, const char *name, const char *field,
                       const char *stored, int64_t ledger)
{
    int64_t v;
    if (!stored_count(stored, &v))
        return add_issue(a, id, name, field, "not_an_integer", stored, ledger);
    if (v < 0) return add_issue(a, id, name, field, "negative", stored, ledger);
    if (v != ledger) return add_issue(a, id, name, field, "mismatch", stored, ledger);
    return 0;
}

/* Net ledger value of one kind for character c: rows to it minus rows from it. */
#define NET(kind)                                                                                  \
    "(SELECT COALESCE(sum(l.amount), 0) FROM ledger l WHERE l.to_character_id = c.id AND "         \
    "l.kind = '" kind "') - (SELECT COALESCE(sum(l.amount), 0) FROM ledger l WHERE "               \
    "l.from_character_id = c.id AND l.kind = '" kind "')"

/* A page of characters: id, name, the document's gold and exp, their net
 * ledger sums. `doc -> 'key'` is the member as JSON text in both dialects
 * (NULL when absent). */
#define CHARACTERS_SQL                                                                             \
    "SELECT c.id, c.name, c.doc -> 'gold', c.doc -> 'exp', " NET("gold") ", " NET(                 \
        "exp") " FROM characters c WHERE c.id > $1 ORDER BY c.id LIMIT 500" /* PAGE */

static int characters(cw_db *db, audit_job *a, cw_error *err)
{
    int64_t after = 0;
    for (;;) {
        cw_db_param p[1] = {CW_DBP_INT(after)};
        cw_db_res *r = NULL;
        int rc = cw_db_query(db, CHARACTERS_SQL, p, 1, &r, err);
        if (rc != 0) return rc;
        int n = cw_db_nrows(db, r);
        for (int i = 0; rc == 0 && i < n; i++) {
            int64_t id = cw_db_i64(db, r, i, 0);
            const char *name = cw_db_text(db, r, i, 1);
            rc = check_field(a, id, name, "gold", cw_db_text(db, r, i, 2), cw_db_i64(db, r, i, 4));
            if (rc == 0)
                rc = check_field(a, id, name, "exp", cw_db_text(db, r, i, 3),
                                 cw_db_i64(db, r, i, 5));
            after = id;
            a->rep.characters++;
        }
        cw_db_res_free(db, r);
        if (rc != 0 || n < PAGE) return rc;
    }
}

/* The highest character id ever issued (ids are never reused): a ledger row
 * naming a missing id up to it names a deleted character. */
static int highest_id(cw_db *db, int64_t *out, cw_error *err)
{
    cw_db_res *r = NULL;
    int rc = db->ops->dialect == CW_DB_POSTGRES
                 ? cw_db_query(db,
                               "SELECT COALESCE(pg_sequence_last_value("
                               "pg_get_serial_sequence('characters', 'id')::regclass), 0)",
                               NULL, 0, &r, err)
                 : cw_db_query(db, "SELECT seq FROM sqlite_sequence WHERE name = 'characters'",
                               NULL, 0, &r, err);
    if (rc == 0) *out = cw_db_nrows(db, r) ? cw_db_i64(db, r, 0, 0) : 0;
    cw_db_res_free(db, r);
    return rc;
}

static int ledger(cw_db *db, audit_job *a, cw_error *err)
{
    cw_db_res *r = NULL;
    int rc = cw_db_query(db, "SELECT count(*) FROM ledger", NULL, 0, &r, err);
    if (rc != 0) return rc;
    a->rep.ledger_rows = cw_db_i64(db, r, 0, 0);
    cw_db_res_free(db, r);
    int64_t top, after = 0;
    if ((rc = highest_id(db, &top, err)) != 0) return rc;
    for (;;) {
        cw_db_param p[1] = {CW_DBP_INT(after)};
        r = NULL;
        rc = cw_db_query(
            db,
            "SELECT x.id, count(*) FROM (SELECT to_character_id AS id FROM ledger "
            "WHERE to_character_id IS NOT NULL UNION ALL SELECT from_character_id FROM ledger "
            "WHERE from_character_id IS NOT NULL) AS x WHERE x.id > $1 AND NOT EXISTS "
            "(SELECT 1 FROM characters c WHERE c.id = x.id) GROUP BY x.id ORDER BY x.id LIMIT 500",
            p, 1, &r, err);
        if (rc != 0) return rc;
        int n = cw_db_nrows(db, r);
        for (int i = 0; rc == 0 && i < n; i++) {
            int64_t id = cw_db_i64(db, r, i, 0), rows = cw_db_i64(db, r, i, 1);
            if (id > 0 && id <= top)
                a->rep.deleted_rows += rows;
            else
                rc = add_issue(a, id, "", "ledger", "unknown_character", NULL, rows);
            after = id;
        }
        cw_db_res_free(db, r);
        if (rc != 0 || n < PAGE) return rc;
    }
}

/* ---- items ---------------------------------------------------------------------
 * Every item has exactly one owner and place (no two items of an owner in one
 * place), and the item ledger replays to it: for each item, the net of its
 * rows (to a character minus from it) is its stack for its owner and 0 for
 * every other character that exists (rows naming deleted characters are not
 * counted: their items went with them). Issues: field "item", stored = the
 * item as JSON text, ledger = the net found. */

static int item_issue(audit_job *a, int64_t char_id, const char *problem, int64_t uid,
                      const char *place, int64_t stack, int64_t net)
{
    char stored[160];
    snprintf(stored, sizeof stored, "{\"uid\":%lld,\"place\":\"%.64s\",\"stack\":%lld}",
             (long long)uid, place ? place : "", (long long)stack);
    return add_issue(a, char_id, "", "item", problem, stored, net);
}

#define ITEM_NET(who)                                                                              \
    "COALESCE((SELECT sum(l.item_stack) FROM ledger l WHERE l.kind = 'item' AND l.item_id = i.id " \
    "AND l.to_character_id = " who "), 0) - COALESCE((SELECT sum(l.item_stack) FROM ledger l "     \
    "WHERE l.kind = 'item' AND l.item_id = i.id AND l.from_character_id = " who "), 0)"

static int items(cw_db *db, audit_job *a, cw_error *err)
{
    int64_t after = 0;
    int rc;
    for (;;) { /* each item: an owner, and the owner's net equals the stack */
        cw_db_param p[1] = {CW_DBP_INT(after)};
        cw_db_res *r = NULL;
        rc = cw_db_query(db,
                         "SELECT i.id, i.owner_character_id, i.place, i.stack, " ITEM_NET(
                             "i.owner_character_id") " FROM item_instances i WHERE i.id > $1 "
                                                     "ORDER BY i.id LIMIT 500",
                         p, 1, &r, err);
        if (rc != 0) return rc;
        int n = cw_db_nrows(db, r);
        for (int i = 0; rc == 0 && i < n; i++) {
            int64_t uid = cw_db_i64(db, r, i, 0), stack = cw_db_i64(db, r, i, 3);
            int64_t net = cw_db_i64(db, r, i, 4);
            const char *owner = cw_db_text(db, r, i, 1), *place = cw_db_text(db, r, i, 2);
            a->rep.items++;
            if (!owner)
                rc = item_issue(a, 0, "no_owner", uid, place, stack, net);
            else if (net != stack)
                rc = item_issue(a, cw_db_i64(db, r, i, 1), "mismatch", uid, place, stack, net);
            after = uid;
        }
        cw_db_res_free(db, r);
        if (rc != 0) return rc;
        if (n < PAGE) break;
    }
    cw_db_res *r = NULL; /* two items in one place of one owner */
    rc = cw_db_query(db,
                     "SELECT owner_character_id, place, count(*), min(id) FROM item_instances "
                     "WHERE owner_character_id IS NOT NULL GROUP BY owner_character_id, place "
                     "HAVING count(*) > 1 ORDER BY owner_character_id, place LIMIT 1000",
                     NULL, 0, &r, err);
    if (rc != 0) return rc;
    for (int i = 0; rc == 0 && i < cw_db_nrows(db, r); i++)
        rc = item_issue(a, cw_db_i64(db, r, i, 0), "shared_place", cw_db_i64(db, r, i, 3),
                        cw_db_text(db, r, i, 1), 0, cw_db_i64(db, r, i, 2));
    cw_db_res_free(db, r);
    if (rc != 0) return rc;
    /* the ledger gives (part of) an item to an existing character that does not own it */
    r = NULL;
    rc = cw_db_query(
        db,
        "SELECT x.item_id, x.cid, sum(x.n) FROM (SELECT item_id, to_character_id AS cid, "
        "item_stack AS n FROM ledger WHERE kind = 'item' AND to_character_id IS NOT NULL "
        "UNION ALL SELECT item_id, from_character_id, -item_stack FROM ledger WHERE kind = 'item' "
        "AND from_character_id IS NOT NULL) AS x WHERE EXISTS (SELECT 1 FROM characters c WHERE "
        "c.id = x.cid) AND NOT EXISTS (SELECT 1 FROM item_instances i WHERE i.id = x.item_id AND "
        "i.owner_character_id = x.cid) GROUP BY x.item_id, x.cid HAVING sum(x.n) <> 0 "
        "ORDER BY x.item_id, x.cid LIMIT 1000",
        NULL, 0, &r, err);
    if (rc != 0) return rc;
    for (int i = 0; rc == 0 && i < cw_db_nrows(db, r); i++)
        rc = item_issue(a, cw_db_i64(db, r, i, 1), "not_owner", cw_db_i64(db, r, i, 0), "", 0,
                        cw_db_i64(db, r, i, 2));
    cw_db_res_free(db, r);
    return rc;
}

static int audit_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    audit_job *a = (audit_job *)j;
    clear(a); /* a retry starts over */
    int rc = db->ops->exec(db,
                           db->ops->dialect == CW_DB_POSTGRES
                               ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN",
                           err);
    if (rc != 0) return rc;
    rc = characters(db, a, err);
    if (rc == 0) rc = ledger(db, a, err);
    if (rc == 0) rc = items(db, a, err);
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    return rc;
}

static void audit_done(cw_store_job *j)
{
    audit_job *a = (audit_job *)j;
    a->rep.list = a->list;
    if (a->cb) a->cb(a->ud, j->rc, j->rc == 0 ? &a->rep : NULL);
    clear(a);
    free(a);
}

void cw_store_audit(cw_store *s, cw_store_audit_cb cb, void *ud)
{
    audit_job *a = calloc(1, sizeof *a);
    if (!a) {
        if (cb) cb(ud, CW_ENOMEM, NULL);
        return;
    }
    a->job.run = audit_run;
    a->job.done = audit_done;
    a->cb = cb;
    a->ud = ud;
    cw_store_submit(s, &a->job);
}
