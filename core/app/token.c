/* token.c — the admin token: from config, else read from (or generated into)
 * <var_dir>/admin.token with mode 0600 so only the operator's account can
 * read it. */
#include "core/app/server.h"

#include "core/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_token(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(out, (int)cap, f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n \t")] = '\0';
    return strlen(out) >= 16 ? 0 : -1;
}

int cw_server_admin_token(cw_server *s, cw_error *err)
{
    if (s->cfg.admin_token[0]) {
        if (strlen(s->cfg.admin_token) < 16 || strlen(s->cfg.admin_token) >= sizeof s->admin_token)
            return cw_error_set(err, CW_EINVAL, "admin.token must be 16 to 79 characters");
        snprintf(s->admin_token, sizeof s->admin_token, "%s", s->cfg.admin_token);
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/admin.token", s->cfg.var_dir);
    if (read_token(path, s->admin_token, sizeof s->admin_token) == 0) {
        chmod(path, 0600);
        return 0;
    }
    unsigned char raw[24];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return cw_error_set(err, CW_EIO, "cannot get random bytes: %s", strerror(errno));
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(s->admin_token + 2 * i, 3, "%02x", raw[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return cw_error_set(err, CW_EIO, "cannot write %s: %s", path, strerror(errno));
    fchmod(fd, 0600);
    size_t n = strlen(s->admin_token);
    int ok = write(fd, s->admin_token, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    close(fd);
    if (!ok) return cw_error_set(err, CW_EIO, "cannot write %s", path);
    cw_log(CW_LOG_INFO, "generated admin token", CW_S("path", path), CW_END);
    return 0;
}
