/* fuzz_stats_resolve.c — libFuzzer harness: the bytes are an INPUT document
 * for `chaosctl stats resolve`, run through the same parse + resolve path as
 * the CLI (cw_stats_json_resolve_text) against a fixed registry and layers.
 * Any crash, sanitizer report or leak is a bug; errors are expected.
 *
 *   CC=clang cmake -B build-fuzz-stats -DCHAOS_FUZZ=ON
 *   cmake --build build-fuzz-stats --target fuzz_stats_resolve
 *   ./build-fuzz-stats/bin/fuzz_stats_resolve -max_total_time=30 tests/data/stats
 *
 * The JSON interchange code lives in the chaosctl tool, not in a library, so
 * it is compiled into this harness directly (both files). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/chaosctl/stats_json.c"
#include "tools/chaosctl/stats_json_out.c"

static const char registry[] =
    "{\"default\": {\"use_pipeline\": true, \"clamp_default\": {\"min\": -1e6, \"max\": null}},"
    " \"dimensions\": {\"agility\": {\"clamp_default\": {\"min\": 0, \"max\": 9999}},"
    "  \"luck\": {\"use_pipeline\": false, \"operator\": \"MIN\"},"
    "  \"avg\": {\"use_pipeline\": false, \"operator\": \"AVERAGE\"},"
    "  \"prod\": {\"use_pipeline\": false, \"operator\": \"MULTIPLY\"}},"
    " \"formulas\": {\"hp_max\": {\"weights\": {\"vitality\": 10, \"agility\": 2}, \"constant\": "
    "50}}}";

static const char layers[] =
    "{\"order\": [\"REALM\", \"WORLD\", \"EVENT\", \"TOTAL\"], \"across_policy\": "
    "\"PRIORITIZED_OVERRIDE\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL;
    cw_error err;
    /* alternate the realm on the first byte so REALM filtering is exercised */
    const char *realm = size && (data[0] & 1) ? "eu" : NULL;
    int rc = cw_stats_json_resolve_text(registry, sizeof registry - 1, layers, sizeof layers - 1,
                                        (const char *)data, size, realm, &out, &err);
    if (rc == 0) {
        if (!out || out[0] != '{') abort();
        /* the output must itself be valid JSON */
        json_error_t je;
        json_t *j = json_loads(out, 0, &je);
        if (!j) abort();
        json_decref(j);
    } else if (out) {
        abort();
    }
    free(out);
    return 0;
}
