"""The hostile media batch: every file hostile_media.py makes is uploaded to the running stack by one
new user, with a normal video uploaded in the middle of the batch by another, and each must end as
its case says (status, failure reason or ladder, caption state). processing-service must be the
same process before and after (nothing crashed it), and the normal video must become ready.

    media_batch.py --user URL --upload URL --processing-pid-file FILE [--report FILE.md]
"""

import argparse
import os
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import Account, finish, fresh_email, make_video  # noqa: E402
from hostile_media import make_all  # noqa: E402


def read_pid(path):
    with open(path) as handle:
        return int(handle.read().strip())


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def upload(upload_url, account, path, content_type, title):
    with open(path, "rb") as handle:
        answer = requests.post(f"{upload_url}/api/videos", data=handle, timeout=120,
                               headers={**account.auth, "Content-Type": content_type, "X-Title": title})
    return answer


def settle(upload_url, account, video_id, limit):
    """The video once it is ready or failed (and its captions are no longer pending), or None."""
    deadline = time.monotonic() + limit
    video = None
    while time.monotonic() < deadline:
        video = requests.get(f"{upload_url}/api/videos/{video_id}", headers=account.auth, timeout=30).json()
        if video.get("status") == "failed" or (video.get("status") == "ready" and video.get("captionState") != "pending"):
            return video
        time.sleep(0.5)
    return video


def verdict(case, video):
    """A list of what differs from the case's expectation (empty: as expected)."""
    if video is None:
        return ["no answer"]
    problems = []
    if video.get("status") != case.status:
        problems.append(f"status {video.get('status')} (reason {video.get('failureReason')!r}), expected {case.status}")
    elif case.status == "failed" and case.reason.lower() not in (video.get("failureReason") or "").lower():
        problems.append(f"failureReason {video.get('failureReason')!r} lacks {case.reason!r}")
    elif case.status == "ready":
        ladder = [rendition["quality"] for rendition in video.get("renditions", [])]
        if ladder != case.ladder:
            problems.append(f"ladder {ladder}, expected {case.ladder}")
    if case.captions is not None and video.get("captionState") != case.captions:
        problems.append(f"captionState {video.get('captionState')}, expected {case.captions}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", required=True)
    parser.add_argument("--upload", required=True)
    parser.add_argument("--processing-pid-file", required=True)
    parser.add_argument("--report", help="write the outcome table (Markdown) here")
    parser.add_argument("--limit", type=float, default=240, help="seconds each video may take to settle")
    args = parser.parse_args()
    upload_url = args.upload.rstrip("/")
    pid_before = read_pid(args.processing_pid_file)

    with tempfile.TemporaryDirectory() as work:
        started = time.monotonic()
        cases = make_all(work)
        print(f"made {len(cases)} hostile files in {time.monotonic() - started:.1f} s", flush=True)
        stranger, bystander = Account(args.user, fresh_email("media")), Account(args.user, fresh_email("bystander"))
        ids, refused = {}, {}
        normal_id = normal_started = None
        for index, case in enumerate(cases):
            answer = upload(upload_url, stranger, os.path.join(work, case.filename), case.content_type, case.name)
            if answer.status_code == 201:
                ids[case.name] = answer.json()["id"]
            else:
                refused[case.name] = f"{answer.status_code} {answer.text[:120]}"
            if index == len(cases) // 2:  # another user's ordinary upload, in the middle of the batch
                normal_started = time.monotonic()
                answer = requests.post(f"{upload_url}/api/videos", data=make_video(speech=False), timeout=60,
                                       headers={**bystander.auth, "Content-Type": "video/mp4", "X-Title": "ordinary"})
                assert answer.status_code == 201, answer.text
                normal_id = answer.json()["id"]

        failures, rows = [], []
        normal = settle(upload_url, bystander, normal_id, args.limit)
        normal_seconds = time.monotonic() - normal_started
        if normal is None or normal.get("status") != "ready":
            failures.append(f"the ordinary upload during the batch: {normal and normal.get('status')} {normal and normal.get('failureReason')}")
        print(f"the ordinary upload made during the batch was {normal and normal.get('status')} "
              f"{normal_seconds:.1f} s after it was sent", flush=True)
        for case in cases:
            if case.name in refused:
                failures.append(f"{case.name}: the upload was refused: {refused[case.name]}")
                continue
            video = settle(upload_url, stranger, ids[case.name], args.limit)
            problems = verdict(case, video)
            outcome = (video or {}).get("failureReason") or ", ".join(r["quality"] for r in (video or {}).get("renditions", []))
            rows.append((case, video or {}, outcome))
            mark = "ok  " if not problems else "FAIL"
            print(f"{mark} {case.name:34} {(video or {}).get('status')!s:7} {outcome[:60]!s:60} "
                  f"captions={(video or {}).get('captionState')}", flush=True)
            failures += [f"{case.name}: {problem}" for problem in problems]

    pid_after = read_pid(args.processing_pid_file)
    if pid_after != pid_before or not alive(pid_before):
        failures.append(f"processing-service restarted during the batch (pid {pid_before} → {pid_after})")
    else:
        print(f"processing-service kept its pid {pid_before} through the batch", flush=True)
    if args.report:
        with open(args.report, "w") as handle:
            handle.write("| input | status | failure reason or ladder | captionState |\n| --- | --- | --- | --- |\n")
            for case, video, outcome in rows:
                handle.write(f"| {case.what} | {video.get('status')} | {outcome} | {video.get('captionState') or '—'} |\n")
    finish("hostile-media", len(cases) + 1, failures)


if __name__ == "__main__":
    main()
