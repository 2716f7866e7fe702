import Redis

/// The fair queue's Lua scripts (keys under ``RedisNames/jobQueuePrefix``, passed as the first
/// argument). Each decision is one script, so any number of workers and replicas can run them;
/// their arithmetic is ``FairQueueState``'s step for step. Lua numbers reach Redis as `%.17g`
/// text, so scores and tags round-trip exactly.
enum FairQueueScripts {
    /// Milliseconds now, by the Redis server's clock (one clock for every replica).
    private static let now = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

    /// An owner's member in `owners` is `<arrival of their oldest waiting job, 16 digits>|<owner>`
    /// (kept in the `member` hash), so owners with equal tags go oldest job first.
    private static let owners = """
        local function placeOwner(owner, score)
          local old = redis.call('HGET', P .. 'member', owner)
          if old then redis.call('ZREM', P .. 'owners', old) end
          local head = redis.call('LINDEX', P .. 'owner:' .. owner, 0)
          if not head then
            redis.call('HDEL', P .. 'member', owner)
            return
          end
          local arrival = tonumber(redis.call('HGET', P .. 'job:' .. head, 'arrival') or '0') or 0
          local member = string.format('%016d', arrival) .. '|' .. owner
          redis.call('ZADD', P .. 'owners', score, member)
          redis.call('HSET', P .. 'member', owner, member)
        end
        local function ownerScore(owner)
          local member = redis.call('HGET', P .. 'member', owner)
          if not member then return nil end
          return tonumber(redis.call('ZSCORE', P .. 'owners', member))
        end
        """

    /// Admits one entry (`id`, its message `raw`) at the end of its owner's line, once, and only
    /// while it is still pending in the group (an entry acknowledged meanwhile is not brought
    /// back). The owner and video come from the message (`-` and none when it is malformed: a
    /// worker then dead-letters it). Needs `P`, the stream in KEYS[1], `group` and `policy`.
    private static let admitEntry = """
        local function admitEntry(id, raw)
          local jobKey = P .. 'job:' .. id
          if redis.call('EXISTS', jobKey) == 1 then return 0 end
          if #redis.call('XPENDING', KEYS[1], group, id, id, 1) == 0 then return 0 end
          local owner, video = '-', ''
          local ok, message = pcall(cjson.decode, raw)
          if ok and type(message) == 'table' then  -- one flat object: the header, then the payload's fields
            if type(message.owner) == 'string' then owner = string.lower(message.owner) end
            if type(message.videoId) == 'string' then video = string.lower(message.videoId) end
          end
          local arrival = redis.call('INCR', P .. 'arrivals')
          local since = string.match(id, '^(%d+)') or '0'
          redis.call('HSET', jobKey, 'raw', raw, 'owner', owner, 'video', video, 'arrival', arrival, 'since', since, 'deliveries', 0)
          if video ~= '' then redis.call('HSET', P .. 'videos', video, id) end
          redis.call('RPUSH', P .. 'owner:' .. owner, id)
          if not redis.call('HGET', P .. 'member', owner) then
            local score = arrival
            if policy == 'fair' then
              score = math.max(tonumber(redis.call('GET', P .. 'clock') or '0'), tonumber(redis.call('HGET', P .. 'finish', owner) or '0'))
            end
            placeOwner(owner, score)
          end
          return 1
        end
        """

    /// Reads up to `count` new entries of the stream in the group and admits them, in one step:
    /// no entry is ever read and not admitted. KEYS: stream. ARGV: prefix, group, consumer,
    /// count, policy, the message field. Returns how many were read.
    static let intake = RedisScript("""
        local P, group, policy = ARGV[1], ARGV[2], ARGV[5]
        \(owners)
        \(admitEntry)
        local reply = redis.call('XREADGROUP', 'GROUP', group, ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
        if not reply then return 0 end
        local read = 0
        for _, entry in ipairs(reply[1][2]) do
          local raw = ''
          for i = 1, #entry[2], 2 do
            if entry[2][i] == ARGV[6] then raw = entry[2][i + 1] end
          end
          admitEntry(entry[1], raw)
          read = read + 1
        end
        return read
        """)

    /// Admits entries read outside ``intake`` (a blocking read, a take-over of an entry whose
    /// reader died before admitting it). KEYS: stream. ARGV: prefix, group, policy, then entry
    /// id and message pairs. Returns how many were new.
    static let admit = RedisScript("""
        local P, group, policy = ARGV[1], ARGV[2], ARGV[3]
        \(owners)
        \(admitEntry)
        local admitted = 0
        for i = 4, #ARGV - 1, 2 do admitted = admitted + admitEntry(ARGV[i], ARGV[i + 1]) end
        return admitted
        """)

    /// A running job whose lease ended (its worker stopped heartbeating), else the next waiting
    /// one: the prioritized first, then the owner with the lowest start tag (fair) or the oldest
    /// job (fifo). Charges the owner the estimated cost and leases the job to the consumer.
    /// ARGV: prefix, consumer, lease (ms), policy, default cost, default weight.
    /// Returns `{id, message, deliveries}` or nil.
    static let next = RedisScript("""
        local P, consumer, lease, policy = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
        \(now)
        \(owners)
        local function deliver(id, cost, weight)
          local jobKey = P .. 'job:' .. id
          local deliveries = redis.call('HINCRBY', jobKey, 'deliveries', 1)
          redis.call('HSET', jobKey, 'consumer', consumer, 'started', now)
          if cost then redis.call('HSET', jobKey, 'charged', cost, 'weight', weight) end
          redis.call('ZADD', P .. 'leases', now + lease, id)
          return {id, redis.call('HGET', jobKey, 'raw'), deliveries}
        end
        local expired = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 1)
        if #expired > 0 then
          if redis.call('EXISTS', P .. 'job:' .. expired[1]) == 1 then return deliver(expired[1], nil, nil) end
          redis.call('ZREM', P .. 'leases', expired[1])
        end
        local function costOf(owner) return tonumber(redis.call('HGET', P .. 'estimates', owner) or ARGV[5]) end
        local function weightOf(owner) return tonumber(redis.call('HGET', P .. 'weights', owner) or ARGV[6]) end
        local clock = tonumber(redis.call('GET', P .. 'clock') or '0')
        local id = redis.call('LPOP', P .. 'priority')
        if id and redis.call('EXISTS', P .. 'job:' .. id) == 0 then return false end
        if id then
          local owner = redis.call('HGET', P .. 'job:' .. id, 'owner') or '-'
          local cost, weight = costOf(owner), weightOf(owner)
          if policy == 'fair' then
            local tag = math.max(clock, tonumber(redis.call('HGET', P .. 'finish', owner) or '0')) + cost / weight
            redis.call('HSET', P .. 'finish', owner, tag)
            if ownerScore(owner) then placeOwner(owner, tag) end
          end
          return deliver(id, cost, weight)
        end
        local top = redis.call('ZRANGE', P .. 'owners', 0, 0, 'WITHSCORES')
        if #top == 0 then return false end
        local owner, start = string.sub(top[1], 18), tonumber(top[2])
        id = redis.call('LPOP', P .. 'owner:' .. owner)
        if not id or redis.call('EXISTS', P .. 'job:' .. id) == 0 then
          -- An empty line or a dangling id (nothing to run): the owner is placed again as is.
          placeOwner(owner, start)
          return false
        end
        local cost, weight = costOf(owner), weightOf(owner)
        if policy == 'fair' then
          redis.call('SET', P .. 'clock', math.max(clock, start))
          local tag = start + cost / weight
          redis.call('HSET', P .. 'finish', owner, tag)
          placeOwner(owner, tag)
        else
          local head = redis.call('LINDEX', P .. 'owner:' .. owner, 0)
          placeOwner(owner, head and tonumber(redis.call('HGET', P .. 'job:' .. head, 'arrival')) or 0)
        end
        return deliver(id, cost, weight)
        """)

    /// Done with a job: its owner is charged what it really took instead of the estimate, the
    /// owner's estimate moves halfway there, and the entry is acknowledged.
    /// KEYS: stream. ARGV: prefix, entry id, group, policy.
    static let complete = RedisScript("""
        local P, id = ARGV[1], ARGV[2]
        local jobKey = P .. 'job:' .. id
        \(now)
        \(owners)
        local j = redis.call('HMGET', jobKey, 'owner', 'started', 'charged', 'weight', 'video')
        if j[1] and j[2] and j[3] then
          local owner = j[1]
          local actual = math.max((now - tonumber(j[2])) / 1000, \(QueuePolicy.minimumCostSeconds))
          local estimate = redis.call('HGET', P .. 'estimates', owner)
          if estimate then estimate = (tonumber(estimate) + actual) / 2 else estimate = actual end
          redis.call('HSET', P .. 'estimates', owner, estimate)
          if ARGV[4] == 'fair' then
            local delta = (actual - tonumber(j[3])) / tonumber(j[4])
            redis.call('HSET', P .. 'finish', owner, tonumber(redis.call('HGET', P .. 'finish', owner) or '0') + delta)
            local score = ownerScore(owner)
            if score then placeOwner(owner, math.max(tonumber(redis.call('GET', P .. 'clock') or '0'), score + delta)) end
          end
        end
        if j[5] and redis.call('HGET', P .. 'videos', j[5]) == id then redis.call('HDEL', P .. 'videos', j[5]) end
        redis.call('DEL', jobKey)
        redis.call('ZREM', P .. 'leases', id)
        redis.call('XACK', KEYS[1], ARGV[3], id)
        return 1
        """)

    /// Renews the video's lock and the job's lease, if the lock still holds this job's value.
    /// KEYS: lock. ARGV: lock value, lease (ms), prefix, entry id, consumer.
    static let heartbeat = RedisScript("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        \(now)
        local jobKey = ARGV[3] .. 'job:' .. ARGV[4]
        if redis.call('EXISTS', jobKey) == 1 then
          redis.call('ZADD', ARGV[3] .. 'leases', now + tonumber(ARGV[2]), ARGV[4])
          redis.call('HSET', jobKey, 'consumer', ARGV[5])
        end
        return 1
        """)

    /// Moves a video's waiting job to the front. ARGV: prefix, video, policy.
    /// Returns 1 when it is (now or already) first in line, 0 when it is not waiting.
    static let prioritize = RedisScript("""
        local P = ARGV[1]
        \(owners)
        local id = redis.call('HGET', P .. 'videos', ARGV[2])
        if not id then return 0 end
        local owner = redis.call('HGET', P .. 'job:' .. id, 'owner')
        if not owner then return 0 end
        if redis.call('LPOS', P .. 'priority', id) then return 1 end
        local line = P .. 'owner:' .. owner
        if redis.call('LREM', line, 1, id) == 0 then return 0 end
        redis.call('RPUSH', P .. 'priority', id)
        local head = redis.call('LINDEX', line, 0)
        local score = ownerScore(owner)
        if head and ARGV[3] == 'fifo' then score = tonumber(redis.call('HGET', P .. 'job:' .. head, 'arrival')) end
        placeOwner(owner, score or 0)
        return 1
        """)

    /// Everything the order of the waiting jobs depends on, read at one instant. ARGV: prefix,
    /// at most this many jobs per line. Returns `{clock, priority, owners, running, costs, arrivals}`: a job is
    /// `{id, owner, video, arrival, since}`, an owner `{owner, score, jobs, count}`, and
    /// `costs` `{owner, weight, estimate, finish}` for every owner named.
    static let snapshot = RedisScript("""
        local P, limit = ARGV[1], tonumber(ARGV[2])
        local named, costs = {}, {}
        local function name(owner)
          if named[owner] then return end
          named[owner] = true
          table.insert(costs, {owner, redis.call('HGET', P .. 'weights', owner) or '', redis.call('HGET', P .. 'estimates', owner) or '',
            redis.call('HGET', P .. 'finish', owner) or ''})
        end
        local function job(id)
          local j = redis.call('HMGET', P .. 'job:' .. id, 'owner', 'video', 'arrival', 'since')
          return {id, j[1] or '-', j[2] or '', j[3] or '0', j[4] or '0'}
        end
        local priority = {}
        for _, id in ipairs(redis.call('LRANGE', P .. 'priority', 0, limit - 1)) do
          local j = job(id)
          name(j[2])
          table.insert(priority, j)
        end
        local owners = {}
        local z = redis.call('ZRANGE', P .. 'owners', 0, -1, 'WITHSCORES')
        for i = 1, #z, 2 do
          local owner, jobs = string.sub(z[i], 18), {}
          for _, id in ipairs(redis.call('LRANGE', P .. 'owner:' .. owner, 0, limit - 1)) do table.insert(jobs, job(id)) end
          name(owner)
          table.insert(owners, {owner, z[i + 1], jobs, redis.call('LLEN', P .. 'owner:' .. owner)})
        end
        return {redis.call('GET', P .. 'clock') or '0', priority, owners, redis.call('ZCARD', P .. 'leases'), costs,
          redis.call('GET', P .. 'arrivals') or '0'}
        """)
}
