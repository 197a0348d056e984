-- Parties: small groups of online players, kept in memory by this process
-- (chaos.state "party", so they survive a reload, not a restart). The ops
-- are in scripts/ops/party.lua, the tunable rules (size, range, experience
-- and loot sharing) in scripts/rules/party.lua.
--
-- A party is { id, leader = character id, members = {character id, ...} }
-- (members in joining order; the leader is one of them). Invitations are
-- kept per invited character: the latest invitation wins. Every change is
-- told to every member as a `party` event:
--   {ev = "party", event = "joined"|"left"|"kicked"|"leader"|"disbanded",
--    name = who it is about, leader = leader's name, members = {names}}
-- (no members to whoever left or was kicked, nor with "disbanded": they
-- are in no party; "disbanded" has no leader either).
-- Failures raise chaos.fail codes (the ops' error codes, docs/protocol.md).
local chaos = require("chaos")
local rules = require("rules")

local M = {}

local S = chaos.state("party", function()
  return { next_id = 1, parties = {}, of = {}, invites = {} }
end)

local function name_of(id)
  local p = chaos.world.player(id)
  return p and p.name or "?"
end

local function member_names(party)
  local out = {}
  for i, id in ipairs(party.members) do out[i] = name_of(id) end
  return out
end

local function tell(party, event, about, extra_to)
  local ev = { ev = "party", event = event, name = about,
               leader = name_of(party.leader), members = member_names(party) }
  for _, id in ipairs(party.members) do
    local p = chaos.world.player(id)
    if p then p:send(ev) end
  end
  if extra_to then
    local p = chaos.world.player(extra_to)
    if p then
      p:send{ ev = "party", event = event, name = about, leader = ev.leader }
    end
  end
end

local function remove(list, id)
  for i, v in ipairs(list) do
    if v == id then table.remove(list, i) return true end
  end
  return false
end

-- The party table of a player (handle or character id), or nil.
function M.of(p)
  local id = type(p) == "number" and p or p.id
  local pid = S.of[id]
  return pid and S.parties[pid] or nil
end

-- Handles of the online members of p's party (p included), or {p} when p is
-- in no party.
function M.members(p)
  local party = M.of(p)
  if not party then return { p } end
  local out = {}
  for _, id in ipairs(party.members) do
    local h = chaos.world.player(id)
    if h then out[#out + 1] = h end
  end
  return out
end

local function target(name)
  if type(name) ~= "string" or name == "" then
    chaos.fail("bad_field", "\"name\" must be a character name")
  end
  local t = chaos.world.player(name)
  if not t then chaos.fail("not_online", "no character named " .. name .. " is online") end
  return t
end

-- p invites the character called name. A player in a party must lead it.
function M.invite(p, name)
  local t = target(name)
  if t == p then chaos.fail("bad_target", "you cannot invite yourself") end
  local party = M.of(p)
  if party and party.leader ~= p.id then chaos.fail("not_leader", "only the party leader invites") end
  if party and #party.members >= rules.party_max then
    chaos.fail("party_full", "the party has " .. rules.party_max .. " members already")
  end
  if M.of(t) then chaos.fail("in_party", t.name .. " is in a party already") end
  S.invites[t.id] = p.id
  t:send{ ev = "party_invite", from = p.name }
  return t
end

-- p accepts the invitation it has; returns the party.
function M.accept(p)
  if M.of(p) then chaos.fail("in_party", "leave your party first") end
  local from = S.invites[p.id]
  S.invites[p.id] = nil
  local inviter = from and chaos.world.player(from)
  if not inviter then chaos.fail("no_invite", "no invitation (or its sender left)") end
  local party = M.of(inviter)
  if party and party.leader ~= inviter.id then
    chaos.fail("no_invite", "the invitation is stale: its sender no longer leads a party")
  end
  if not party then
    party = { id = S.next_id, leader = inviter.id, members = { inviter.id } }
    S.next_id = S.next_id + 1
    S.parties[party.id] = party
    S.of[inviter.id] = party.id
  end
  if #party.members >= rules.party_max then
    chaos.fail("party_full", "the party has " .. rules.party_max .. " members already")
  end
  party.members[#party.members + 1] = p.id
  S.of[p.id] = party.id
  tell(party, "joined", p.name)
  return party
end

local function disband(party)
  local ids = party.members
  party.members = {}
  S.parties[party.id] = nil
  for _, id in ipairs(ids) do
    S.of[id] = nil
    local h = chaos.world.player(id)
    if h then h:send{ ev = "party", event = "disbanded", name = h.name } end
  end
end

-- Takes character id out of its party (event: "left" or "kicked"). A party
-- left with one member is disbanded; a leader who goes hands the lead to the
-- member who joined first.
local function drop(party, id, event)
  local name = name_of(id)
  remove(party.members, id)
  S.of[id] = nil
  if #party.members < 2 then
    local h = chaos.world.player(id)
    if h then h:send{ ev = "party", event = event, name = name } end
    disband(party)
    return
  end
  if party.leader == id then party.leader = party.members[1] end
  tell(party, event, name, id)
end

function M.leave(p)
  local party = M.of(p)
  if not party then chaos.fail("not_in_party", "you are in no party") end
  drop(party, p.id, "left")
end

function M.kick(p, name)
  local party = M.of(p)
  if not party then chaos.fail("not_in_party", "you are in no party") end
  if party.leader ~= p.id then chaos.fail("not_leader", "only the party leader kicks") end
  local t = target(name)
  if t == p then chaos.fail("bad_target", "leave the party instead") end
  if M.of(t) ~= party then chaos.fail("bad_target", t.name .. " is not in your party") end
  drop(party, t.id, "kicked")
  return t
end

function M.set_leader(p, name)
  local party = M.of(p)
  if not party then chaos.fail("not_in_party", "you are in no party") end
  if party.leader ~= p.id then chaos.fail("not_leader", "only the party leader hands the lead on") end
  local t = target(name)
  if M.of(t) ~= party then chaos.fail("bad_target", t.name .. " is not in your party") end
  party.leader = t.id
  tell(party, "leader", t.name)
  return t
end

-- {leader = name, members = {names}, in_party = true} of p's party, or nil.
function M.view(p)
  local party = M.of(p)
  if not party then return nil end
  return { in_party = true, leader = name_of(party.leader), members = member_names(party) }
end

-- Party chat: the text to every online member as {ev = "chat", channel =
-- "party", from, text}. Returns how many got it besides p; false when p is
-- in no party.
function M.chat(p, text)
  local party = M.of(p)
  if not party then return false end
  local n = 0
  for _, h in ipairs(M.members(p)) do
    h:send{ ev = "chat", channel = "party", from = p.name, text = text }
    if h ~= p then n = n + 1 end
  end
  return n
end

-- A player leaving the world leaves its party; pending invitations go.
chaos.on("logout", function(ev)
  local id = ev.player.id
  S.invites[id] = nil
  local party = M.of(id)
  if party then drop(party, id, "left") end
end, { priority = 1000 })

-- The `chat` op's "party" channel (core/app/chat.c fires chat_channel after
-- its own checks: text, mutes, rate limit).
chaos.on("chat_channel", function(ev)
  if ev.channel ~= "party" then return false end
  return M.chat(ev.player, ev.text) ~= false
end)

return M
