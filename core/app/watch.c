/* watch.c — a cheap fingerprint of the scripts and content trees (paths,
 * sizes, modification times) polled to trigger hot reload on save. */
#include "core/app/server.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Order-independent (sum of per-file hashes) so readdir order does not matter. */
static uint64_t tree(const char *dir, int depth)
{
    uint64_t sum = 0;
    DIR *d = depth < 16 ? opendir(dir) : NULL;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            sum += tree(p, depth + 1);
            continue;
        }
        size_t n = strlen(p);
        if (n < 4 || strcmp(p + n - 4, ".lua") != 0) continue;
        uint64_t h = hash_str(p);
        h = mix(h, (uint64_t)st.st_size);
        h = mix(h, (uint64_t)st.st_mtim.tv_sec);
        h = mix(h, (uint64_t)st.st_mtim.tv_nsec);
        sum += h;
    }
    closedir(d);
    return sum;
}

uint64_t cw_server_tree_signature(const cw_server *s)
{
    return mix(tree(s->cfg.lua_scripts_dir, 0), tree(s->cfg.lua_content_dir, 0));
}
