-- wrk script: send a different bearer token on each request, rotating through a file of tokens.
--
--   wrk -s bench/tokens.lua -c32 -d8s http://127.0.0.1:18480/rs256 -- tokens.list
--
-- tokens.list holds one compact JWS per line. With many distinct tokens a verified-token cache
-- cannot answer from memory, so this measures the cost of full verification on every request
-- (the same token on every request measures the best case instead).
--
-- The requests are formatted once in init(): building them per request in Lua would cost wrk
-- enough CPU to distort the numbers.

local counter = 0

-- Runs in the main Lua state, once per thread: give each thread its own starting offset so two
-- threads do not send the same token at the same moment.
function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
end

local requests = {}
local n = 0
local i = 0

function init(args)
   local path = args[1]
   if path == nil then
      error("tokens.lua: pass the token file after --, e.g. wrk -s tokens.lua URL -- tokens.list")
   end
   local f, err = io.open(path, "r")
   if f == nil then
      error("tokens.lua: cannot open " .. path .. ": " .. tostring(err))
   end
   for line in f:lines() do
      local token = line:match("^%s*(.-)%s*$")
      if token ~= "" then
         n = n + 1
         requests[n] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
      end
   end
   f:close()
   if n == 0 then
      error("tokens.lua: no tokens in " .. path)
   end
   -- thread_index is set by setup(); spread the threads' starting points over the list.
   local index = tonumber(thread_index) or 0
   i = (index * 7919) % n
end

function request()
   i = i + 1
   if i > n then
      i = 1
   end
   return requests[i]
end
