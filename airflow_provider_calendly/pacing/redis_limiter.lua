-- The Redis rate limiter's scripts (pacing/redis.py loads them), one section per script, each run atomically.
-- A line `-- @script <name>` starts a section; the prelude's text is put in front of every other section.

-- @script prelude
-- Every script takes ``now`` as ARGV[1]: empty means "Redis's own clock" (one clock for every worker on every
-- host); tests pass an injected clock instead. Scores and times are seconds, formatted with microseconds.
-- This prelude is put in front of every script below.
local function fmt(x) return string.format('%.6f', x) end
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end

-- @script acquire
-- KEYS: calls (sorted set: member per call, score = when its slot frees the window's count: response time for a
-- finished call, acquire time + lease for one in flight), server (hash: blocked_until, remaining, reset_at,
-- governed). ARGV: now, limit, period, lease, member, ttl_ms. Returns {granted, seconds to wait (-1: only an
-- in-flight call can free a slot)}. ``admit`` mirrors the Python function of that name (pacing/decisions.py)
-- line by line.
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - period))
local state = redis.call('HMGET', KEYS[2], 'blocked_until', 'remaining', 'reset_at', 'governed')
local blocked_until = tonumber(state[1]) or 0
local remaining = tonumber(state[2])
local reset_at = tonumber(state[3]) or 0
local governed = state[4] == '1'
local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
local used = redis.call('ZCARD', KEYS[1])
local function admit()
  if now < blocked_until then
    return blocked_until - now, false
  end
  local forget = false
  if remaining then
    if now < reset_at then
      if remaining <= 0 then
        return reset_at - now, false
      end
      if governed then
        return 0, false
      end
    elseif governed then
      if remaining > 0 or in_flight == 0 then
        return 0, false
      end
      return nil, false
    else
      forget = true
    end
  end
  if used < limit then
    return 0, forget
  end
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  if oldest > now then
    return nil, forget
  end
  return oldest + period - now, forget
end
local wait, forget = admit()
if forget then
  redis.call('HDEL', KEYS[2], 'remaining', 'lowest', 'reset_at')
  remaining = nil
end
if wait == nil then
  return {0, '-1'}
end
wait = math.ceil(wait * 1000000) / 1000000  -- never round a wait down to 0 (a loop that waits no time)
if wait <= 0 then
  redis.call('ZADD', KEYS[1], fmt(now + lease), ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  if remaining then
    redis.call('HINCRBY', KEYS[2], 'remaining', -1)
  end
  return {1, '0'}
end
return {0, fmt(wait)}

-- @script release
-- KEYS: calls. ARGV: now, member, ttl_ms. The call's slot is now timed from its response.
redis.call('ZADD', KEYS[1], fmt(now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1

-- @script observe
-- KEYS: calls, server. ARGV: now, remaining, reset_after, limit, period, configured ('1'/'0'), ttl_ms, member
-- (the answered call's, if it is still held: it is not "in flight" for its own answer). ``merge`` and ``merged``
-- mirror ``merge_server_view`` and ``_merged`` (pacing/decisions.py) line by line; the loader puts the Python
-- constant's value in place of the gap's name below. Without a configured limit the server governs from the
-- first answer on; that state, and what the server had left, outlives the server's reset for as long as the
-- calls are kept.
local gap = NEW_WINDOW_AFTER
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - tonumber(ARGV[5])))
local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
if ARGV[8] ~= '' then
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[8]))
  if score and score > now then
    in_flight = in_flight - 1
  end
end
local own_free = tonumber(ARGV[4]) - redis.call('ZCARD', KEYS[1])
local configured = ARGV[6] == '1'
local state = redis.call('HMGET', KEYS[2], 'remaining', 'lowest', 'reset_at')
local held_remaining = tonumber(state[1])
local held_lowest = tonumber(state[2]) or 0
local held_reset_at = tonumber(state[3]) or 0
local function merged(remaining, fresh, reset_at)
  if held_remaining == nil then
    return fresh, remaining, reset_at
  end
  if reset_at < held_reset_at - gap then
    return math.min(held_remaining + 1, held_lowest), held_lowest, held_reset_at
  end
  if now >= held_reset_at or reset_at > held_reset_at + gap then
    return fresh, remaining, reset_at
  end
  reset_at = math.min(reset_at, held_reset_at)
  if remaining < held_lowest then
    return math.min(fresh, held_remaining), remaining, reset_at
  end
  return math.min(held_remaining + 1, held_lowest), held_lowest, reset_at
end
local function merge()
  local remaining = tonumber(ARGV[2])
  local fresh = remaining - in_flight
  local view_remaining, view_lowest, view_reset_at = merged(remaining, fresh, now + math.max(0, tonumber(ARGV[3])))
  if configured and (fresh >= own_free or view_remaining >= own_free) then
    return nil, 0, 0
  end
  return view_remaining, view_lowest, view_reset_at
end
local remaining, lowest, reset_at = merge()
local ttl = 0
if not configured then
  redis.call('HSET', KEYS[2], 'governed', '1')
  ttl = tonumber(ARGV[7])
end
if remaining == nil then
  redis.call('HDEL', KEYS[2], 'remaining', 'lowest', 'reset_at')
else
  redis.call('HSET', KEYS[2], 'remaining', remaining, 'lowest', lowest, 'reset_at', fmt(reset_at))
  ttl = math.max(ttl, math.ceil((reset_at - now) * 1000) + 1000)
end
if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1

-- @script block
-- KEYS: server. ARGV: now, seconds. Every worker holds back until the server's reset.
local block_until = now + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'blocked_until'))
if current and current > block_until then
  block_until = current
end
redis.call('HSET', KEYS[1], 'blocked_until', fmt(block_until), 'remaining', 0, 'lowest', 0, 'reset_at', fmt(block_until))
local ttl = math.ceil((block_until - now) * 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
