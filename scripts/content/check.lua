-- Small checks the definition modules share (scripts/content/*_defs.lua):
--   check.finite(v)        a number, not NaN or ±inf
--   check.int_in(v, lo, hi) a whole number in [lo, hi]
--   check.is_id(v)         an id: 1–63 characters of a-z, 0-9 and _, starting with a letter
--   check.is_list(t, max)  a table that is a list (keys 1..n only) of at most max items
local M = {}

M.ID = "^[a-z][a-z0-9_]*$"

function M.finite(v)
  return type(v) == "number" and v == v and v > -math.huge and v < math.huge
end

function M.int_in(v, lo, hi)
  return M.finite(v) and v % 1 == 0 and v >= lo and v <= hi
end

function M.is_id(v)
  return type(v) == "string" and #v <= 63 and v:match(M.ID) ~= nil
end

function M.is_list(t, max)
  if type(t) ~= "table" then return false end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" then return false end
    n = n + 1
  end
  return n == #t and n <= max
end

return M
