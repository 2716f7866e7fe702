"""Two upload-service replicas and a client that switches between them mid-tus: the upload is
created and written on one, its final PATCH is sent again to the other (as a client does when the
answer was lost, behind a load balancer). The repeat must answer 204 with the same video, and the
video must keep its source: processing makes it `ready`.

    tus_replicas.py --user URL --upload URL --upload2 URL
"""

import argparse
import base64
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import Account, finish, fresh_email, make_video  # noqa: E402


def tus(account, extra=None):
    return {**account.auth, "Tus-Resumable": "1.0.0", **(extra or {})}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", required=True)
    parser.add_argument("--upload", required=True, help="replica 1")
    parser.add_argument("--upload2", required=True, help="replica 2")
    args = parser.parse_args()
    one, two = args.upload.rstrip("/"), args.upload2.rstrip("/")
    account = Account(args.user, fresh_email("replicas"))
    data = make_video(speech=False)
    failures = []

    name = base64.b64encode(b"replicas.mp4").decode()
    created = requests.post(f"{one}/api/uploads", headers=tus(account, {"Upload-Length": str(len(data)), "Upload-Metadata": f"filename {name}"}),
                            timeout=30)
    assert created.status_code == 201, created.text
    path = created.headers["Location"]
    half = len(data) // 2
    first = requests.patch(f"{one}{path}", data=data[:half], timeout=60,
                           headers=tus(account, {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}))
    head = requests.head(f"{two}{path}", headers=tus(account), timeout=30)
    if first.status_code != 204 or head.headers.get("Upload-Offset") != str(half):
        failures.append(f"replica 2 sees offset {head.headers.get('Upload-Offset')} after replica 1 stored {half}")
    final = requests.patch(f"{two}{path}", data=data[half:], timeout=60,
                           headers=tus(account, {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(half)}))
    if final.status_code != 204:
        failures.append(f"final PATCH on replica 2: {final.status_code} {final.text[:200]}")
    repeated = requests.patch(f"{one}{path}", data=b"", timeout=60,
                              headers=tus(account, {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(len(data))}))
    print(f"final PATCH on replica 2: {final.status_code} {final.headers.get('Location')}; "
          f"repeated on replica 1: {repeated.status_code} {repeated.headers.get('Location')}", flush=True)
    if repeated.status_code != 204 or repeated.headers.get("Location") != final.headers.get("Location"):
        failures.append(f"repeated final PATCH on replica 1: {repeated.status_code} {repeated.headers.get('Location')} {repeated.text[:200]}")
    video_id = (final.headers.get("Location") or "").rsplit("/", 1)[-1]
    deadline, status = time.monotonic() + 600, None
    while video_id and time.monotonic() < deadline:
        status = requests.get(f"{two}/api/videos/{video_id}", headers=account.auth, timeout=30).json().get("status")
        if status in ("ready", "failed"):
            break
        time.sleep(1)
    if status != "ready":
        failures.append(f"the video is {status}, expected ready (its source must survive the repeat)")
    listing = requests.get(f"{one}/api/videos", headers=account.auth, timeout=30).json()
    items = listing.get("videos", [])
    if len(items) != 1:
        failures.append(f"the user has {len(items)} videos, expected 1")
    finish("tus-replicas", 1, ["switching replicas: " + failure for failure in failures])


if __name__ == "__main__":
    main()
