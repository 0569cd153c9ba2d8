-- wrk script for bench/service.py: one new, unique operation per request.
--
--   wrk -t1 -c16 -d20s --latency -s bench/wrk_submit.lua http://127.0.0.1:8000 -- \
--       mode=submit base=100000 threads=1 t0=1767225600 span=604800 \
--       lon0=-10 lon1=35 lat0=25 lat1=50 alphas=0.1,0.2,... tokens=alpha:JWT,bravo:JWT
--
-- mode=submit POSTs /v1/operations; mode=bare POSTs /v1/_bench/insert (token check plus
-- one insert: the ceiling). Operation number n of thread k (0-based) sending its c-th
-- request is n = base + c * threads + k, so threads never repeat an id. Its place, time,
-- shape, size and party come from a Kronecker (R_d) low-discrepancy sequence,
-- u_i(n) = frac(0.5 + alpha_i * n): plain double arithmetic that bench/service.py repeats
-- bit for bit, so the engine baseline checks exactly the operations sent here. The
-- sequence spreads them evenly, so nearly all are accepted.
--
-- done() prints one line "BENCH_JSON {...}": latency percentiles (microseconds), and per
-- thread the requests generated and the responses by status (201 created, 409 refused).

local floor, format = math.floor, string.format

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local config = {}
local alphas = {}
local parties = {}
local headers = {}

local function stamp(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      config[key] = value
    end
  end
  for value in config.alphas:gmatch("[^,]+") do
    table.insert(alphas, tonumber(value))
  end
  for pair in config.tokens:gmatch("[^,]+") do
    local party, token = pair:match("^([^:]+):(.+)$")
    table.insert(parties, party)
    headers[party] = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }
  end
  base = tonumber(config.base)
  stride = tonumber(config.threads)
  t0 = tonumber(config.t0)
  span = tonumber(config.span)
  lon0, lon1 = tonumber(config.lon0), tonumber(config.lon1)
  lat0, lat1 = tonumber(config.lat0), tonumber(config.lat1)
  bare = config.mode == "bare"
  bare_headers = { ["Authorization"] = headers[parties[1]]["Authorization"] }
  -- globals, read back by done() through thread:get
  generated = 0
  created, refused, ok, other = 0, 0, 0, 0
  other_status = ""
end

local function u(n, i)
  local v = 0.5 + alphas[i] * n
  return v - floor(v)
end

-- Keep in step with `operation_body` in bench/service.py.
local function body(n)
  local x = lon0 + u(n, 1) * (lon1 - lon0)
  local y = lat0 + u(n, 2) * (lat1 - lat0)
  local start = t0 + floor(u(n, 3) * span)
  local duration = 900 + floor(u(n, 4) * 6300)
  local shape = u(n, 5)
  local size = u(n, 6)
  local low = floor(u(n, 7) * 150)
  local party = parties[floor(u(n, 8) * #parties) + 1]
  local geometry, properties
  if shape < 0.7 then
    geometry = format('{"type":"Point","coordinates":[%.6f,%.6f]}', x, y)
    properties = format(
      '"radius":%d,"altitude_lower":%d,"altitude_upper":%d,"start":"%s","end":"%s"',
      300 + floor(size * 2700), low, low + 100 + floor(size * 1250),
      stamp(start), stamp(start + duration))
  elseif shape < 0.9 then
    local hy = (500 + size * 2500) / 111000.0
    local hx = hy * 1.3
    geometry = format(
      '{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}',
      x - hx, y - hy, x + hx, y - hy, x + hx, y + hy, x - hx, y + hy, x - hx, y - hy)
    properties = format(
      '"altitude_lower":%d,"altitude_upper":%d,"start":"%s","end":"%s"',
      low, low + 100 + floor(size * 1250), stamp(start), stamp(start + duration))
  else
    local leg = 20000 + floor(size * 40000)
    local dx, dy = leg / 85000.0, leg / 222000.0
    local step = floor(leg / 60)
    local a0 = 100 + low
    local a1 = a0 + 300 + floor(size * 900)
    geometry = format(
      '{"type":"LineString","coordinates":[[%.6f,%.6f,%d],[%.6f,%.6f,%d],[%.6f,%.6f,%d]]}',
      x, y, a0, x + dx, y + dy, a1, x + 2 * dx, y, a0)
    properties = format(
      '"times":["%s","%s","%s"],"half_width":1000,"vertical_half_width":100,"time_buffer":60',
      stamp(start), stamp(start + step), stamp(start + 2 * step))
  end
  local text = format(
    '{"type":"FeatureCollection","features":[{"type":"Feature","id":"op-%d","geometry":%s,'
      .. '"properties":{"party":"%s","kind":"operation",%s}}]}',
    n, geometry, party, properties)
  return party, text
end

function request()
  if bare then
    generated = generated + 1
    return wrk.format("POST", "/v1/_bench/insert", bare_headers)
  end
  local n = base + generated * stride + index
  generated = generated + 1
  local party, text = body(n)
  return wrk.format("POST", "/v1/operations", headers[party], text)
end

function response(status, _headers, _body)
  if status == 201 then
    created = created + 1
  elseif status == 409 then
    refused = refused + 1
  elseif status == 200 then
    ok = ok + 1
  else
    other = other + 1
    if other_status == "" then
      other_status = tostring(status)
    end
  end
end

function done(summary, latency, _requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    table.insert(parts, format(
      '{"index":%d,"generated":%d,"created":%d,"refused":%d,"ok":%d,"other":%d,'
        .. '"other_status":"%s"}',
      thread:get("index"), thread:get("generated"), thread:get("created"),
      thread:get("refused"), thread:get("ok"), thread:get("other"),
      thread:get("other_status")))
  end
  local errors = summary.errors
  io.write(format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d},'
      .. '"threads":[%s]}\n',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, table.concat(parts, ",")))
end
