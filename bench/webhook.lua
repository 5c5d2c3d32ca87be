-- wrk script for bench/webhook: replays pre-generated WeChat deliveries, one line per request.
--
-- Environment (read in every Lua state wrk creates):
--   BENCH_LINES    file of requests, one per line: "<path with query>\t<body>"
--   BENCH_THREADS  wrk's -t; thread k sends lines k, k+n, k+2n, … (disjoint shares)
--   BENCH_RESULT   where done() writes one JSON line of results
--
-- A thread that runs out of lines starts its share again; those repeats are duplicates, which
-- the "distinct" figure leaves out.

local lines_path = os.getenv("BENCH_LINES")
local result_path = os.getenv("BENCH_RESULT")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

-- Main state: the threads, numbered as wrk creates them, so done() can read their counters.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Thread state: this thread's formatted requests and its counters (globals, for thread:get).
local prepared = {}
local position = 0
local probed = true -- see request()
sent = 0
lines = 0
non2xx = 0

function init(args)
  local headers = { ["Content-Type"] = "text/xml; charset=utf-8" }
  local index = 0
  for line in io.lines(lines_path) do
    if index % nthreads == id then
      local tab = line:find("\t", 1, true)
      prepared[#prepared + 1] = wrk.format("POST", line:sub(1, tab - 1), headers, line:sub(tab + 1))
    end
    index = index + 1
  end
  lines = #prepared
  probed = id ~= 0
  if lines == 0 then
    error("no request lines for thread " .. id .. " in " .. tostring(lines_path))
  end
end

-- Before starting, wrk calls thread 0's request() once to check for pipelining and sends
-- nothing: that call gets the first request without using it up or counting it.
function request()
  if not probed then
    probed = true
    return prepared[1]
  end
  position = position % lines + 1
  sent = sent + 1
  return prepared[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total = { sent = 0, lines = 0, distinct = 0, non2xx = 0 }
  for _, thread in ipairs(threads) do
    local thread_sent, thread_lines = thread:get("sent"), thread:get("lines")
    total.sent = total.sent + thread_sent
    total.lines = total.lines + thread_lines
    total.distinct = total.distinct + math.min(thread_sent, thread_lines)
    total.non2xx = total.non2xx + thread:get("non2xx")
  end
  local errors = summary.errors
  local out = assert(io.open(result_path, "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "sent": %d, "lines": %d, "distinct": %d, '
      .. '"non2xx": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, total.sent, total.lines, total.distinct,
    total.non2xx, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max
  ))
  out:close()
end
