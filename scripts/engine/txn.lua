-- chaos.txn(player, reason, function(t) ... end): the only way content moves
-- value. Inside the function:
--   t:add_exp(n)   experience (n may be negative; never below 0)
--   t:add_gold(n)  gold (n may be negative; never below 0)
--   t:data(ns)     a copy of player:data(ns) to change along with the value
--   t:add_item(template, count, props)  count (default 1) items of an item{}
--                  template with props (a table, default {}): stacked onto equal
--                  stacks up to the template's stack size, then into free slots;
--                  no room: the transaction is refused with code inventory_full
--   t:remove_item(uid, count)  count (default: the whole stack) of the
--                  player's item uid; refused with not_found when the player
--                  has no such item or not that many (a pending removal counts)
-- Experience is clamped to the character's realm (rules.max_exp): what does
-- not fit under the realm's level cap is dropped.
-- All or nothing: if the function raises (or runs out of budget) nothing
-- changes. Otherwise the change is queued for the next group commit: gold,
-- exp and the level they give are applied, and the player is told, only once
-- the database transaction (with its ledger rows) has committed; data is
-- visible to scripts at once and rolled back if the commit fails. Returns the
-- transaction's token (nil when there was nothing to commit).
--
-- chaos.after_commit(token, fn): calls fn(ok) once the transaction's commit is
-- over: ok true when it committed, false when it failed (nothing changed).
-- What a player must hear only when the change is durable goes there. A nil
-- token (nothing to commit) calls fn(true) at once. (The `commit` hook.)
local chaos = require("chaos")
local rules = require("rules")
local private = debug.getregistry()["chaos.private"]
local items = require("engine.items")

local function copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do
    out[copy(k, seen)] = copy(x, seen)
  end
  return out
end

local function whole(n, what)
  if type(n) ~= "number" or n ~= n or n % 1 ~= 0 or n > 2 ^ 53 or n < -(2 ^ 53) then
    error("chaos.txn: " .. what .. " must be a whole number", 3)
  end
  return n
end

local Txn = {}
Txn.__index = Txn

function Txn:add_exp(n)
  self._exp = self._exp + whole(n, "t:add_exp(n)")
end

function Txn:add_gold(n)
  self._gold = self._gold + whole(n, "t:add_gold(n)")
end

function Txn:add_item(template, count, props)
  local def = items.template(template)
  if not def then
    error("t:add_item: no item template \"" .. tostring(template) .. "\"", 2)
  end
  count = count == nil and 1 or whole(count, "t:add_item count")
  if count < 1 then error("t:add_item: count must be >= 1", 2) end
  if props ~= nil and type(props) ~= "table" then
    error("t:add_item: props must be a table", 2)
  end
  self._items[#self._items + 1] = { op = "create", template = template, count = count,
    max_stack = def.stack, props = props and copy(props) or nil }
end

function Txn:remove_item(uid, count)
  uid = whole(uid, "t:remove_item uid")
  if count == nil then
    local it = self._player:item(uid)
    count = it and it.stack or 1
  end
  count = whole(count, "t:remove_item count")
  if count < 1 then error("t:remove_item: count must be >= 1", 2) end
  self._items[#self._items + 1] = { op = "destroy", uid = uid, count = count }
end

function Txn:data(ns)
  local d = self._data[ns]
  if d == nil then
    d = copy(self._player:data(ns))
    self._data[ns] = d
  end
  return d
end

-- token → list of functions waiting for that transaction's commit
local waiting = {}

function chaos.after_commit(token, fn)
  if type(fn) ~= "function" then
    error("chaos.after_commit: argument #2 must be a function(ok)", 2)
  end
  if token == nil then
    fn(true)
    return
  end
  if type(token) ~= "number" then
    error("chaos.after_commit: argument #1 must be a transaction token (chaos.txn's result)", 2)
  end
  local list = waiting[token]
  if not list then
    list = {}
    waiting[token] = list
  end
  list[#list + 1] = fn
end

chaos.on("commit", function(ev)
  local list = waiting[ev.token]
  if not list then return end
  waiting[ev.token] = nil
  -- Each runs even when another raises; the first error is raised after.
  local first
  for _, fn in ipairs(list) do
    local ok, err = pcall(fn, ev.ok)
    if not ok and first == nil then first = err end
  end
  if first ~= nil then error(first, 0) end
end)

function chaos.txn(player, reason, fn)
  if type(reason) ~= "string" or #reason == 0 or #reason > 63 then
    error("chaos.txn: reason must be a string of 1 to 63 bytes", 2)
  end
  if type(fn) ~= "function" then
    error("chaos.txn: argument #3 must be a function(t)", 2)
  end
  if not player or not player.exists then
    error("chaos.txn: argument #1 must be a player who is online", 2)
  end
  local t = setmetatable({ _player = player, _exp = 0, _gold = 0, _data = {}, _items = {} }, Txn)
  fn(t)
  if t._exp > 0 then
    -- The realm's level cap: exp past rules.max_exp is dropped (not banked),
    -- so the level never passes the cap until a breakthrough.
    local realm = require("rules.progression").realm_of(player, t._data.realm)
    local max = rules.max_exp(realm)
    if max then
      local room = math.max(0, max - player.exp_pending)
      if t._exp > room then t._exp = room end
    end
  end
  if t._exp == 0 and t._gold == 0 and next(t._data) == nil and #t._items == 0 then
    return nil -- nothing to commit
  end
  local level = 0
  if t._exp ~= 0 then
    local was = player.level
    local now = rules.level_for(math.max(0, player.exp_pending + t._exp))
    if now ~= was then level = now end
  end
  return private.commit(player, reason, t._gold, t._exp, level, t._data, t._items)
end

return {}
