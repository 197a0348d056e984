/* internal.h — structures shared by the files of core/script only.
 *
 * Threads: a generation is built either on the loop (first load, offline
 * tools, cw_host_reload) or on the reload worker (cw_host_reload_async). A
 * building generation touches only its own fields and state; the host's
 * config, directories and reserved op names are read-only while it builds.
 * Host counters and metrics are updated on the loop only: a building
 * generation keeps its own tallies, added to the host when it is handed back
 * (cw_host_sync_gen). */
#ifndef CW_SCRIPT_INTERNAL_H
#define CW_SCRIPT_INTERNAL_H

#include "core/base/rng.h"
#include "core/script/host.h"

#include <lua.h>
#include <pthread.h>
#include <stdatomic.h>

typedef struct cw_timer cw_timer;
struct cw_timer {
    int id;
    int ref;         /* the Lua function, in the generation's registry */
    double interval; /* seconds */
    int repeat;
    double due;       /* host clock, offline mode */
    struct event *ev; /* online mode, once live */
    cw_gen *g;
    int firing;
    int cancelled;
    cw_timer *next;
};

typedef struct cw_op_entry {
    char *name;
    int ref;
} cw_op_entry;

struct cw_gen {
    cw_host *host;
    lua_State *L;
    unsigned number;
    int live;
    cw_op_entry *ops;
    int nops, capops;
    cw_timer *timers;
    int next_timer_id;
    uint64_t deadline_ns; /* 0 = no call in progress */
    int budget_ms;        /* of the call in progress, for the message */
    int timed_out;
    int decode_ref, encode_ref;
    int next_hook_id; /* hooks.c */
    cw_rng rng; /* chaos.random: one stream per generation, seeded on the loop */
    /* Memory (the allocator runs on the thread that runs the state). */
    size_t mem_used, mem_cap;
    int mem_enforce;      /* the cap applies only while Lua code runs (inside cw_gen_pcall) */
    int oom;              /* a growth was refused during the call in progress */
    uint64_t mem_refused; /* refusals not yet added to the host's counter */
    atomic_int abandon;   /* set by the loop: a build in progress must stop now */
};

typedef struct cw_reload cw_reload; /* reload.c */

struct cw_host {
    cw_host_config cfg;
    char *scripts_dir, *content_dir;
    cw_gen *live;
    unsigned next_number;
    double offline_clock;
    uint64_t start_ns;
    cw_rng rng; /* seeds each generation's stream */
    pthread_t loop_thread;
    char **reserved;
    int nreserved;
    uint64_t errors;
    char **hook_names; /* hooks.c: names chaos.on accepts */
    int nhook_names;
    cw_reload *reload;
    cw_metric *m_errors, *m_timeouts, *m_reload_ok, *m_reload_failed, *m_generation, *m_memory,
        *m_mem_refused;
};

/* gen.c */
/* A new generation shell (no state yet) numbered h->next_number, its RNG
 * seeded from the host's (loop thread). */
cw_gen *cw_gen_new(cw_host *h);
/* Builds the state and loads scripts/ and content/ into it: may run on any
 * one thread. Returns 0, or CW_ESCRIPT with every error appended to errors. */
int cw_gen_build(cw_gen *g, cw_strbuf *errors);
/* cw_gen_new + cw_gen_build; NULL on failure (the generation is freed). */
cw_gen *cw_gen_load(cw_host *h, cw_strbuf *errors);
void cw_gen_free(cw_gen *g);
/* Protected call of the function below nargs arguments on the stack, under
 * budget_ms. Returns a lua_pcall code; on error the error value (a traceback
 * string or a structured error table) is on the stack. */
int cw_gen_pcall(cw_gen *g, int nargs, int nresults, int budget_ms);
/* For C functions content can reach that may run long (pattern matching):
 * 1 when the call in progress is past its deadline (or its build was
 * abandoned) — g->timed_out is then set and the caller should raise. */
int cw_gen_over_budget(lua_State *L);
/* Appends the first line of the error value on top of the stack to errors. */
void cw_gen_add_error(lua_State *L, cw_strbuf *errors);
/* scripts/a/b.lua → "a.b"; scripts/a/init.lua → "a" (root is the tree). */
void cw_gen_module_name(const char *root, const char *path, char *out, size_t cap);

/* sandbox.c — the environment of content files (docs/content-guide.md). */
/* Once per state, after the libraries and the chaos module are open and
 * before scripts/ load: locks the string metatable and keeps the pieces the
 * content environments are made of. */
int cw_sandbox_prepare(lua_State *L);
/* After scripts/ loaded: the engine modules content may require (names are
 * the module names of every file of scripts/, plus "chaos" and "cjson"). */
void cw_sandbox_engine_modules(lua_State *L, char **names, int n);
/* Runs one content file (path under the content dir) in a fresh sandbox
 * environment, unless a `require` already ran it. Errors ("file:line: …")
 * are appended to errors. */
void cw_sandbox_run_file(cw_gen *g, const char *path, cw_strbuf *errors);
/* The guarded JSON encoder for a cjson module at idx: replaces its encode
 * with one that refuses values too large or too deep to encode before
 * lua-cjson allocates (outside the state's memory cap). */
void cw_sandbox_guard_cjson(lua_State *L, int idx);

/* timers.c */
void cw_timers_activate(cw_gen *g);
void cw_timers_free_all(cw_gen *g);
int cw_timers_advance(cw_host *h, double seconds);

/* hooks.c */
void cw_host_free_hook_names(cw_host *h);

/* Logs a Lua error value sitting at the top of the stack (and pops nothing);
 * counts it in the host's counters (live generations, loop thread). */
void cw_gen_log_error(cw_gen *g, const char *what, const char *name);

/* host.c */
/* Loop thread: adds the generation's tallies to the host's counters and, for
 * the live one, refreshes the memory gauge. */
void cw_host_sync_gen(cw_host *h, cw_gen *g);
/* Loop thread: makes g the live generation (arms its timers, frees the old). */
void cw_host_go_live(cw_host *h, cw_gen *g);
/* Loop thread: swaps a built generation in (numbering, on_swap, the
 * "reloaded" log line with build_ms and swap_ms, counters). */
void cw_host_reload_swap(cw_host *h, cw_gen *g, uint64_t build_ns);
/* Loop thread: counts and logs a refused reload. */
void cw_host_reload_refused(cw_host *h, const char *errors);

/* reload.c */
/* 1 while an asynchronous build runs (or is queued). */
int cw_host_reload_busy(const cw_host *h);
/* Abandons a build in progress, joins its thread, answers every caller with
 * CW_ESTATE and frees the reload machinery (cw_host_free). */
void cw_reload_free(cw_host *h);

#endif
