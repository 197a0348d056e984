/* net.c — one TCP connection to chaosd: connect with a timeout, frames out
 * (4-byte big-endian length + JSON), frames in (buffered, split or joined
 * reads), and the --record file (one JSON line per frame:
 * {"dir":"out"|"in","t":seconds,"frame":…}). */
#include "tools/chaos-client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t cc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double cc_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cc_net_init(cc_net *n, const char *host, int port)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
}

static void record(cc_net *n, const char *dir, const char *json, size_t len)
{
    if (!n->record) return;
    json_error_t je;
    json_t *v = json_loadb(json, len, 0, &je);
    fprintf(n->record, "{\"dir\":\"%s\",\"t\":%.6f,\"frame\":", dir, cc_wall());
    if (v) {
        json_dumpf(v, n->record, JSON_COMPACT);
        json_decref(v);
    } else { /* not JSON: kept as a string */
        json_t *s = json_stringn_nocheck(json, len);
        json_dumpf(s, n->record, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(s);
    }
    fputs("}\n", n->record);
    fflush(n->record);
}

int cc_net_connect(cc_net *n, char *errbuf, size_t errlen)
{
    cc_net_close(n);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", n->port);
    int rc = getaddrinfo(n->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(errbuf, errlen, "%s: %s", n->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(errbuf, errlen, "no address");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 5000) == 1) {
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                errno = soerr;
                r = soerr ? -1 : 0;
            } else {
                errno = ETIMEDOUT;
            }
        }
        if (r == 0) break;
        snprintf(errbuf, errlen, "connect %s:%d: %s", n->host, n->port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    n->fd = fd;
    n->in_len = 0;
    return 0;
}

void cc_net_close(cc_net *n)
{
    if (n->fd >= 0) close(n->fd);
    n->fd = -1;
    n->in_len = 0;
}

int cc_net_send(cc_net *n, const char *json, size_t len)
{
    if (n->fd < 0) return -1;
    unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8), (unsigned char)len};
    const unsigned char *parts[2] = {hdr, (const unsigned char *)json};
    size_t lens[2] = {4, len};
    for (int i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < lens[i]) {
            ssize_t w = send(n->fd, parts[i] + off, lens[i] - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                struct pollfd p = {.fd = n->fd, .events = POLLOUT};
                if (poll(&p, 1, 5000) <= 0) return -1;
            } else {
                return -1;
            }
        }
    }
    record(n, "out", json, len);
    return 0;
}

int cc_net_read(cc_net *n, char *errbuf, size_t errlen)
{
    if (n->fd < 0) {
        snprintf(errbuf, errlen, "not connected");
        return -1;
    }
    for (;;) {
        if (n->in_cap - n->in_len < 65536) {
            size_t cap = n->in_cap ? n->in_cap * 2 : 131072;
            unsigned char *p = realloc(n->in, cap);
            if (!p) {
                snprintf(errbuf, errlen, "out of memory");
                return -1;
            }
            n->in = p;
            n->in_cap = cap;
        }
        ssize_t r = recv(n->fd, n->in + n->in_len, n->in_cap - n->in_len, 0);
        if (r > 0) {
            n->in_len += (size_t)r;
            continue;
        }
        if (r == 0) {
            snprintf(errbuf, errlen, "the server closed the connection");
            return -1;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno == EINTR) continue;
        snprintf(errbuf, errlen, "read: %s", strerror(errno));
        return -1;
    }
}

json_t *cc_net_next(cc_net *n, int *bad)
{
    *bad = 0;
    while (n->in_len >= 4) {
        size_t len = (size_t)n->in[0] << 24 | (size_t)n->in[1] << 16 | (size_t)n->in[2] << 8 |
                     (size_t)n->in[3];
        if (len > CC_MAX_FRAME) { /* a broken stream: drop it all */
            *bad = 1;
            n->in_len = 0;
            return NULL;
        }
        if (n->in_len < 4 + len) return NULL;
        const char *p = (const char *)n->in + 4;
        record(n, "in", p, len);
        json_error_t je;
        json_t *v = json_loadb(p, len, 0, &je);
        memmove(n->in, n->in + 4 + len, n->in_len - 4 - len);
        n->in_len -= 4 + len;
        if (json_is_object(v)) return v;
        json_decref(v);
        *bad = 1;
    }
    return NULL;
}

void cc_net_free(cc_net *n)
{
    cc_net_close(n);
    free(n->in);
    n->in = NULL;
    if (n->record) fclose(n->record);
    n->record = NULL;
}
