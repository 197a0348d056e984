/* stats_json.h — the stat engine's JSON interchange format (spec/stats.md),
 * read and written with jansson. Used by `chaosctl stats`, the fuzzer and the
 * CLI tests; core/sim/stats itself does no I/O and knows no JSON.
 *
 * Every loader validates the whole document before touching the engine and
 * names the offending element in err ("input[0].primary[2].bucket: unknown
 * bucket \"FLATT\""). Errors are CW_EINVAL for bad input, CW_ENOMEM otherwise.
 * Nothing here keeps a reference to the json_t it was given. */
#ifndef CW_TOOLS_STATS_JSON_H
#define CW_TOOLS_STATS_JSON_H

#include <jansson.h>

#include "core/sim/stats/stats.h"

/* {"default": RULE, "dimensions": {name: RULE}, "formulas": {name: {"weights": {dim: w},
 * "constant": c}}}; RULE {"use_pipeline": bool, "operator": "SUM", "clamp_default": {"min": n,
 * "max": n}}. Fields a dimension's RULE omits come from the default rule. */
int cw_stats_json_load_registry(cw_stats_registry *reg, const json_t *root, cw_error *err);
/* {"order": [layer, ...], "across_policy": "INTERSECT" | "PRIORITIZED_OVERRIDE"}. */
int cw_stats_json_load_layers(cw_stats_registry *reg, const json_t *root, cw_error *err);
/* An array of subsystem outputs; each becomes the actor's source named by its
 * meta.system (outputs sharing a system are merged into one source). A
 * meta.realm string sets the actor's realm. */
int cw_stats_json_load_input(cw_stats_actor *a, const json_t *root, cw_error *err);
/* The snapshot as one line of JSON {"primary", "derived", "caps_used", "context", "version"}:
 * names sorted, numbers in the shortest form that reads back exactly, unbounded
 * bounds as null. malloc'd (free() it); NULL on allocation failure. */
char *cw_stats_json_snapshot_text(const cw_stats_registry *reg, const cw_stats_snapshot *s);

/* The whole CLI path: parse the texts (layers may be NULL), resolve a fresh
 * actor (realm may be NULL) and return the snapshot as a malloc'd JSON
 * string in *out (free() it). */
int cw_stats_json_resolve_text(const char *registry, size_t registry_len, const char *layers,
                               size_t layers_len, const char *input, size_t input_len,
                               const char *realm, char **out, cw_error *err);

#endif
