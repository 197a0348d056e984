/* bench_login.c — Argon2id cost of accounts: hashes (register) and
 * verifications (login) per second on one core, at the configured cost
 * (defaults auth.opslimit=2, auth.memlimit_kib=19456), and through the work
 * pool with N threads (what chaosd does). Figures go to
 * docs/performance.md.
 *
 *   bench_login [--ops N] [--mem-kib N] [--seconds S] [--threads N]
 */
#include "core/io/work/work.h"

#include "core/base/clock.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long opslimit = 2;
static size_t memlimit = 19456u * 1024u;
static char stored[crypto_pwhash_STRBYTES];
static const char password[] = "correct horse battery staple";

static double rate(int verify, double seconds)
{
    char out[crypto_pwhash_STRBYTES];
    uint64_t t0 = cw_now_ns(), end = t0 + (uint64_t)(seconds * 1e9);
    long n = 0;
    do {
        int rc = verify ? crypto_pwhash_str_verify(stored, password, sizeof password - 1)
                        : crypto_pwhash_str_alg(out, password, sizeof password - 1, opslimit,
                                                memlimit, crypto_pwhash_ALG_ARGON2ID13);
        if (rc != 0) {
            fprintf(stderr, "bench_login: %s failed\n", verify ? "verify" : "hash");
            exit(1);
        }
        n++;
    } while (cw_now_ns() < end);
    return (double)n / ((double)(cw_now_ns() - t0) / 1e9);
}

typedef struct pool_run {
    struct event_base *base;
    long done, target;
} pool_run;

static void verify_job(void *arg)
{
    (void)arg;
    if (crypto_pwhash_str_verify(stored, password, sizeof password - 1) != 0) abort();
}

static void verify_done(void *arg)
{
    pool_run *r = arg;
    if (++r->done == r->target) event_base_loopbreak(r->base);
}

static void keepalive(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static double pool_rate(int threads, long jobs)
{
    pool_run r = {.base = event_base_new(), .target = jobs};
    cw_work *w = cw_work_new(r.base, threads, NULL);
    if (!w) exit(1);
    /* The pool's wake-up event is only activated, never added: keep the loop
     * from returning for lack of events (chaosd always has its listeners). */
    struct event *tick = event_new(r.base, -1, EV_PERSIST, keepalive, NULL);
    struct timeval tv = {1, 0};
    event_add(tick, &tv);
    uint64_t t0 = cw_now_ns();
    for (long i = 0; i < jobs; i++)
        cw_work_submit(w, verify_job, verify_done, &r);
    event_base_dispatch(r.base);
    double s = (double)(cw_now_ns() - t0) / 1e9;
    cw_work_free(w);
    event_free(tick);
    event_base_free(r.base);
    return (double)jobs / s;
}

int main(int argc, char **argv)
{
    double seconds = 3;
    int threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--ops"))
            opslimit = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--mem-kib"))
            memlimit = (size_t)strtoull(argv[i + 1], NULL, 10) * 1024u;
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    if (sodium_init() < 0) return 1;
    if (crypto_pwhash_str_alg(stored, password, sizeof password - 1, opslimit, memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return 1;
    double h = rate(0, seconds), v = rate(1, seconds);
    long jobs = (long)(v * threads * seconds);
    if (jobs < threads) jobs = threads;
    double p = pool_rate(threads, jobs);
    printf(
        "{\"bench\":\"login\",\"alg\":\"argon2id13\",\"opslimit\":%llu,\"memlimit_kib\":%zu,"
        "\"hash_per_s_core\":%.1f,\"verify_per_s_core\":%.1f,\"hash_ms\":%.2f,\"verify_ms\":%.2f,"
        "\"pool_threads\":%d,\"pool_verify_per_s\":%.1f}\n",
        opslimit, memlimit / 1024, h, v, 1e3 / h, 1e3 / v, threads, p);
    return 0;
}
