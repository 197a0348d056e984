-- Demo items, affixes and rarities (docs/content-guide.md, "Items").
local defs = require("content.defs")

-- Rarities: how many affixes a piece of equipment rolls.
defs.rarity{ id = "common", name = "Common", order = 0, weight = 70, affixes = { 0, 0 } }
defs.rarity{ id = "magic", name = "Magic", order = 1, weight = 25, affixes = { 1, 2 } }
defs.rarity{ id = "rare", name = "Rare", order = 2, weight = 5, affixes = { 3, 4 } }

defs.item{ id = "iron_sword", name = "Iron Sword", slot = "weapon", level = 1,
           stats = { power = 8 }, value = 40, tags = { "sword", "weapon" } }
defs.item{ id = "apprentice_robe", name = "Apprentice Robe", slot = "chest", level = 1,
           stats = { defense = 3, mp_max = 20 }, value = 25, tags = { "robe", "armor" } }
defs.item{ id = "healing_potion", name = "Healing Potion", stack = 20, value = 10,
           tags = { "potion" },
           -- op use_item: one is consumed and the effect applies (heal 50 hp).
           use = function(player, item) return { heal = 50 } end }

-- Prefixes.
defs.affix{ id = "sharp", name = "Sharp", kind = "prefix", group = "power",
  tiers = { { ilvl = 1, stats = { power = { 2, 5 } } },
            { ilvl = 10, stats = { power = { 6, 10 } } },
            { ilvl = 25, stats = { power = { 11, 18 } } } },
  weights = { sword = 10, armor = 0, default = 2 } }
defs.affix{ id = "mystic", name = "Mystic", kind = "prefix", group = "power",
  tiers = { { ilvl = 1, stats = { power = { 1, 3 }, mp_max = { 5, 10 } } },
            { ilvl = 15, stats = { power = { 4, 7 }, mp_max = { 11, 25 } } } },
  weights = { robe = 8, default = 1 } }
defs.affix{ id = "sturdy", name = "Sturdy", kind = "prefix", group = "defense",
  tiers = { { ilvl = 1, stats = { defense = { 1, 3 } } },
            { ilvl = 12, stats = { defense = { 4, 8 } } },
            { ilvl = 30, stats = { defense = { 9, 15 } } } },
  weights = { armor = 10, default = 1 } }

-- Suffixes.
defs.affix{ id = "of_the_bear", name = "of the Bear", kind = "suffix", group = "life",
  tiers = { { ilvl = 1, stats = { hp_max = { 10, 20 } } },
            { ilvl = 10, stats = { hp_max = { 21, 40 } } },
            { ilvl = 20, stats = { hp_max = { 41, 70 } } } },
  weights = { default = 5 } }
defs.affix{ id = "of_precision", name = "of Precision", kind = "suffix", group = "accuracy",
  tiers = { { ilvl = 5, stats = { accuracy = { 5, 10 } } },
            { ilvl = 20, stats = { accuracy = { 11, 20 } } } },
  weights = { weapon = 6, default = 0 } }
defs.affix{ id = "of_the_owl", name = "of the Owl", kind = "suffix", group = "mana",
  tiers = { { ilvl = 1, stats = { mp_max = { 5, 15 } } },
            { ilvl = 18, stats = { mp_max = { 16, 30 } } } },
  weights = { robe = 6, sword = 1, default = 2 } }

-- A quest item: wolves drop it only for a character on the quest "pelts"
-- (content/world/demo_game.lua), so it never clutters anyone else's bags.
defs.item{ id = "wolf_pelt", name = "Wolf Pelt", stack = 20, value = 2, tags = { "material" } }
