"""Fault scenarios against a real ClipCut stack, each with a pass/fail verdict.

    chaos.py BIN_DIR WORK_DIR [--short] [SCENARIO ...]

BIN_DIR holds the built services; WORK_DIR gets the servers' data and the services' logs.
--short runs the small version scripts/test uses (fewer repetitions); scripts/chaos runs the
long one. Scenarios (all by default): kill-processing, restart-redis, monitoring-down,
audio-down, restart-databases, disk-full, from replicas.py replaced-consumer, tus-replicas,
stalled-uploads, login-burst, and from fairness.py fair-share; queue-compare (fair against fifo
in one run, scripts/bench queue) only when named. Prints a verdict table; exits 1 when any failed.
"""
import os
import subprocess
import sys
import threading
import time
import traceback

from fairness import EXTRA as FAIRNESS_EXTRA, SCENARIOS as FAIRNESS_SCENARIOS
from replicas import SCENARIOS as REPLICA_SCENARIOS
from stack import Stack, eventually, gridfs_clean, make_clip, sha256

SPEECH = "The harbour lights are blinking in the evening fog."


def wait_ready(stack, token, ids, seconds):
    """Every id ends `ready` within `seconds` (a failed one ends the wait early)."""
    def all_done():
        statuses = {vid: stack.status_of(token, vid) for vid in ids}
        return statuses if all(s in ("ready", "failed") for s in statuses.values()) else None
    statuses = eventually(seconds, all_done, interval=1) or {vid: stack.status_of(token, vid) for vid in ids}
    bad = {vid: s for vid, s in statuses.items() if s != "ready"}
    assert not bad, f"not ready: {bad}"


def queue_drained(stack):
    pending = stack.redis("XPENDING", "clipcut:jobs", "processing").splitlines()
    assert pending and pending[0].strip().endswith("0"), f"jobs still pending: {pending[:1]}"
    assert stack.redis("ZCARD", "clipcut:jobs:delayed").endswith("0"), "jobs still waiting for a retry"


def kill_processing(stack, clips, short):
    """SIGKILL processing-service mid-transcode N times on different videos."""
    rounds = 2 if short else 20
    token = stack.user()
    ids = []
    for _ in range(rounds):
        vid = stack.upload(token, clips["long"], "kill me")
        ids.append(vid)
        assert eventually(120, lambda: stack.status_of(token, vid) == "transcoding", interval=0.2), "never reached transcoding"
        time.sleep(1.0)  # into the encode
        stack.stop("processing-service", sig=9)
        stack.start("processing-service")
    wait_ready(stack, token, ids, 240 + 30 * rounds)
    gridfs_clean(stack, ids)
    queue_drained(stack)
    return f"{rounds} SIGKILLs mid-transcode; {len(ids)} videos ready, GridFS clean, no job pending"


def restart_redis(stack, clips, short):
    """Restart Redis (AOF on) while uploads and transcodes run."""
    count = 3 if short else 8
    token = stack.user()
    ids, errors = [], []

    def upload(index):
        try:
            ids.append(stack.upload(token, clips["short"], f"during the restart {index}"))
        except Exception as error:  # noqa: BLE001 - every failure is a verdict
            errors.append(repr(error))
    first = stack.upload(token, clips["long"], "in progress")
    eventually(60, lambda: stack.status_of(token, first) == "transcoding", interval=0.2)
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    stack.servers("stop", "redis")
    time.sleep(2)
    stack.servers("start")
    for thread in threads:
        thread.join()
    assert not errors, f"uploads failed: {errors}"
    wait_ready(stack, token, [first] + ids, 300)
    queue_drained(stack)
    return f"Redis restarted under {count + 1} uploads/transcodes; all uploads stored, all {count + 1} videos ready"


def monitoring_down(stack, clips, short):
    """Stop monitoring-service for N uploads; when it is back the history is complete, in order."""
    count = 6 if short else 50
    token = stack.user()
    stack.stop("monitoring-service")
    ids = [stack.upload(token, clips["tiny"], f"while monitoring is down {i}") for i in range(count)]
    wait_ready(stack, token, ids, 60 + 15 * count)
    stack.start("monitoring-service")
    history = eventually(120, lambda: (lambda h: h if h["total"] == count and all(u["status"] == "ready" for u in h["uploads"]) else None)(
        stack.history(token)))
    assert history, f"history incomplete: {stack.history(token)['total']} of {count}"
    assert [u["videoId"] for u in history["uploads"]] == list(reversed(ids)), "history out of order"
    return f"{count} uploads while monitoring-service was stopped; all projected, newest first, all ready"


def audio_down(stack, clips, short):
    """Kill audio-service: the video becomes ready with captions pending; they arrive when it is back."""
    token = stack.user()
    stack.stop("audio-service", sig=9)
    vid = stack.upload(token, clips["speech"], "captions later")
    wait_ready(stack, token, [vid], 240)
    video = stack.video(token, vid)
    assert video.get("captionState") == "pending", f"captions {video.get('captionState')}"
    stack.start("audio-service")
    assert eventually(180, lambda: stack.video(token, vid).get("captionState") == "ready", interval=1), "captions never arrived"
    return "ready with captions pending while audio-service was down; captions ready after it came back"


def restart_databases(stack, clips, short):
    """Restart PostgreSQL, then the MongoDB server, under load: services go not-ready and recover by themselves."""
    token = stack.user()
    stop = threading.Event()
    pids = {s: stack.processes[s].pid for s in stack.processes}

    def load():
        while not stop.is_set():
            for request in (lambda: stack.history(token), lambda: stack.video(token, "00000000-0000-0000-0000-000000000000")):
                try:
                    request()
                except Exception:  # noqa: BLE001 - errors are expected while a database is down
                    pass
            time.sleep(0.1)
    worker = threading.Thread(target=load)
    worker.start()
    try:
        for server, services in (("postgres", ["user-service", "monitoring-service"]), ("mongo", ["upload-service"])):
            stack.servers("stop", server)
            for service in services:
                assert eventually(30, lambda: not stack.ready(service)), f"{service} stayed ready without {server}"
            stack.servers("start")
            for service in services:
                assert eventually(90, lambda: stack.ready(service)), f"{service} did not recover after {server} came back"
    finally:
        stop.set()
        worker.join()
    assert {s: stack.processes[s].pid for s in stack.processes} == pids, "a service was restarted"
    assert all(stack.running(s) for s in pids), "a service exited"
    token = stack.user()  # user-service writes to PostgreSQL again
    vid = stack.upload(token, clips["tiny"], "after the restarts")
    wait_ready(stack, token, [vid], 180)
    return "PostgreSQL and the MongoDB server restarted under load: /ready 503, then 200 with no service restart; a new account and upload worked"


def disk_full(stack, clips, short):
    """processing-service's scratch on a tmpfs too small for the job: it fails cleanly, nothing is
    published, it is retried; once there is room the retry succeeds."""
    data = os.path.join(stack.work, "data", "processing-service")
    stack.stop("processing-service")
    os.makedirs(data, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", data], capture_output=True).returncode == 0
    if not mounted:
        return "SKIPPED: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)"
    try:
        stack.start("processing-service")
        token = stack.user()
        vid = stack.upload(token, clips["long"], "no room")
        log = os.path.join(stack.work, "logs", "processing-service.log")
        assert eventually(120, lambda: "No space left" in open(log, errors="replace").read() or "ENOSPC" in open(log, errors="replace").read()
                          or stack.redis("ZCARD", "clipcut:jobs:delayed").endswith("1"), interval=0.5), "the job never hit the full disk"
        video = stack.video(token, vid)
        assert video["status"] != "ready" and not video["renditions"], f"published while failing: {video['renditions']}"
        assert stack.mongo()["media.files"].count_documents({"metadata.videoId": vid}) == 0, "media half-written into GridFS"
        subprocess.run(["mount", "-o", "remount,size=2g", data], check=True)
        wait_ready(stack, token, [vid], 300)
        gridfs_clean(stack, [vid])
        return "ENOSPC in scratch: attempt failed with nothing published, retried, ready once there was room"
    finally:
        stack.stop("processing-service")
        subprocess.run(["umount", "-l", data], capture_output=True)
        stack.start("processing-service")


SCENARIOS = {
    "kill-processing": kill_processing, "restart-redis": restart_redis, "monitoring-down": monitoring_down,
    "audio-down": audio_down, "restart-databases": restart_databases, "disk-full": disk_full,
    **REPLICA_SCENARIOS, **FAIRNESS_SCENARIOS,
}
# Run only when named (scripts/bench queue): the same round under two policies.
ON_DEMAND = {**FAIRNESS_EXTRA}


def main():
    binaries, work = sys.argv[1], sys.argv[2]
    short = "--short" in sys.argv[3:]
    chosen = [a for a in sys.argv[3:] if not a.startswith("--")] or list(SCENARIOS)
    os.makedirs(work, exist_ok=True)
    clips = {
        "long": make_clip(os.path.join(work, "long.mp4"), 12),
        "short": make_clip(os.path.join(work, "short.mp4"), 4, size="640x360"),
        "tiny": make_clip(os.path.join(work, "tiny.mp4"), 1, size="320x240"),
        "speech": make_clip(os.path.join(work, "speech.mp4"), 5, size="640x360", speech=SPEECH),
    }
    stack = Stack(binaries, work)
    results = []
    try:
        stack.up()
        for name in chosen:
            started = time.time()
            print(f"[chaos] {name} ...", flush=True)
            try:
                detail = {**SCENARIOS, **ON_DEMAND}[name](stack, clips, short)
                verdict = "SKIP" if detail.startswith("SKIPPED") else "PASS"
            except Exception as error:  # noqa: BLE001 - every failure is a verdict
                traceback.print_exc()
                verdict, detail = "FAIL", f"{type(error).__name__}: {error}"
            results.append((name, verdict, time.time() - started, detail))
            print(f"[chaos] {name}: {verdict} ({time.time() - started:.0f} s) {detail}", flush=True)
            for service in list(stack.processes):
                if not stack.running(service):
                    stack.start(service)
    finally:
        stack.down()
    print("\n| scenario | verdict | seconds | what held |\n| --- | --- | --- | --- |")
    for name, verdict, seconds, detail in results:
        print(f"| {name} | {verdict} | {seconds:.0f} | {detail} |")
    return 1 if any(v == "FAIL" for _, v, _, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
