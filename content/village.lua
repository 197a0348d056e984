-- The starting village: the meadow's safe camp and, just south of it (out of
-- the spawn's view, 50 units, like Trader Lin of content/vendors.lua), its
-- people. Copy an npc{} to add one: id, name, zone, x, y, and a dialogue of
-- nodes { text =, choices = { { text =, goto = node } } } (docs/content-guide.md,
-- "NPCs and quests"). Quest givers must be npc{} ids; a player accepts and
-- turns in within 6 units of the giver.
local defs = require("content.defs")

-- Elder Mo gives the chain (content/quests.lua) and explains what to do.
defs.npc{ id = "elder", name = "Elder Mo", zone = "meadow", x = 510, y = 560,
  dialogue = {
    start = { text = "Welcome, traveller. Wolves prowl the south-east meadow.", choices = {
      { text = "What should I do?", ["goto"] = "help" },
      { text = "Tell me about the den.", ["goto"] = "den" },
      { text = "Farewell." } } },
    help = { text = "Accept my quests (op quest_accept) one after the other: "
               .. "scout the meadow, hunt wolves, bring pelts to Bran the smith." },
    den = { text = "North-east, at (700, 300), a portal leads into the Wolf Den. Its leader is strong." } } }

-- Bran the smith takes the pelts and arms newcomers (quests "pelts", "armed").
defs.npc{ id = "smith", name = "Smith Bran", zone = "meadow", x = 490, y = 560,
  dialogue = {
    start = { text = "Pelts for leather, iron for blades. Bring me three wolf pelts.", choices = {
      { text = "How do I wear a sword?", ["goto"] = "equip" },
      { text = "Bye." } } },
    equip = { text = "Send op equip with the sword's uid. Then go and show the elder." } } }
