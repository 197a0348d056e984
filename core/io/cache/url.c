/* url.c — redis://[[user]:password@]host[:port][/db]. Nothing else is accepted:
 * a URL we do not understand is a configuration error, said clearly at start. */
#include "core/io/cache/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Parses a decimal integer in [lo, hi] from s[0..n). */
static int parse_int(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_userinfo(const char *s, size_t n, cw_cache_url *out, cw_error *err)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return cw_error_set(err, CW_EINVAL,
                            "redis url: credentials must be user:password or :password");
    size_t ulen = (size_t)(colon - s);
    if (ulen > 0) {
        out->user = dup_range(s, ulen);
        if (!out->user) return cw_error_set(err, CW_ENOMEM, "out of memory");
    }
    out->password = dup_range(colon + 1, n - ulen - 1);
    if (!out->password) return cw_error_set(err, CW_ENOMEM, "out of memory");
    return 0;
}

static int parse_hostport(const char *s, size_t n, cw_cache_url *out, cw_error *err)
{
    const char *host = s, *port = NULL;
    size_t hlen;
    if (n > 0 && s[0] == '[') { /* [v6]:port */
        const char *close = memchr(s, ']', n);
        if (!close) return cw_error_set(err, CW_EINVAL, "redis url: unterminated '[' in host");
        host = s + 1;
        hlen = (size_t)(close - host);
        const char *rest = close + 1;
        if (rest < s + n) {
            if (*rest != ':') return cw_error_set(err, CW_EINVAL, "redis url: junk after ']'");
            port = rest + 1;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        if (colon) port = colon + 1;
    }
    if (hlen == 0) return cw_error_set(err, CW_EINVAL, "redis url: missing host");
    if (hlen >= sizeof out->host) return cw_error_set(err, CW_EINVAL, "redis url: host too long");
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    out->port = 6379;
    if (port && parse_int(port, (size_t)(s + n - port), 1, 65535, &out->port) != 0)
        return cw_error_set(err, CW_EINVAL, "redis url: port must be 1..65535");
    return 0;
}

int cw_cache_url_parse(const char *url, cw_cache_url *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url) return cw_error_set(err, CW_EINVAL, "redis url: empty");
    static const char scheme[] = "redis://";
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        const char *sep = strstr(url, "://");
        if (sep)
            return cw_error_set(err, CW_EINVAL,
                                "redis url: unsupported scheme '%.*s' (only redis:// is supported)",
                                (int)(sep - url > 32 ? 32 : sep - url), url);
        return cw_error_set(err, CW_EINVAL, "redis url: expected redis://host[:port][/db]");
    }
    const char *p = url + sizeof scheme - 1;
    if (strpbrk(p, "?#"))
        return cw_error_set(err, CW_EINVAL, "redis url: query and fragment are not supported");
    const char *slash = strchr(p, '/');
    size_t alen = slash ? (size_t)(slash - p) : strlen(p);

    /* The last '@' ends the credentials: a password may itself contain '@'. */
    const char *at = NULL;
    for (const char *q = p; q < p + alen; q++)
        if (*q == '@') at = q;
    int rc = 0;
    if (at) {
        rc = parse_userinfo(p, (size_t)(at - p), out, err);
        if (rc == 0) rc = parse_hostport(at + 1, (size_t)(p + alen - at - 1), out, err);
    } else {
        rc = parse_hostport(p, alen, out, err);
    }
    if (rc == 0 && slash && slash[1] != '\0' &&
        parse_int(slash + 1, strlen(slash + 1), 0, 1000000, &out->db) != 0)
        rc = cw_error_set(err, CW_EINVAL, "redis url: database must be a number (/0, /1, …)");
    if (rc != 0) cw_cache_url_clear(out);
    return rc;
}

void cw_cache_url_clear(cw_cache_url *u)
{
    if (u->password) {
        /* Not a secret store, but do not leave the password lying in freed memory. */
        explicit_bzero(u->password, strlen(u->password));
    }
    free(u->user);
    free(u->password);
    u->user = u->password = NULL;
}
