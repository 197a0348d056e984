/* internal.h — structures shared by the files of core/script only. */
#ifndef CW_SCRIPT_INTERNAL_H
#define CW_SCRIPT_INTERNAL_H

#include "core/base/rng.h"
#include "core/script/host.h"

#include <lua.h>

typedef struct cw_timer cw_timer;
struct cw_timer {
    int id;
    int ref;          /* the Lua function, in the generation's registry */
    double interval;  /* seconds */
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
};

struct cw_host {
    cw_host_config cfg;
    char *scripts_dir, *content_dir;
    cw_gen *live;
    unsigned next_number;
    double offline_clock;
    uint64_t start_ns;
    cw_rng rng;
    char **reserved;
    int nreserved;
    uint64_t errors;
    char **hook_names; /* hooks.c: names chaos.on accepts */
    int nhook_names;
    cw_metric *m_errors, *m_timeouts, *m_reload_ok, *m_reload_failed, *m_generation, *m_memory;
};

/* gen.c */
cw_gen *cw_gen_load(cw_host *h, cw_strbuf *errors);
void cw_gen_free(cw_gen *g);
/* Protected call of the function below nargs arguments on the stack, under
 * budget_ms. Returns a lua_pcall code; on error the error value (a traceback
 * string or a structured error table) is on the stack. */
int cw_gen_pcall(cw_gen *g, int nargs, int nresults, int budget_ms);

/* timers.c */
void cw_timers_activate(cw_gen *g);
void cw_timers_free_all(cw_gen *g);
int cw_timers_advance(cw_host *h, double seconds);

/* hooks.c */
void cw_host_free_hook_names(cw_host *h);

/* Logs a Lua error value sitting at the top of the stack (and pops nothing). */
void cw_gen_log_error(cw_gen *g, const char *what, const char *name);

#endif
