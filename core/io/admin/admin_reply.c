/* admin_reply.c — answer lines of the console, and deferred answers
 * (cw_admin_defer / cw_admin_answer). */
#include "core/io/admin/internal.h"

#include "core/base/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char oom_line[] = "{\"ok\":false,\"error\":{\"code\":\"enomem\",\"message\":"
                               "\"out of memory\"}}\n";

void admin_reply_commit(cw_strbuf *reply, cw_strbuf *line, int rc)
{
    if (rc == 0) rc = cw_strbuf_append(line, "\n", 1);
    if (rc == 0) rc = cw_strbuf_append(reply, line->data, line->len);
    if (rc != 0) cw_strbuf_append(reply, oom_line, sizeof oom_line - 1);
    cw_strbuf_free(line);
}

/* Length of the valid UTF-8 sequence at p (shortest form, no surrogates,
 * at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (!n) return 0;
    unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

/* Code points that reorder or break a line when a log or a terminal shows
 * them: bidi marks, embeddings, overrides and isolates, line separators. */
static int misleading(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

int admin_readable(cw_strbuf *out, const char *s)
{
    int rc = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && rc == 0) {
        size_t n = utf8_seq(p);
        uint32_t cp = 0;
        if (n == 3)
            cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (n == 0) {
            rc = cw_strbuf_printf(out, "\\x%02x", p[0]);
            p++;
        } else if (misleading(cp)) {
            rc = cw_strbuf_printf(out, "\\u%04x", (unsigned)cp);
            p += n;
        } else {
            rc = cw_strbuf_append(out, (const char *)p, n);
            p += n;
        }
    }
    return rc;
}

int admin_error_member(cw_strbuf *line, const char *code, const char *msg)
{
    cw_strbuf m = CW_STRBUF_INIT;
    int rc = admin_readable(&m, msg);
    rc = rc ? rc : cw_strbuf_puts(line, "\"error\":{\"code\":");
    rc = rc ? rc : cw_strbuf_json_str(line, code);
    rc = rc ? rc : cw_strbuf_puts(line, ",\"message\":");
    rc = rc ? rc : cw_strbuf_json_str(line, m.data ? m.data : "");
    cw_strbuf_free(&m);
    return rc ? rc : cw_strbuf_puts(line, "}");
}

void admin_reply_error(cw_strbuf *reply, const char *code, const char *msg)
{
    cw_strbuf line = CW_STRBUF_INIT;
    int rc = cw_strbuf_puts(&line, "{\"ok\":false,");
    rc = rc ? rc : admin_error_member(&line, code, msg);
    rc = rc ? rc : cw_strbuf_puts(&line, "}");
    admin_reply_commit(reply, &line, rc);
}

void admin_reply_ok(cw_strbuf *reply)
{
    cw_strbuf_puts(reply, "{\"ok\":true}\n");
}

/* Handler output is spliced into our object: keep it on one line and strip
 * stray separators at its ends. */
static void tidy_fields(char *f, size_t len, const char **start, size_t *out)
{
    for (size_t i = 0; i < len; i++)
        if (f[i] == '\n' || f[i] == '\r') f[i] = ' ';
    const char *p = f ? f : "";
    size_t n = len;
    while (n && (*p == ' ' || *p == ',' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == ',' || p[n - 1] == '\t'))
        n--;
    *start = p;
    *out = n;
}

void admin_answer_line(cw_strbuf *reply, int hrc, const char *errmsg, const char *fields,
                       size_t flen)
{
    cw_strbuf copy = CW_STRBUF_INIT;
    const char *f = "";
    size_t n = 0;
    if (flen && cw_strbuf_append(&copy, fields, flen) == 0)
        tidy_fields(copy.data, copy.len, &f, &n);
    cw_strbuf line = CW_STRBUF_INIT;
    int rc;
    if (hrc >= 0) {
        rc = cw_strbuf_puts(&line, "{\"ok\":true");
    } else {
        rc = cw_strbuf_puts(&line, "{\"ok\":false,");
        rc = rc ? rc
                : admin_error_member(&line, cw_err_name(hrc),
                                     errmsg && errmsg[0] ? errmsg : cw_err_name(hrc));
    }
    if (rc == 0 && n) {
        rc = cw_strbuf_append(&line, ",", 1);
        rc = rc ? rc : cw_strbuf_append(&line, f, n);
    }
    rc = rc ? rc : cw_strbuf_puts(&line, "}");
    cw_strbuf_free(&copy);
    admin_reply_commit(reply, &line, rc);
}

cw_admin_pending *cw_admin_defer(cw_admin *a)
{
    if (!a || !a->current || a->current->pending) return NULL;
    cw_admin_pending *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->s = a->current;
    snprintf(p->peer, sizeof p->peer, "%s", a->current->peer);
    p->session = a->current->id;
    a->current->pending = p;
    return p;
}

void admin_audit(const char *peer, uint64_t session, const char *command, const char *args, int rc,
                 const char *errmsg)
{
    /* Words as the operator typed them, but never bytes that would make the
     * log line invalid UTF-8 or reorder what a reader sees. */
    cw_strbuf a = CW_STRBUF_INIT, c = CW_STRBUF_INIT, m = CW_STRBUF_INIT;
    admin_readable(&a, args);
    admin_readable(&c, command);
    admin_readable(&m, errmsg && errmsg[0] ? errmsg : cw_err_name(rc));
    const char *as = a.data ? a.data : "", *cs = c.data ? c.data : "", *ms = m.data ? m.data : "";
    if (rc >= 0)
        cw_log(CW_LOG_INFO, "admin command", CW_S("peer", peer), CW_I("session", (int64_t)session),
               CW_S("command", cs), CW_S("args", as), CW_B("ok", 1), CW_END);
    else
        cw_log(CW_LOG_WARN, "admin command", CW_S("peer", peer), CW_I("session", (int64_t)session),
               CW_S("command", cs), CW_S("args", as), CW_B("ok", 0), CW_S("error", cw_err_name(rc)),
               CW_S("message", ms), CW_END);
    cw_strbuf_free(&a);
    cw_strbuf_free(&c);
    cw_strbuf_free(&m);
}

void admin_pending_free(cw_admin_pending *p)
{
    if (!p) return;
    free(p->args);
    free(p->fields);
    free(p->errmsg);
    free(p);
}

static char *copy_or_null(const char *s, int *oom)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    else
        *oom = 1;
    return d;
}

void cw_admin_answer(cw_admin_pending *p, int rc, const char *fields, const char *errmsg)
{
    if (!p) return;
    if (p->s && p->s->admin->current == p->s && !p->answered) {
        /* Inside the deferring handler: do_command writes it on return. */
        int oom = 0;
        p->answered = 1;
        p->rc = rc;
        p->fields = copy_or_null(fields, &oom);
        p->errmsg = copy_or_null(errmsg, &oom);
        if (oom) {
            p->rc = CW_ENOMEM;
            free(p->fields);
            p->fields = NULL;
        }
        return;
    }
    /* The command ran whether or not its session is still there to hear. */
    admin_audit(p->peer, p->session, p->command, p->args, rc, errmsg);
    admin_session *s = p->s;
    if (s) {
        cw_strbuf reply = CW_STRBUF_INIT;
        admin_answer_line(&reply, rc, errmsg, fields, fields ? strlen(fields) : 0);
        s->pending = NULL;
        if (reply.len) admin_session_send(s, reply.data, reply.len);
        cw_strbuf_free(&reply);
        admin_pending_free(p);
        admin_session_resume(s);
        return;
    }
    admin_pending_free(p);
}
