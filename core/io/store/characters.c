/* characters.c — character operations, written once against db.h.
 *
 * The batch save is the one place with two strategies: SQLite runs one
 * prepared UPDATE per row inside one transaction (in-process, no round
 * trips); PostgreSQL sends the whole batch as one UPDATE … FROM unnest(array
 * parameters) … RETURNING id — still fully parameterized, one round trip for
 * 10,000 rows. Both apply a row only when its stored version matches.
 *
 * One bad row does not cost the others their save: when the batch's
 * transaction fails for a reason a row can cause (a constraint, data the
 * database refuses — anything but "unavailable"), it is rolled back and the
 * batch runs again in a new transaction, bisected under savepoints: a part
 * that fails is split in two until the rows that fail on their own are
 * found; they get the error as their result, every other row is written.
 *
 * Rows that share a group (cw_character.group) are one unit: a part that
 * writes some of them but not the others fails (CW_EABORT), the bisection
 * never splits them, and a unit that fails settles every row in it (the row
 * at fault with its own result, the others with CW_EABORT). */
#include "core/io/store/store_internal.h"

#include "core/base/log.h"
#include "core/base/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAR_COLS "id, account_id, name, race, job, level, zone, x, y, doc, version"

typedef struct char_job {
    cw_store_job job;
    union {
        cw_store_character_cb one;
        cw_store_characters_cb many;
        cw_store_done_cb done;
        cw_store_save_cb save;
    } cb;
    void *ud;
    int64_t account_id, id;
    cw_character *in; /* argument copies */
    int n_in;
    cw_character *out; /* result rows (one allocation) */
    int n_out;
    int *results; /* save: one per input row */
    int *pre;     /* save: the precheck's verdict per row (0, CW_EINVAL, CW_EABORT) */
    int *own;     /* save: a grouped row's own result when its group failed (0: none) */
    int nocheck;  /* save: probing one row of a group alone (no group check) */
} char_job;

static void free_job(char_job *c)
{
    free(c->in);
    free(c->out);
    free(c->results);
    free(c->pre);
    free(c->own);
    free(c);
}

/* Copies the rows of r (CHAR_COLS) into c->out; items (may be NULL) go with
 * the first row. */
static int take_rows(cw_db *db, cw_db_res *r, char_job *c, const cw_item_row *items, int nitems)
{
    int n = cw_db_nrows(db, r);
    cw_character *tmp = calloc((size_t)(n > 0 ? n : 1), sizeof *tmp);
    if (!tmp) return CW_ENOMEM;
    for (int i = 0; i < n; i++) {
        tmp[i].id = cw_db_i64(db, r, i, 0);
        tmp[i].account_id = cw_db_i64(db, r, i, 1);
        tmp[i].name = cw_db_text(db, r, i, 2);
        tmp[i].race = cw_db_text(db, r, i, 3);
        tmp[i].job = cw_db_text(db, r, i, 4);
        tmp[i].level = (int)cw_db_i64(db, r, i, 5);
        tmp[i].zone = cw_db_text(db, r, i, 6);
        tmp[i].x = cw_db_dbl(db, r, i, 7);
        tmp[i].y = cw_db_dbl(db, r, i, 8);
        tmp[i].doc = cw_db_text(db, r, i, 9);
        tmp[i].version = cw_db_i64(db, r, i, 10);
    }
    if (n > 0 && nitems > 0) {
        tmp[0].items = items;
        tmp[0].nitems = nitems;
    }
    free(c->out);
    c->out = cw_store_copy_characters(tmp, n);
    c->n_out = n;
    free(tmp);
    return c->out ? 0 : CW_ENOMEM;
}

static char_job *new_job(int (*run)(cw_db *, cw_store_job *, cw_error *),
                         void (*done)(cw_store_job *), void *ud)
{
    char_job *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->job.run = run;
    c->job.done = done;
    c->ud = ud;
    return c;
}

/* ---- create / load / list / delete ---------------------------------------- */

static void one_done(cw_store_job *j)
{
    char_job *c = (char_job *)j;
    int rc = j->rc;
    if (rc == 0 && c->n_out < 1) rc = CW_ENOTFOUND;
    if (c->cb.one) c->cb.one(c->ud, rc, rc == 0 ? &c->out[0] : NULL);
    free_job(c);
}

static int create_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    char_job *c = (char_job *)j;
    const cw_character *ch = &c->in[0];
    cw_db_param p[9] = {CW_DBP_INT(ch->account_id), CW_DBP_TEXT(ch->name), CW_DBP_TEXT(ch->race),
                        CW_DBP_TEXT(ch->job),       CW_DBP_INT(ch->level), CW_DBP_TEXT(ch->zone),
                        CW_DBP_DBL(ch->x),          CW_DBP_DBL(ch->y),     CW_DBP_TEXT(ch->doc)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(db,
                         "INSERT INTO characters (account_id, name, race, job, level, zone, x, y, "
                         "doc, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) "
                         "RETURNING " CHAR_COLS,
                         p, 9, &r, err);
    if (rc == 0) rc = take_rows(db, r, c, NULL, 0);
    cw_db_res_free(db, r);
    return rc;
}

/* Fields a save writes (a save never renames: name and account_id are
 * ignored there). */
static int valid_fields(const cw_character *ch)
{
    return ch->race && ch->job && ch->zone && isfinite(ch->x) && isfinite(ch->y);
}

void cw_store_character_create(cw_store *s, const cw_character *ch, cw_store_character_cb cb,
                               void *ud)
{
    char_job *c = new_job(create_run, one_done, ud);
    if (!c) {
        if (cb) cb(ud, CW_ENOMEM, NULL);
        return;
    }
    c->cb.one = cb;
    if (!ch || !ch->name || !*ch->name || !valid_fields(ch)) {
        cw_store_reject(s, &c->job, CW_EINVAL);
        return;
    }
    c->in = cw_store_copy_characters(ch, 1);
    c->n_in = 1;
    if (!c->in)
        cw_store_reject(s, &c->job, CW_ENOMEM);
    else
        cw_store_submit(s, &c->job);
}

/* The row, its items and its guild in one snapshot (a read-only transaction). */
static int load_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    char_job *c = (char_job *)j;
    cw_db_param p[2] = {CW_DBP_INT(c->id), CW_DBP_INT(c->account_id)};
    cw_db_res *r = NULL, *ir = NULL;
    cw_item_row *items = NULL;
    int nitems = 0;
    int rc = db->ops->exec(db,
                           db->ops->dialect == CW_DB_POSTGRES
                               ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN",
                           err);
    if (rc != 0) return rc;
    rc = cw_db_query(db, "SELECT " CHAR_COLS " FROM characters WHERE id = $1 AND account_id = $2",
                     p, 2, &r, err);
    if (rc == 0 && cw_db_nrows(db, r) == 1)
        rc = cw_store_items_read(db, c->id, &ir, &items, &nitems, err);
    if (rc == 0) rc = take_rows(db, r, c, items, nitems);
    cw_db_res *gr = NULL;
    if (rc == 0 && c->n_out == 1)
        rc = cw_db_query(db, "SELECT guild_id FROM guild_members WHERE character_id = $1", p, 1,
                         &gr, err);
    if (rc == 0 && gr && cw_db_nrows(db, gr) == 1) c->out[0].guild_id = cw_db_i64(db, gr, 0, 0);
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    free(items);
    cw_db_res_free(db, gr);
    cw_db_res_free(db, ir);
    cw_db_res_free(db, r);
    return rc;
}

void cw_store_character_load(cw_store *s, int64_t account_id, int64_t id, cw_store_character_cb cb,
                             void *ud)
{
    char_job *c = new_job(load_run, one_done, ud);
    if (!c) {
        if (cb) cb(ud, CW_ENOMEM, NULL);
        return;
    }
    c->cb.one = cb;
    c->account_id = account_id;
    c->id = id;
    cw_store_submit(s, &c->job);
}

static void many_done(cw_store_job *j)
{
    char_job *c = (char_job *)j;
    if (c->cb.many) c->cb.many(c->ud, j->rc, j->rc == 0 ? c->out : NULL, j->rc == 0 ? c->n_out : 0);
    free_job(c);
}

static int list_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    char_job *c = (char_job *)j;
    cw_db_param p[1] = {CW_DBP_INT(c->account_id)};
    cw_db_res *r = NULL;
    int rc =
        cw_db_query(db, "SELECT " CHAR_COLS " FROM characters WHERE account_id = $1 ORDER BY id", p,
                    1, &r, err);
    if (rc == 0) rc = take_rows(db, r, c, NULL, 0);
    cw_db_res_free(db, r);
    return rc;
}

void cw_store_characters_list(cw_store *s, int64_t account_id, cw_store_characters_cb cb, void *ud)
{
    char_job *c = new_job(list_run, many_done, ud);
    if (!c) {
        if (cb) cb(ud, CW_ENOMEM, NULL, 0);
        return;
    }
    c->cb.many = cb;
    c->account_id = account_id;
    cw_store_submit(s, &c->job);
}

static void del_done(cw_store_job *j)
{
    char_job *c = (char_job *)j;
    if (c->cb.done) c->cb.done(c->ud, j->rc);
    free_job(c);
}

static int delete_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    char_job *c = (char_job *)j;
    cw_db_param p[2] = {CW_DBP_INT(c->id), CW_DBP_INT(c->account_id)};
    cw_db_res *r = NULL;
    int rc = cw_db_query(
        db, "DELETE FROM characters WHERE id = $1 AND account_id = $2 RETURNING id", p, 2, &r, err);
    if (rc == 0 && cw_db_nrows(db, r) == 0) rc = CW_ENOTFOUND;
    cw_db_res_free(db, r);
    return rc;
}

void cw_store_character_delete(cw_store *s, int64_t account_id, int64_t id, cw_store_done_cb cb,
                               void *ud)
{
    char_job *c = new_job(delete_run, del_done, ud);
    if (!c) {
        if (cb) cb(ud, CW_ENOMEM);
        return;
    }
    c->cb.done = cb;
    c->account_id = account_id;
    c->id = id;
    cw_store_submit(s, &c->job);
}

/* ---- versioned batch save -------------------------------------------------- */

/* Row states while the job runs (results[i]); a settled row holds 0 or a
 * negative CW_E* code. Prechecked rows (duplicates, bad fields) hold
 * CW_EINVAL from the start. */
#define PENDING 1 /* to be written by the statements being run now */
#define HELD 2    /* to be written later (by another part of the batch) */
#define WROTE 3   /* written by the statements being run now; 0 once they are kept */

static int save_sqlite(cw_db *db, char_job *c, cw_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->n_in; i++) {
        if (c->results[i] != PENDING) continue;
        const cw_character *ch = &c->in[i];
        cw_db_param p[9] = {CW_DBP_TEXT(ch->race), CW_DBP_TEXT(ch->job), CW_DBP_INT(ch->level),
                            CW_DBP_TEXT(ch->zone), CW_DBP_DBL(ch->x),    CW_DBP_DBL(ch->y),
                            CW_DBP_TEXT(ch->doc),  CW_DBP_INT(ch->id),   CW_DBP_INT(ch->version)};
        cw_db_res *r = NULL;
        rc =
            cw_db_query(db,
                        "UPDATE characters SET race = $1, job = $2, level = $3, zone = $4, x = $5, "
                        "y = $6, doc = $7, version = version + 1 WHERE id = $8 AND version = $9 "
                        "RETURNING id",
                        p, 9, &r, err);
        int hit = rc == 0 && cw_db_nrows(db, r) == 1;
        cw_db_res_free(db, r);
        if (rc != 0) break;
        if (hit) {
            c->results[i] = WROTE;
            continue;
        }
        r = NULL;
        rc = cw_db_query(db, "SELECT 1 FROM characters WHERE id = $1", &p[7], 1, &r, err);
        if (rc == 0) c->results[i] = cw_db_nrows(db, r) ? CW_ESTATE : CW_ENOTFOUND;
        cw_db_res_free(db, r);
    }
    return rc;
}

static int append_text_elem(cw_strbuf *b, const char *s)
{
    int rc = cw_strbuf_append(b, "\"", 1);
    for (const char *p = s; rc == 0 && *p;) {
        size_t run = strcspn(p, "\"\\");
        if (run) rc = cw_strbuf_append(b, p, run);
        p += run;
        if (rc == 0 && *p) {
            char esc[2] = {'\\', *p++};
            rc = cw_strbuf_append(b, esc, 2);
        }
    }
    return rc ? rc : cw_strbuf_append(b, "\"", 1);
}

enum { A_ID, A_VER, A_RACE, A_JOB, A_LEVEL, A_ZONE, A_X, A_Y, A_DOC, A_COUNT };

static int build_arrays(const char_job *c, cw_strbuf *a)
{
    int rc = 0, first = 1;
    for (int k = 0; k < A_COUNT; k++)
        rc |= cw_strbuf_append(&a[k], "{", 1);
    for (int i = 0; rc == 0 && i < c->n_in; i++) {
        if (c->results[i] != PENDING) continue;
        const cw_character *ch = &c->in[i];
        const char *sep = first ? "" : ",";
        first = 0;
        rc |= cw_strbuf_printf(&a[A_ID], "%s%lld", sep, (long long)ch->id);
        rc |= cw_strbuf_printf(&a[A_VER], "%s%lld", sep, (long long)ch->version);
        rc |= cw_strbuf_printf(&a[A_LEVEL], "%s%d", sep, ch->level);
        rc |= cw_strbuf_printf(&a[A_X], "%s%.17g", sep, ch->x);
        rc |= cw_strbuf_printf(&a[A_Y], "%s%.17g", sep, ch->y);
        const int tk[4] = {A_RACE, A_JOB, A_ZONE, A_DOC};
        const char *tv[4] = {ch->race, ch->job, ch->zone, ch->doc};
        for (int t = 0; t < 4; t++) {
            rc |= cw_strbuf_puts(&a[tk[t]], sep);
            rc |= append_text_elem(&a[tk[t]], tv[t]);
        }
    }
    for (int k = 0; k < A_COUNT; k++)
        rc |= cw_strbuf_append(&a[k], "}", 1);
    return rc ? CW_ENOMEM : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int save_postgres(cw_db *db, char_job *c, cw_error *err)
{
    cw_strbuf a[A_COUNT];
    for (int k = 0; k < A_COUNT; k++)
        a[k] = (cw_strbuf)CW_STRBUF_INIT;
    int64_t *hit = calloc((size_t)c->n_in + 1, sizeof *hit);
    int rc = hit ? build_arrays(c, a) : CW_ENOMEM;
    cw_db_res *r = NULL;
    if (rc == 0) {
        cw_db_param p[A_COUNT];
        for (int k = 0; k < A_COUNT; k++)
            p[k] = CW_DBP_TEXT(a[k].data);
        rc = cw_db_query(
            db,
            "UPDATE characters AS c SET race = v.race, job = v.job, level = v.level, "
            "zone = v.zone, x = v.x, y = v.y, doc = v.doc::jsonb, version = c.version + 1 "
            "FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::int[], "
            "$6::text[], $7::float8[], $8::float8[], $9::text[]) "
            "AS v(id, version, race, job, level, zone, x, y, doc) "
            "WHERE c.id = v.id AND c.version = v.version RETURNING c.id",
            p, A_COUNT, &r, err);
    }
    int nhit = 0;
    if (rc == 0) {
        nhit = cw_db_nrows(db, r);
        for (int i = 0; i < nhit && i < c->n_in; i++)
            hit[i] = cw_db_i64(db, r, i, 0);
        qsort(hit, (size_t)nhit, sizeof *hit, cmp_i64);
    }
    cw_db_res_free(db, r);
    r = NULL;
    /* Rows not written: stale (exists) or gone. */
    cw_strbuf miss = CW_STRBUF_INIT;
    int nmiss = 0;
    for (int i = 0; rc == 0 && i < c->n_in; i++) {
        if (c->results[i] != PENDING) continue;
        if (bsearch(&c->in[i].id, hit, (size_t)nhit, sizeof *hit, cmp_i64)) {
            c->results[i] = WROTE;
            continue;
        }
        c->results[i] = CW_ENOTFOUND;
        rc = cw_strbuf_printf(&miss, "%s%lld", nmiss++ ? "," : "{", (long long)c->in[i].id);
    }
    if (rc == 0 && nmiss) {
        rc = cw_strbuf_puts(&miss, "}");
        cw_db_param p = CW_DBP_TEXT(miss.data);
        if (rc == 0)
            rc = cw_db_query(db, "SELECT id FROM characters WHERE id = ANY($1::bigint[])", &p, 1,
                             &r, err);
        int n = rc == 0 ? cw_db_nrows(db, r) : 0;
        for (int k = 0; k < n; k++) {
            int64_t id = cw_db_i64(db, r, k, 0);
            for (int i = 0; i < c->n_in; i++)
                if (c->in[i].id == id && c->results[i] == CW_ENOTFOUND) c->results[i] = CW_ESTATE;
        }
        cw_db_res_free(db, r);
    }
    cw_strbuf_free(&miss);
    for (int k = 0; k < A_COUNT; k++)
        cw_strbuf_free(&a[k]);
    free(hit);
    return rc;
}

/* The item writes and ledger rows of every row the statements being run now wrote. */
static int write_ledger(cw_db *db, const char_job *c, cw_error *err)
{
    for (int i = 0; i < c->n_in; i++) {
        if (c->results[i] != WROTE) continue;
        int rc = cw_store_write_extras(db, &c->in[i], err);
        if (rc != 0) return rc;
    }
    return 0;
}

/* A group whose rows were run now but not all written: each row's own
 * result is kept in c->own and the part fails with CW_EABORT. */
static int check_groups(char_job *c, cw_error *err)
{
    int bad = 0;
    for (int i = 0; !c->nocheck && i < c->n_in; i++) {
        if (!c->in[i].group || c->results[i] != WROTE) continue;
        for (int j = 0; j < c->n_in; j++)
            if (j != i && c->in[j].group == c->in[i].group && c->results[j] != WROTE) bad = 1;
    }
    if (!bad) return 0;
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i].group && c->results[i] < 0 && !c->pre[i]) c->own[i] = c->results[i];
    return cw_error_set(err, CW_EABORT, "a row of a fail-together group was not written");
}

/* Writes every PENDING row with its ledger rows (inside the caller's
 * transaction); on success the written rows are settled (0). */
static int write_pending(cw_db *db, char_job *c, cw_error *err)
{
    int rc =
        db->ops->dialect == CW_DB_POSTGRES ? save_postgres(db, c, err) : save_sqlite(db, c, err);
    if (rc == 0) rc = check_groups(c, err);
    if (rc == 0) rc = write_ledger(db, c, err);
    for (int i = 0; rc == 0 && i < c->n_in; i++)
        if (c->results[i] == WROTE) c->results[i] = 0;
    return rc;
}

/* A failure that one row can cause (a constraint, bad data, an encoding the
 * database refuses, …), as opposed to the database being unavailable. */
static int row_failure(int rc)
{
    return rc != 0 && rc != CW_EUNAVAIL && rc != CW_ENOMEM;
}

/* A unit of the bisection: the rows idx[at .. at + n) (one row, or a whole group). */
typedef struct unit {
    int at, n;
} unit;

/* Writes the rows of units u[0..k) (all HELD) under a savepoint: kept when
 * they all go through, else taken back (and the rows HELD again). */
static int write_part(cw_db *db, char_job *c, const int *idx, const unit *u, int k, cw_error *err)
{
    for (int j = 0; j < k; j++)
        for (int m = 0; m < u[j].n; m++)
            c->results[idx[u[j].at + m]] = PENDING;
    int rc = db->ops->exec(db, "SAVEPOINT cw_part", err);
    if (rc != 0) return rc;
    rc = write_pending(db, c, err);
    if (rc == 0) return db->ops->exec(db, "RELEASE SAVEPOINT cw_part", err);
    for (int j = 0; j < k; j++)
        for (int m = 0; m < u[j].n; m++)
            c->results[idx[u[j].at + m]] = HELD;
    int undo = db->ops->exec(db, "ROLLBACK TO SAVEPOINT cw_part", NULL);
    if (undo == 0) undo = db->ops->exec(db, "RELEASE SAVEPOINT cw_part", NULL);
    return undo == CW_EUNAVAIL ? CW_EUNAVAIL : rc;
}

/* A group failed as a whole for a reason a row can cause: each of its rows
 * is written alone (group check off) under a savepoint that is always taken
 * back, to find the rows at fault (c->own); the others then get CW_EABORT.
 * When no row fails alone, every row keeps the group's failure. */
static int probe_group(cw_db *db, char_job *c, const int *idx, const unit *u, cw_error *err)
{
    int found = 0;
    c->nocheck = 1;
    for (int m = 0; m < u->n; m++) {
        int i = idx[u->at + m];
        unit one = {u->at + m, 1};
        int rc = db->ops->exec(db, "SAVEPOINT cw_probe", err);
        if (rc == 0) {
            rc = write_part(db, c, idx, &one, 1, NULL);
            int undo = db->ops->exec(db, "ROLLBACK TO SAVEPOINT cw_probe", NULL);
            if (undo == 0) undo = db->ops->exec(db, "RELEASE SAVEPOINT cw_probe", NULL);
            if (undo != 0) rc = CW_EUNAVAIL;
        }
        c->results[i] = HELD;
        if (rc == CW_EUNAVAIL) {
            c->nocheck = 0;
            return cw_error_set(err, CW_EUNAVAIL, "store: database unavailable");
        }
        if (rc != 0) {
            c->own[i] = rc;
            found = 1;
        }
    }
    c->nocheck = 0;
    for (int m = 0; found && m < u->n; m++)
        if (!c->own[idx[u->at + m]]) c->own[idx[u->at + m]] = CW_EABORT;
    return 0;
}

/* Bisects units u[0..k) until every unit that fails on its own is found:
 * its rows get the failure as their result (a grouped row its own result,
 * or CW_EABORT when another row of its group was at fault), all the others
 * are written. Only a failure that is not a row's (database unavailable)
 * stops it. */
static int isolate(cw_db *db, char_job *c, const int *idx, const unit *u, int k, cw_error *err)
{
    for (int j = 0; j < k; j++)
        for (int m = 0; m < u[j].n; m++)
            c->own[idx[u[j].at + m]] = 0;
    int rc = write_part(db, c, idx, u, k, err);
    if (!row_failure(rc)) return rc;
    if (k == 1) {
        if (u->n > 1 && rc != CW_EABORT) {
            int prc = probe_group(db, c, idx, u, err);
            if (prc != 0) return prc;
        }
        for (int m = 0; m < u->n; m++) {
            int i = idx[u->at + m];
            c->results[i] = c->own[i] ? c->own[i] : rc;
            cw_log(CW_LOG_WARN,
                   "character save refused by the database; the rest of its batch is saved",
                   CW_I("character", c->in[i].id), CW_I("group", c->in[i].group),
                   CW_S("error", err ? err->msg : ""), CW_END);
        }
        return 0;
    }
    rc = isolate(db, c, idx, u, k / 2, err);
    return rc ? rc : isolate(db, c, idx, u + k / 2, k - k / 2, err);
}

typedef struct grp_ix {
    int64_t group;
    int ix;
} grp_ix;

static int cmp_grp_ix(const void *a, const void *b)
{
    const grp_ix *x = a, *y = b;
    if (x->group != y->group) return (x->group > y->group) - (x->group < y->group);
    return (x->ix > y->ix) - (x->ix < y->ix);
}

/* Orders the rows to write idx[0..k) so that each group is adjacent and
 * cuts them into units. Returns the number of units. */
static int make_units(const char_job *c, int *idx, int k, unit *u)
{
    grp_ix *v = malloc(sizeof *v * (size_t)(k ? k : 1));
    if (!v) return -1;
    for (int j = 0; j < k; j++)
        v[j] = (grp_ix){c->in[idx[j]].group, idx[j]};
    qsort(v, (size_t)k, sizeof *v, cmp_grp_ix);
    int nu = 0;
    for (int j = 0; j < k; j++) {
        idx[j] = v[j].ix;
        if (j > 0 && v[j].group != 0 && v[j].group == v[j - 1].group)
            u[nu - 1].n++;
        else
            u[nu++] = (unit){j, 1};
    }
    free(v);
    return nu;
}

static int save_run(cw_db *db, cw_store_job *j, cw_error *err)
{
    char_job *c = (char_job *)j;
    /* A retry starts over: every attempt either committed or left nothing. */
    int *idx = malloc(sizeof *idx * (size_t)(c->n_in ? c->n_in : 1));
    unit *u = malloc(sizeof *u * (size_t)(c->n_in ? c->n_in : 1));
    if (!idx || !u) {
        free(idx);
        free(u);
        return cw_error_set(err, CW_ENOMEM, "store: out of memory");
    }
    int k = 0;
    for (int i = 0; i < c->n_in; i++) {
        c->results[i] = c->pre[i] ? c->pre[i] : PENDING;
        c->own[i] = 0;
        if (!c->pre[i]) idx[k++] = i;
    }
    /* The whole batch in one go; when a row fails it, again without the rows that fail. */
    int rc = cw_db_begin(db, err);
    if (rc == 0) rc = write_pending(db, c, err);
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    if (row_failure(rc) && k > 0) {
        for (int i = 0; i < k; i++)
            c->results[idx[i]] = HELD;
        int nu = make_units(c, idx, k, u);
        rc = nu < 0 ? cw_error_set(err, CW_ENOMEM, "store: out of memory") : cw_db_begin(db, err);
        if (rc == 0) rc = isolate(db, c, idx, u, nu, err);
        if (rc == 0) rc = cw_db_commit(db, err);
        if (rc != 0) cw_db_rollback(db);
    }
    free(idx);
    free(u);
    return rc;
}

static void save_done(cw_store_job *j)
{
    char_job *c = (char_job *)j;
    if (j->rc != 0) /* nothing was applied */
        for (int i = 0; i < c->n_in; i++)
            c->results[i] = j->rc;
    if (c->cb.save) c->cb.save(c->ud, j->rc, c->results, c->n_in);
    free_job(c);
}

typedef struct id_ix {
    int64_t id;
    int ix;
} id_ix;

static int cmp_id_ix(const void *a, const void *b)
{
    const id_ix *x = a, *y = b;
    if (x->id != y->id) return (x->id > y->id) - (x->id < y->id);
    return (x->ix > y->ix) - (x->ix < y->ix);
}

/* Marks bad rows and later duplicates of an id CW_EINVAL in c->pre. */
static int precheck(char_job *c)
{
    id_ix *v = malloc(sizeof *v * (size_t)(c->n_in ? c->n_in : 1));
    c->pre = calloc((size_t)(c->n_in ? c->n_in : 1), sizeof *c->pre);
    c->own = calloc((size_t)(c->n_in ? c->n_in : 1), sizeof *c->own);
    if (!v || !c->pre || !c->own) {
        free(v);
        return CW_ENOMEM;
    }
    for (int i = 0; i < c->n_in; i++) {
        v[i] = (id_ix){c->in[i].id, i};
        c->pre[i] = valid_fields(&c->in[i]) ? 0 : CW_EINVAL;
    }
    qsort(v, (size_t)c->n_in, sizeof *v, cmp_id_ix);
    for (int i = 1; i < c->n_in; i++)
        if (v[i].id == v[i - 1].id) c->pre[v[i].ix] = CW_EINVAL;
    free(v);
    /* a refused row takes its group with it */
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i].group && c->pre[i] == CW_EINVAL)
            for (int j = 0; j < c->n_in; j++)
                if (c->in[j].group == c->in[i].group && !c->pre[j]) c->pre[j] = CW_EABORT;
    return 0;
}

void cw_store_characters_save(cw_store *s, const cw_character *chs, int n, cw_store_save_cb cb,
                              void *ud)
{
    char_job *c = new_job(save_run, save_done, ud);
    if (c) c->results = calloc((size_t)(n > 0 ? n : 1), sizeof *c->results);
    if (!c || !c->results) {
        if (c) free_job(c);
        if (cb) cb(ud, CW_ENOMEM, NULL, 0);
        return;
    }
    c->cb.save = cb;
    if (n < 0 || (n > 0 && !chs)) {
        cw_store_reject(s, &c->job, CW_EINVAL);
        return;
    }
    c->in = cw_store_copy_characters(chs, n);
    c->n_in = n;
    if (!c->in || precheck(c) != 0) {
        c->n_in = 0;
        cw_store_reject(s, &c->job, CW_ENOMEM);
        return;
    }
    cw_store_submit(s, &c->job);
}
