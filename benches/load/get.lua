-- GET /inscription, round robin over the thread's share of the prepared
-- candidates. wrk -s benches/load/get.lua URL -- TOKENS_FILE THREADS
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

function init(args)
   load_tokens(args)
end

function request()
   cursor = cursor % #tokens + 1
   return wrk.format("GET", "/inscription", { ["Authorization"] = "Bearer " .. tokens[cursor].token })
end

function response(status, headers, body)
   count(status)
   publish()
end
