"""What both hostile-input runners need: the four services' URLs and documents, throwaway
accounts, and a real (tiny) video."""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENTS = {  # service -> the OpenAPI document in the checkout (the running service serves its build's copy)
    "user": "Sources/UserService/openapi.yaml",
    "upload": "Sources/UploadService/openapi.yaml",
    "audio": "Sources/AudioService/openapi.yaml",
    "monitoring": "Sources/MonitoringService/openapi.yaml",
}
PASSWORD = "hostile-password-42"
SPOKEN = "The penguin walks across the ice."


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--user", required=True, help="user-service base URL")
    parser.add_argument("--upload", required=True, help="upload-service base URL")
    parser.add_argument("--audio", required=True, help="audio-service base URL")
    parser.add_argument("--monitoring", required=True, help="monitoring-service base URL")
    parser.add_argument("--service-token", default=os.environ.get("CLIPCUT_SERVICE_TOKEN") or None,
                        help="CLIPCUT_SERVICE_TOKEN of the stack (default: that variable); none if the stack has none")
    return parser


def base_urls(args):
    return {name: getattr(args, name).rstrip("/") for name in DOCUMENTS}


class Account:
    """A registered (now, or before: 409), logged-in user."""

    def __init__(self, user_url, email, password=PASSWORD):
        answer = requests.post(f"{user_url}/api/users", json={"email": email, "password": password, "displayName": "Hostile"}, timeout=30)
        if answer.status_code not in (201, 409):
            raise SystemExit(f"registering {email}: {answer.status_code} {answer.text[:200]}")
        self.email, self.password, self.created = email, password, answer.status_code == 201
        answer = requests.post(f"{user_url}/api/sessions", json={"email": email, "password": password}, timeout=30)
        if answer.status_code != 200:
            raise SystemExit(f"logging in {email}: {answer.status_code} {answer.text[:200]} "
                             "(429: this address is throttled after failed logins; wait 15 minutes)")
        session = answer.json()
        self.token, self.id, self.role = session["token"], session["user"]["id"], session["user"]["role"]

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}


def fresh_email(label):
    return f"hostile-{label}-{uuid.uuid4().hex[:10]}@example.com"


def make_video(speech=True):
    """A 1 s (or, with speech, about 3 s) 320x240 H.264 MP4; with espeak-ng speech when asked and
    espeak-ng exists, so the video gets captions and is found by search. Returns its bytes."""
    with tempfile.TemporaryDirectory() as work:
        out, wav = os.path.join(work, "x.mp4"), os.path.join(work, "speech.wav")
        command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]
        if speech and subprocess.run(["espeak-ng", "-w", wav, SPOKEN], capture_output=True).returncode == 0:
            command += ["-i", wav, "-shortest", "-c:a", "aac"]
        else:
            command += ["-t", "1"]
        subprocess.run(command + ["-c:v", "libx264", "-pix_fmt", "yuv420p", out], check=True)
        with open(out, "rb") as handle:
            return handle.read()


def upload_video(upload_url, account, data, title="hostile"):
    answer = requests.post(f"{upload_url}/api/videos", data=data, timeout=60,
                           headers={**account.auth, "Content-Type": "video/mp4", "X-Title": title})
    if answer.status_code != 201:
        raise SystemExit(f"uploading a video: {answer.status_code} {answer.text[:200]}")
    return answer.json()["id"]


def wait_until_processed(upload_url, account, video_id, captions=False, limit=600):
    """The video once ready (with captions: once they are ready or failed); exits when it fails
    or takes too long."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        video = requests.get(f"{upload_url}/api/videos/{video_id}", headers=account.auth, timeout=30).json()
        if video.get("status") == "failed":
            raise SystemExit(f"video {video_id} failed: {video.get('failureReason')}")
        if video.get("status") == "ready" and (not captions or video.get("captionState") in ("ready", "failed")):
            return video
        time.sleep(1)
    raise SystemExit(f"video {video_id} was not processed within {limit} s")


def finish(label, checks, failures):
    """Prints `label: N passed, N failed` (failures named `check: what went wrong`, one check
    counted once) and the failures, then exits non-zero if there were any."""
    failed = {failure.split(":")[0] for failure in failures}
    print(f"{label}: {checks - len(failed)} passed, {len(failed)} failed")
    for failure in failures:
        print("  " + failure)
    sys.exit(1 if failures else 0)
