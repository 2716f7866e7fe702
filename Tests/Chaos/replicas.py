"""Scenarios for many replicas and impolite clients (issue [12]), used by chaos.py:
a consumer replaced under a new name, two upload-service replicas with a client switching
between them mid-tus, 100 stalled uploads while another user browses, a 50-guess login burst."""
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from stack import ROOT, APIError, call, eventually, gridfs_clean


def events_with(stack, video_ids, event_type):
    """The ids among `video_ids` that have an `event_type` entry in clipcut:events."""
    found = set()
    for line in stack.redis("XRANGE", "clipcut:events", "-", "+").splitlines():
        if f'"type":"{event_type}"' in line.replace(" ", "") or f'\\"type\\":\\"{event_type}\\"' in line.replace(" ", ""):
            found |= {vid for vid in video_ids if vid in line}
    return found


def pending_of(stack, group, consumer):
    """How many entries of clipcut:events `consumer` of `group` holds unacknowledged."""
    lines = stack.redis("XPENDING", "clipcut:events", group, "-", "+", "1000", consumer).splitlines()
    return sum(1 for line in lines if line.strip().startswith("1)"))


def replaced_consumer(stack, clips, short):
    """upload- and monitoring-service die with `user.deleted` read and not acknowledged (what a pod
    killed mid-batch leaves); replacements start under new consumer names and must take it over:
    the user's videos, media and history go."""
    email = f"replaced-{uuid.uuid4().hex[:8]}@example.com"
    token = stack.user(email)
    user_id = call("GET", stack.url("user-service") + "/api/users/me", token=token)[1]["id"]
    video = stack.upload(token, clips["tiny"], "deleted with its owner")
    assert eventually(120, lambda: stack.status_of(token, video) == "ready", interval=1), "the video did not become ready"
    assert eventually(30, lambda: any(u["videoId"] == video for u in stack.history(token)["uploads"])), "not in the history"
    stack.stop("upload-service", sig=9)
    stack.stop("monitoring-service", sig=9)
    dead = {"upload": f"upload-dead-{uuid.uuid4().hex[:6]}", "monitoring": f"monitoring-dead-{uuid.uuid4().hex[:6]}"}
    took = None
    try:
        call("DELETE", stack.url("user-service") + "/api/users/me", token=token)
        assert eventually(30, lambda: user_id in stack.redis("XRANGE", "clipcut:events", "-", "+")), "no user.deleted event"
        # The dead pods had read the batch: hand everything new to consumers that never come back.
        for group, consumer in dead.items():
            stack.redis("XREADGROUP", "GROUP", group, consumer, "COUNT", "10000", "STREAMS", "clipcut:events", ">")
            assert pending_of(stack, group, consumer) > 0, f"nothing pending on {consumer}"
    finally:
        started = time.time()
        for service in ("upload-service", "monitoring-service"):
            stack.overrides[service] = {"CLIPCUT_CONSUMER_NAME": f"{service}-new-{uuid.uuid4().hex[:6]}"}
            stack.start(service)
            stack.overrides.pop(service, None)
    db = stack.mongo()
    assert eventually(60, lambda: db["videos"].count_documents({"owner": user_id}) == 0), "upload-service kept the videos"
    took = time.time() - started
    assert eventually(30, lambda: db["media.files"].count_documents({"metadata.videoId": video}) == 0), "media left"
    assert eventually(30, lambda: db["uploads.files"].count_documents({"metadata.videoId": video}) == 0), "source left"
    rows = lambda: stack.psql(f"SELECT count(*) FROM uploads WHERE owner = '{user_id}'")
    assert eventually(60, lambda: rows() == "0"), f"monitoring-service kept {rows()} history rows"
    for group, consumer in dead.items():
        assert eventually(30, lambda: pending_of(stack, group, consumer) == 0), f"{consumer} still holds entries"
    return f"user.deleted taken over from dead consumers: videos, media and history gone {took:.0f} s after the replacements started"


def tus_switching_replicas(stack, clips, short):
    """A second upload-service replica; Tests/Hostile/tus_replicas.py writes a tus upload on one
    and repeats its final PATCH on the other."""
    stack.start("upload-service@2")
    try:
        script = os.path.join(ROOT, "Tests", "Hostile", "tus_replicas.py")
        result = subprocess.run(
            [sys.executable, script, "--user", stack.url("user-service"), "--upload", stack.url("upload-service"),
             "--upload2", stack.url("upload-service@2")], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (result.stdout + result.stderr)[-1500:]
    finally:
        stack.stop("upload-service@2")
    return "the repeated final PATCH answered 204 with the same video, which became ready"


def open_stalled_upload(port, token, declared=50_000_000, sent=65_536):
    """A direct upload that announces `declared` bytes and sends only `sent`."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=120)
    head = (f"POST /api/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: video/mp4\r\nContent-Length: {declared}\r\n\r\n").encode()
    prefix = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    connection.sendall(head + prefix + bytes(sent - len(prefix)))
    return connection


def status_line(connection):
    """The status code of the response waiting on `connection` (closes it), or None."""
    try:
        data = connection.recv(4096)
    except OSError:
        data = b""
    finally:
        connection.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def answered(connections, seconds):
    """The connections among `connections` that have a response within `seconds`."""
    ready = set()
    deadline = time.time() + seconds
    while len(ready) < len(connections) and time.time() < deadline:
        waiting = [c for c in connections if c not in ready]
        readable, _, _ = select.select(waiting, [], [], max(0.0, deadline - time.time()))
        ready |= set(readable)
    return ready


def browse(stack, token, video_id):
    """What another user does meanwhile: list, open the player, fetch 64 KiB of a rendition, /ready.
    Returns the seconds all four took."""
    started = time.time()
    call("GET", stack.url("upload-service") + "/api/videos", token=token, timeout=60)
    playback = call("GET", stack.url("upload-service") + f"/api/videos/{video_id}/playback", token=token, timeout=60)[1]
    call("GET", stack.url("upload-service") + playback["renditions"][0]["url"], headers={"Range": "bytes=0-65535"}, timeout=60)
    assert stack.ready("upload-service"), "/ready failed"
    return time.time() - started


def stalled_uploads(stack, clips, short):
    """100 uploads that stop sending (25 users, 4 each) while another user lists and plays: the
    replica admits 64 (CLIPCUT_UPLOADS_PER_REPLICA) and refuses the rest with 429 at once, keeps
    answering, and cuts the stalled ones off with 408 after CLIPCUT_UPLOAD_IDLE_SECONDS (10 s here)."""
    viewer = stack.user()
    video = stack.upload(viewer, clips["tiny"], "watched meanwhile")
    assert eventually(120, lambda: stack.status_of(viewer, video) == "ready", interval=1), "the viewer's video is not ready"
    calm = [browse(stack, viewer, video) for _ in range(5)]
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda _: stack.user(), range(25)))
    port = int(stack.url("upload-service").rsplit(":", 1)[1])
    opened = time.time()
    connections = [open_stalled_upload(port, token) for token in tokens for _ in range(4)]
    early = answered(connections, 3)
    refused = [status_line(c) for c in early]
    stalled = [c for c in connections if c not in early]
    busy = [browse(stack, viewer, video) for _ in range(5)]
    assert refused.count(429) == len(refused) == 36 and len(stalled) == 64, \
        f"{len(stalled)} admitted, refusals {sorted(set(refused))} x{len(refused)} (expected 64 and 36 x 429)"
    late = answered(stalled, 40)
    cut_off_after = time.time() - opened
    timeouts = [status_line(c) for c in late]
    for connection in stalled:
        if connection not in late:
            connection.close()
    assert len(late) == 64 and timeouts.count(408) == 64, f"{len(late)} answered, statuses {sorted(set(timeouts))}"
    for token in tokens[:3]:
        assert call("GET", stack.url("upload-service") + "/api/videos", token=token)[1]["videos"] == [], "a cut-off upload left a video"
    gridfs_clean(stack, [])
    stack.upload(tokens[0], clips["tiny"], "after the stall")
    ratio = statistics.median(busy) / statistics.median(calm)
    return (f"64 admitted, 36 refused 429 at once, 64 cut off 408 within {cut_off_after:.0f} s; browsing (list, player, "
            f"64 KiB range, /ready) median {statistics.median(calm) * 1000:.0f} ms calm vs {statistics.median(busy) * 1000:.0f} ms "
            f"with 64 stalled (x{ratio:.2f}); GridFS clean")


def login_burst(stack, clips, short):
    """50 wrong passwords for one account at once through two user-service replicas: at most the
    per-email limit (5) reach bcrypt (401), the rest are 429."""
    email = f"burst-{uuid.uuid4().hex[:8]}@example.com"
    stack.user(email)
    stack.start("user-service@2")
    try:
        urls = [stack.url("user-service"), stack.url("user-service@2")]
        body = json.dumps({"email": email, "password": "wrong password, guessed"}).encode()
        barrier = threading.Barrier(50)

        def guess(index):
            barrier.wait()
            try:
                call("POST", urls[index % 2] + "/api/sessions", body=body, headers={"Content-Type": "application/json"}, timeout=60)
                return 200
            except APIError as error:
                return error.status
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(guess, range(50)))
    finally:
        stack.stop("user-service@2")
    assert statuses.count(200) == 0 and statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 50, statuses
    return f"{statuses.count(401)} answered 401 (reached bcrypt), {statuses.count(429)} answered 429"


SCENARIOS = {
    "replaced-consumer": replaced_consumer, "tus-replicas": tus_switching_replicas,
    "stalled-uploads": stalled_uploads, "login-burst": login_burst,
}
