"""`scripts/bench firstplay`: how soon an upload plays, against the running stack behind the edge.

    run.py EDGE_URL SOURCE.mp4 [SOURCE.mp4 ...]

For each source: a direct upload (POST /api/videos) timed to its last byte sent; at once the
watch page in headless Chromium (Debian's, through selenium), polled every 20 ms until the
<video> plays its first frame (currentTime > 0); then until the video is ready. The times of
`playable` and `ready` come from monitoring's history (the events' own times, same clock). One
JSON line per source on stdout: seconds from the last byte to playable, to the first frame
playing, and to ready.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "EndToEnd"))
import headless_chromium  # noqa: E402  (the browser tests' own way to start Chromium)

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

EDGE = sys.argv[1].rstrip("/")
SOURCES = sys.argv[2:]


def api(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{EDGE}{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def upload(path, token):
    """POSTs the file; returns (video id, time the last byte was sent)."""
    url = urllib.parse.urlsplit(EDGE)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    size = os.path.getsize(path)
    connection.putrequest("POST", "/api/videos")
    for name, value in [("Authorization", f"Bearer {token}"), ("Content-Type", "video/mp4"), ("Content-Length", str(size)),
                        ("X-Title", urllib.parse.quote(os.path.basename(path)))]:
        connection.putheader(name, value)
    connection.endheaders()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            connection.send(block)
    last_byte = time.time()
    response = connection.getresponse()
    body = json.loads(response.read())
    assert response.status == 201, (response.status, body)
    return body["id"], last_byte


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main():
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery staple"
    api("POST", "/api/users", {"email": email, "password": password, "displayName": "Bench"})
    token = api("POST", "/api/sessions", {"email": email, "password": password})["token"]

    driver = headless_chromium.start()
    try:
        driver.get(f"{EDGE}/#/login")
        driver.find_element(By.CSS_SELECTOR, "#login-email").send_keys(email)
        driver.find_element(By.CSS_SELECTOR, "#login-password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "#login-submit").click()
        WebDriverWait(driver, 20).until(lambda d: email in d.find_element(By.CSS_SELECTOR, "#whoami").text)
        for path in SOURCES:
            driver.execute_script("location.hash = '#/upload'")
            video_id, last_byte = upload(path, token)
            # As the page itself goes to the watch view after an upload (driver.get would wait
            # for a navigation that a hash change never completes).
            driver.execute_script("location.hash = arguments[0]", f"#/watch/{video_id}")
            first_frame = None
            deadline = time.time() + 1800
            while time.time() < last_byte + 120:
                playing = driver.execute_script("const v = document.querySelector('#player'); return v && v.currentTime > 0;")
                if playing:
                    first_frame = time.time()
                    break
                time.sleep(0.02)
            if first_frame is None:
                for entry in driver.get_log("browser"):
                    print(f"browser: {entry['message']}", file=sys.stderr)
            while time.time() < deadline:
                if api("GET", f"/api/videos/{video_id}", token=token)["status"] in ("ready", "failed"):
                    break
                time.sleep(0.5)
            detail = None
            for _ in range(60):  # the history follows the events within moments
                detail = api("GET", f"/api/history/{video_id}", token=token)
                if detail["upload"].get("readyAt") or detail["upload"].get("failedAt"):
                    break
                time.sleep(0.5)
            upload_row = detail["upload"]
            # Where the time went: each lifecycle event's time after the last byte (stderr).
            steps = ", ".join(f"{e['type']} +{instant(e['at']) - last_byte:.2f}" for e in detail["timeline"][:5])
            print(f"{os.path.basename(path)}: {steps}", file=sys.stderr, flush=True)
            print(json.dumps({
                "source": os.path.basename(path), "status": upload_row["status"],
                "durationSeconds": upload_row.get("durationSeconds"),
                "playable": instant(upload_row["playableAt"]) - last_byte if upload_row.get("playableAt") else None,
                "firstFrame": first_frame - last_byte if first_frame else None,
                "ready": instant(upload_row["readyAt"]) - last_byte if upload_row.get("readyAt") else None,
            }), flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
