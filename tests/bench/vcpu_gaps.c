/* vcpu_gaps.c — how long does this core go without running us?
 *
 *   taskset -c CORE build-rel/bin/vcpu_gaps [SECONDS] [THRESHOLD_US]
 *
 * Spins reading CLOCK_MONOTONIC for SECONDS (default 20) and reports every
 * gap between two consecutive reads longer than THRESHOLD_US (default 1000):
 * time in which this thread did not run although it never blocked — the
 * kernel ran something else on the core, or (on a VM) the hypervisor did not
 * run the virtual CPU. Run it on an idle core: any such gap is a delay no
 * server on that core can avoid, and it lands in every latency percentile it
 * overlaps (docs/performance.md, "Capacity round 4"). Prints one JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 20.0;
    double threshold_us = argc > 2 ? atof(argv[2]) : 1000.0;
    if (seconds <= 0 || seconds > 3600 || threshold_us <= 0) {
        fprintf(stderr, "usage: vcpu_gaps [SECONDS (0..3600]] [THRESHOLD_US > 0]\n");
        return 2;
    }
    uint64_t threshold = (uint64_t)(threshold_us * 1000.0);
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    uint64_t prev = start, gaps = 0, lost = 0, max = 0;
    uint64_t over[4] = {0}; /* > 1, 2, 5, 10 ms */
    static const uint64_t edge[4] = {1000000u, 2000000u, 5000000u, 10000000u};
    for (;;) {
        uint64_t t = now_ns();
        uint64_t d = t - prev;
        if (d > threshold) {
            gaps++;
            lost += d;
            if (d > max) max = d;
            for (int i = 0; i < 4; i++)
                if (d > edge[i]) over[i]++;
        }
        prev = t;
        if (t >= end) break;
    }
    printf("{\"seconds\":%.1f,\"threshold_us\":%.0f,\"gaps\":%llu,\"lost_ms\":%.2f,\"max_ms\":%.3f,"
           "\"over_1ms\":%llu,\"over_2ms\":%llu,\"over_5ms\":%llu,\"over_10ms\":%llu}\n",
           seconds, threshold_us, (unsigned long long)gaps, (double)lost / 1e6, (double)max / 1e6,
           (unsigned long long)over[0], (unsigned long long)over[1], (unsigned long long)over[2],
           (unsigned long long)over[3]);
    return 0;
}
