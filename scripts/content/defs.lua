-- The content vocabulary: race{}, job{}, zone{} (more kinds follow the same shape).
-- Content files declare definitions through it:
--
--   local defs = require("content.defs")
--   defs.race{ id = "human", name = "Human" }
--
-- Every definition is kept in one registry table, {kind = {id = def}}, stored
-- in the Lua registry under "chaos.defs" so the C core can ask the live
-- generation whether an id exists (cw_host_has_def). Each generation has its
-- own state, so a reload starts from an empty registry.
local M = {}

local registry = {}
debug.getregistry()["chaos.defs"] = registry

local ID_PATTERN = "^[a-z][a-z0-9_]*$"

local function define(kind, def)
  if type(def) ~= "table" then
    error(kind .. "{}: expects a table, got " .. type(def), 3)
  end
  local id = def.id
  if type(id) ~= "string" or #id > 63 or not id:match(ID_PATTERN) then
    error(kind .. "{}: id must be 1-63 characters of a-z, 0-9 and _, starting with a letter", 3)
  end
  if type(def.name) ~= "string" or def.name == "" then
    error(kind .. " '" .. id .. "': name must be a non-empty string", 3)
  end
  local defs = registry[kind]
  if not defs then
    defs = {}
    registry[kind] = defs
  end
  if defs[id] then
    error(kind .. " '" .. id .. "' is defined twice", 3)
  end
  local copy = {}
  for k, v in pairs(def) do
    copy[k] = v
  end
  defs[id] = copy
  return copy
end

local function num(v)
  return type(v) == "number" and v == v and v > -math.huge and v < math.huge
end

-- A `stats = { name = number, ... }` table (race, job, monster): FLAT
-- contributions to the stat engine (names like hp_max, mp_max, power,
-- defense, accuracy, evasion, crit_rate, move_speed; see docs/content-guide.md).
local function check_stats(kind, def, level, field)
  field = field or "stats"
  local st = def[field]
  if st == nil then return end
  if type(st) ~= "table" then
    error(kind .. " '" .. tostring(def.id) .. "': " .. field .. " must be a table of name = number", level)
  end
  local n = 0
  for k, v in pairs(st) do
    n = n + 1
    if type(k) ~= "string" or not k:match("^[a-z][a-z0-9_]*$") or #k > 31 then
      error(kind .. " '" .. tostring(def.id) .. "': " .. field .. " keys must be stat names (a-z, 0-9, _)", level)
    end
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      error(kind .. " '" .. tostring(def.id) .. "': " .. field .. "." .. k .. " must be a finite number", level)
    end
  end
  if n > 24 then error(kind .. " '" .. tostring(def.id) .. "': at most 24 " .. field, level) end
end

-- per_level = { stat = n, ... } (race, job): what each level above 1 adds to
-- the character's `level` stat source (the default rules.level_stats).
function M.race(def)
  if type(def) == "table" then check_stats("race", def, 3) end
  if type(def) == "table" then check_stats("race", def, 3, "per_level") end
  if type(def) == "table" and def.move_speed ~= nil then
    local v = def.move_speed
    if type(v) ~= "number" or v ~= v or v <= 0 or v > 1000 then
      error("race '" .. tostring(def.id) .. "': move_speed must be a number in (0, 1000]", 2)
    end
  end
  return define("race", def)
end

-- job{ ..., skills = { { skill = "strike", level = 1 }, { skill = "meteor", realm = "core" } } }:
-- the skills the job's characters learn, each unlocked by a level, a realm
-- (reached or passed), or both. Skill and realm ids are checked once every
-- file has loaded (M.check).
local job_sites = {}

local function check_job_skills(def)
  local list = def.skills
  if list == nil then return end
  local function bad(msg) error("job '" .. tostring(def.id) .. "': " .. msg, 4) end
  if type(list) ~= "table" then bad("skills must be a list of { skill = id, level = n?, realm = id? }") end
  local n = 0
  for _ in pairs(list) do n = n + 1 end
  if n ~= #list then bad("skills must be a list (1, 2, 3, ...)") end
  if n > 200 then bad("at most 200 skills") end
  for i, e in ipairs(list) do
    local at = "skills[" .. i .. "]"
    if type(e) ~= "table" or type(e.skill) ~= "string" then bad(at .. " must be { skill = id, level = n?, realm = id? }") end
    if e.level ~= nil and (not num(e.level) or e.level < 1 or e.level % 1 ~= 0) then
      bad(at .. ".level must be a whole number >= 1")
    end
    if e.realm ~= nil and type(e.realm) ~= "string" then bad(at .. ".realm must be a realm id") end
    for k in pairs(e) do
      if k ~= "skill" and k ~= "level" and k ~= "realm" then bad(at .. ": unknown field '" .. tostring(k) .. "'") end
    end
  end
end

function M.job(def)
  if type(def) == "table" then check_stats("job", def, 3) end
  if type(def) == "table" then check_stats("job", def, 3, "per_level") end
  if type(def) == "table" then check_job_skills(def) end
  local info = debug.getinfo(2, "Sl")
  local copy = define("job", def)
  job_sites[copy.id] = info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
  return copy
end

-- ---- skills and monsters -------------------------------------------------------
-- skill{ id, name, base_min, base_max, scaling, flat?, element?, damage_type?
--        ("physical" default), range, cooldown (s), cast_time (s, default 0),
--        cost = { mp = n }? }
-- monster{ id, name, stats = {...}, skills = {"bite"}, respawn (s),
--          aggro (radius), leash (radius), exp, gold = {min, max},
--          level?, loot = {...}?, loot_rolls? (scripts/content/shop_defs.lua) }
-- Skill names used by monsters and monster names used by zone spawns are
-- checked once every file has run (M.check), reported with file:line.

local sites = { skill = {}, monster = {} } -- kind -> id -> "file:line"

local function site(level)
  local info = debug.getinfo(level, "Sl")
  return info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
end

local function need(kind, def, field, lo, hi, optional)
  local v = def[field]
  if v == nil and optional then return end
  if not num(v) or v < lo or (hi and v > hi) then
    error(kind .. " '" .. tostring(def.id) .. "': " .. field .. " must be a number in ["
      .. lo .. ", " .. (hi or "inf") .. "]", 3)
  end
end

local ELEMENTS = { none = true, wood = true, fire = true, earth = true, metal = true, water = true }
local DAMAGE_TYPES = { physical = true, magical = true, elemental = true, qi = true }

function M.skill(def)
  if type(def) ~= "table" then error("skill{}: expects a table, got " .. type(def), 2) end
  need("skill", def, "base_min", 0)
  need("skill", def, "base_max", 0)
  if def.base_max < def.base_min then error("skill '" .. tostring(def.id) .. "': base_max < base_min", 2) end
  need("skill", def, "scaling", 0, 1000)
  need("skill", def, "flat", 0, nil, true)
  need("skill", def, "range", 0, 10000)
  need("skill", def, "cooldown", 0, 86400)
  need("skill", def, "cast_time", 0, 60, true)
  if def.element ~= nil and not ELEMENTS[def.element] then
    error("skill '" .. tostring(def.id) .. "': element must be one of none, wood, fire, earth, metal, water", 2)
  end
  if def.damage_type ~= nil and not DAMAGE_TYPES[def.damage_type] then
    error("skill '" .. tostring(def.id) .. "': damage_type must be physical, magical, elemental or qi", 2)
  end
  if def.cost ~= nil then
    if type(def.cost) ~= "table" then error("skill '" .. tostring(def.id) .. "': cost must be { mp = n }", 2) end
    for k, v in pairs(def.cost) do
      if k ~= "mp" or not num(v) or v < 0 then
        error("skill '" .. tostring(def.id) .. "': cost must be { mp = n } with n >= 0", 2)
      end
    end
  end
  local where = site(3)
  local copy = define("skill", def)
  sites.skill[copy.id] = where
  return copy
end

function M.monster(def)
  if type(def) ~= "table" then error("monster{}: expects a table, got " .. type(def), 2) end
  check_stats("monster", def, 3)
  if type(def.skills) ~= "table" or #def.skills == 0 then
    error("monster '" .. tostring(def.id) .. "': skills must be a non-empty list of skill ids", 2)
  end
  for i, sk in ipairs(def.skills) do
    if type(sk) ~= "string" then error("monster '" .. tostring(def.id) .. "': skills[" .. i .. "] must be a skill id", 2) end
  end
  need("monster", def, "respawn", 0, 86400)
  need("monster", def, "aggro", 0, 10000)
  need("monster", def, "leash", 0, 100000)
  need("monster", def, "exp", 0, nil, true)
  if def.gold ~= nil then
    local g = def.gold
    if type(g) ~= "table" or not num(g.min) or not num(g.max) or g.min < 0 or g.max < g.min then
      error("monster '" .. tostring(def.id) .. "': gold must be { min = a, max = b } with 0 <= a <= b", 2)
    end
  end
  local where = site(3)
  M.check_loot(def, where) -- level, loot, loot_rolls (scripts/content/shop_defs.lua)
  local copy = define("monster", def)
  sites.monster[copy.id] = where
  return copy
end

-- ---- realms (cultivation) ------------------------------------------------------
-- realm{ id, name, order, level_cap, caps = { stat = max, ... },
--        breakthrough = { chance = 0.5, per_failure = 0.1, stat = "insight",
--                         stat_scale = 0.001, cost = { gold = 100 },
--                         penalty = { stats = { power = -5 }, seconds = 600 } } }
-- Realms are climbed in `order`; a character starts in the first. Its level
-- stops at level_cap until it breaks through to the next realm. `caps` are
-- the realm's stat maxima (the stat engine's REALM cap layer). The last
-- realm's breakthrough is never used.
local realm_sites = {}

function M.realm(def)
  if type(def) ~= "table" then error("realm{}: expects a table, got " .. type(def), 2) end
  local function bad(msg) error("realm '" .. tostring(def.id) .. "': " .. msg, 3) end
  need("realm", def, "order", -1e9, 1e9)
  need("realm", def, "level_cap", 1, 1e6)
  if def.level_cap % 1 ~= 0 then bad("level_cap must be a whole number") end
  check_stats("realm", def, 3, "caps")
  local bt = def.breakthrough
  if bt ~= nil then
    if type(bt) ~= "table" then bad("breakthrough must be a table") end
    for k in pairs(bt) do
      if k ~= "chance" and k ~= "per_failure" and k ~= "stat" and k ~= "stat_scale" and k ~= "cost" and k ~= "penalty" then
        bad("breakthrough: unknown field '" .. tostring(k) .. "'")
      end
    end
    if not num(bt.chance) or bt.chance < 0 or bt.chance > 1 then bad("breakthrough.chance must be a number in [0, 1]") end
    if bt.per_failure ~= nil and (not num(bt.per_failure) or bt.per_failure < 0 or bt.per_failure > 1) then
      bad("breakthrough.per_failure must be a number in [0, 1]")
    end
    if bt.stat ~= nil and (type(bt.stat) ~= "string" or not bt.stat:match("^[a-z][a-z0-9_]*$")) then
      bad("breakthrough.stat must be a stat name")
    end
    if bt.stat_scale ~= nil and not num(bt.stat_scale) then bad("breakthrough.stat_scale must be a number") end
    if bt.cost ~= nil then
      if type(bt.cost) ~= "table" then bad("breakthrough.cost must be { gold = n, items = {...} }") end
      for k, v in pairs(bt.cost) do
        if k == "items" then
          if type(v) ~= "table" then bad("breakthrough.cost.items must be a list of { item = id, count = n }") end
          for i, c in ipairs(v) do
            if type(c) ~= "table" or type(c.item) ~= "string" or not num(c.count) or c.count < 1
                or c.count % 1 ~= 0 then
              bad("breakthrough.cost.items[" .. i .. "] must be { item = id, count = n >= 1 }")
            end
          end
        elseif k ~= "gold" or not num(v) or v < 0 or v % 1 ~= 0 then
          bad("breakthrough.cost must be { gold = n, items = {...} } with gold a whole number >= 0")
        end
      end
    end
    local pen = bt.penalty
    if pen ~= nil then
      if type(pen) ~= "table" or type(pen.stats) ~= "table" or not num(pen.seconds) or pen.seconds <= 0 then
        bad("breakthrough.penalty must be { stats = { stat = n, ... }, seconds = n > 0 }")
      end
      check_stats("realm", { id = def.id, stats = pen.stats }, 3)
    end
  end
  local where = site(3)
  local copy = define("realm", def)
  realm_sites[copy.id] = where
  return copy
end

-- Every realm, in climbing order (by order, then id).
function M.realms()
  local out = {}
  for _, r in pairs(registry.realm or {}) do out[#out + 1] = r end
  table.sort(out, function(a, b)
    if a.order ~= b.order then return a.order < b.order end
    return a.id < b.id
  end)
  return out
end

-- ---- zones --------------------------------------------------------------------
-- zone{ id, name, width, height, view, spawn = {x=, y=, radius =?}, start = true?,
--       safe = {{x=, y=, w=, h=}, ...}, blocked = {...},
--       portals = {{x=, y=, radius=, to = "zone_id", to_x=, to_y=}
--                  | {x=, y=, radius=, dungeon = "dungeon_id"}, ...},
--       spawns = {{monster = "wolf", x=, y=, count =?, radius =?}, ...} }
-- Shape errors are raised at the zone{} call; references between zones
-- (portal targets) are checked once every content file has run (M.check).

local function zone_error(def, msg, level)
  error("zone '" .. tostring(def.id) .. "': " .. msg, level or 3)
end

local function check_rects(def, field)
  local list = def[field]
  if list == nil then return end
  if type(list) ~= "table" then zone_error(def, field .. " must be a list of {x=, y=, w=, h=}", 4) end
  for i, r in ipairs(list) do
    if type(r) ~= "table" or not (num(r.x) and num(r.y) and num(r.w) and num(r.h)) or r.w <= 0 or r.h <= 0 then
      zone_error(def, field .. "[" .. i .. "] must be {x=, y=, w=, h=} with w and h > 0", 4)
    end
  end
end

local function inside(r, x, y)
  return x >= r.x and x <= r.x + r.w and y >= r.y and y <= r.y + r.h
end

local zone_sites = {} -- id -> "file:line" of its zone{} call, for M.check

function M.zone(def)
  if type(def) ~= "table" then error("zone{}: expects a table, got " .. type(def), 2) end
  for _, f in ipairs({ "width", "height", "view" }) do
    if not num(def[f]) or def[f] <= 0 then zone_error(def, f .. " must be a number > 0") end
  end
  local sp = def.spawn
  if type(sp) ~= "table" or not num(sp.x) or not num(sp.y) then
    zone_error(def, "spawn must be {x=, y=}")
  end
  if sp.x < 0 or sp.y < 0 or sp.x > def.width or sp.y > def.height then
    zone_error(def, "spawn is outside the zone")
  end
  if sp.radius ~= nil and (not num(sp.radius) or sp.radius < 0) then
    zone_error(def, "spawn.radius must be a number >= 0")
  end
  check_rects(def, "safe")
  check_rects(def, "blocked")
  for i, r in ipairs(def.blocked or {}) do
    if inside(r, sp.x, sp.y) then zone_error(def, "spawn is inside blocked[" .. i .. "]") end
  end
  if def.portals ~= nil and type(def.portals) ~= "table" then zone_error(def, "portals must be a list") end
  for i, p in ipairs(def.portals or {}) do
    if type(p) == "table" and p.dungeon ~= nil then
      if not (num(p.x) and num(p.y) and num(p.radius)) or p.radius <= 0 or type(p.dungeon) ~= "string"
          or p.to ~= nil then
        zone_error(def, "portals[" .. i .. "] must be {x=, y=, radius=, dungeon = \"dungeon_id\"} (no to)")
      end
    elseif type(p) ~= "table" or not (num(p.x) and num(p.y) and num(p.radius) and num(p.to_x) and num(p.to_y))
        or p.radius <= 0 or type(p.to) ~= "string" then
      zone_error(def, "portals[" .. i .. "] must be {x=, y=, radius=, to=, to_x=, to_y=}")
    end
  end
  if def.spawns ~= nil and type(def.spawns) ~= "table" then zone_error(def, "spawns must be a list") end
  for i, g in ipairs(def.spawns or {}) do
    if type(g) ~= "table" or type(g.monster) ~= "string" or not (num(g.x) and num(g.y)) then
      zone_error(def, "spawns[" .. i .. "] must be { monster = id, x =, y =, count =?, radius =? }")
    end
    if g.count ~= nil and (not num(g.count) or g.count < 1 or g.count > 100 or g.count % 1 ~= 0) then
      zone_error(def, "spawns[" .. i .. "].count must be an integer in [1, 100]")
    end
    if g.radius ~= nil and (not num(g.radius) or g.radius < 0) then
      zone_error(def, "spawns[" .. i .. "].radius must be a number >= 0")
    end
    if g.x < 0 or g.y < 0 or g.x > def.width or g.y > def.height then
      zone_error(def, "spawns[" .. i .. "] is outside the zone")
    end
  end
  if def.start ~= nil and type(def.start) ~= "boolean" then zone_error(def, "start must be true or false") end
  local info = debug.getinfo(2, "Sl")
  local copy = define("zone", def)
  zone_sites[copy.id] = info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
  return copy
end

-- Checks other vocabulary modules add (each appends "file:line: message" strings).
local extra_checks = {}

-- Cross-references, run by the host after every content file has loaded.
-- Returns a list of "file:line: message" strings (empty when all is well).
function M.check()
  local errors = {}
  local zones = registry.zone or {}
  local starts = 0
  for _, id in ipairs(M.ids("zone")) do
    local z = zones[id]
    local where = zone_sites[id] or "?"
    if z.start then starts = starts + 1 end
    for i, p in ipairs(z.portals or {}) do
      local t = zones[p.to]
      if p.dungeon then
        if not (registry.dungeon or {})[p.dungeon] then
          errors[#errors + 1] = where .. ": zone '" .. id .. "': portals[" .. i .. "] names unknown dungeon '" .. p.dungeon .. "'"
        end
      elseif not t then
        errors[#errors + 1] = where .. ": zone '" .. id .. "': portals[" .. i .. "] leads to unknown zone '" .. p.to .. "'"
      elseif p.to_x < 0 or p.to_y < 0 or p.to_x > t.width or p.to_y > t.height then
        errors[#errors + 1] = where .. ": zone '" .. id .. "': portals[" .. i .. "] lands outside zone '" .. p.to .. "'"
      else
        for j, r in ipairs(t.blocked or {}) do
          if inside(r, p.to_x, p.to_y) then
            errors[#errors + 1] = where .. ": zone '" .. id .. "': portals[" .. i .. "] lands inside blocked[" .. j .. "] of '" .. p.to .. "'"
          end
        end
      end
    end
  end
  for _, id in ipairs(M.ids("zone")) do
    for i, g in ipairs(zones[id].spawns or {}) do
      if not (registry.monster or {})[g.monster] then
        errors[#errors + 1] = (zone_sites[id] or "?") .. ": zone '" .. id .. "': spawns[" .. i .. "] names unknown monster '" .. g.monster .. "'"
      end
    end
  end
  for _, id in ipairs(M.ids("monster")) do
    for i, sk in ipairs(registry.monster[id].skills) do
      if not (registry.skill or {})[sk] then
        errors[#errors + 1] = (sites.monster[id] or "?") .. ": monster '" .. id .. "': skills[" .. i .. "] names unknown skill '" .. sk .. "'"
      end
    end
  end
  local realms = M.realms()
  for i = 2, #realms do
    local r, prev = realms[i], realms[i - 1]
    if r.order == prev.order then
      errors[#errors + 1] = (realm_sites[r.id] or "?") .. ": realm '" .. r.id .. "': order " .. r.order .. " is also realm '" .. prev.id .. "''s"
    elseif r.level_cap < prev.level_cap then
      errors[#errors + 1] = (realm_sites[r.id] or "?") .. ": realm '" .. r.id .. "': level_cap " .. r.level_cap .. " is below the previous realm's (" .. prev.level_cap .. ")"
    end
  end
  for _, id in ipairs(M.ids("job")) do
    for i, e in ipairs(registry.job[id].skills or {}) do
      local where = job_sites[id] or "?"
      if not (registry.skill or {})[e.skill] then
        errors[#errors + 1] = where .. ": job '" .. id .. "': skills[" .. i .. "] names unknown skill '" .. e.skill .. "'"
      end
      if e.realm ~= nil and not (registry.realm or {})[e.realm] then
        errors[#errors + 1] = where .. ": job '" .. id .. "': skills[" .. i .. "] names unknown realm '" .. e.realm .. "'"
      end
    end
  end
  if starts > 1 then
    errors[#errors + 1] = "content: more than one zone is marked start = true"
  end
  for _, extra in ipairs(extra_checks) do
    extra(errors)
  end
  return errors
end
debug.getregistry()["chaos.defs.check"] = M.check

-- The definition of kind/id, or nil.
function M.get(kind, id)
  local defs = registry[kind]
  return defs and defs[id]
end

-- Sorted ids of one kind.
function M.ids(kind)
  local out = {}
  for id in pairs(registry[kind] or {}) do
    out[#out + 1] = id
  end
  table.sort(out)
  return out
end

-- Items, affixes and rarities (scripts/content/item_defs.lua) share this
-- module's registry, id rules and cross-file check.
require("content.item_defs").install(M, {
  define = define,
  add_check = function(fn) extra_checks[#extra_checks + 1] = fn end,
})
-- dungeon{} templates (scripts/content/dungeon_defs.lua), the same way.
require("content.dungeon_defs").install(M, {
  define = define,
  add_check = function(fn) extra_checks[#extra_checks + 1] = fn end,
})
-- Loot tables and vendor{} (scripts/content/shop_defs.lua), the same way.
require("content.shop_defs").install(M, {
  define = define,
  add_check = function(fn) extra_checks[#extra_checks + 1] = fn end,
})
-- World events (scripts/content/event_defs.lua), the same way.
require("content.event_defs").install(M, {
  define = define,
  add_check = function(fn) extra_checks[#extra_checks + 1] = fn end,
})

-- npc{} and quest{} (scripts/content/quest_defs.lua), the same way.
require("content.quest_defs").install(M, {
  define = define,
  add_check = function(fn) extra_checks[#extra_checks + 1] = fn end,
})

return M
