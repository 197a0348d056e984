/* migrate.c — numbered SQL migrations (DIR/<backend>/NNNN_name.sql).
 *
 * Each pending file runs in its own transaction together with the row that
 * records it in schema_migrations(version, name, applied_at); a failing file
 * leaves no trace. On PostgreSQL an advisory lock serializes concurrent
 * migrators; on SQLite BEGIN IMMEDIATE does. A database whose highest applied
 * version is above the highest file is refused (it was migrated by a newer
 * binary). */
#include "core/io/store/store_internal.h"

#include "core/base/log.h"
#include "core/base/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MIGRATIONS 1024

typedef struct mig_file {
    int version;
    char name[256]; /* file name without .sql */
} mig_file;

typedef struct mig_list {
    mig_file *v;
    int n;
} mig_list;

static int cmp_file(const void *a, const void *b)
{
    const mig_file *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static int list_files(const char *dir, mig_list *out, cw_error *err)
{
    out->v = NULL;
    out->n = 0;
    DIR *d = opendir(dir);
    if (!d) return cw_error_set(err, CW_ENOTFOUND, "migrations: %s: %s", dir, strerror(errno));
    out->v = calloc(MAX_MIGRATIONS, sizeof *out->v);
    if (!out->v) {
        closedir(d);
        return cw_error_set(err, CW_ENOMEM, "migrations: out of memory");
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        const char *nm = e->d_name;
        size_t len = strlen(nm), digits = 0;
        while (isdigit((unsigned char)nm[digits]))
            digits++;
        if (digits == 0 || nm[digits] != '_' || len < 5 || strcmp(nm + len - 4, ".sql")) continue;
        if (out->n == MAX_MIGRATIONS || len - 4 >= sizeof out->v[0].name) {
            rc = cw_error_set(err, CW_ELIMIT, "migrations: too many files or name too long");
            break;
        }
        mig_file *f = &out->v[out->n++];
        f->version = atoi(nm);
        memcpy(f->name, nm, len - 4);
        f->name[len - 4] = 0;
        if (f->version <= 0) rc = cw_error_set(err, CW_EINVAL, "migrations: bad version in %s", nm);
    }
    closedir(d);
    if (rc == 0) {
        qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_file);
        for (int i = 1; i < out->n; i++)
            if (out->v[i].version == out->v[i - 1].version)
                rc = cw_error_set(err, CW_EINVAL, "migrations: %s and %s share version %d",
                                  out->v[i - 1].name, out->v[i].name, out->v[i].version);
    }
    if (rc != 0) {
        free(out->v);
        out->v = NULL;
        out->n = 0;
    }
    return rc;
}

static char *read_file(const char *path, cw_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cw_error_set(err, CW_ENOTFOUND, "migrations: %s: %s", path, strerror(errno));
        return NULL;
    }
    cw_strbuf b = CW_STRBUF_INIT;
    char chunk[4096];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = cw_strbuf_append(&b, chunk, got);
    int bad = ferror(f) || rc != 0;
    fclose(f);
    if (bad || !b.data) {
        cw_strbuf_free(&b);
        cw_error_set(err, bad ? CW_EIO : CW_EINVAL, "migrations: %s: %s", path,
                     bad ? "read failed" : "empty file");
        return NULL;
    }
    return b.data;
}

/* Applied versions, ascending; *n = 0 when the table does not exist yet. */
static int applied_versions(cw_db *db, int **out, int *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    cw_db_res *r = NULL;
    const char *exists_sql =
        db->ops->dialect == CW_DB_SQLITE
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            : "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL";
    int rc = cw_db_query(db, exists_sql, NULL, 0, &r, err);
    if (rc != 0) return rc;
    int exists = cw_db_nrows(db, r) > 0;
    cw_db_res_free(db, r);
    if (!exists) return 0;
    rc =
        cw_db_query(db, "SELECT version FROM schema_migrations ORDER BY version", NULL, 0, &r, err);
    if (rc != 0) return rc;
    int rows = cw_db_nrows(db, r);
    *out = calloc((size_t)rows + 1, sizeof **out);
    if (!*out) {
        cw_db_res_free(db, r);
        return cw_error_set(err, CW_ENOMEM, "migrations: out of memory");
    }
    for (int i = 0; i < rows; i++)
        (*out)[i] = (int)cw_db_i64(db, r, i, 0);
    *n = rows;
    cw_db_res_free(db, r);
    return 0;
}

static int contains(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

static int apply_one(cw_db *db, const char *dir, const mig_file *f, cw_error *err)
{
    char path[4096];
    int w = snprintf(path, sizeof path, "%s/%s.sql", dir, f->name);
    if (w < 0 || (size_t)w >= sizeof path)
        return cw_error_set(err, CW_EINVAL, "migrations: path too long");
    char *sql = read_file(path, err);
    if (!sql) return err ? err->code : CW_EIO;
    int rc = cw_db_begin(db, err);
    if (rc != 0) {
        free(sql);
        return rc;
    }
    cw_db_res *r = NULL;
    cw_db_param v = CW_DBP_INT(f->version);
    if (db->ops->dialect == CW_DB_POSTGRES)
        rc = cw_db_query(db, "SELECT pg_advisory_xact_lock(7249001)", NULL, 0, NULL, err);
    if (rc == 0)
        rc = cw_db_query(db, "SELECT 1 FROM schema_migrations WHERE version = $1", &v, 1, &r, err);
    int already = rc == 0 && cw_db_nrows(db, r) > 0;
    cw_db_res_free(db, r);
    if (rc == 0 && !already) {
        rc = db->ops->exec(db, sql, err);
        if (rc != 0 && err) {
            char msg[CW_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            cw_error_set(err, rc, "migration %s failed: %s", f->name, msg);
        }
    }
    if (rc == 0 && !already) {
        cw_db_param p[2] = {CW_DBP_INT(f->version), CW_DBP_TEXT(f->name)};
        rc = cw_db_query(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", p, 2,
                         NULL, err);
    }
    if (rc == 0) rc = cw_db_commit(db, err);
    if (rc != 0) cw_db_rollback(db);
    free(sql);
    if (rc == 0 && !already)
        cw_log(CW_LOG_INFO, "migration applied", CW_S("backend", db->ops->name),
               CW_I("version", f->version), CW_S("name", f->name), CW_END);
    return rc;
}

int cw_store_migrate_db(cw_db *db, const char *root, int apply, cw_migration_status *st,
                        cw_error *err)
{
    char dir[4096];
    int w = snprintf(dir, sizeof dir, "%s/%s", root && *root ? root : "migrations", db->ops->name);
    if (w < 0 || (size_t)w >= sizeof dir)
        return cw_error_set(err, CW_EINVAL, "migrations: directory name too long");
    mig_list files;
    int *applied = NULL, napplied = 0;
    int rc = list_files(dir, &files, err);
    if (rc != 0) return rc;
    if (apply) {
        const char *create =
            db->ops->dialect == CW_DB_SQLITE
                ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT "
                  "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
                : "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                  "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";
        rc = db->ops->exec(db, create, err);
    }
    if (rc == 0) rc = applied_versions(db, &applied, &napplied, err);
    cw_migration_status s = {0, 0, 0};
    if (rc == 0) {
        s.current = napplied ? applied[napplied - 1] : 0;
        s.latest = files.n ? files.v[files.n - 1].version : 0;
        for (int i = 0; i < files.n; i++)
            if (!contains(applied, napplied, files.v[i].version)) s.pending++;
        if (st) *st = s;
        if (s.current > s.latest)
            rc = cw_error_set(err, CW_ESTATE,
                              "database schema version %d is newer than this binary knows "
                              "(latest migration in %s is %d): upgrade the server",
                              s.current, dir, s.latest);
    }
    if (rc == 0 && s.pending && !apply) {
        cw_strbuf names = CW_STRBUF_INIT;
        for (int i = 0; i < files.n; i++)
            if (!contains(applied, napplied, files.v[i].version))
                cw_strbuf_printf(&names, "%s%s", names.len ? ", " : "", files.v[i].name);
        rc = cw_error_set(err, CW_ESTATE,
                          "database has %d pending migration(s): %s; run chaosctl migrate up "
                          "or start chaosd with --migrate",
                          s.pending, names.data ? names.data : "?");
        cw_strbuf_free(&names);
    }
    for (int i = 0; rc == 0 && apply && i < files.n; i++)
        if (!contains(applied, napplied, files.v[i].version)) {
            rc = apply_one(db, dir, &files.v[i], err);
            if (rc == 0 && st) {
                st->pending--;
                if (files.v[i].version > st->current) st->current = files.v[i].version;
            }
        }
    free(applied);
    free(files.v);
    return rc;
}
