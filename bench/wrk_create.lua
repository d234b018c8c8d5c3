-- POST /v1/audiences with a name no other request uses: run, thread and counter in it.
-- The key comes from the environment (never on wrk's command line).
local threads = 0
local run = os.getenv("BENCH_RUN") or "r"

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Dexatel-Key"] = os.getenv("AUDIENCE_API_KEY") or ""
end

function request()
  counter = counter + 1
  local body = string.format('{"data":{"name":"bench-%s-%d-%d","channel":"SMS"}}', run, id, counter)
  return wrk.format(nil, nil, nil, body)
end
