"""Fair share on a live stack: one owner's backlog, then another owner's short clip.

fair-share: owner A uploads a backlog, then owner B one short clip; under the fair queue B's clip
is ready before A's second video (one processing worker). queue-compare: the same round under
CLIPCUT_QUEUE_POLICY=fair and then fifo, in one run, with B's wait and the time for all jobs under
each (scripts/bench queue).
"""
import os
import threading
import time

from stack import call, eventually, make_clip


def _clips(stack, short):
    """A's videos (short: 3 of 12 s 720p; long: 8 of 30 s 1080p) and B's 3 s clip."""
    count, seconds, size = (3, 12, "1280x720") if short else (8, 30, "1920x1080")
    backlog = make_clip(os.path.join(stack.work, f"backlog-{seconds}s-{size}.mp4"), seconds, size=size)
    return [backlog] * count, make_clip(os.path.join(stack.work, "small-3s.mp4"), 3, size="640x360")


def _admin(stack):
    try:
        return stack.login("admin@chaos.example")
    except Exception:  # noqa: BLE001 - not registered yet: the first registration is the admin
        return stack.user("admin@chaos.example")


def _watch(stack, token, ids, ready_at, stop):
    """Records when each video first reads `ready` (or `failed`), every 0.25 s."""
    while not stop.is_set() and len(ready_at) < len(ids):
        for vid in ids:
            if vid not in ready_at:
                status = stack.status_of(token, vid)
                if status in ("ready", "failed"):
                    ready_at[vid] = (time.time(), status)
        time.sleep(0.25)


def one_round(stack, short):
    """A's backlog, then B's clip once A's first video is transcoding. Returns the figures."""
    backlog, small = _clips(stack, short)
    owner_a, owner_b = stack.user(), stack.user()
    started = time.time()
    ids_a = [stack.upload(owner_a, path, f"backlog {n}") for n, path in enumerate(backlog, 1)]
    assert eventually(120, lambda: stack.status_of(owner_a, ids_a[0]) in ("transcoding", "playable", "ready"), interval=0.2), \
        "A's first video never started"
    uploaded_b = time.time()
    id_b = stack.upload(owner_b, small, "small")
    # What an administrator sees right away: B's clip next (unless a worker already took it).
    admin = _admin(stack)
    overview = call("GET", stack.url("monitoring-service") + "/api/queue", token=admin)[1]
    position_b = overview["waiting"].index(id_b) + 1 if id_b in overview["waiting"] else 0
    ready_a, ready_b, stop = {}, {}, threading.Event()
    watchers = [threading.Thread(target=_watch, args=(stack, owner_a, ids_a, ready_a, stop)),
                threading.Thread(target=_watch, args=(stack, owner_b, [id_b], ready_b, stop))]
    for watcher in watchers:
        watcher.start()
    deadline = time.time() + (300 if short else 900)
    while time.time() < deadline and (len(ready_a) < len(ids_a) or not ready_b):
        time.sleep(0.5)
    stop.set()
    for watcher in watchers:
        watcher.join()
    failed = [vid for vid, (_, status) in {**ready_a, **ready_b}.items() if status != "ready"]
    assert not failed and len(ready_a) == len(ids_a) and ready_b, f"not all ready: {len(ready_a)}/{len(ids_a)} of A, B {ready_b}, failed {failed}"
    finished_a = sorted(at for at, _ in ready_a.values())
    b_at = ready_b[id_b][0]
    return {
        "policy": overview["policy"], "position_b": position_b, "b_wait": b_at - uploaded_b,
        "b_before_a2": b_at < finished_a[1], "total": max(finished_a[-1], b_at) - started, "count_a": len(ids_a),
        "a2_at": finished_a[1] - uploaded_b,
    }


def fair_share(stack, clips, short):
    """Under the fair queue B's short clip is ready before A's second video."""
    figures = one_round(stack, short)
    assert figures["policy"] == "fair", f"the stack runs {figures['policy']}"
    assert figures["b_before_a2"], f"B ready {figures['b_wait']:.1f} s after its upload, A's second {figures['a2_at']:.1f} s"
    assert figures["position_b"] in (0, 1), f"B's clip was shown at position {figures['position_b']}"
    return (f"A queued {figures['count_a']}, then B one 3 s clip: B ready {figures['b_wait']:.1f} s after its upload, "
            f"before A's second ({figures['a2_at']:.1f} s); shown at position {figures['position_b'] or 'running'}; "
            f"all done in {figures['total']:.0f} s")


def _restart_with_policy(stack, policy):
    for service in ("processing-service", "monitoring-service"):
        stack.overrides.setdefault(service, {})["CLIPCUT_QUEUE_POLICY"] = policy
        stack.stop(service)
        stack.start(service)


def queue_compare(stack, clips, short):
    """The same round under fair and then fifo: B's wait and the time for all jobs."""
    results = {}
    try:
        for policy in ("fair", "fifo"):
            _restart_with_policy(stack, policy)
            results[policy] = one_round(stack, short)
    finally:
        _restart_with_policy(stack, "fair")
    fair, fifo = results["fair"], results["fifo"]
    print("| policy | B's wait (s) | B before A's 2nd | A's 2nd ready (s after B's upload) | all jobs (s) |", flush=True)
    print("| --- | --- | --- | --- | --- |", flush=True)
    for policy, r in results.items():
        print(f"| {policy} | {r['b_wait']:.1f} | {r['b_before_a2']} | {r['a2_at']:.1f} | {r['total']:.1f} |", flush=True)
    ratio = fair["total"] / fifo["total"]
    assert fair["b_before_a2"], "under fair, B was not ready before A's second video"
    return (f"B's wait {fair['b_wait']:.1f} s fair vs {fifo['b_wait']:.1f} s fifo (x{fifo['b_wait'] / fair['b_wait']:.1f}); "
            f"all jobs {fair['total']:.1f} s vs {fifo['total']:.1f} s (fair/fifo {ratio:.3f})")


SCENARIOS = {"fair-share": fair_share}
EXTRA = {"queue-compare": queue_compare}
