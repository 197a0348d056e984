/* test_admin.c — the admin console over a real loopback socket.
 *
 * Single-threaded: the client socket is non-blocking and each wait pumps the
 * event loop (EVLOOP_NONBLOCK) between reads, so server and client interleave
 * deterministically without a second thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/io/admin/admin.h"

#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOKEN "s3cret-token"
#define WAIT_MS 3000

typedef struct fixture {
    struct event_base *base;
    cw_admin *admin;
    int last_argc;
    char last_arg1[64];
    cw_admin_pending *pending; /* h_later's deferral */
} fixture;

/* ---- handlers ---------------------------------------------------------- */

static int h_echo(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)err;
    fixture *f = ud;
    f->last_argc = argc;
    snprintf(f->last_arg1, sizeof f->last_arg1, "%s", argc > 1 ? argv[1] : "");
    cw_strbuf_printf(out, "\"argc\":%d,\"first\":", argc);
    return cw_strbuf_json_str(out, argc > 1 ? argv[1] : "");
}

static int h_fail(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)ud;
    (void)argc;
    (void)argv;
    cw_strbuf_puts(out, "\"errors\":[\"content/a.lua:3: boom\",\"content/b.lua:9: bang\"]");
    return cw_error_set(err, CW_ESCRIPT, "reload failed: %d errors", 2);
}

static int h_stop(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    fixture *f = ud;
    event_base_loopbreak(f->base); /* what `shutdown` does: the loop ends now */
    return cw_strbuf_puts(out, "\"stopping\":true");
}

static int h_newline(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)ud;
    (void)argc;
    (void)argv;
    (void)err;
    return cw_strbuf_puts(out, "\n\"a\":1,\r\n\"b\":2,\n");
}

/* Answers later: the test gives the answer with cw_admin_answer. */
static int h_later(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argc;
    (void)argv;
    (void)out;
    fixture *f = ud;
    f->pending = cw_admin_defer(f->admin);
    if (!f->pending) return cw_error_set(err, CW_ENOMEM, "cannot defer");
    return CW_ADMIN_DEFERRED;
}

/* Defers, then answers before returning (a callback that came at once). */
static int h_at_once(void *ud, int argc, char **argv, cw_strbuf *out, cw_error *err)
{
    (void)argv;
    (void)out;
    fixture *f = ud;
    cw_admin_pending *p = cw_admin_defer(f->admin);
    if (!p) return cw_error_set(err, CW_ENOMEM, "cannot defer");
    if (argc > 1)
        cw_admin_answer(p, CW_EINVAL, "\"why\":1", "refused at once");
    else
        cw_admin_answer(p, 0, "\"done\":true", NULL);
    return CW_ADMIN_DEFERRED;
}

/* ---- client side ------------------------------------------------------- */

static int client_connect(fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cw_admin_port(f->admin));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void client_send(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Pumps the loop until one whole line is available; returns it without the
 * newline (static buffer per call site is enough for tests). Returns 0 when
 * a line was read, -1 on EOF, -2 on timeout. A byte buffer per fd keeps any
 * following lines for the next call. */
typedef struct client_buf {
    char data[16384];
    size_t len;
} client_buf;

static int client_line(fixture *f, int fd, client_buf *cb, char *out, size_t cap)
{
    uint64_t deadline = cw_now_ns() + (uint64_t)WAIT_MS * 1000000ull;
    for (;;) {
        char *nl = memchr(cb->data, '\n', cb->len);
        if (nl) {
            size_t n = (size_t)(nl - cb->data);
            assert_true(n < cap);
            memcpy(out, cb->data, n);
            out[n] = '\0';
            memmove(cb->data, nl + 1, cb->len - n - 1);
            cb->len -= n + 1;
            return 0;
        }
        if (cw_now_ns() > deadline) return -2;
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 2) <= 0) continue;
        ssize_t r = recv(fd, cb->data + cb->len, sizeof cb->data - cb->len, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) return -1;
        if (r > 0) cb->len += (size_t)r;
    }
}

/* Expects the server to close the connection (no more lines). */
static void expect_closed(fixture *f, int fd, client_buf *cb)
{
    char line[256];
    int rc = client_line(f, fd, cb, line, sizeof line);
    if (rc == 0) fail_msg("expected EOF, got line: %s", line);
    assert_int_equal(rc, -1);
}

static void expect_line(fixture *f, int fd, client_buf *cb, const char *want)
{
    char line[8192];
    assert_int_equal(client_line(f, fd, cb, line, sizeof line), 0);
    assert_string_equal(line, want);
}

static int authed_client(fixture *f, client_buf *cb)
{
    int fd = client_connect(f);
    client_send(fd, "auth " TOKEN "\n");
    expect_line(f, fd, cb, "{\"ok\":true}");
    return fd;
}

/* ---- fixture ----------------------------------------------------------- */

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->base = event_base_new();
    cw_error err = {0, ""};
    f->admin = cw_admin_new(f->base, "127.0.0.1", 0, TOKEN, &err);
    if (!f->admin) {
        fprintf(stderr, "cw_admin_new: %s\n", err.msg);
        return -1;
    }
    assert_int_equal(cw_admin_register(f->admin, "echo", "echo the first argument", h_echo, f), 0);
    assert_int_equal(cw_admin_register(f->admin, "reload", "reload content", h_fail, f), 0);
    assert_int_equal(cw_admin_register(f->admin, "shutdown", "stop the server", h_stop, f), 0);
    assert_int_equal(
        cw_admin_register(f->admin, "nl", "handler output with newlines", h_newline, f), 0);
    assert_int_equal(cw_admin_register(f->admin, "later", "answers later", h_later, f), 0);
    assert_int_equal(cw_admin_register(f->admin, "atonce", "answers in the handler", h_at_once, f),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cw_admin_free(f->admin);
    event_base_free(f->base);
    free(f);
    return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_port_is_bound(void **state)
{
    fixture *f = *state;
    assert_true(cw_admin_port(f->admin) > 0);
}

static void test_no_auth_is_unauthorized_and_closed(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = client_connect(f);
    client_send(fd, "status\n");
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_non_null(strstr(line, "\"code\":\"unauthorized\""));
    expect_closed(f, fd, &cb);
    assert_int_equal(cw_admin_failed_auths(f->admin), 1);
    close(fd);
}

static void test_wrong_tokens_are_unauthorized(void **state)
{
    fixture *f = *state;
    /* Wrong, a prefix of the right one, the right one plus a byte, empty. */
    const char *bad[] = {"auth nope\n", "auth s3cret\n", "auth " TOKEN "x\n", "auth \n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        client_buf cb = {.len = 0};
        int fd = client_connect(f);
        client_send(fd, bad[i]);
        char line[512];
        assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
        assert_non_null(strstr(line, "\"code\":\"unauthorized\""));
        expect_closed(f, fd, &cb);
        close(fd);
    }
    assert_int_equal(cw_admin_failed_auths(f->admin), 4);
}

static void test_failed_auth_logged_with_peer(void **state)
{
    fixture *f = *state;
    FILE *log = tmpfile();
    assert_non_null(log);
    cw_log_setup(CW_LOG_WARN, log);
    client_buf cb = {.len = 0};
    int fd = client_connect(f);
    client_send(fd, "auth nope\n");
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    expect_closed(f, fd, &cb);
    close(fd);
    cw_log_setup(CW_LOG_OFF, NULL);
    char text[4096] = "";
    rewind(log);
    size_t n = fread(text, 1, sizeof text - 1, log);
    text[n] = '\0';
    fclose(log);
    assert_non_null(strstr(text, "\"level\":\"warn\""));
    assert_non_null(strstr(text, "admin auth failed"));
    assert_non_null(strstr(text, "\"peer\":\"127.0.0.1:"));
    assert_null(strstr(text, "nope")); /* the attempted token is never logged */
}

/* The lines of text holding needle. */
static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_commands_audited(void **state)
{
    fixture *f = *state;
    FILE *log = tmpfile();
    assert_non_null(log);
    cw_log_setup(CW_LOG_INFO, log);
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "echo  Ada \t spam  spam\n");
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":4,\"first\":\"Ada\"}");
    client_send(fd, "reload now\n");
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    /* Bytes that are not UTF-8, and a direction override, never reach the log as such. */
    client_send(fd, "echo bad\xffr \xe2\x80\xae"
                    "evil \xe2\x82\n");
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    /* A deferred command is audited once, with its answer. */
    client_send(fd, "later x\x1b[2J\n");
    f->pending = NULL;
    for (int i = 0; i < 50 && !f->pending; i++)
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    assert_non_null(f->pending);
    fflush(log);
    long before_answer = ftell(log);
    cw_admin_answer(f->pending, CW_ENOTFOUND, NULL, "no such thing");
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"code\":\"enotfound\""));
    close(fd);
    cw_log_setup(CW_LOG_OFF, NULL);
    char text[8192] = "";
    rewind(log);
    size_t n = fread(text, 1, sizeof text - 1, log);
    text[n] = '\0';
    fclose(log);
    assert_non_null(strstr(text, "\"msg\":\"admin command\",\"peer\":\"127.0.0.1:"));
    assert_non_null(strstr(text, "\"session\":1,\"command\":\"echo\",\"args\":\"Ada spam "
                                 "spam\",\"ok\":true"));
    assert_non_null(strstr(text, "\"command\":\"reload\",\"args\":\"now\",\"ok\":false,"
                                 "\"error\":\"escript\",\"message\":\"reload failed: 2 errors\""));
    /* The deferred one: written at the answer, control bytes escaped. */
    const char *later = "\"command\":\"later\",\"args\":\"x\\u001b[2J\",\"ok\":false,"
                        "\"error\":\"enotfound\",\"message\":\"no such thing\"";
    char *at = strstr(text, later);
    assert_non_null(at);
    assert_true(at - text >= before_answer);
    assert_non_null(strstr(text, "\"args\":\"bad\\\\xffr \\\\u202eevil \\\\xe2\\\\x82\""));
    assert_null(strstr(text, "\xff"));
    assert_null(strstr(text, "\xe2\x80\xae"));
    assert_int_equal(count_lines_with(text, "\"msg\":\"admin command\""), 4);
    assert_null(strstr(text, TOKEN)); /* auth lines are never logged */
}

/* A deferral answered inside its own handler is an ordinary answer, in
 * order, and the next command gets its own. */
static void test_deferred_answer_inside_the_handler(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "atonce\natonce no\necho next\n");
    expect_line(f, fd, &cb, "{\"ok\":true,\"done\":true}");
    expect_line(f, fd, &cb,
                "{\"ok\":false,\"error\":{\"code\":\"einval\",\"message\":\"refused at "
                "once\"},\"why\":1}");
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":2,\"first\":\"next\"}");
    close(fd);
}

static void test_right_token_then_command_fields(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    assert_int_equal(cw_admin_failed_auths(f->admin), 0);
    client_send(fd, "echo   hello \t world\r\n");
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":3,\"first\":\"hello\"}");
    assert_int_equal(f->last_argc, 3);
    assert_string_equal(f->last_arg1, "hello");
    close(fd);
}

static void test_pipelined_lines_each_get_one_answer(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = client_connect(f);
    client_send(fd, "auth " TOKEN "\n\necho a\necho b\n");
    expect_line(f, fd, &cb, "{\"ok\":true}");
    /* the blank line gets no answer */
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":2,\"first\":\"a\"}");
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":2,\"first\":\"b\"}");
    close(fd);
}

static void test_handler_error(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "reload\n");
    expect_line(f, fd, &cb,
                "{\"ok\":false,\"error\":{\"code\":\"escript\",\"message\":\"reload failed: 2 "
                "errors\"},\"errors\":[\"content/a.lua:3: boom\",\"content/b.lua:9: bang\"]}");
    /* the session stays usable after a failed command */
    client_send(fd, "echo x\n");
    expect_line(f, fd, &cb, "{\"ok\":true,\"argc\":2,\"first\":\"x\"}");
    close(fd);
}

static void test_handler_output_kept_on_one_line(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "nl\n");
    expect_line(f, fd, &cb, "{\"ok\":true,\"a\":1,  \"b\":2}");
    close(fd);
}

static void test_unknown_command(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "frobnicate now\n");
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"ok\":false,\"error\":{\"code\":\"unknown_command\""));
    assert_non_null(strstr(line, "frobnicate"));
    close(fd);
}

static void test_help_lists_commands(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "help\n");
    char line[4096];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    const char *head = "{\"ok\":true,\"commands\":[";
    assert_int_equal(strncmp(line, head, strlen(head)), 0);
    assert_non_null(strstr(line, "{\"name\":\"echo\",\"help\":\"echo the first argument\"}"));
    assert_non_null(strstr(line, "{\"name\":\"reload\",\"help\":\"reload content\"}"));
    assert_non_null(strstr(line, "\"name\":\"help\""));
    assert_non_null(strstr(line, "\"name\":\"quit\""));
    close(fd);
}

static void test_register_rules(void **state)
{
    fixture *f = *state;
    assert_int_equal(cw_admin_register(f->admin, "help", "x", h_echo, f), CW_EINVAL);
    assert_int_equal(cw_admin_register(f->admin, "quit", "x", h_echo, f), CW_EINVAL);
    assert_int_equal(cw_admin_register(f->admin, "two words", "x", h_echo, f), CW_EINVAL);
    assert_int_equal(cw_admin_register(f->admin, "", "x", h_echo, f), CW_EINVAL);
    /* Re-registering replaces: echo now fails like reload. */
    assert_int_equal(cw_admin_register(f->admin, "echo", "now fails", h_fail, f), 0);
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "echo x\n");
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"code\":\"escript\""));
    close(fd);
}

static void test_quit_closes(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    client_send(fd, "quit\n");
    expect_line(f, fd, &cb, "{\"ok\":true}");
    expect_closed(f, fd, &cb);
    close(fd);
}

static void test_overlong_line(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    /* Exactly the limit is fine (an unknown command, but answered). */
    char *ok = malloc(CW_ADMIN_MAX_LINE + 2);
    memset(ok, 'a', CW_ADMIN_MAX_LINE);
    ok[CW_ADMIN_MAX_LINE] = '\n';
    ok[CW_ADMIN_MAX_LINE + 1] = '\0';
    client_send(fd, ok);
    char line[8192];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "unknown_command"));
    free(ok);
    /* One byte more (and no newline yet) is an error and a close. */
    char *big = malloc(CW_ADMIN_MAX_LINE + 10);
    memset(big, 'b', CW_ADMIN_MAX_LINE + 9);
    big[CW_ADMIN_MAX_LINE + 9] = '\0';
    client_send(fd, big);
    free(big);
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"ok\":false,\"error\":{\"code\":\"line_too_long\""));
    expect_closed(f, fd, &cb);
    close(fd);
}

static void test_overlong_line_in_one_chunk(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    char *big = malloc(CW_ADMIN_MAX_LINE + 3);
    memset(big, 'c', CW_ADMIN_MAX_LINE + 1);
    big[CW_ADMIN_MAX_LINE + 1] = '\n';
    big[CW_ADMIN_MAX_LINE + 2] = '\0';
    client_send(fd, big);
    free(big);
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "line_too_long"));
    expect_closed(f, fd, &cb);
    close(fd);
}

static void test_backoff_after_five_failures(void **state)
{
    fixture *f = *state;
    char line[512];
    for (int i = 0; i < CW_ADMIN_AUTH_FAILS; i++) {
        client_buf cb = {.len = 0};
        int fd = client_connect(f);
        client_send(fd, "auth wrong\n");
        assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
        assert_non_null(strstr(line, "unauthorized"));
        expect_closed(f, fd, &cb);
        close(fd);
    }
    assert_int_equal(cw_admin_failed_auths(f->admin), CW_ADMIN_AUTH_FAILS);
    /* Locked: even the right token is refused, without being read. */
    client_buf cb = {.len = 0};
    int fd = client_connect(f);
    client_send(fd, "auth " TOKEN "\n");
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"code\":\"unauthorized\""));
    assert_non_null(strstr(line, "locked"));
    expect_closed(f, fd, &cb);
    close(fd);
}

static void test_idle_timeout(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    cw_admin_set_idle_timeout(f->admin, 50);
    char line[512];
    assert_int_equal(client_line(f, fd, &cb, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"code\":\"idle_timeout\""));
    expect_closed(f, fd, &cb);
    close(fd);
}

/* `shutdown` stops the loop from inside the handler and the app frees the
 * console right away: the answer must still reach the client. */
static void test_answer_survives_loop_stop_and_free(void **state)
{
    fixture *f = *state;
    client_buf cb = {.len = 0};
    int fd = authed_client(f, &cb);
    int other = authed_client(f, &(client_buf){.len = 0}); /* a second open session */
    client_send(fd, "shutdown\n");
    assert_int_equal(event_base_dispatch(f->base), 0);
    assert_int_equal(event_base_got_break(f->base), 1);
    assert_int_equal(cw_admin_sessions(f->admin), 2);
    cw_admin_free(f->admin);
    f->admin = NULL;
    /* No loop any more: read with plain blocking calls. */
    char buf[256];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        assert_true(r >= 0);
        if (r == 0) break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    assert_string_equal(buf, "{\"ok\":true,\"stopping\":true}\n");
    close(fd);
    close(other);
}

static void test_non_loopback_refused(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"0.0.0.0", "192.168.1.10", "::", "example.com", "10.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_error err = {0, ""};
        cw_admin *a = cw_admin_new(f->base, bad[i], 0, TOKEN, &err);
        assert_null(a);
        assert_int_equal(err.code, CW_EINVAL);
        assert_non_null(strstr(err.msg, "loopback"));
        assert_non_null(strstr(err.msg, bad[i]));
    }
    /* Other loopback spellings are fine. */
    const char *good[] = {"localhost", "127.0.0.2"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cw_error err = {0, ""};
        cw_admin *a = cw_admin_new(f->base, good[i], 0, TOKEN, &err);
        if (!a) fail_msg("%s refused: %s", good[i], err.msg);
        cw_admin_free(a);
    }
    cw_error err = {0, ""};
    assert_null(cw_admin_new(f->base, "127.0.0.1", 0, "", &err));
    assert_int_equal(err.code, CW_EINVAL);
}

static void test_port_in_use(void **state)
{
    fixture *f = *state;
    cw_error err = {0, ""};
    cw_admin *a = cw_admin_new(f->base, "127.0.0.1", cw_admin_port(f->admin), TOKEN, &err);
    assert_null(a);
    assert_int_equal(err.code, CW_EIO);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cw_log_setup(CW_LOG_OFF, NULL);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_port_is_bound),
        T(test_no_auth_is_unauthorized_and_closed),
        T(test_wrong_tokens_are_unauthorized),
        T(test_failed_auth_logged_with_peer),
        T(test_commands_audited),
        T(test_deferred_answer_inside_the_handler),
        T(test_right_token_then_command_fields),
        T(test_pipelined_lines_each_get_one_answer),
        T(test_handler_error),
        T(test_handler_output_kept_on_one_line),
        T(test_unknown_command),
        T(test_help_lists_commands),
        T(test_register_rules),
        T(test_quit_closes),
        T(test_overlong_line),
        T(test_overlong_line_in_one_chunk),
        T(test_backoff_after_five_failures),
        T(test_idle_timeout),
        T(test_answer_survives_loop_stop_and_free),
        T(test_non_loopback_refused),
        T(test_port_in_use),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
