/* ctl_admin.c — `chaosctl COMMAND …` (the console commands of
 * ctl_commands.c) and `chaosctl raw …`: one request to the admin console of
 * a running chaosd (core/io/admin/admin.h), over a plain blocking-style
 * socket with one overall deadline. No libevent here.
 *
 * Exit codes (ctl.h): 0 the answer says "ok":true; 1 it says false, or the
 * server is unreachable, times out or answers garbage; 2 bad usage or input. */
#include <stdio.h> /* before ctl.h, which names FILE */

#include "tools/chaosctl/ctl.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ADDR "127.0.0.1:7778"
#define DEFAULT_TOKEN_FILE "var/admin.token"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_LINE 4096         /* the console's request line limit */
#define MAX_ANSWER (1u << 20) /* we refuse answers longer than this */

typedef struct ctl_opts {
    const char *addr;
    const char *token;
    const char *token_file;
    int json;
    int timeout_ms;
    int help;
    const char *cmd;
    char **args; /* after cmd */
    int nargs;
} ctl_opts;

typedef struct ctl_conn {
    int fd;
    int64_t deadline_ms;
    const char *addr;
    char *buf; /* bytes read and not yet returned as a line */
    size_t len, cap;
} ctl_conn;

void ctl_admin_usage(FILE *out)
{
    fputs("Admin console (a running chaosd):\n", out);
    ctl_commands_usage(out);
    fputs("  chaosctl raw COMMAND [ARGS...]              one console line, e.g. `chaosctl raw "
          "help`\n"
          "Admin options (before or after the command):\n"
          "  --admin HOST:PORT   console address (env CHAOS_ADMIN_ADDR; default " DEFAULT_ADDR ")\n"
          "  --token TOKEN       console token (visible to ps: prefer the env or a file)\n"
          "  --token-file FILE   read the token from FILE (default " DEFAULT_TOKEN_FILE ")\n"
          "                      first found wins: --token, --token-file, CHAOS_ADMIN_TOKEN,\n"
          "                      " DEFAULT_TOKEN_FILE "\n"
          "  --json              print the server's JSON answer unchanged\n"
          "  --timeout-ms N      give up after N milliseconds (default 30000)\n"
          "Exit status: 0 ok, 1 the command failed or the server is unreachable, 2 usage.\n",
          out);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("chaosctl: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(see chaosctl --help)\n", stderr);
    return 2;
}

/* ---------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------- */

/* Matches `--name VALUE` or `--name=VALUE`; advances *i past the value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') return 0;
    if (*i + 1 >= argc) {
        *val = NULL;
        return 1;
    }
    *val = argv[++*i];
    return 1;
}

/* argv[0] is normally the command, but options may come first too, so every
 * word is scanned; the first non-option word is the command. `--` ends the
 * options (for words that start with dashes); "-5" is a word. */
static int parse_opts(int argc, char **argv, ctl_opts *o, char **pos)
{
    int npos = 0, only_pos = 0;
    const char *v;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        /* A negative number (a coordinate) is a word, not an option. */
        if (only_pos || a[0] != '-' || a[1] == '\0' || (a[1] >= '0' && a[1] <= '9')) {
            pos[npos++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_pos = 1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = 1;
        } else if (opt_value(argc, argv, &i, "--admin", &v)) {
            if (!v || !*v) return usage_error("%s needs HOST:PORT", "--admin");
            o->addr = v;
        } else if (opt_value(argc, argv, &i, "--token-file", &v)) {
            if (!v || !*v) return usage_error("%s needs a file name", "--token-file");
            o->token_file = v;
        } else if (opt_value(argc, argv, &i, "--token", &v)) {
            if (!v || !*v) return usage_error("%s needs a value", "--token");
            o->token = v;
        } else if (opt_value(argc, argv, &i, "--timeout-ms", &v)) {
            char *end;
            errno = 0;
            long ms = v ? strtol(v, &end, 10) : 0;
            if (!v || !*v || *end || errno || ms <= 0 || ms > INT_MAX)
                return usage_error("--timeout-ms needs a positive number of milliseconds, not "
                                   "\"%s\"",
                                   v ? v : "");
            o->timeout_ms = (int)ms;
        } else {
            return usage_error("unknown option %s", a);
        }
    }
    if (npos > 0) {
        o->cmd = pos[0];
        o->args = pos + 1;
        o->nargs = npos - 1;
    }
    return 0;
}

/* Splits HOST:PORT or [V6]:PORT. host is written into hbuf. */
static int split_addr(const char *addr, char *hbuf, size_t hcap, const char **port)
{
    const char *colon;
    const char *h = addr;
    size_t hl;
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':') return -1;
        h = addr + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon) return -1;
        hl = (size_t)(colon - addr);
    }
    if (hl == 0 || hl >= hcap) return -1;
    memcpy(hbuf, h, hl);
    hbuf[hl] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p <= 0 || p > 65535) return -1;
    *port = colon + 1;
    return 0;
}

/* Reads the first line of path into out (trimmed). Returns 0, or -1 with
 * errno set. */
static int read_token_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(out, (int)cap, f)) out[0] = '\0';
    fclose(f);
    size_t n = strcspn(out, "\r\n");
    out[n] = '\0';
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    size_t skip = strspn(out, " \t");
    memmove(out, out + skip, n - skip + 1);
    return 0;
}

/* Finds the token: --token, --token-file, CHAOS_ADMIN_TOKEN, default file. */
static int resolve_token(const ctl_opts *o, char *out, size_t cap)
{
    const char *env = getenv("CHAOS_ADMIN_TOKEN");
    if (o->token) {
        snprintf(out, cap, "%s", o->token);
    } else if (o->token_file || !(env && *env)) {
        const char *path = o->token_file ? o->token_file : DEFAULT_TOKEN_FILE;
        if (read_token_file(path, out, cap) != 0) {
            fprintf(stderr,
                    "chaosctl: cannot read the admin token from %s: %s\n"
                    "(pass --token or --token-file, or set CHAOS_ADMIN_TOKEN)\n",
                    path, strerror(errno));
            return 2;
        }
        if (!out[0]) {
            fprintf(stderr, "chaosctl: the token file %s is empty\n", path);
            return 2;
        }
    } else {
        snprintf(out, cap, "%s", env);
    }
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if (*p < 0x21 || *p == 0x7f) {
            fputs("chaosctl: the admin token must not contain spaces or control characters\n",
                  stderr);
            return 2;
        }
    return 0;
}

/* ---------------------------------------------------------------------------
 * The connection: non-blocking socket, every wait bounded by one deadline.
 * ------------------------------------------------------------------------- */

static int wait_fd(ctl_conn *c, short events)
{
    for (;;) {
        int64_t left = c->deadline_ms - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {c->fd, events, 0};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static int ctl_connect(ctl_conn *c, const char *addr)
{
    char host[256];
    const char *port;
    if (split_addr(addr, host, sizeof host, &port) != 0) {
        fprintf(stderr, "chaosctl: bad admin address \"%s\" (want HOST:PORT)\n", addr);
        return 2;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "cannot connect to %s: %s\n", addr, gai_strerror(gai));
        return 1;
    }
    int err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        c->fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (c->fd < 0) {
            err = errno;
            continue;
        }
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS && wait_fd(c, POLLOUT) == 0) {
            socklen_t len = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) break;
        } else {
            err = errno;
        }
        close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        fprintf(stderr, "cannot connect to %s: %s\n", addr, strerror(err));
        return 1;
    }
    return 0;
}

static int ctl_send(ctl_conn *c, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(c, POLLOUT) != 0) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Returns a malloc'd line without its terminator, or NULL (errno set; 0 at
 * EOF). */
static char *ctl_read_line(ctl_conn *c)
{
    for (;;) {
        char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            char *line = malloc(n + 1);
            if (!line) return NULL;
            memcpy(line, c->buf, n);
            line[n] = '\0';
            if (n && line[n - 1] == '\r') line[n - 1] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return line;
        }
        if (c->len >= MAX_ANSWER) {
            errno = EMSGSIZE;
            return NULL;
        }
        if (c->cap - c->len < 4096) {
            size_t cap = c->cap ? c->cap * 2 : 8192;
            char *b = realloc(c->buf, cap);
            if (!b) return NULL;
            c->buf = b;
            c->cap = cap;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r > 0) {
            c->len += (size_t)r;
        } else if (r == 0) {
            errno = 0;
            return NULL;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (wait_fd(c, POLLIN) != 0) return NULL;
        } else {
            return NULL;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------- */

static void print_scalar(FILE *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        fputs(json_string_value(v), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(out, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    case JSON_NULL:
        fputs("null", out);
        break;
    default: {
        char *s = json_dumps(v, JSON_COMPACT);
        fputs(s ? s : "?", out);
        free(s);
    }
    }
}

static int is_scalar(json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

/* One array element on its own line: strings as they are, file/line/message
 * objects (reload errors) as `file:line: message`, name/help pairs (help) as
 * two columns, other objects as `k: v, k: v`. */
static void print_item(FILE *out, json_t *v, const char *indent)
{
    fputs(indent, out);
    json_t *file = json_object_get(v, "file"), *msg = json_object_get(v, "message");
    json_t *name = json_object_get(v, "name"), *help = json_object_get(v, "help");
    if (is_scalar(v)) {
        print_scalar(out, v);
    } else if (json_is_string(file) && json_is_string(msg)) {
        json_t *line = json_object_get(v, "line");
        fputs(json_string_value(file), out);
        if (json_is_integer(line)) fprintf(out, ":%" JSON_INTEGER_FORMAT, json_integer_value(line));
        fprintf(out, ": %s", json_string_value(msg));
    } else if (json_is_string(name) && json_is_string(help) && json_object_size(v) == 2) {
        fprintf(out, "%-14s %s", json_string_value(name), json_string_value(help));
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        int first = 1;
        json_object_foreach(v, k, e)
        {
            fprintf(out, "%s%s: ", first ? "" : ", ", k);
            print_scalar(out, e);
            first = 0;
        }
    } else {
        print_scalar(out, v);
    }
    fputc('\n', out);
}

/* `key: value` lines; nested objects flatten to dotted keys; arrays print
 * `key:` then one indented line per element. */
static void print_fields(FILE *out, json_t *obj, const char *prefix, const char *skip1,
                         const char *skip2)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!*prefix && ((skip1 && strcmp(k, skip1) == 0) || (skip2 && strcmp(k, skip2) == 0)))
            continue;
        if (json_is_object(v) && json_object_size(v) > 0) {
            size_t n = strlen(prefix) + strlen(k) + 2;
            char *p = malloc(n);
            if (!p) continue;
            snprintf(p, n, "%s%s.", prefix, k);
            print_fields(out, v, p, NULL, NULL);
            free(p);
        } else if (json_is_array(v)) {
            fprintf(out, "%s%s:%s\n", prefix, k, json_array_size(v) ? "" : " (none)");
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) print_item(out, e, "  ");
        } else {
            fprintf(out, "%s%s: ", prefix, k);
            print_scalar(out, v);
            fputc('\n', out);
        }
    }
}

static void print_errors(json_t *list)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) print_item(stderr, e, "  ");
}

/* Prints an answer; returns the exit code it means. */
static int report(const ctl_opts *o, const char *line)
{
    json_error_t jerr;
    json_t *root = json_loads(line, 0, &jerr);
    if (!root || !json_is_object(root) || !json_is_boolean(json_object_get(root, "ok"))) {
        fprintf(stderr, "chaosctl: malformed answer from %s: %s\n", o->addr,
                root ? "no \"ok\" member" : jerr.text);
        json_decref(root);
        return 1;
    }
    int ok = json_is_true(json_object_get(root, "ok"));
    if (o->json) {
        puts(line);
    } else if (ok) {
        if (json_object_size(root) == 1)
            puts("ok");
        else
            print_fields(stdout, root, "", "ok", NULL);
    } else {
        json_t *err = json_object_get(root, "error");
        json_t *code = json_object_get(err, "code"), *msg = json_object_get(err, "message");
        fprintf(stderr, "error [%s]: %s\n", json_is_string(code) ? json_string_value(code) : "?",
                json_is_string(msg) ? json_string_value(msg) : "?");
        /* Reload failures list one error per entry; print each on its line. */
        json_t *list = json_object_get(root, "errors");
        if (!json_is_array(list)) list = json_object_get(err, "errors");
        print_errors(list);
        json_t *rest = json_deep_copy(root);
        if (rest) {
            json_object_del(rest, "ok");
            json_object_del(rest, "error");
            json_object_del(rest, "errors");
            print_fields(stderr, rest, "", NULL, NULL);
            json_decref(rest);
        }
    }
    json_decref(root);
    return ok ? 0 : 1;
}

/* ---------------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------------- */

/* The request line: the command (or, for raw, its words), then the args. */
static int build_line(const ctl_opts *o, char *out, size_t cap)
{
    int raw = strcmp(o->cmd, "raw") == 0;
    const ctl_command *known = raw ? NULL : ctl_command_find(o->cmd);
    if (!raw && !known) return usage_error("unknown admin command \"%s\"", o->cmd);
    if (known && ctl_command_check(known, o->nargs) != 0) return 2;
    if (raw && o->nargs == 0)
        return usage_error("%s needs a console line, e.g. `chaosctl raw help`", "raw");
    size_t n = 0;
    out[0] = '\0';
    for (int i = raw ? 0 : -1; i < o->nargs; i++) {
        const char *w = i < 0 ? o->cmd : o->args[i];
        for (const char *p = w; *p; p++)
            if (*p == '\n' || *p == '\r')
                return usage_error("%s", "console lines cannot contain line breaks");
        int k = snprintf(out + n, cap - n, "%s%s", n ? " " : "", w);
        if (k < 0 || (size_t)k >= cap - n)
            return usage_error("the console line is longer than %s bytes", "4096");
        n += (size_t)k;
    }
    if (n + 1 >= cap) return usage_error("the console line is longer than %s bytes", "4096");
    out[n++] = '\n';
    out[n] = '\0';
    return 0;
}

static int answer_ok(const char *line)
{
    json_t *root = json_loads(line, 0, NULL);
    int ok = json_is_true(json_object_get(root, "ok"));
    json_decref(root);
    return ok;
}

/* Reads one answer; on failure prints why and returns NULL. */
static char *read_answer(ctl_conn *c)
{
    char *line = ctl_read_line(c);
    if (line) return line;
    if (errno == 0)
        fprintf(stderr, "chaosctl: %s closed the connection without an answer\n", c->addr);
    else if (errno == ETIMEDOUT)
        fprintf(stderr, "chaosctl: no answer from %s in time\n", c->addr);
    else
        fprintf(stderr, "chaosctl: reading from %s: %s\n", c->addr, strerror(errno));
    return NULL;
}

int ctl_admin_main(int argc, char **argv)
{
    ctl_opts o = {0};
    o.timeout_ms = DEFAULT_TIMEOUT_MS;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) {
        fputs("chaosctl: out of memory\n", stderr);
        return 1;
    }
    int rc = parse_opts(argc, argv, &o, pos);
    if (rc == 0 && o.help) {
        const ctl_command *known = o.cmd ? ctl_command_find(o.cmd) : NULL;
        if (known)
            ctl_command_usage(stdout, known);
        else
            ctl_admin_usage(stdout);
        free(pos);
        return 0;
    }
    if (rc == 0 && !o.cmd) rc = usage_error("%s", "missing admin command (see chaosctl --help)");
    char line[MAX_LINE + 2];
    if (rc == 0) rc = build_line(&o, line, sizeof line);
    if (!o.addr) {
        const char *env = getenv("CHAOS_ADMIN_ADDR");
        o.addr = env && *env ? env : DEFAULT_ADDR;
    }
    char token[MAX_LINE];
    if (rc == 0) rc = resolve_token(&o, token, sizeof token);
    if (rc != 0) {
        free(pos);
        return rc;
    }

    ctl_conn c = {.fd = -1, .deadline_ms = now_ms() + o.timeout_ms, .addr = o.addr};
    rc = ctl_connect(&c, o.addr);
    char *auth = NULL, *answer = NULL;
    if (rc == 0) {
        char req[MAX_LINE + 8];
        snprintf(req, sizeof req, "auth %s\n", token);
        if (ctl_send(&c, req, strlen(req)) != 0) {
            fprintf(stderr, "chaosctl: writing to %s: %s\n", o.addr, strerror(errno));
            rc = 1;
        } else if (!(auth = read_answer(&c))) {
            rc = 1;
        }
    }
    /* A refused auth is reported like any failed answer. */
    if (rc == 0 && !answer_ok(auth)) {
        rc = report(&o, auth);
        rc = rc ? rc : 1;
    } else if (rc == 0) {
        if (ctl_send(&c, line, strlen(line)) != 0) {
            fprintf(stderr, "chaosctl: writing to %s: %s\n", o.addr, strerror(errno));
            rc = 1;
        } else if (!(answer = read_answer(&c))) {
            rc = 1;
        } else {
            rc = report(&o, answer);
        }
    }
    if (c.fd >= 0) close(c.fd);
    free(c.buf);
    free(auth);
    free(answer);
    free(pos);
    volatile char *t = token;
    for (size_t i = 0; i < sizeof token; i++)
        t[i] = 0;
    return rc;
}
