-- Progression ops (docs/protocol.md): `breakthrough` out of the character's
-- cultivation realm, `skills`, its job's skills with what unlocks them, and
-- `sheet`, the character's snapshot (a client's character sheet).
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local prog = require("rules.progression")

local M = {}

local function caller(ctx)
  local p = ctx.player
  if not p then chaos.fail("not_in_world", "enter the world first") end
  return p
end

-- breakthrough: refused below the realm's level cap (not_at_cap), in the last
-- realm (max_realm) and without the cost (no_resource). Otherwise the cost is
-- paid and the result (the next realm, or one more failure) is recorded in ONE
-- transaction; the answer waits for its commit. A failure applies the realm's
-- penalty as a timed buff ("breakthrough_penalty").
chaos.on_op("breakthrough", function(_, ctx)
  local p = caller(ctx)
  local realms = defs.realms()
  local cur, rank = prog.realm_of(p)
  local nxt = realms[rank + 1]
  if not cur or not nxt then chaos.fail("max_realm", "there is no realm above this one") end
  if p.level < cur.level_cap then
    chaos.fail("not_at_cap", "reach level " .. cur.level_cap .. " first")
  end
  local bt = cur.breakthrough or {}
  local cost = (bt.cost and bt.cost.gold) or 0
  if p.gold_pending < cost then
    chaos.fail("no_resource", "a breakthrough costs " .. cost .. " gold")
  end
  -- Item costs: which of the player's stacks pay them (whole stacks first, in
  -- inventory order), checked before the roll; taken in the same transaction.
  local takes = {}
  for _, c in ipairs((bt.cost and bt.cost.items) or {}) do
    local need = c.count
    for _, it in ipairs(p:items()) do
      if need == 0 then break end
      if it.template == c.item and it.place:sub(1, 4) == "inv:" then
        local n = math.min(need, it.stack)
        takes[#takes + 1] = { uid = it.uid, count = n }
        need = need - n
      end
    end
    if need > 0 then
      chaos.fail("no_resource", "a breakthrough needs " .. c.count .. " × " .. c.item)
    end
  end
  local failures = prog.failures(p)
  local chance = rules.breakthrough_chance(cur, failures, p:stats())
  -- The roll's own seed, drawn from the server's seeded generator and logged:
  -- chaos.rng(seed):float() replays the roll exactly.
  local seed = chaos.random(0, 2 ^ 53 - 1)
  local roll = chaos.rng(seed):float()
  local success = roll < chance
  chaos.txn(p, "breakthrough:" .. cur.id, function(t)
    t:add_gold(-cost)
    for _, k in ipairs(takes) do t:remove_item(k.uid, k.count) end
    local d = t:data(prog.NS)
    if success then
      d.id, d.failures = nxt.id, 0
    else
      d.id, d.failures = cur.id, failures + 1
    end
  end)
  chaos.log("info", "breakthrough", { character = p.id, realm = cur.id, seed = seed, roll = roll,
    chance = chance, success = success, failures = failures })
  if success then
    prog.apply(p)
  elseif bt.penalty then
    p:buff{ source = "breakthrough_penalty", stats = bt.penalty.stats, seconds = bt.penalty.seconds }
  end
  local now = success and nxt or cur
  return { success = success, realm = now.id, failures = success and 0 or failures + 1,
           chance = chance }
end)

-- skills: the caller's job's skills, each {id, name, known, unlock}; unlock is
-- {level = n?, realm = id?}. A job without a skills list lists nothing (its
-- characters know every skill).
chaos.on_op("skills", function(_, ctx)
  local p = caller(ctx)
  local job = defs.get("job", p.job) or {}
  local cur, rank = prog.realm_of(p)
  local known = {}
  for _, id in ipairs(rules.known_skills(p.level, p.race, p.job, rank) or {}) do known[id] = true end
  local out = {}
  for _, e in ipairs(job.skills or {}) do
    local sk = defs.get("skill", e.skill)
    out[#out + 1] = { id = e.skill, name = sk and sk.name or e.skill, known = known[e.skill] == true,
                      unlock = { level = e.level, realm = e.realm } }
  end
  return { job = p.job, realm = cur and cur.id or nil, realm_name = cur and cur.name or nil,
           skills = out }
end)

-- sheet: level, realm, experience, gold, vitals, the move speed the server
-- allows (units/s) and every resolved stat, now.
chaos.on_op("sheet", function(_, ctx)
  local p = caller(ctx)
  local cur = prog.realm_of(p)
  return { name = p.name, race = p.race, job = p.job, level = p.level, exp = p.exp, gold = p.gold,
           realm = cur and cur.id or nil, realm_name = cur and cur.name or nil,
           hp = p.hp, hp_max = p.hp_max, mp = p.mp, mp_max = p.mp_max, speed = p.speed,
           stats = p:stats() }
end)

return M
