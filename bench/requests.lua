-- wrk script: requests with a bearer token, each thread cycling through its share of a list of paths.
-- wrk -s bench/requests.lua URL -- <METHOD> <paths file> <threads> [token] [header:value]
-- done() prints one JSON line (prefixed "BENCH ") with counts and latency percentiles in microseconds.

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  method = args[1]
  local threads = tonumber(args[3])
  headers = {}
  if args[4] and args[4] ~= "" then headers["Authorization"] = "Bearer " .. args[4] end
  if args[5] then
    local name, value = args[5]:match("^([^:]+):(.*)$")
    headers[name] = value
  end
  local all = {}
  for line in io.lines(args[2]) do table.insert(all, line) end
  if #all == 0 then error("no paths in " .. args[2]) end
  paths = {}
  if #all < threads then
    paths = all  -- fewer paths than threads: every thread cycles through all of them
  else
    for n, line in ipairs(all) do
      if (n - 1) % threads == id then table.insert(paths, line) end
    end
  end
  i = 0
end

function request()
  i = i % #paths + 1
  return wrk.format(method, paths[i], headers)
end

function done(summary, latency, requests)
  local p = {}
  for _, q in ipairs({50, 95, 99}) do p[#p + 1] = string.format('"p%d": %d', q, latency:percentile(q)) end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "non_2xx": %d, "socket_errors": %d, %s}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(p, ", ")))
end
