/* Unit tests: core/script/lpattern — our string.find/match/gmatch/gsub
 * against LuaJIT's own, case by case (hand-written, exhaustive over classes,
 * seeded random), then the bounds: the check function, the step cap, nesting,
 * and gsub's allocations going through the Lua allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/script/lpattern.h"

/* ---------------------------------------------------------------------------
 * Check functions
 * ------------------------------------------------------------------------- */

static int checks;     /* calls to a check function */
static int stop_after; /* counting_check says stop on this call (0 = never) */

static int counting_check(lua_State *L)
{
    (void)L;
    checks++;
    return stop_after && checks >= stop_after;
}

/* A fresh state with the JIT off (as the server runs), the original functions
 * in ORIG and ours in MINE. */
static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_newtable(L);
    lua_getglobal(L, "string");
    const char *names[] = {"find", "match", "gmatch", "gsub"};
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, -1, names[i]);
        lua_setfield(L, -3, names[i]);
    }
    lua_pop(L, 1);
    lua_setglobal(L, "ORIG");
    lua_newtable(L);
    int top = lua_gettop(L);
    cw_lpattern_install(L, -1, counting_check);
    assert_int_equal(lua_gettop(L), top);
    lua_setglobal(L, "MINE");
    return L;
}

static void run_lua(lua_State *L, const char *code)
{
    if (luaL_loadstring(L, code) || lua_pcall(L, 0, 0, 0)) fail_msg("lua: %s", lua_tostring(L, -1));
}

/* ---------------------------------------------------------------------------
 * The differential driver (Lua). Each case calls the original and ours with
 * the same arguments, directly under pcall and through a Lua wrapper (so
 * error positions are compared too), and compares every return value, or the
 * error message. gmatch cases collect every iteration. A case where LuaJIT
 * says "pattern too complex" (its nesting limit) is skipped, but ours must
 * then say it too.
 * ------------------------------------------------------------------------- */

static const char DRIVER[] =
    "local unpack, select, type, tostring = unpack, select, type, tostring\n"
    "local function pack(...) return {n = select('#', ...), ...} end\n"
    "function show(t)\n"
    "  local o = {}\n"
    "  for i = 1, t.n do\n"
    "    local v = t[i]\n"
    "    o[i] = type(v) == 'string' and string.format('%q', v) or tostring(v)\n"
    "  end\n"
    "  return '(' .. table.concat(o, ', ') .. ')'\n"
    "end\n"
    "local function gm(lib)\n"
    "  return function(s, p)\n"
    "    local out, it = {n = 0}, lib.gmatch(s, p)\n"
    "    for _ = 1, 200 do\n"
    "      local r = pack(it())\n"
    "      out.n = out.n + 1; out[out.n] = r.n\n"
    "      for i = 1, r.n do out.n = out.n + 1; out[out.n] = r[i] end\n"
    "      if r.n == 0 or r[1] == nil then break end\n"
    "    end\n"
    "    return unpack(out, 1, out.n)\n"
    "  end\n"
    "end\n"
    "local function wrapped(f)\n"
    "  return function(...) local r = pack(f(...)); return unpack(r, 1, r.n) end\n"
    "end\n"
    "local function fn(lib, name)\n"
    "  if name == 'gmatch' then return gm(lib) end\n"
    "  return lib[name]\n"
    "end\n"
    "STATS = {cases = 0, skipped = 0, bad = 0, msgs = {}}\n"
    "local function differ(what, a, b)\n"
    "  STATS.bad = STATS.bad + 1\n"
    "  if #STATS.msgs < 15 then\n"
    "    STATS.msgs[#STATS.msgs + 1] = what .. '\\n   luajit ' .. show(a) .. '\\n   ours   ' .. "
    "show(b)\n"
    "  end\n"
    "end\n"
    "local function same(a, b)\n"
    "  if a.n ~= b.n then return false end\n"
    "  for i = 1, a.n do if a[i] ~= b[i] then return false end end\n"
    "  return true\n"
    "end\n"
    "local function compare(name, args, how)\n"
    "  local f, g = fn(ORIG, name), fn(MINE, name)\n"
    "  if how then f, g = wrapped(f), wrapped(g) end\n"
    "  local a = pack(pcall(f, unpack(args, 1, args.n)))\n"
    "  local b = pack(pcall(g, unpack(args, 1, args.n)))\n"
    "  local what = name .. show(args) .. (how and ' wrapped' or '')\n"
    "  if a[1] == false and tostring(a[2]):find('pattern too complex', 1, true) then\n"
    "    STATS.skipped = STATS.skipped + 1\n"
    "    if b[1] ~= false or not tostring(b[2]):find('pattern too complex (too deeply nested)', 1, "
    "true) then\n"
    "      differ(what, a, b)\n"
    "    end\n"
    "    return\n"
    "  end\n"
    "  if not same(a, b) then differ(what, a, b) end\n"
    "end\n"
    "function CASE(name, ...)\n"
    "  local args = pack(...)\n"
    "  STATS.cases = STATS.cases + 1\n"
    "  compare(name, args, false)\n"
    "  compare(name, args, true)\n"
    "end\n"
    "function F(...) CASE('find', ...) end\n"
    "function M(...) CASE('match', ...) end\n"
    "function G(...) CASE('gmatch', ...) end\n"
    "function S(...) CASE('gsub', ...) end\n"
    "function ALL(s, p) F(s, p); M(s, p); G(s, p); S(s, p, '<%0>') end\n";

static void report(lua_State *L, int min_cases)
{
    run_lua(L, "RESULT = STATS.bad .. ' of ' .. STATS.cases .. ' cases differ (' .. "
               "STATS.skipped .. ' skipped)\\n' .. table.concat(STATS.msgs, '\\n')");
    lua_getglobal(L, "STATS");
    lua_getfield(L, -1, "cases");
    int cases = (int)lua_tointeger(L, -1);
    lua_getfield(L, -2, "bad");
    int bad = (int)lua_tointeger(L, -1);
    lua_getglobal(L, "RESULT");
    if (bad) fail_msg("%s", lua_tostring(L, -1));
    print_message("%s\n", lua_tostring(L, -1));
    assert_true(cases >= min_cases);
    lua_pop(L, 4);
}

/* ---------------------------------------------------------------------------
 * Hand-written cases
 * ------------------------------------------------------------------------- */

/* Patterns tried on every subject of SUBJECTS with find, match, gmatch, gsub. */
static const char PATTERNS_X_SUBJECTS[] =
    "local subjects = {'', 'a', 'hello world', 'aaa', '  x = 10, y = -2.5e3 ', \n"
    "  'THE (quick) [brown] fox.', 'a\\0b\\0', '\\200\\255\\1\\127 \\t\\n', 'f(a(b)c)d)', '^$%'}\n"
    "local patterns = {\n"
    "  '', 'a', 'o', 'l+', 'l*', 'l-', 'l?', '.', '.-', '.*', '.+', '..?',\n"
    "  '^', '^a', '^h', 'd$', '$', '^$', 'a$b', '^%$', '%^', '%$',\n"
    "  '%a', '%a+', '%A+', '%c', '%C+', '%d+', '%D+', '%g+', '%G', '%l+', '%L+', '%p', '%P+',\n"
    "  '%s', '%s*', '%S+', '%u+', '%U', '%w+', '%W', '%x+', '%X', '%z', '%Z+',\n"
    "  '%.', '%%', '%(', '%]', '%-', '%q', '%A%a',\n"
    "  '[abc]', '[^abc]+', '[a-z]+', '[%a%d]+', '[%s%p]', '[]]', '[^]]+', '[a-]', '[-a]',\n"
    "  '[%]]', '[^%a]', '[a-c-e]', '[z-a]', '[%z]', '[^%z]+', '[\\200-\\255]+', '[.]', '[%w_]+',\n"
    "  '(a)', '(a)(b)', '()', '()a()', '(h)(e)(l)', '((l)(l))', '(l+)', '(.-)o', '(%a+) (%a+)',\n"
    "  '(%w+)=(%w+)', '(.)%1', '(l)%1', '((.)%2)', '()%1', '(a*(.)%w(%s*))',\n"
    "  '%b()', '%b[]', '%b()+', '%bxy', '%b((', 'f%b()',\n"
    "  '%f[%w]%w+', '%f[%a]', '%f[%A]', '%f[^%z]', '%f[%z]', '%f[%l]%a', '%f[]]',\n"
    "  'a?a?a?aaa', '[%a ]-d', 'o.-o', '%a+$', '^%s*(.-)%s*$', '(%d+)%.?(%d*)', '-?%d+',\n"
    "  'x*', '.-$', '^(a-)', '(a-)$', '^.-$',\n"
    "}\n"
    "for _, p in ipairs(patterns) do for _, s in ipairs(subjects) do ALL(s, p) end end\n";

/* Arguments, errors and gsub replacements. */
static const char SPECIFIC[] =
    /* init: negative, zero, out of range, fractional, strings, NaN, huge */
    "for _, init in ipairs{-100, -12, -5, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 100, 1.5, -1.5,\n"
    "                     2.9, '2', '0x2', ' 3 ', 2^31, -2^31, 2^31 - 1, -2^31 - 1, 2^40, -2^40,\n"
    "                     1/0, -1/0, 0/0} do\n"
    "  for _, p in ipairs{'', 'l', 'lo', 'o', '^l', 'l+', '()', '.-', '$', '^'} do\n"
    "    F('hello', p, init); M('hello', p, init)\n"
    "    F('hello', p, init, true)\n"
    "  end\n"
    "end\n"
    /* plain */
    "for _, plain in ipairs{true, false, 0, '', 'x', {}} do\n"
    "  F('a.b*c', '.', 1, plain); F('a.b*c', 'b*', 1, plain); F('a.b*c', '', 3, plain)\n"
    "  F('a(b', '(', 1, plain); F('a%b', '%', 1, plain); F('abc', '[', nil, plain)\n"
    "end\n"
    "F('abc', 'b', nil, nil); F('abc', 'b', 1, nil); F('a', 'a', 1, true, 'extra')\n"
    /* special chars and NULs: plain detection looks at the whole pattern, the
     * matcher stops at the first NUL */
    "F('xa\\0b', 'a\\0b'); F('xa\\0b', 'a\\0c'); F('xa\\0b', 'a\\0b.'); F('xa\\0b', '\\0');\n"
    "M('xa\\0b', 'a\\0c'); M('ab\\0c', 'b\\0c'); S('ab\\0c', 'b\\0c', 'X'); G('a\\0a', 'a\\0x');\n"
    "F('ab\\0c', '[b\\0]'); F('ab', '%\\0'); F('a\\0', '%z'); F('\\0\\0', '%z+')\n"
    "F('a^b', 'a^b'); F('a^b', '^b'); F('a$b', 'a$b'); F('a$', 'a$'); F('a$', 'a%$')\n"
    "F('a-b', 'a-b'); F('a+b', 'a+b'); F('a?b', 'a?b'); F('a.b', 'a.b')\n"
    /* bad arguments */
    "F(); F(nil, 'a'); F('a'); F({}, 'a'); F('a', {}); F('a', 'a', {}); F('a', 'a', 'x')\n"
    "F(12345, 3); F(12345, 3, 2); F('12.5', 2.5); F(1e100, 'e'); M(123, '%d'); M('a', 'a', 'z')\n"
    "M(); M('a'); G(); G('a'); G(nil, 'a'); G({}, 'a'); G(123, '2'); G('a', 'a', 'extra')\n"
    "S(); S('a'); S('a', 'a'); S('a', 'a', nil); S('a', 'a', true); S('a', 'a', false)\n"
    "S('a', 'a', 'x', {}); S('a', 'a', true, {}); S('a', 'a', 'x', 'z'); S({}, 'a', 'x')\n"
    "S(12345, 3, 9); S(12345, '%d', 0); S('abc', 'b', 1.5)\n"
    /* malformed patterns: where LuaJIT raises, with its message */
    "for _, p in ipairs{'%', 'a%', '[', '[a', '[a%', '[%', '[^', '[^]', '[]', '[a-', '%f', '%fa',\n"
    "                   '%f[a', '%b', '%ba', '(', 'a(', '(()', ')', 'a)', '())', '%1', '(a)%2',\n"
    "                   '(a%1)', '%0', '(a)%0', '%9', '((a)%1)', '(a)(b)%3', '[%a-z', '[a-%]',\n"
    "                   '%b()%', 'x*%', ('()'):rep(32), ('()'):rep(33), ('(a)'):rep(33),\n"
    "                   ('('):rep(40), '[[]', '[]]]', '%f[%]'} do\n"
    "  ALL('aaa(b)[c]', p); ALL('', p)\n"
    "end\n"
    /* errors that only show once a match is found */
    "F('x', '(x'); F('y', '(x'); M('x', 'x('); S('x', '(x', '%1'); S('x', '(x', 'y')\n"
    "S('x', '(x', function(c) return c end); S('x', '(x', {}); G('xx', '(x')\n"
    /* gsub: templates */
    "for _, r in ipairs{'', 'x', '%0', '%1', '%2', '%%', '%', 'a%', '%x', '%%%0%1', '[%0]', '%9',\n"
    "                   '%1%1', '%1-%2', 'x\\0y', '%\\0', 12, 1.5, -0.0} do\n"
    "  S('hello world', 'o', r); S('hello world', '(o)', r); S('hello world', '(l)(l)', r)\n"
    "  S('hello world', '()l', r); S('hello world', '', r); S('abc', '^', r); S('abc', '$', r)\n"
    "end\n"
    /* gsub: n */
    "for _, n in ipairs{-1, 0, 1, 2, 3, 100, 2.7, -0.5, '2', 2^31, 2^32, 2^32 + 1, 2^53, -2^63,\n"
    "                   nil, 1/0, 0/0} do\n"
    "  S('abc abc abc', 'b', '!', n); S('abc', '', '-', n); S('abc', '^a', 'A', n)\n"
    "  S('aaa', 'a*', '-', n)\n"
    "end\n"
    /* gsub: tables and functions */
    "local t = {hello = 'HI', world = false, x = 1.5, y = {}, [1] = 'one', a = true}\n"
    "for _, p in ipairs{'%w+', '(%w+)', '()%w+', '(h)(e)', 'x', 'y', '(%w)', 'a'} do\n"
    "  S('hello world x y a', p, t); S('hello world x y a', p, t, 1)\n"
    "end\n"
    "local fns = {\n"
    "  function(...) return table.concat({...}, ',') .. '|' .. select('#', ...) end,\n"
    "  function() return nil end, function() return false end, function() return 7 end,\n"
    "  function() return {} end, function() return true end, function() end,\n"
    "  function(a) return a, 'ignored' end, function(a) error('boom ' .. tostring(a)) end,\n"
    "  function(a) return (a:gsub('.', '%0%0')) end,\n"
    "}\n"
    "for _, f in ipairs(fns) do\n"
    "  for _, p in ipairs{'%w+', '(%w)(%w)', '()', '(o)()', 'z'} do S('hello world', p, f) end\n"
    "end\n"
    /* gmatch: empty matches, anchors (an ordinary byte there), captures */
    "for _, p in ipairs{'', 'a*', 'a-', '^a', '^', '()', '(a)()', 'b*', '%a+', '.', '$', 'a$'} do\n"
    "  G('aab^aba', p); G('', p); G('^a^a', p)\n"
    "end\n"
    "G(('x'):rep(50), 'x'); G('key=val, k2=v2', '(%w+)=(%w+)')\n"
    /* deep nesting: LuaJIT's own limit, where ours must agree */
    "for _, n in ipairs{150, 198, 199, 200, 201, 250} do\n"
    "  F(('a'):rep(n), ('a?'):rep(n)); F(('a'):rep(n), ('a*'):rep(n));\n"
    "  F(('a'):rep(n), ('a-'):rep(n)); F(('a'):rep(n), ('%f[a]a?'):rep(n))\n"
    "end\n"
    /* long but flat: no recursion, no limit */
    "F(('ab'):rep(2000), ('ab'):rep(2000)); M(('ab'):rep(2000), '^' .. ('ab'):rep(2000) .. '$')\n"
    "F(('a'):rep(3000) .. 'b', ('a'):rep(3000) .. 'c')\n";

static void test_hand_cases(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run_lua(L, DRIVER);
    run_lua(L, PATTERNS_X_SUBJECTS);
    run_lua(L, SPECIFIC);
    report(L, 2000);
    lua_close(L);
}

/* Every class letter (every byte after '%', in and out of a set) against
 * every byte, and a spread of ranges. */
static void test_classes_exhaustive(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run_lua(L, DRIVER);
    run_lua(L, "local ch = string.char\n"
               "for cl = 0, 255 do\n"
               "  local item, set = '%' .. ch(cl), '[%' .. ch(cl) .. ']'\n"
               "  local all = {}\n"
               "  for c = 0, 255 do all[#all + 1] = ch(c) end\n"
               "  all = table.concat(all)\n"
               "  G(all, item); G(all, set); G(all, '[^' .. '%' .. ch(cl) .. ']')\n"
               "  F(ch(cl), '[' .. ch(cl) .. ']'); F('x' .. ch(cl) .. 'y', 'x' .. ch(cl) .. 'y')\n"
               "end\n"
               "for lo = 0, 255, 15 do for hi = 0, 255, 17 do\n"
               "  local all = {}\n"
               "  for c = 0, 255 do all[#all + 1] = string.char(c) end\n"
               "  G(table.concat(all), '[' .. ch(lo) .. '-' .. ch(hi) .. ']+')\n"
               "end end\n");
    report(L, 1000);
    lua_close(L);
}

/* ---------------------------------------------------------------------------
 * Seeded random differential test
 * ------------------------------------------------------------------------- */

static const char RANDOM[] =
    "math.randomseed(20240611)\n"
    "local R = math.random\n"
    "local function pick(t) return t[R(#t)] end\n"
    "local alpha = {'a', 'a', 'b', 'b', 'c', '(', ')', '.', ' ', '%', '\\0', '1', 'x', '-'}\n"
    "local singles = {'a', 'b', 'c', 'x', '.', '%a', '%d', '%s', '%p', '%w', '%z', '%A', '%S',\n"
    "  '%.', '%%', '%(', '%)', '[ab]', '[^a]', '[a-c]', '[%a.]', '[]]', '[^%s]', '[%z(]', ' '}\n"
    "local quants = {'', '', '', '*', '+', '-', '?'}\n"
    "local raw = {'^', '$', '*', '+', '?', '.', '(', ')', '[', ']', '%', '-', '%b', '%f', '%1'}\n"
    "local function item(depth)\n"
    "  local k = R(20)\n"
    "  if k <= 11 then return pick(singles) .. pick(quants)\n"
    "  elseif k == 12 and depth < 3 then\n"
    "    local inner = {}\n"
    "    for i = 1, R(0, 3) do inner[i] = item(depth + 1) end\n"
    "    return '(' .. table.concat(inner) .. ')'\n"
    "  elseif k == 13 then return '()'\n"
    "  elseif k == 14 then return '%' .. R(1, 3)\n"
    "  elseif k == 15 then return pick{'%b()', '%bab', '%b))'}\n"
    "  elseif k == 16 then return pick{'%f[%a]', '%f[^a]', '%f[%z]', '%f[a-b]', '%f[%s]'}\n"
    "  elseif k == 17 then return pick(raw)\n"
    "  else return pick(singles) end\n"
    "end\n"
    "local function pattern()\n"
    "  local t = {}\n"
    "  if R(4) == 1 then t[#t + 1] = '^' end\n"
    "  for i = 1, R(0, 5) do t[#t + 1] = item(0) end\n"
    "  if R(5) == 1 then t[#t + 1] = '$' end\n"
    "  return table.concat(t)\n"
    "end\n"
    "local function subject()\n"
    "  local t = {}\n"
    "  for i = 1, R(0, 12) do t[i] = pick(alpha) end\n"
    "  return table.concat(t)\n"
    "end\n"
    "local repls = {'<%0>', '%1', '%1%2', '%%', 'x', '%', {a = 'A', b = false, ['('] = 1},\n"
    "  function(...) return select('#', ...) .. table.concat({...}, ':') end}\n"
    "for i = 1, 5000 do\n"
    "  local s, p = subject(), pattern()\n"
    "  local k = R(4)\n"
    "  if k == 1 then F(s, p, R(-14, 14), R(8) == 1 or nil)\n"
    "  elseif k == 2 then M(s, p, R(-14, 14))\n"
    "  elseif k == 3 then G(s, p)\n"
    "  else S(s, p, pick(repls), R(3) == 1 and R(-1, 4) or nil) end\n"
    "end\n";

static void test_random_differential(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run_lua(L, DRIVER);
    run_lua(L, RANDOM);
    report(L, 5000);
    lua_close(L);
}

/* ---------------------------------------------------------------------------
 * Bounds
 * ------------------------------------------------------------------------- */

static const char CATASTROPHIC[] = "return string.rep('a', 80):find(('a-'):rep(6) .. 'b')";

/* Runs code in L under pcall; returns the error message (static copy) or
 * NULL when it ran through. */
static const char *try_lua(lua_State *L, const char *code)
{
    static char msg[512];
    if (luaL_loadstring(L, code) || lua_pcall(L, 0, 0, 0)) {
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return msg;
    }
    return NULL;
}

static lua_State *installed_state(cw_lpattern_check_fn check)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    lua_getglobal(L, "string");
    cw_lpattern_install(L, lua_gettop(L), check);
    lua_pop(L, 1);
    return L;
}

static void test_check_stops_catastrophic_pattern(void **state)
{
    (void)state;
    lua_State *L = installed_state(counting_check);
    checks = 0;
    stop_after = 5;
    const char *err = try_lua(L, CATASTROPHIC);
    assert_non_null(err);
    assert_non_null(strstr(err, "string.find: pattern too complex (ran past the script budget)"));
    assert_int_equal(checks, 5);

    /* Methods go through the string table too; and the other functions. */
    const char *others[] = {
        "local s = ('a'):rep(80); s:find(('a-'):rep(6) .. 'b')",
        "string.match(('a'):rep(80), ('a-'):rep(6) .. 'b')",
        "for x in string.gmatch(('a'):rep(80), ('a-'):rep(6) .. 'b') do end",
        "string.gsub(('a'):rep(80), ('a-'):rep(6) .. 'b', 'x')",
    };
    const char *names[] = {"string.find", "string.match", "string.gmatch", "string.gsub"};
    for (int i = 0; i < 4; i++) {
        checks = 0;
        err = try_lua(L, others[i]);
        assert_non_null(err);
        assert_non_null(strstr(err, names[i]));
        assert_non_null(strstr(err, "pattern too complex (ran past the script budget)"));
        assert_int_equal(checks, 5);
    }
    stop_after = 0;
    lua_close(L);
}

static void test_step_cap_stops_catastrophic_pattern(void **state)
{
    (void)state;
    lua_State *L = installed_state(NULL);
    cw_lpattern_set_step_cap(200000);
    const char *err = try_lua(L, CATASTROPHIC);
    assert_non_null(err);
    assert_non_null(strstr(err, "string.find: pattern too complex (ran past the step cap)"));
    /* The cap is per call: a small match still works, many in a row too. */
    assert_null(try_lua(L, "for i = 1, 100 do assert(('hello'):find('l+') == 3) end"));
    /* Back to the default, which a modest pattern never reaches. */
    cw_lpattern_set_step_cap(0);
    assert_null(try_lua(L, "assert(string.rep('a', 20):find(('a-'):rep(3) .. 'b') == nil)"));
    lua_close(L);
}

static void test_check_called_on_long_match(void **state)
{
    (void)state;
    lua_State *L = installed_state(counting_check);
    checks = 0;
    stop_after = 0;
    assert_null(try_lua(L, "local s = ('a'):rep(100000)\n"
                           "local i, j = s:find('a*$')\n"
                           "assert(i == 1 and j == 100000)\n"
                           "local r, n = s:gsub('a', 'b')\n"
                           "assert(n == 100000 and r == ('b'):rep(100000))"));
    assert_true(checks > 100);
    /* A short match is not worth a check. */
    checks = 0;
    assert_null(try_lua(L, "assert(('abc'):match('b') == 'b')"));
    assert_int_equal(checks, 0);
    lua_close(L);
}

static void test_deep_nesting_errors(void **state)
{
    (void)state;
    lua_State *L = installed_state(NULL);
    const char *err = try_lua(L, "string.find(('a'):rep(20000), ('a?'):rep(20000))");
    assert_non_null(err);
    assert_non_null(strstr(err, "string.find: pattern too complex (too deeply nested)"));
    err = try_lua(L, "string.match(('a'):rep(5000), ('(a)'):rep(20) .. ('a-'):rep(5000) .. '$')");
    assert_non_null(strstr(err, "string.match: pattern too complex (too deeply nested)"));
    err = try_lua(L, "string.gsub(('a'):rep(5000), ('%f[a]a*'):rep(5000), '')");
    assert_non_null(strstr(err, "string.gsub: pattern too complex (too deeply nested)"));
    err = try_lua(L, "string.find('a', ('('):rep(100000))");
    assert_non_null(strstr(err, "too many captures"));
    /* Long and flat is fine. */
    assert_null(try_lua(L, "local s = ('ab'):rep(50000); assert(s:find(s, 1, false) == 1)"));
    lua_close(L);
}

/* An allocator that refuses to go past a limit: gsub's result must be built
 * through it (so the sandbox's memory cap sees it). */
static size_t mem_used, mem_limit;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        mem_used -= ptr ? osize : 0;
        free(ptr);
        return NULL;
    }
    size_t old = ptr ? osize : 0;
    if (nsize > old && mem_used + (nsize - old) > mem_limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) mem_used = mem_used - old + nsize;
    return p;
}

static void test_gsub_allocates_through_lua(void **state)
{
    (void)state;
    mem_used = 0;
    mem_limit = 4u << 20;
    lua_State *L = lua_newstate(limited_alloc, NULL);
    assert_non_null(L);
    luaL_openlibs(L);
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_getglobal(L, "string");
    cw_lpattern_install(L, -1, NULL);
    lua_pop(L, 1);
    /* 1000 x 10 KB = 10 MB of result against a 4 MB limit. */
    const char *err = try_lua(L, "R = ('x'):rep(1000):gsub('x', ('y'):rep(10000))");
    assert_non_null(err);
    assert_non_null(strstr(err, "not enough memory"));
    /* The state is still usable and a smaller result fits. */
    assert_null(try_lua(L, "R = nil; collectgarbage()\n"
                           "local r, n = ('x'):rep(100):gsub('x', ('y'):rep(1000))\n"
                           "assert(#r == 100000 and n == 100)"));
    lua_close(L);
    assert_true(mem_used == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_classes_exhaustive),
        cmocka_unit_test(test_random_differential),
        cmocka_unit_test(test_check_stops_catastrophic_pattern),
        cmocka_unit_test(test_step_cap_stops_catastrophic_pattern),
        cmocka_unit_test(test_check_called_on_long_match),
        cmocka_unit_test(test_deep_nesting_errors),
        cmocka_unit_test(test_gsub_allocates_through_lua),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
