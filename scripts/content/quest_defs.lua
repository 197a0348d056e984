-- The NPC and quest vocabulary: npc{} and quest{}. Installed into content.defs
-- (defs.npc, defs.quest) like shop_defs.lua.
--
--   npc{ id, name, zone, x, y, dialogue = { start = { text = "…", choices = {
--        { text = "…", goto = "node" }, { text = "…", action = fn }, { text = "Bye" } } },
--        node = { … }, … }? }
--     A dialogue needs a `start` node; every `goto` names a node of the same
--     dialogue. action(player, npc_def) runs when the choice is taken and may
--     return a node name to go on with (nil: the dialogue ends).
--   quest{ id, name, version = 1?, giver = npc id?, repeatable = false?, daily = false?,
--          steps = { { kind = "kill", monster =, count = 1? }, { kind = "collect", item =, count = 1? },
--                    { kind = "talk", npc = }, { kind = "reach", zone =, x =, y =, radius = },
--                    { kind = "use", item =, count = 1? }, { kind = "custom", check = fn, text =? } },
--          requires = { level =?, realm =?, quests = { id, … }? }?,
--          rewards = { exp =?, gold =?, items = { { item =, count = 1? }, … }? }?,
--          migrate = function(old_progress, old_version) → new progress or nil }
--
-- Shape errors are raised at the call as "file:line: message"; the monsters,
-- items, NPCs, zones, realms and quests named are checked once every content
-- file has loaded (content.defs M.check), so a broken file refuses the reload.
-- The engine: scripts/engine/npcs.lua, scripts/engine/quests.lua,
-- scripts/ops/quests.lua.
local M = {}

local ID = "^[a-z][a-z0-9_]*$"
local check = require("content.check")
local finite, int_in, is_id, is_list = check.finite, check.int_in, check.is_id, check.is_list
local MAX_NODES = 200
local MAX_CHOICES = 16
local MAX_STEPS = 32

local npc_sites = {}   -- npc id -> "file:line"
local quest_sites = {} -- quest id -> "file:line"

local function only(t, allowed, bad, at)
  for k in pairs(t) do
    if not allowed[k] then bad(at .. ": unknown field '" .. tostring(k) .. "'") end
  end
end

local function check_npc(where, def)
  local function bad(msg) error(where .. ": npc '" .. tostring(def.id) .. "': " .. msg, 0) end
  if not is_id(def.zone) then bad("zone must be a zone id") end
  if not finite(def.x) or not finite(def.y) then bad("x and y must be numbers") end
  local d = def.dialogue
  if d == nil then return end
  if type(d) ~= "table" then bad("dialogue must be a table of node = { text =, choices = }") end
  if type(d.start) ~= "table" then bad("dialogue needs a 'start' node") end
  local n = 0
  for name, node in pairs(d) do
    n = n + 1
    local at = "dialogue." .. tostring(name)
    if not is_id(name) then bad("dialogue node names must be ids (a-z, 0-9, _)") end
    if type(node) ~= "table" then bad(at .. " must be { text =, choices = }") end
    only(node, { text = true, choices = true }, bad, at)
    if type(node.text) ~= "string" or node.text == "" then bad(at .. ".text must be a non-empty string") end
    if node.choices ~= nil and not is_list(node.choices, MAX_CHOICES) then
      bad(at .. ".choices must be a list of at most " .. MAX_CHOICES .. " { text =, goto =? | action =? }")
    end
    for i, c in ipairs(node.choices or {}) do
      local cat = at .. ".choices[" .. i .. "]"
      if type(c) ~= "table" then bad(cat .. " must be { text =, goto =? | action =? }") end
      only(c, { text = true, ["goto"] = true, action = true }, bad, cat)
      if type(c.text) ~= "string" or c.text == "" then bad(cat .. ".text must be a non-empty string") end
      if c["goto"] ~= nil and c.action ~= nil then bad(cat .. ": goto and action exclude each other") end
      if c.action ~= nil and type(c.action) ~= "function" then bad(cat .. ".action must be a function") end
      if c["goto"] ~= nil and (type(c["goto"]) ~= "string" or type(d[c["goto"]]) ~= "table") then
        bad(cat .. ".goto names unknown node '" .. tostring(c["goto"]) .. "'")
      end
    end
  end
  if n > MAX_NODES then bad("at most " .. MAX_NODES .. " dialogue nodes") end
end

local STEP_FIELDS = {
  kill = { kind = true, monster = true, count = true },
  collect = { kind = true, item = true, count = true },
  talk = { kind = true, npc = true },
  reach = { kind = true, zone = true, x = true, y = true, radius = true },
  use = { kind = true, item = true, count = true },
  custom = { kind = true, check = true, text = true },
}

local function check_quest(where, def)
  local function bad(msg) error(where .. ": quest '" .. tostring(def.id) .. "': " .. msg, 0) end
  only(def, { id = true, name = true, version = true, giver = true, repeatable = true, daily = true,
              steps = true, requires = true, rewards = true, migrate = true, text = true }, bad, "quest")
  if def.version ~= nil and not int_in(def.version, 1, 1e6) then bad("version must be a whole number >= 1") end
  if def.giver ~= nil and not is_id(def.giver) then bad("giver must be an npc id") end
  if def.repeatable ~= nil and type(def.repeatable) ~= "boolean" then bad("repeatable must be true or false") end
  if def.daily ~= nil and type(def.daily) ~= "boolean" then bad("daily must be true or false") end
  if def.text ~= nil and type(def.text) ~= "string" then bad("text must be a string") end
  if def.migrate ~= nil and type(def.migrate) ~= "function" then bad("migrate must be a function") end
  if not is_list(def.steps, MAX_STEPS) or #def.steps == 0 then
    bad("steps must be a list of 1 to " .. MAX_STEPS .. " { kind =, … }")
  end
  for i, s in ipairs(def.steps) do
    local at = "steps[" .. i .. "]"
    if type(s) ~= "table" or not STEP_FIELDS[s.kind] then
      bad(at .. ".kind must be kill, collect, talk, reach, use or custom")
    end
    only(s, STEP_FIELDS[s.kind], bad, at)
    if s.count ~= nil and not int_in(s.count, 1, 9999) then bad(at .. ".count must be a whole number in [1, 9999]") end
    if s.kind == "kill" and not is_id(s.monster) then bad(at .. ".monster must be a monster id") end
    if (s.kind == "collect" or s.kind == "use") and not is_id(s.item) then bad(at .. ".item must be an item id") end
    if s.kind == "talk" and not is_id(s.npc) then bad(at .. ".npc must be an npc id") end
    if s.kind == "reach" then
      if not is_id(s.zone) then bad(at .. ".zone must be a zone id") end
      if not finite(s.x) or not finite(s.y) then bad(at .. ".x and .y must be numbers") end
      if not (finite(s.radius) and s.radius > 0) then bad(at .. ".radius must be a number > 0") end
    end
    if s.kind == "custom" then
      if type(s.check) ~= "function" then bad(at .. ".check must be a function(player, quest) → bool") end
      if s.text ~= nil and type(s.text) ~= "string" then bad(at .. ".text must be a string") end
    end
  end
  local r = def.requires
  if r ~= nil then
    if type(r) ~= "table" then bad("requires must be { level =?, realm =?, quests =? }") end
    only(r, { level = true, realm = true, quests = true }, bad, "requires")
    if r.level ~= nil and not int_in(r.level, 1, 10000) then bad("requires.level must be a whole number >= 1") end
    if r.realm ~= nil and not is_id(r.realm) then bad("requires.realm must be a realm id") end
    if r.quests ~= nil and not is_list(r.quests, 64) then bad("requires.quests must be a list of quest ids") end
    for i, q in ipairs(r.quests or {}) do
      if not is_id(q) then bad("requires.quests[" .. i .. "] must be a quest id") end
    end
  end
  local w = def.rewards
  if w ~= nil then
    if type(w) ~= "table" then bad("rewards must be { exp =?, gold =?, items =? }") end
    only(w, { exp = true, gold = true, items = true }, bad, "rewards")
    if w.exp ~= nil and not int_in(w.exp, 0, 1e12) then bad("rewards.exp must be a whole number >= 0") end
    if w.gold ~= nil and not int_in(w.gold, 0, 1e12) then bad("rewards.gold must be a whole number >= 0") end
    if w.items ~= nil and not is_list(w.items, 32) then bad("rewards.items must be a list of { item =, count =? }") end
    for i, e in ipairs(w.items or {}) do
      local at = "rewards.items[" .. i .. "]"
      if type(e) ~= "table" or not is_id(e.item) then bad(at .. " must be { item = id, count =? }") end
      only(e, { item = true, count = true }, bad, at)
      if e.count ~= nil and not int_in(e.count, 1, 9999) then bad(at .. ".count must be a whole number in [1, 9999]") end
    end
  end
end

local function check_all(defs, errors)
  local function err(where, msg) errors[#errors + 1] = (where or "?") .. ": " .. msg end
  for _, id in ipairs(defs.ids("npc")) do
    local n, where = defs.get("npc", id), npc_sites[id]
    local z = defs.get("zone", n.zone)
    if not z then
      err(where, "npc '" .. id .. "': unknown zone '" .. n.zone .. "'")
    elseif n.x < 0 or n.y < 0 or n.x > z.width or n.y > z.height then
      err(where, "npc '" .. id .. "': (" .. n.x .. ", " .. n.y .. ") is outside zone '" .. n.zone .. "'")
    end
  end
  for _, id in ipairs(defs.ids("quest")) do
    local q, where = defs.get("quest", id), quest_sites[id]
    local pre = "quest '" .. id .. "': "
    if q.giver and not defs.get("npc", q.giver) then err(where, pre .. "giver names unknown npc '" .. q.giver .. "'") end
    for i, s in ipairs(q.steps) do
      local at = pre .. "steps[" .. i .. "] names unknown "
      if s.kind == "kill" and not defs.get("monster", s.monster) then err(where, at .. "monster '" .. s.monster .. "'") end
      if (s.kind == "collect" or s.kind == "use") and not defs.get("item", s.item) then
        err(where, at .. "item '" .. s.item .. "'")
      end
      if s.kind == "talk" and not defs.get("npc", s.npc) then err(where, at .. "npc '" .. s.npc .. "'") end
      if s.kind == "reach" and not defs.get("zone", s.zone) then err(where, at .. "zone '" .. s.zone .. "'") end
    end
    local r = q.requires or {}
    if r.realm and not defs.get("realm", r.realm) then err(where, pre .. "requires unknown realm '" .. r.realm .. "'") end
    for i, o in ipairs(r.quests or {}) do
      if not defs.get("quest", o) then err(where, pre .. "requires.quests[" .. i .. "] names unknown quest '" .. o .. "'") end
    end
    for i, e in ipairs((q.rewards or {}).items or {}) do
      if not defs.get("item", e.item) then err(where, pre .. "rewards.items[" .. i .. "] names unknown item '" .. e.item .. "'") end
    end
  end
end

local function site()
  local info = debug.getinfo(3, "Sl")
  return info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
end

function M.install(defs, internal)
  defs.npc = function(def)
    local where = site()
    if type(def) ~= "table" then error(where .. ": npc{}: expects a table, got " .. type(def), 0) end
    if is_id(def.id) then check_npc(where, def) end
    local copy = internal.define("npc", def)
    npc_sites[copy.id] = where
    return copy
  end
  defs.quest = function(def)
    local where = site()
    if type(def) ~= "table" then error(where .. ": quest{}: expects a table, got " .. type(def), 0) end
    if is_id(def.id) then check_quest(where, def) end
    local copy = internal.define("quest", def)
    copy.version = copy.version or 1
    quest_sites[copy.id] = where
    return copy
  end
  internal.add_check(function(errors) check_all(defs, errors) end)
end

return M
