-- Dungeon templates and the deterministic generator (scripts/dungeon/,
-- scripts/content/dungeon_defs.lua, chaosctl gen dungeon).
local defs = require("content.defs")
local dungeon = require("dungeon")
local gen = require("dungeon.gen")
local chaos = require("chaos")

local function inside(r, x, y)
  return x > r.x and x < r.x + r.w and y > r.y and y < r.y + r.h
end

local function room_of(map, cx, cy)
  for i, r in ipairs(map.rooms) do
    if cx >= r.x and cx < r.x + r.w and cy >= r.y and cy < r.y + r.h then return i end
  end
end

-- Everything a generated map promises (gen.lua's rules).
local function check_map(map, d, label)
  local function ok(cond, msg) if not cond then error(label .. ": " .. msg, 2) end end
  ok(#map.rooms >= 2 and #map.rooms <= d.rooms[2], "room count " .. #map.rooms)
  for x = 1, map.cols do ok(not map.cells[1][x] and not map.cells[map.rows][x], "outer ring row") end
  for y = 1, map.rows do ok(not map.cells[y][1] and not map.cells[y][map.cols], "outer ring column") end
  -- every room reachable from the spawn, over floor cells only
  local dist = gen.distances(map, map.spawn.cx, map.spawn.cy)
  for i, r in ipairs(map.rooms) do
    for y = r.y, r.y + r.h - 1 do
      for x = r.x, r.x + r.w - 1 do ok(dist[y][x] ~= nil, "room " .. i .. " cell unreachable") end
    end
  end
  ok(room_of(map, map.spawn.cx, map.spawn.cy) == 1, "spawn in the first room")
  ok(room_of(map, map.boss.cx, map.boss.cy) == map.boss_room and map.boss_room ~= 1, "boss room")
  ok(map.boss.monster == d.boss, "boss monster")
  -- the boss room is the farthest from the spawn
  for _, r in ipairs(map.rooms) do
    local cx, cy = r.x + math.floor(r.w / 2), r.y + math.floor(r.h / 2)
    ok(dist[cy][cx] <= dist[map.boss.cy][map.boss.cx], "a room farther than the boss room")
  end
  -- entities: on distinct floor cells, at cell centres, never in a wall
  local seen = {}
  local per_room = {}
  local function entity(e, what)
    ok(map.cells[e.cy][e.cx], what .. " on a wall")
    ok(not seen[e.cy * 1000 + e.cx], what .. " shares a cell")
    seen[e.cy * 1000 + e.cx] = true
    ok(e.x == (e.cx - 0.5) * map.tile and e.y == (e.cy - 0.5) * map.tile, what .. " position")
    for _, b in ipairs(map.blocked) do ok(not inside(b, e.x, e.y), what .. " inside a blocked rect") end
  end
  entity(map.spawn, "spawn")
  entity(map.boss, "boss")
  local monster_ok = {}
  for _, m in ipairs(d.monsters) do monster_ok[m] = true end
  for _, m in ipairs(map.monsters) do
    entity(m, "monster")
    ok(monster_ok[m.monster], "monster id " .. tostring(m.monster))
    local i = room_of(map, m.cx, m.cy)
    ok(i and i ~= 1 and i ~= map.boss_room, "monster outside an ordinary room")
    per_room[i] = (per_room[i] or 0) + 1
    ok(per_room[i] <= d.difficulty, "more monsters than the difficulty in a room")
  end
  local chest_ok, boss_chest = {}, false
  for _, c in ipairs(d.chests or {}) do chest_ok[c] = true end
  for _, c in ipairs(map.chests) do
    entity(c, "chest")
    ok(chest_ok[c.item], "chest item " .. tostring(c.item))
    local i = room_of(map, c.cx, c.cy)
    ok(i and i ~= 1, "chest in the spawn room")
    if i == map.boss_room then boss_chest = true end
  end
  ok(boss_chest == (#(d.chests or {}) > 0), "boss room chest")
  -- walls: the blocked rectangles cover exactly the wall cells, no overlap
  for y = 1, map.rows do
    for x = 1, map.cols do
      local px, py, n = (x - 0.5) * map.tile, (y - 0.5) * map.tile, 0
      for _, b in ipairs(map.blocked) do if inside(b, px, py) then n = n + 1 end end
      ok(n == (map.cells[y][x] and 0 or 1), "cell " .. x .. "," .. y .. " covered " .. n .. " times")
    end
  end
  -- the ASCII picture agrees with the map
  local text = gen.ascii(map)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  ok(#lines == map.rows and #lines[1] == map.cols, "ascii size")
  ok(lines[map.spawn.cy]:sub(map.spawn.cx, map.spawn.cx) == "S", "ascii S")
  ok(lines[map.boss.cy]:sub(map.boss.cx, map.boss.cx) == "B", "ascii B")
  local _, nm = text:gsub("M", "")
  local _, nc = text:gsub("C", "")
  ok(nm == #map.monsters and nc == #map.chests, "ascii M/C counts")
end

-- ---- the demo template over many seeds --------------------------------------
do
  local d = defs.get("dungeon", "wolf_den")
  assert(d and d.boss == "den_leader", "content/dungeons.lua defines wolf_den with its boss")
  for seed = 0, 60 do check_map(dungeon.generate("wolf_den", seed), d, "wolf_den/" .. seed) end
end

-- ---- determinism: the same seed gives the same dungeon; seeds differ --------
do
  local a, b = dungeon.ascii_map("wolf_den", "12345"), dungeon.ascii_map("wolf_den", "12345")
  assert(a == b, "same seed, same map")
  local m1, m2 = dungeon.generate("wolf_den", 12345), dungeon.generate("wolf_den", 12345)
  assert(#m1.blocked == #m2.blocked and #m1.monsters == #m2.monsters and #m1.chests == #m2.chests)
  for i, r in ipairs(m1.blocked) do
    local o = m2.blocked[i]
    assert(r.x == o.x and r.y == o.y and r.w == o.w and r.h == o.h, "same walls")
  end
  -- not drawn from chaos.random: drawing from it changes nothing
  chaos.random(); chaos.random()
  assert(dungeon.ascii_map("wolf_den", "12345") == a, "independent of chaos.random")
  local distinct = {}
  local n = 0
  for seed = 1, 8 do
    local s = dungeon.ascii_map("wolf_den", tostring(seed))
    if not distinct[s] then distinct[s] = true; n = n + 1 end
  end
  assert(n >= 6, "seeds give different dungeons (" .. n .. " of 8)")
  -- a top-size seed works
  check_map(dungeon.generate("wolf_den", 2 ^ 53 - 1), defs.get("dungeon", "wolf_den"), "max seed")
end

-- ---- the generator over other templates (no chests, hard, big, tight) -------
do
  local templates = {
    { id = "t1", size = { 16, 16 }, rooms = { 2, 2 }, difficulty = 1, monsters = { "a" }, boss = "b" },
    { id = "t2", size = { 80, 60 }, rooms = { 10, 20 }, difficulty = 10, monsters = { "a", "c" },
      boss = "b", chests = { "x", "y", "z" } },
    { id = "t3", size = { 200, 16 }, rooms = { 5, 50 }, difficulty = 5, monsters = { "a" }, boss = "b",
      chests = { "x" } },
  }
  for _, d in ipairs(templates) do
    for seed = 1, 15 do check_map(gen.generate(d, chaos.rng(seed)), d, d.id .. "/" .. seed) end
  end
  -- difficulty 10 fills rooms: more monsters than at difficulty 1, same grid
  local easy, hard = 0, 0
  for seed = 1, 10 do
    local base = { id = "t", size = { 60, 40 }, rooms = { 8, 8 }, monsters = { "a" }, boss = "b" }
    base.difficulty = 1
    easy = easy + #gen.generate(base, chaos.rng(seed)).monsters
    base.difficulty = 10
    hard = hard + #gen.generate(base, chaos.rng(seed)).monsters
  end
  assert(hard > easy, "difficulty raises the monster count (" .. easy .. " vs " .. hard .. ")")
end

-- ---- errors ----------------------------------------------------------------
do
  local function fails(fn, want)
    local okc, msg = pcall(fn)
    assert(not okc, "expected an error: " .. want)
    assert(tostring(msg):find(want, 1, true), "got: " .. tostring(msg) .. " (want " .. want .. ")")
    return msg
  end
  fails(function() dungeon.generate("nope", 1) end, "unknown dungeon template 'nope'")
  fails(function() dungeon.generate("wolf_den", -1) end, "seed must be a whole number")
  fails(function() dungeon.generate("wolf_den", 1.5) end, "seed must be a whole number")
  fails(function() dungeon.ascii_map("wolf_den", "x") end, "seed must be a whole number")
  local base = function(over)
    local t = { id = "bad", name = "Bad", size = { 20, 20 }, rooms = { 2, 3 }, difficulty = 1,
                monsters = { "wolf" }, boss = "wolf" }
    for k, v in pairs(over) do t[k] = v end
    return function() defs.dungeon(t) end
  end
  local msg = fails(base({ size = { 10, 20 } }), "size must be {w, h}")
  assert(msg:find("dungeon_gen_test.lua:%d+: dungeon 'bad'"), "file:line of the call: " .. msg)
  fails(base({ size = { 20, 20.5 } }), "size must be {w, h}")
  fails(base({ rooms = { 3, 2 } }), "rooms must be {min, max}")
  fails(base({ rooms = { 1, 2 } }), "rooms must be {min, max}")
  fails(base({ difficulty = 0 }), "difficulty must be a whole number")
  fails(base({ difficulty = 11 }), "difficulty must be a whole number")
  fails(base({ monsters = {} }), "monsters must be a list")
  fails(base({ monsters = { "Wolf" } }), "monsters must be a list")
  fails(base({ boss = 3 }), "boss must be a monster id")
  fails(base({ chests = "x" }), "chests must be a list")
  fails(base({ colour = "red" }), "unknown field 'colour'")
  fails(base({ name = "" }), "name must be a non-empty string")
  -- cross-references are checked after loading
  defs.dungeon{ id = "dangling", name = "Dangling", size = { 20, 20 }, rooms = { 2, 2 }, difficulty = 1,
                monsters = { "ghost" }, boss = "lich", chests = { "nothing" } }
  local errs = table.concat(defs.check(), "\n")
  assert(errs:find("dungeon 'dangling': monsters[1] names unknown monster 'ghost'", 1, true), errs)
  assert(errs:find("dungeon 'dangling': boss names unknown monster 'lich'", 1, true), errs)
  assert(errs:find("dungeon 'dangling': chests[1] names unknown item 'nothing'", 1, true), errs)
  -- more rooms than fit: as many as fit, still a valid map
  local crowd = { id = "crowd", size = { 16, 16 }, rooms = { 50, 50 }, difficulty = 1, monsters = { "a" },
                  boss = "b" }
  local m = gen.generate(crowd, chaos.rng(1))
  assert(#m.rooms < 50)
  check_map(m, crowd, "crowd")
end

print("dungeon_gen_test: ok")
