"""The media cache with two upload-service replicas and the nginx edge, as a user sees it:

- through the edge (replica 1 behind it, which hands cached copies to nginx's sendfile) every
  answer a player relies on is what upload-service gives directly: the bytes, ETag,
  Last-Modified, Cache-Control, Content-Type, the edge's security headers, Range (206 and
  Content-Range), If-Range with a stale validator (the whole file), If-None-Match (304), several
  ranges (the whole file), a range past the end (416); and replica 1 did hand copies to the edge
  (its `clipcut_media_cache_requests_total{outcome="edge"}` grew);
- each replica keeps its own copies (in its CLIPCUT_MEDIA_CACHE_DIR);
- deleting the video through replica 1 makes it 404 on both at once, and both replicas delete
  their copies within seconds (video.deleted on clipcut:events).

    media_cache_replicas.py --user URL --edge URL --upload URL --upload2 URL --cache DIR --cache2 DIR
"""

import argparse
import os
import re
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import Account, finish, fresh_email, make_video, upload_video, wait_until_processed  # noqa: E402

COMPARED = ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Accept-Ranges")


def edge_handoffs(upload):
    text = requests.get(f"{upload}/metrics", timeout=30).text
    match = re.search(r'^clipcut_media_cache_requests_total\{outcome="edge"\} (\d+)', text, re.M)
    return int(match.group(1)) if match else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("--user", "--edge", "--upload", "--upload2", "--cache", "--cache2"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    edge, one, two = args.edge.rstrip("/"), args.upload.rstrip("/"), args.upload2.rstrip("/")
    account = Account(args.user, fresh_email("cache"))
    video_id = upload_video(edge, account, make_video(speech=False), title="cached")
    wait_until_processed(edge, account, video_id)
    playback = requests.get(f"{edge}/api/videos/{video_id}/playback", headers=account.auth, timeout=30).json()
    token = playback["token"]
    rendition = playback["renditions"][0]["url"]
    variant = requests.get(edge + playback["hls"], timeout=30).text
    variant_path = next(line for line in variant.splitlines() if line and not line.startswith("#"))
    media_playlist = requests.get(f"{edge}/api/videos/{video_id}/hls/{variant_path}", timeout=30).text
    segment_name = next(line for line in media_playlist.splitlines() if line and not line.startswith("#"))
    segment = f"/api/videos/{video_id}/hls/{variant_path.rsplit('/', 1)[0].split('?')[0]}/{segment_name}"
    failures, checks = [], 0

    before = edge_handoffs(one)
    for label, path in (("rendition", rendition), ("segment", segment)):
        direct = requests.get(one + path, timeout=30)
        through = [requests.get(edge + path, timeout=30) for _ in range(2)]  # the first may fill the copy
        checks += 1
        for answer in through:
            if answer.status_code != 200 or answer.content != direct.content:
                failures.append(f"{label} through the edge: {answer.status_code}, {len(answer.content)} bytes, "
                                f"directly {direct.status_code}, {len(direct.content)} bytes")
            for header in COMPARED:
                if answer.headers.get(header) != direct.headers.get(header):
                    failures.append(f"{label} {header}: {answer.headers.get(header)!r} through the edge, {direct.headers.get(header)!r} directly")
            if "default-src 'self'" not in answer.headers.get("Content-Security-Policy", ""):
                failures.append(f"{label} through the edge has no Content-Security-Policy")
        body, etag, size = direct.content, direct.headers.get("ETag"), len(direct.content)
        cases = [
            ("Range", {"Range": "bytes=10-99"}, 206, body[10:100], f"bytes 10-99/{size}"),
            ("suffix Range", {"Range": "bytes=-5"}, 206, body[-5:], f"bytes {size - 5}-{size - 1}/{size}"),
            ("If-Range stale", {"Range": "bytes=10-99", "If-Range": '"stale"'}, 200, body, None),
            ("If-Range current", {"Range": "bytes=10-99", "If-Range": etag}, 206, body[10:100], f"bytes 10-99/{size}"),
            ("several ranges", {"Range": "bytes=0-1,5-6"}, 200, body, None),
            ("If-None-Match", {"If-None-Match": etag}, 304, b"", None),
            ("past the end", {"Range": f"bytes={size + 10}-"}, 416, None, f"bytes */{size}"),
        ]
        for name, headers, status, content, content_range in cases:
            checks += 1
            answer = requests.get(edge + path, headers=headers, timeout=30)
            same = requests.get(one + path, headers=headers, timeout=30)
            if answer.status_code != status or same.status_code != status:
                failures.append(f"{label} {name}: {answer.status_code} through the edge, {same.status_code} directly, {status} expected")
            if content is not None and answer.content != content:
                failures.append(f"{label} {name}: {len(answer.content)} bytes through the edge, not the {len(content)} expected")
            if content_range and answer.headers.get("Content-Range") != content_range:
                failures.append(f"{label} {name}: Content-Range {answer.headers.get('Content-Range')!r}, {content_range!r} expected")
    checks += 1
    handed = edge_handoffs(one) - before
    if handed < 10:
        failures.append(f"edge hand-off: replica 1 handed {handed} requests to the edge's sendfile, expected most of them")
    print(f"through the edge: {handed} requests sent by nginx from replica 1's cache", flush=True)

    # Replica 2 makes its own copies; both have them.
    for _ in range(2):
        requests.get(two + segment, timeout=30).raise_for_status()
    copies = lambda cache: os.path.isdir(os.path.join(cache, "objects", video_id))
    checks += 1
    if not (copies(args.cache) and copies(args.cache2)):
        failures.append(f"copies: replica 1 has {copies(args.cache)}, replica 2 has {copies(args.cache2)}")

    deleted = requests.delete(f"{one}/api/videos/{video_id}", headers=account.auth, timeout=30)
    checks += 1
    statuses = [requests.get(base + segment, timeout=30).status_code for base in (edge, one, two)]
    if deleted.status_code != 204 or statuses != [404, 404, 404]:
        failures.append(f"deletion: DELETE {deleted.status_code}; the segment then answered {statuses} (edge, 1, 2), 404 expected at once")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (copies(args.cache) or copies(args.cache2)):
        time.sleep(0.2)
    checks += 1
    if copies(args.cache) or copies(args.cache2):
        failures.append(f"deletion: copies left after 60 s: replica 1 {copies(args.cache)}, replica 2 {copies(args.cache2)}")
    else:
        print("deletion: both replicas deleted their copies", flush=True)
    finish("media-cache-replicas", checks, failures)


if __name__ == "__main__":
    main()
