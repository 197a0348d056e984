/* internal.h — structures shared by the files of core/io/admin only:
 * admin.c (listener, sessions, auth, the line protocol) and admin_reply.c
 * (building answer lines, deferred answers). Loop thread only. */
#ifndef CW_IO_ADMIN_INTERNAL_H
#define CW_IO_ADMIN_INTERNAL_H

#include "core/io/admin/admin.h"

#include <netinet/in.h>
#include <stddef.h>

enum { S_OPEN, S_CLOSING, S_LINGER };

typedef struct admin_cmd {
    char *name;
    char *help;
    cw_admin_fn fn;
    void *ud;
} admin_cmd;

typedef struct admin_session {
    cw_admin *admin;
    struct bufferevent *bev;
    struct admin_session *prev, *next;
    char peer[INET6_ADDRSTRLEN + 16];
    uint64_t id; /* the console session number (audit lines), from 1 */
    int state;
    int authed;
    int peer_eof;
    /* A command whose answer comes later: no further line is read until it
     * is answered, so answers keep the order of the commands. */
    cw_admin_pending *pending;
} admin_session;

struct cw_admin {
    struct event_base *base;
    struct evconnlistener *lis;
    struct cw_listen_guard *guard; /* accept back-off (core/io/listen) */
    char *token;
    size_t token_len;
    int port;
    int idle_ms;
    admin_cmd *cmds;
    int ncmds, capcmds;
    admin_session *sessions;
    int nsessions;
    admin_session *current; /* the session whose command handler is running */
    uint64_t failed_total;
    uint64_t sessions_opened; /* numbers the sessions */
    /* Ring of the last CW_ADMIN_AUTH_FAILS failure times (monotonic ns). */
    uint64_t fail_ns[CW_ADMIN_AUTH_FAILS];
    int nfail, fail_head;
    uint64_t locked_until_ns; /* 0 = not locked */
};

struct cw_admin_pending {
    admin_session *s; /* NULL once the session is gone */
    /* For the audit line written with the answer, even when the session is gone. */
    char command[64];
    char peer[INET6_ADDRSTRLEN + 16];
    uint64_t session;
    char *args; /* owned; NULL = none */
    /* Answered while its own handler still ran (e.g. a callback that came
     * at once): kept here and written when the handler returns. */
    int answered, rc;
    char *fields, *errmsg; /* owned; NULL = none */
};

/* admin_reply.c — each answer is one line; building never fails half-way:
 * on ENOMEM the line is replaced by a fixed one. */
void admin_reply_commit(cw_strbuf *reply, cw_strbuf *line, int rc);
/* Appends s to out as a person should read it in a log or an answer:
 * valid UTF-8 is kept, except bidi controls and line separators, written
 * as the text \uXXXX; a byte that is not valid UTF-8 becomes the text \xNN.
 * 0 or CW_ENOMEM. */
int admin_readable(cw_strbuf *out, const char *s);
/* Appends `"error":{"code":…,"message":…}` to line (the message made
 * readable: it may quote what the operator typed). */
int admin_error_member(cw_strbuf *line, const char *code, const char *msg);
void admin_reply_error(cw_strbuf *reply, const char *code, const char *msg);
void admin_reply_ok(cw_strbuf *reply);
/* The answer line of a command: hrc >= 0 → {"ok":true,fields}; else
 * {"ok":false,"error":{cw_err_name(hrc), errmsg},fields}. */
void admin_answer_line(cw_strbuf *reply, int hrc, const char *errmsg, const char *fields,
                       size_t flen);

/* The audit line of one command (admin_reply.c): peer, session, the
 * command and its arguments (words joined by spaces), and the outcome. */
void admin_audit(const char *peer, uint64_t session, const char *command, const char *args, int rc,
                 const char *errmsg);
/* Frees a pending answer that was never given (a handler that failed after
 * deferring). */
void admin_pending_free(cw_admin_pending *p);

/* admin.c */
void admin_session_send(admin_session *s, const char *p, size_t n);
/* After a deferred answer went out: reads the lines that waited, or closes. */
void admin_session_resume(admin_session *s);

#endif
