-- Shared by get.lua and put.lua (wrk 4): the prepared candidates' tokens,
-- split between wrk's threads, and a tally of the answers by status.
--
-- Each wrk thread runs its own copy of the script. setup() (main state)
-- numbers the threads; init() (thread state) loads the tokens file named by
-- the first script argument and keeps every n-th token; done() (main state)
-- adds up the threads' tallies and prints one `LOADRESULT {json}` line.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

tokens = {}
cursor = 0
tally = { s2xx = 0, s409 = 0, s4xx = 0, s5xx = 0, other = 0 }

function load_tokens(args)
   local file, nthreads = args[1], tonumber(args[2])
   local i = 0
   for line in io.lines(file) do
      if line ~= "" then
         if i % nthreads == id then
            table.insert(tokens, { index = i, token = line, version = 1, busy = false })
         end
         i = i + 1
      end
   end
   if #tokens == 0 then
      error("no token for thread " .. id .. " in " .. file)
   end
end

function count(status)
   if status >= 200 and status < 300 then
      tally.s2xx = tally.s2xx + 1
   elseif status == 409 then
      tally.s409 = tally.s409 + 1
   elseif status >= 400 and status < 500 then
      tally.s4xx = tally.s4xx + 1
   elseif status >= 500 then
      tally.s5xx = tally.s5xx + 1
   else
      tally.other = tally.other + 1
   end
end

function done(summary, latency, requests)
   local t = { s2xx = 0, s409 = 0, s4xx = 0, s5xx = 0, other = 0 }
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do
         t[k] = t[k] + (thread:get("c_" .. k) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'LOADRESULT {"requests": %d, "duration_us": %d, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"s2xx": %d, "s409": %d, "s4xx": %d, "s5xx": %d, "other": %d, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000,
      t.s2xx, t.s409, t.s4xx, t.s5xx, t.other,
      e.connect, e.read, e.write, e.timeout))
end

-- Threads publish their tally through thread:get (read by done()).
function publish()
   for k, v in pairs(tally) do
      _G["c_" .. k] = v
   end
end
