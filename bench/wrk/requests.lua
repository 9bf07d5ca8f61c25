-- Replays prepared requests in a loop: one per line of REQUESTS_FILE, as
-- "METHOD<TAB>PATH<TAB>HEADER: VALUE|HEADER: VALUE<TAB>BODY".
-- Preparing them in Python keeps Twilio's signing out of the load generator,
-- so wrk spends its time on HTTP only.
local requests = {}
local index = 0

local function split(text, sep)
  local parts = {}
  for part in string.gmatch(text, "([^" .. sep .. "]*)") do
    table.insert(parts, part)
  end
  return parts
end

function init(args)
  local path = os.getenv("REQUESTS_FILE")
  for line in io.lines(path) do
    local fields = {}
    local start = 1
    for i = 1, 3 do
      local stop = string.find(line, "\t", start, true)
      table.insert(fields, string.sub(line, start, stop - 1))
      start = stop + 1
    end
    table.insert(fields, string.sub(line, start))
    local headers = {}
    if fields[3] ~= "" then
      for _, header in ipairs(split(fields[3], "|")) do
        local colon = string.find(header, ": ", 1, true)
        if colon then
          headers[string.sub(header, 1, colon - 1)] = string.sub(header, colon + 2)
        end
      end
    end
    table.insert(requests, wrk.format(fields[1], fields[2], headers, fields[4]))
  end
  -- Each wrk thread starts at a different place in the list.
  index = math.random(#requests) - 1
end

function request()
  index = (index % #requests) + 1
  return requests[index]
end
