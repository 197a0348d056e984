/* ctl_audit.c — `chaosctl audit`: do the characters' stored gold and exp
 * agree with the ledger? (cw_store_audit in core/io/store/store.h says what
 * is checked.)
 *
 *   chaosctl audit [--store URL] [--migrations DIR]
 *
 * Prints one JSON line: {"ok":true,"characters":N,"ledger_rows":M} (plus
 * "deleted_character_rows" when ledger rows name deleted characters), or
 * {"ok":false,…,"mismatches":[{"character":id,"name":…,"field":…,
 * "problem":…,"stored":…,"ledger":…},…]} with "more":K when more were found
 * than listed. Exit 0 when everything agrees, 1 on any mismatch or when the
 * database cannot be read (message on stderr), 2 on bad usage. Safe against
 * a running server: it only reads, in one snapshot. */
#include "tools/chaosctl/ctl.h"

#include "core/base/strbuf.h"
#include "core/io/store/store.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: chaosctl audit [--store URL] [--migrations DIR]\n"
    "\n"
    "  Checks that every character's gold and exp equal the sums of its ledger rows, that\n"
    "  none is negative, that no ledger row names a character that never existed, and that\n"
    "  every item has one owner and place and agrees with its ledger rows (kind item).\n"
    "\n"
    "  --store URL        sqlite:PATH or postgres://user@host:port/db (default "
    "sqlite:var/chaos.db)\n"
    "  --migrations DIR   root holding sqlite/ and postgres/ (default migrations)\n";

typedef struct audit_out {
    int rc;
    cw_strbuf line;
} audit_out;

static void on_audit(void *ud, int rc, const cw_audit_report *r)
{
    audit_out *o = ud;
    o->rc = rc;
    if (rc != 0) return;
    cw_strbuf *b = &o->line;
    cw_strbuf_printf(b, "{\"ok\":%s,\"characters\":%lld,\"ledger_rows\":%lld",
                     r->issues ? "false" : "true", (long long)r->characters,
                     (long long)r->ledger_rows);
    if (r->items) cw_strbuf_printf(b, ",\"items\":%lld", (long long)r->items);
    if (r->deleted_rows)
        cw_strbuf_printf(b, ",\"deleted_character_rows\":%lld", (long long)r->deleted_rows);
    if (r->issues) {
        cw_strbuf_puts(b, ",\"mismatches\":[");
        for (int i = 0; i < r->nlist; i++) {
            const cw_audit_issue *m = &r->list[i];
            cw_strbuf_printf(b, "%s{\"character\":%lld,\"name\":", i ? "," : "",
                             (long long)m->character_id);
            cw_strbuf_json_str(b, m->name);
            cw_strbuf_printf(b, ",\"field\":\"%s\",\"problem\":\"%s\",\"stored\":", m->field,
                             m->problem);
            /* an integer (or null: absent) as it is; anything else as a string of its JSON */
            const char *v = m->stored + (m->stored[0] == '-');
            if (!strcmp(m->stored, "null") || (*v && strspn(v, "0123456789") == strlen(v)))
                cw_strbuf_puts(b, m->stored);
            else
                cw_strbuf_json_str(b, m->stored);
            cw_strbuf_printf(b, ",\"ledger\":%lld}", (long long)m->ledger);
        }
        cw_strbuf_puts(b, "]");
        if (r->issues > r->nlist)
            cw_strbuf_printf(b, ",\"more\":%lld", (long long)(r->issues - r->nlist));
    }
    cw_strbuf_puts(b, "}");
    if (r->issues) o->rc = 1;
}

int ctl_audit_main(int argc, char **argv)
{
    const char *url = "sqlite:var/chaos.db", *dir = "migrations";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--store") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(a, "--migrations") && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "chaosctl audit: unexpected argument \"%s\"\n%s", a, usage);
            return 2;
        }
    }
    cw_store_config cfg = {url, dir, 0, NULL, NULL, 0};
    cw_error err = {0};
    cw_store *s = cw_store_open(&cfg, &err);
    if (!s) {
        fprintf(stderr, "chaosctl audit: %s\n", err.msg);
        return 1;
    }
    audit_out o = {CW_EIO, CW_STRBUF_INIT};
    cw_store_audit(s, on_audit, &o); /* synchronous store: answered on return */
    cw_store_close(s);
    if (o.rc < 0) {
        fprintf(stderr, "chaosctl audit: the database could not be read (%s)\n", cw_err_name(o.rc));
        cw_strbuf_free(&o.line);
        return 1;
    }
    if (!o.line.data) {
        fprintf(stderr, "chaosctl audit: out of memory\n");
        return 1;
    }
    printf("%s\n", o.line.data);
    cw_strbuf_free(&o.line);
    return o.rc ? 1 : 0;
}
