-- PUT /inscription with the version last seen for each candidate, round
-- robin over the thread's share of the prepared candidates, skipping those
-- with a request in flight while another is free. Each request carries
-- `x-request-id: c<index>-<n>`, which the router echoes, so that every
-- answer updates its candidate's version: from the saved inscription (200),
-- or from the 409's detail (« ... à la version N »). A 409 is a correct
-- answer (another write won); a 5xx would be an error.
-- wrk -s benches/load/put.lua URL -- TOKENS_FILE THREADS
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local by_index = {}
local sent = 0

function init(args)
   load_tokens(args)
   for _, c in ipairs(tokens) do
      by_index[c.index] = c
   end
end

local function body(c)
   sent = sent + 1
   return string.format([[{"diploma":"CAP","specialty":"CUISINE","identity":{"last_name":"Charge","first_names":"Zoé","birth_date":"1995-03-04","birth_place":"Marseille","nationality":"BE","address":{"line1":"%d rue Paradis","postal_code":"13001","city":"Marseille","country":"FR"},"phone":"0612345678"},"disability":{"declared":false,"existing_accommodation":false},"acquis":[],"version":%d}]],
      sent % 1000 + 1, c.version)
end

function request()
   local c
   for _ = 1, #tokens do
      cursor = cursor % #tokens + 1
      if not tokens[cursor].busy then
         c = tokens[cursor]
         break
      end
   end
   if c == nil then
      -- Every candidate of this thread has a request in flight.
      cursor = cursor % #tokens + 1
      c = tokens[cursor]
   end
   c.busy = true
   return wrk.format("PUT", "/inscription", {
      ["Authorization"] = "Bearer " .. c.token,
      ["Content-Type"] = "application/json",
      ["x-request-id"] = string.format("c%d-%d", c.index, sent),
   }, body(c))
end

function response(status, headers, body)
   count(status)
   publish()
   local id = headers["x-request-id"] or headers["X-Request-Id"]
   local index = id and tonumber(id:match("^c(%d+)-"))
   local c = index and by_index[index]
   if c then
      c.busy = false
      local v
      if status == 200 or status == 201 then
         v = body:match('"version":(%d+)')
      elseif status == 409 then
         v = body:match("version (%d+)")
      end
      if v then
         c.version = tonumber(v)
      end
   end
end
