/* Unit tests: the content sandbox (core/script/sandbox.c) and the memory cap
 * — what a content file's environment holds and lacks, bytecode refused,
 * require rules, strict globals, the C functions bounded by the budget, the
 * guarded JSON encoder, and the allocator's cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "script_fixture.h"

static const char PROBE[] =
    "local chaos = require('chaos')\n"
    "local allowed = { 'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'xpcall',\n"
    "  'select', 'tonumber', 'tostring', 'type', 'unpack', 'rawequal', 'rawget', 'rawset',\n"
    "  'setmetatable', 'getmetatable', 'print', '_VERSION', 'string', 'table', 'math',\n"
    "  'coroutine', 'os', 'load', 'loadstring', 'collectgarbage', 'require', '_G' }\n"
    "local forbidden = { 'io', 'debug', 'jit', 'ffi', 'package', 'dofile', 'loadfile',\n"
    "  'getfenv', 'setfenv', 'newproxy', 'module', 'gcinfo', 'bit', 'cjson', 'chaos' }\n"
    "chaos.on_op('probe', function()\n"
    "  local r, set = {}, {}\n"
    "  for _, n in ipairs(allowed) do\n"
    "    set[n] = true\n"
    "    if rawget(_G, n) == nil then r[#r + 1] = 'missing:' .. n end\n"
    "  end\n"
    "  for _, n in ipairs(forbidden) do\n"
    "    if rawget(_G, n) ~= nil then r[#r + 1] = 'present:' .. n end\n"
    "    if pcall(function() return _G[n] end) then r[#r + 1] = 'readable:' .. n end\n"
    "  end\n"
    "  for k in pairs(_G) do if not set[k] then r[#r + 1] = 'extra:' .. tostring(k) end end\n"
    "  for k in pairs(os) do\n"
    "    if k ~= 'time' and k ~= 'clock' and k ~= 'date' then r[#r + 1] = 'os.' .. k end\n"
    "  end\n"
    "  if string.dump ~= nil then r[#r + 1] = 'string.dump' end\n"
    "  if _G ~= _G._G then r[#r + 1] = '_G' end\n"
    "  if getmetatable('') ~= nil then r[#r + 1] = 'string metatable' end\n"
    "  if getmetatable(_G) ~= false then r[#r + 1] = 'env metatable' end\n"
    "  if pcall(setmetatable, _G, nil) then r[#r + 1] = 'env metatable replaceable' end\n"
    "  if ('abc'):upper() ~= 'ABC' then r[#r + 1] = 'string methods' end\n"
    "  return { problems = table.concat(r, ',') }\n"
    "end)\n";

static void environment_holds_only_the_allowed_names(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "probe.lua", PROBE);
    cw_error err;
    assert_non_null(fx_start(fx, NULL, &err));
    assert_string_equal(fx_call(fx->host, "probe", "{}"), "{\"problems\":\"\"}");
}

/* Each file has its own copies of the libraries: a file that breaks its
 * string table breaks neither another file nor the engine. */
static void library_copies_are_per_file(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "a.lua",
               "string.upper = nil\ntable.concat = nil\nmath.floor = function() return 7 end\n");
    fx_content(fx, "b.lua",
               "local chaos = require('chaos')\n"
               "local util = require('util')\n"
               "chaos.on_op('up', function(req)\n"
               "  return { mine = string.upper(req.s), engine = util.upper(req.s),\n"
               "           floor = math.floor(2.5), private = util.has_debug(),\n"
               "           locked = util.string_mt_locked() }\n"
               "end)\n");
    cw_error err;
    assert_non_null(fx_start(fx, NULL, &err));
    const char *r = fx_call(fx->host, "up", "{\"s\":\"ab\"}");
    assert_non_null(strstr(r, "\"mine\":\"AB\""));
    assert_non_null(strstr(r, "\"engine\":\"AB\""));
    assert_non_null(strstr(r, "\"floor\":2"));
    assert_non_null(strstr(r, "\"private\":true"));
    assert_non_null(strstr(r, "\"locked\":true"));
}

static void undeclared_globals_raise_with_file_and_line(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua", "local x = 1\nleaked = x\n");
    cw_error err;
    assert_null(fx_start(fx, NULL, &err));
    assert_non_null(strstr(err.msg, "main.lua:2: assignment to undeclared global 'leaked'"));
    fx_content(fx, "main.lua", "local x = 1\n\nlocal y = os.execute\nlocal z = nosuch\n");
    assert_null(fx_start(fx, NULL, &err));
    assert_non_null(strstr(err.msg, "main.lua:4: undefined global 'nosuch'"));
}

static void bytecode_is_refused(void **state)
{
    fixture *fx = *state;
    /* load, loadstring, a reader function, a hidden header: all refused. */
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('try', function(req)\n"
               "  local ok, e\n"
               "  if req.how == 'loadstring' then ok, e = pcall(loadstring, '\\27LJ\\2\\0')\n"
               "  elseif req.how == 'load' then ok, e = pcall(load, '\\27LJ\\2\\0')\n"
               "  elseif req.how == 'reader' then\n"
               "    local done = false\n"
               "    ok, e = pcall(load, function() if done then return nil end done = true\n"
               "      return '\\27LJ\\2\\0' end)\n"
               "  else\n"
               "    local f, msg = loadstring('#!x\\n\\27LJ\\2\\0')\n"
               "    ok, e = f ~= nil, msg\n"
               "  end\n"
               "  return { good = ok, e = tostring(e) }\n"
               "end)\n"
               "chaos.on_op('text', function()\n"
               "  local f = assert(loadstring('return 40 + n', 'mine'))\n"
               "  n = nil\n"
               "  return { v = 1 }\n"
               "end)\n"
               "chaos.on_op('env', function()\n"
               "  local f = assert(load('return type(io), tostring(os.execute)'))\n"
               "  local ok, e = pcall(f)\n"
               "  return { good = ok, e = tostring(e) }\n"
               "end)\n");
    cw_error err;
    assert_non_null(fx_start(fx, NULL, &err));
    const char *hows[] = {"loadstring", "load", "reader"};
    for (int i = 0; i < 3; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "{\"how\":\"%s\"}", hows[i]);
        const char *r = fx_call(fx->host, "try", payload);
        assert_non_null(strstr(r, "\"good\":false"));
        assert_non_null(strstr(r, "bytecode is not allowed"));
    }
    assert_non_null(strstr(fx_call(fx->host, "try", "{\"how\":\"header\"}"), "\"good\":false"));
    /* A loaded text chunk runs in the sandbox: strict, and no io. */
    assert_string_equal(fx_call(fx->host, "text", "{}"),
                        "ERR:internal:the handler for \"text\" failed");
    const char *r = fx_call(fx->host, "env", "{}");
    assert_non_null(strstr(r, "\"good\":false"));
    assert_non_null(strstr(r, "undefined global 'io'"));

    /* A content file that is bytecode is refused at load. */
    cw_host_free(fx->host);
    fx->host = NULL;
    fx_write(fx->content, "main.lua", "\033LJ\002\000\000", 6);
    assert_null(fx_start(fx, NULL, &err));
    assert_non_null(strstr(err.msg, "main.lua: bytecode is not allowed"));
}

static void require_rules(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "lib/counter.lua",
               "local chaos = require('chaos')\n"
               "chaos.seen.loads = (chaos.seen.loads or 0) + 1\n"
               "return { n = 5 }\n");
    fx_content(fx, "lib/deep/init.lua", "return 'init'\n");
    fx_content(fx, "loop_a.lua", "return require('loop_b')\n");
    fx_content(fx, "loop_b.lua", "return require('loop_a')\n");
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "local c1 = require('lib.counter')\n"
               "chaos.on_op('req', function(req)\n"
               "  local ok, v = pcall(require, req.name)\n"
               "  if type(v) == 'table' then v = v.n or 'table' end\n"
               "  return { good = ok, v = tostring(v), loads = chaos.seen.loads,\n"
               "           same = require('lib.counter') == c1,\n"
               "           engine = require('util').twice(2) }\n"
               "end)\n");
    cw_error err;
    /* loop_a/loop_b require each other: refused with a clear error. */
    assert_null(fx_start(fx, NULL, &err));
    assert_non_null(strstr(err.msg, "loop while loading module 'loop_a'"));
    char p[256];
    snprintf(p, sizeof p, "%s/loop_a.lua", fx->content);
    unlink(p);
    snprintf(p, sizeof p, "%s/loop_b.lua", fx->content);
    unlink(p);
    assert_non_null(fx_start(fx, NULL, &err));
    /* Required once; the in-order load (lib/counter.lua sorts first) did not run it again. */
    const char *r = fx_call(fx->host, "req", "{\"name\":\"lib.counter\"}");
    assert_non_null(strstr(r, "\"good\":true"));
    assert_non_null(strstr(r, "\"v\":\"5\""));
    assert_non_null(strstr(r, "\"loads\":1"));
    assert_non_null(strstr(r, "\"same\":true"));
    assert_non_null(strstr(r, "\"engine\":4"));
    assert_non_null(strstr(fx_call(fx->host, "req", "{\"name\":\"lib.deep\"}"), "\"v\":\"init\""));
    assert_non_null(strstr(fx_call(fx->host, "req", "{\"name\":\"util\"}"), "\"good\":true"));
    assert_non_null(strstr(fx_call(fx->host, "req", "{\"name\":\"cjson\"}"), "\"good\":true"));
    const char *refused[] = {
        "ffi",         "jit",         "io",       "os",        "debug",           "string",
        "package",     "bit",         "jit.util", "table.new", "../scripts/util", "lib..counter",
        "/etc/passwd", "lib/counter", "nosuch",   ""};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char payload[128];
        snprintf(payload, sizeof payload, "{\"name\":\"%s\"}", refused[i]);
        r = fx_call(fx->host, "req", payload);
        if (!strstr(r, "\"good\":false") || !strstr(r, "is not available to content"))
            fail_msg("require('%s') answered %s", refused[i], r);
    }
}

static void collectgarbage_and_print(void **state)
{
    fixture *fx = *state;
    char logpath[160];
    snprintf(logpath, sizeof logpath, "%s/log.txt", fx->dir);
    FILE *log = fopen(logpath, "w+");
    assert_non_null(log);
    cw_log_setup(CW_LOG_INFO, log);
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "print('hello from', 'content', 42)\n"
               "chaos.on_op('gc', function(req)\n"
               "  local ok, e = pcall(collectgarbage, req.opt)\n"
               "  return { good = ok, e = tostring(e) }\n"
               "end)\n");
    cw_error err;
    assert_non_null(fx_start(fx, NULL, &err));
    assert_non_null(strstr(fx_call(fx->host, "gc", "{\"opt\":\"count\"}"), "\"good\":true"));
    assert_non_null(strstr(fx_call(fx->host, "gc", "{\"opt\":\"collect\"}"), "\"good\":true"));
    assert_non_null(strstr(fx_call(fx->host, "gc", "{\"opt\":\"step\"}"), "\"good\":true"));
    const char *no[] = {"stop", "restart", "setpause", "setstepmul", "isrunning"};
    for (int i = 0; i < 5; i++) {
        char payload[64];
        snprintf(payload, sizeof payload, "{\"opt\":\"%s\"}", no[i]);
        const char *r = fx_call(fx->host, "gc", payload);
        assert_non_null(strstr(r, "\"good\":false"));
        assert_non_null(strstr(r, "not available to content"));
    }
    cw_log_setup(CW_LOG_OFF, NULL);
    fflush(log);
    rewind(log);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, log);
    buf[n] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "\"msg\":\"hello from\\tcontent\\t42\""));
    assert_non_null(strstr(buf, "main.lua:2"));
}

/* table.sort runs in C; with no comparator (or a C one) the hook never runs,
 * so the sort itself checks the deadline. */
static void sort_is_bounded_by_the_budget(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "local t = {}\n"
               "chaos.on_op('fill', function()\n"
               "  for i = 1, 20000 do t[#t + 1] = (#t * 7919) % 1000003 end\n"
               "  return { n = #t }\n"
               "end)\n"
               "chaos.on_op('sort', function(req)\n"
               "  if req.cmp then table.sort(t, rawequal) else table.sort(t) end\n"
               "  return { n = #t }\n"
               "end)\n"
               "chaos.on_op('small', function()\n"
               "  local s = { 3, 1, 2 }\n"
               "  table.sort(s)\n"
               "  local d = { 1, 3, 2 }\n"
               "  table.sort(d, function(a, b) return a > b end)\n"
               "  return { s = table.concat(s, ','), d = table.concat(d, ',') }\n"
               "end)\n");
    cw_host_config cfg = {.budget_ms = 1, .seed = 1};
    cw_error err;
    assert_non_null(fx_start(fx, &cfg, &err));
    assert_non_null(strstr(fx_call(fx->host, "small", "{}"), "\"s\":\"1,2,3\""));
    assert_non_null(strstr(fx_call(fx->host, "small", "{}"), "\"d\":\"3,2,1\""));
    /* Filling may itself run out of its 1 ms now and then: what got in stays. */
    for (int i = 0; i < 40; i++)
        fx_call(fx->host, "fill", "{}");
    /* Up to 800,000 numbers: far more than 1 ms of sorting. */
    assert_non_null(strstr(fx_call(fx->host, "sort", "{}"), "ERR:script_timeout"));
    assert_non_null(strstr(fx_call(fx->host, "sort", "{\"cmp\":true}"), "ERR:script_timeout"));
    assert_non_null(strstr(fx_call(fx->host, "small", "{}"), "\"s\":\"1,2,3\""));
    assert_non_null(strstr(fx_call(fx->host, "small", "{}"), "\"d\":\"3,2,1\""));
}

static void json_encoding_is_guarded(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "local cjson = require('cjson')\n"
               "chaos.on_op('enc', function(req)\n"
               "  local v\n"
               "  if req.what == 'deep' then\n"
               "    v = {}\n"
               "    for i = 1, 2000 do v = { v } end\n"
               "  elseif req.what == 'cycle' then\n"
               "    v = {}\n"
               "    v.self = v\n"
               "  else\n"
               "    local s = string.rep('x', 1048576)\n"
               "    v = {}\n"
               "    for i = 1, 4000 do v[i] = s end\n"
               "  end\n"
               "  local ok, e = pcall(cjson.encode, v)\n"
               "  return { good = ok, e = ok and '' or tostring(e),\n"
               "           cfg = cjson.encode_max_depth == nil and cjson.new == nil }\n"
               "end)\n"
               "chaos.on_op('huge_answer', function()\n"
               "  local s = string.rep('y', 1048576)\n"
               "  local v = {}\n"
               "  for i = 1, 4000 do v['k' .. i] = s end\n"
               "  return v\n"
               "end)\n"
               "chaos.on_op('ok', function() return { v = cjson.encode({ 1, 2 }) } end)\n");
    cw_host_config cfg = {.budget_ms = 2000, .seed = 1, .memory_mb = 64};
    cw_error err;
    assert_non_null(fx_start(fx, &cfg, &err));
    const char *r = fx_call(fx->host, "enc", "{\"what\":\"deep\"}");
    assert_non_null(strstr(r, "\"good\":false"));
    assert_non_null(strstr(r, "nested too deep"));
    assert_non_null(strstr(r, "\"cfg\":true"));
    r = fx_call(fx->host, "enc", "{\"what\":\"cycle\"}");
    assert_non_null(strstr(r, "nested too deep"));
    r = fx_call(fx->host, "enc", "{\"what\":\"big\"}");
    assert_non_null(strstr(r, "too large to encode"));
    /* The engine's own encoder of an answer is guarded too. */
    assert_string_equal(fx_call(fx->host, "huge_answer", "{}"),
                        "ERR:internal:the handler for \"huge_answer\" failed");
    assert_string_equal(fx_call(fx->host, "ok", "{}"), "{\"v\":\"[1,2]\"}");
}

/* The allocator's cap: a growth past it is a Lua error, the state keeps
 * working, and the generation counts the refusals. */
static void memory_cap_refuses_and_the_state_keeps_working(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('big', function()\n"
               "  local a = string.rep('x', 2^30)\n"
               "  local b = string.rep('x', 2^30)\n"
               "  local c = string.rep('x', 2^30)\n"
               "  return { n = #a + #b + #c }\n"
               "end)\n"
               "chaos.on_op('caught', function()\n"
               "  local ok, e = pcall(string.rep, 'x', 64 * 1048576)\n"
               "  return { good = ok, e = tostring(e) }\n"
               "end)\n"
               "chaos.on_op('hoard', function()\n"
               "  local mine = {}\n"
               "  for i = 1, 1000000 do mine[#mine + 1] = { i } end\n"
               "  return { n = #mine }\n"
               "end)\n"
               "chaos.on_op('small', function() return { s = string.rep('ab', 3) } end)\n");
    cw_metrics *m = cw_metrics_new();
    cw_host_config cfg = {.budget_ms = 5000, .seed = 1, .memory_mb = 16, .metrics = m};
    cw_error err;
    assert_non_null(fx_start(fx, &cfg, &err));
    assert_string_equal(fx_call(fx->host, "big", "{}"),
                        "ERR:out_of_memory:the handler for \"big\" ran out of script memory");
    assert_string_equal(fx_call(fx->host, "small", "{}"), "{\"s\":\"ababab\"}");
    const char *r = fx_call(fx->host, "caught", "{}");
    assert_non_null(strstr(r, "\"good\":false"));
    assert_non_null(strstr(r, "not enough memory"));
    /* Many small objects: refused at the cap too, never past it. */
    r = fx_call(fx->host, "hoard", "{}");
    assert_non_null(strstr(r, "ERR:out_of_memory"));
    /* What the failed call built is garbage: collected after the refusal. */
    assert_true(cw_host_lua_memory(fx->host) < 8u << 20);
    assert_string_equal(fx_call(fx->host, "small", "{}"), "{\"s\":\"ababab\"}");
    cw_strbuf out = CW_STRBUF_INIT;
    cw_metrics_render(m, &out);
    const char *line = strstr(out.data, "\nchaos_lua_memory_refused_total ");
    assert_non_null(line);
    assert_true(atoi(line + strlen("\nchaos_lua_memory_refused_total ")) >= 3);
    line = strstr(out.data, "\nchaos_lua_memory_bytes ");
    assert_non_null(line);
    assert_true(atof(line + strlen("\nchaos_lua_memory_bytes ")) > 0);
    cw_strbuf_free(&out);
    cw_host_free(fx->host);
    fx->host = NULL;
    cw_metrics_free(m);
}

/* A value content throws is read raw: its metamethods never run outside a
 * protected call. */
static void error_values_with_metamethods_are_read_raw(void **state)
{
    fixture *fx = *state;
    fx_content(fx, "main.lua",
               "local chaos = require('chaos')\n"
               "chaos.on_op('evil', function()\n"
               "  error(setmetatable({}, { __index = function() while true do end end }))\n"
               "end)\n"
               "chaos.on_op('evil2', function()\n"
               "  error(setmetatable({}, { __index = function() error('boom') end }))\n"
               "end)\n");
    cw_error err;
    assert_non_null(fx_start(fx, NULL, &err));
    assert_string_equal(fx_call(fx->host, "evil", "{}"),
                        "ERR:internal:the handler for \"evil\" failed");
    assert_string_equal(fx_call(fx->host, "evil2", "{}"),
                        "ERR:internal:the handler for \"evil2\" failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(environment_holds_only_the_allowed_names, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(library_copies_are_per_file, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(undeclared_globals_raise_with_file_and_line, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(bytecode_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(require_rules, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(collectgarbage_and_print, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(sort_is_bounded_by_the_budget, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(json_encoding_is_guarded, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(memory_cap_refuses_and_the_state_keeps_working, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(error_values_with_metamethods_are_read_raw, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
