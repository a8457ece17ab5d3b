-- Rotates over the request paths listed in the file PATHS_FILE, one a line,
-- each wrk thread from its own random start.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  paths[#paths + 1] = line
end
local index = 0
init = function()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  index = math.random(#paths)
end
request = function()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
