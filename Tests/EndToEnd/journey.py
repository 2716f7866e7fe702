"""The whole journey in a browser: scripts/test runs this against the real stack behind the
nginx edge, in Debian's Chromium (headless) through selenium and chromium-driver.

    journey.py EDGE_URL OUTPUT_DIR

Register, log in (and a wrong password first), a text file rejected, upload a generated 10 s
720p video with espeak-ng speech, watch the live panel reach 100 %, play it in Auto (the HLS
master) with its subtitles, to the highest quality and back, switch quality, read the subtitle
cues, find it in history, search a spoken word and land on its moment, the watch view's leg
(journey_watch.py: one set of controls, the keyboard, edit, share, resume), play a 60 s 1080p video
while it is still being encoded (live HLS) until the ready player takes over in Auto, check
another user cannot open it, delete it; journey_pages.py's steps go between (a tus upload's speed,
a reload cutting it off, resumed from the list of unfinished uploads, another discarded; posters in
the history; the header's search playing from a cue; a link opened logged out landing after
login). Then the operator's view: two uploads no encoder can
decode end in the dead letters; the user sees no Admin link and gets 403 from every admin route;
the administrator's Admin view draws its charts with the figures of GET /api/stats, lists the
accounts with their storage and the dead letters, retries one (its video leaves `failed`) and
discards the other. A screenshot of each step goes to OUTPUT_DIR (the Admin view's also to
docs/screenshots/admin.png when that file is missing). Exits non-zero at the first failed step.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import headless_chromium
from journey_pages import deep_link_login, header_search, history_posters, make_upload_media, unfinished_uploads
from journey_watch import watch_leg
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

EDGE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(OUT, exist_ok=True)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPOKEN = "The penguins are diving for fish. Hello from the frozen harbour."
PROCESSING_LIMIT = int(os.environ.get("CLIPCUT_E2E_PROCESSING_SECONDS", "600"))
LONG_SECONDS = 60
# The administrator: an address in the e2e stack's CLIPCUT_ADMIN_EMAILS (scripts/test) with the
# password the access matrix and schemathesis use (Tests/Hostile/hostile_common.py PASSWORD), so
# whichever suite registers it first makes the first administrator and the others log in as it.
ADMIN_EMAIL = os.environ.get("CLIPCUT_E2E_ADMIN_EMAIL", "hostile-admin@example.com")
ADMIN_PASSWORD = os.environ.get("CLIPCUT_E2E_ADMIN_PASSWORD", "hostile-password-42")
ADMIN_SCREENSHOT = os.path.join(ROOT, "docs", "screenshots", "admin.png")
# Every route only an administrator may call (the admin view's), with what a user must get: 403.
# {dead}, {other_dead} and {video} are filled in with a real dead letter and the user's own video.
ADMIN_ROUTES = [
    ("GET", "/api/stats?days=30"), ("GET", "/api/queue"), ("GET", "/api/users"), ("GET", "/api/videos/usage/owners"),
    ("GET", "/api/jobs/dead"), ("POST", "/api/jobs/dead/{dead}/retry"), ("DELETE", "/api/jobs/dead/{other_dead}"),
    ("POST", "/api/videos/{video}/captions/rerun"),
]
# Every chart of the Admin view, read through Chart.js itself (the page's module instance: the
# same URL imports the same module): labels, the first series, and whether the canvas has pixels.
CHARTS_SCRIPT = """const done = arguments[arguments.length - 1];
import(arguments[0]).then(({ Chart }) => {
  const charts = {};
  for (const canvas of document.querySelectorAll('#view-admin canvas')) {
    const chart = Chart.getChart(canvas);
    const blank = document.createElement('canvas');
    blank.width = canvas.width;
    blank.height = canvas.height;
    charts[canvas.id] = chart ? {labels: chart.data.labels, data: chart.data.datasets[0].data,
                                 drawn: canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL(),
                                 label: canvas.getAttribute('aria-label') || ''} : null;
  }
  done(charts);
}, (error) => done({error: String(error)}));"""


def make_media(directory):
    """A 10 s 1280x720 H.264 video with speech, a text file named like a video, and a 60 s 1080p
    video with a tone (long enough that its ladder takes a while: it plays before it is ready)."""
    speech = os.path.join(directory, "speech.wav")
    video = os.path.join(directory, "harbour.mp4")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", speech, SPOKEN], check=True)
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=10",
        "-i", speech, "-filter_complex", "[1:a]apad=whole_dur=10[a]", "-map", "0:v", "-map", "[a]", "-t", "10",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", video,
    ], check=True)
    text = os.path.join(directory, "notes.mp4")
    with open(text, "w") as handle:
        handle.write("These are my meeting notes, not a video.\n" * 50)
    long_video = os.path.join(directory, "long-1080p.mp4")
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={LONG_SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={LONG_SECONDS}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-shortest", long_video,
    ], check=True)
    damaged = os.path.join(directory, "cut-off.mp4")  # half of the first: its index (at the end) is gone
    with open(video, "rb") as whole, open(damaged, "wb") as half:
        data = whole.read()
        half.write(data[: len(data) // 2])
    return video, text, long_video, damaged


def make_undecodable(directory):
    """A 2 s 320x240 H.264 AVI whose codec tag says AVS2 (in the stream header and the
    BITMAPINFOHEADER). ffprobe reads its codec (avs2), size, rate and length from the AVI headers,
    so processing-service accepts it; Debian's ffmpeg has no AVS2 decoder, so every encode ends at
    once with "Decoder (codec avs2) not found", none of the signs of a damaged file: a transient
    failure ("The encoder failed."), retried after 10 s and 20 s (CLIPCUT_JOB_RETRY_BASE_SECONDS),
    dead-lettered after the third attempt (CLIPCUT_JOB_MAX_ATTEMPTS). Returns its bytes."""
    path = os.path.join(directory, "undecodable-avs2.avi")
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
    ], check=True)
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    stream_header, bitmap_header = data.find(b"strh"), data.find(b"strf")
    for offset in (stream_header + 12, bitmap_header + 24):  # strh fccHandler, strf biCompression
        assert stream_header > 0 and bitmap_header > 0 and data[offset:offset + 4] == b"H264", "not the AVI ffmpeg used to write"
        data[offset:offset + 4] = b"AVS2"
    with open(path, "wb") as handle:
        handle.write(data)
    # The recipe holds only while ffprobe names the codec and ffmpeg cannot decode it.
    probe = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_streams", path], capture_output=True, text=True)
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream.get("codec_name") == "avs2" and stream.get("width") == 320, stream
    decode = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True)
    assert decode.returncode != 0 and "not found" in decode.stderr, f"this ffmpeg decodes AVS2 now: {decode.stderr[-300:]}"
    return bytes(data)


def call(method, path, token=None, body=None, data=None, headers=None):
    """One API call through the edge: (status, the JSON body or None)."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(f"{EDGE}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, None


def same(shown, expected):
    """A figure's data-value against the API's number ('' for none)."""
    if expected is None:
        return shown in ("", None)
    return shown not in ("", None) and abs(float(shown) - float(expected)) <= 1e-9 * max(1.0, abs(float(expected)))


class Journey:
    def __init__(self):
        self.driver = headless_chromium.start()
        self.shots = 0

    def step(self, name):
        print(f"[e2e] {name}", flush=True)
        self.current = name

    def shot(self, name):
        self.shots += 1
        self.driver.save_screenshot(os.path.join(OUT, f"{self.shots:02d}-{name}.png"))

    def wait(self, condition, seconds=60):
        # A view re-rendered under the condition (the history's rows after its fetch) is looked at again.
        return WebDriverWait(
            self.driver, seconds, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    def el(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def visible(self, css, seconds=20):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), seconds)

    def click(self, css, seconds=20):
        """Clicks `css` once it is visible, looking it up again if the page re-rendered it."""
        def attempt(driver):
            try:
                element = driver.find_element(By.CSS_SELECTOR, css)
                if not element.is_displayed() or not element.is_enabled():
                    return False
                element.click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait(attempt, seconds)

    def message(self):
        return self.el("#message").text.strip()

    def wait_message(self, seconds=20):
        return self.wait(lambda d: self.message() or False, seconds)

    def upload(self, path, title):
        """Uploads `path` from the upload view; returns once the page shows its watch view."""
        self.go("#/upload")
        self.el("#upload-file").send_keys(path)
        self.fill("#upload-title", title)
        self.el("#upload-submit").click()
        self.wait(lambda d: "#/watch/" in d.current_url, 60)

    def fill(self, css, text):
        field = self.visible(css)
        field.clear()
        field.send_keys(text)

    def go(self, route):
        self.driver.get(f"{EDGE}/{route}")

    def register(self, email, password, name):
        self.go("#/login")
        self.fill("#register-email", email)
        self.fill("#register-password", password)
        self.fill("#register-name", name)
        self.el("#register-submit").click()
        self.wait(lambda d: email in self.el("#whoami").text)

    def login(self, email, password):
        self.fill("#login-email", email)
        self.fill("#login-password", password)
        self.el("#login-submit").click()

    def logout(self):
        self.el("#logout").click()
        self.visible("#login-form")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)


def eta_seconds(text):
    """The panel's ETA ("39 s", "1 min 40 s", "1 h 02 min") in seconds, or None ("—")."""
    match = re.fullmatch(r"(?:(\d+) h )?(?:(\d+) min )?(\d+) (s|min)", text.strip())
    if not match:
        return None
    hours, minutes, value, unit = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(value) * (60 if unit == "min" else 1)


def check_first_eta(samples):
    """The first time left shown while encoding is near the time the encode really took from then
    (it said "1 min 40 s" when 39 s remained: ffmpeg's average speed since its start). Loose bounds:
    the machine's speed moves while the browser plays the video beside the encode."""
    shown = [(at, eta_seconds(eta)) for at, stage, eta, _ in samples if stage == "transcoding" and eta_seconds(eta) is not None]
    ended = [at for at, _, _, rungs in samples if rungs and min(rungs) >= 100]
    assert shown and ended, f"no ETA while encoding, or no end seen: {samples[:3]} … {samples[-3:]}"
    first_at, first_eta = shown[0]
    really = ended[0] - first_at
    print(f"[e2e] first ETA shown {first_eta} s; the encode ended {really:.1f} s later", flush=True)
    assert first_eta <= 2 * really + 3, f"the first ETA, {first_eta} s, was far too long: the encode ended {really:.1f} s later"
    assert first_eta >= 0.2 * really - 5, f"the first ETA, {first_eta} s, was far too short: the encode ended {really:.1f} s later"


def admin_leg(journey, email, user_token, stuck, ready_id):
    """The operator's view, from the user's session (`email`, `user_token`): `stuck` are the
    user's two undecodable uploads (the first is retried, the second discarded), `ready_id` a
    ready video of theirs. Ends signed in as the administrator."""
    driver = journey.driver

    journey.step("a user who is not an administrator sees no Admin link, and #/admin takes them to the upload view")
    journey.wait(lambda d: email in journey.el("#whoami").text)
    assert not journey.el("#nav-admin").is_displayed(), "a user sees the Admin link"
    journey.go("#/admin")
    journey.wait(lambda d: "#/upload" in d.current_url)
    assert not journey.el("#view-admin").is_displayed()

    journey.step("the administrator (registered now, or by the suite that ran first) signs in through the API")
    status, answer = call("POST", "/api/users", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "displayName": "Operator"})
    assert status in (201, 409), f"registering {ADMIN_EMAIL}: {status} {answer}"
    status, session = call("POST", "/api/sessions", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert status == 200, f"logging in {ADMIN_EMAIL}: {status} {session}"
    assert session["user"]["role"] == "admin", (
        f"{ADMIN_EMAIL} has the role {session['user']['role']}: an administrator existed before it registered "
        "(it must be in CLIPCUT_ADMIN_EMAILS and the first administrator)")
    admin_token = session["token"]

    journey.step("both undecodable uploads end in the dead letters, their videos failed (3 attempts: 10 s, then 20 s apart)")
    deadline = time.time() + PROCESSING_LIMIT
    while True:
        status, dead = call("GET", "/api/jobs/dead", admin_token)
        assert status == 200, f"GET /api/jobs/dead as the administrator: {status} {dead}"
        letters = {letter["videoId"]: letter for letter in dead["deadLetters"] if letter.get("videoId") in stuck}
        videos = {video_id: call("GET", f"/api/videos/{video_id}", user_token)[1] or {} for video_id in stuck}
        # The video's status follows the failure event: it can lag the dead letter by a moment.
        if len(letters) == len(stuck) and all(letter.get("videoStatus") == "failed" for letter in letters.values()) \
                and all(video.get("status") == "failed" for video in videos.values()):
            break
        assert time.time() < deadline, f"not dead-lettered within {PROCESSING_LIMIT} s: letters {letters}, videos {videos}"
        time.sleep(2)
    for video_id, letter in letters.items():
        assert letter["attempts"] >= 1 and letter["reason"], letter
        assert videos[video_id].get("failureReason"), videos[video_id]
    retried, discarded = letters[stuck[0]], letters[stuck[1]]
    print(f"[e2e] dead letters {retried['id']} and {discarded['id']}: {retried['reason']}", flush=True)

    journey.step("the user gets 403 from every admin route, even for their own video and job")
    for method, template in ADMIN_ROUTES:
        path = template.format(dead=retried["id"], other_dead=discarded["id"], video=ready_id)
        status, answer = call(method, path, user_token)
        code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
        assert status == 403 and code == "forbidden", f"{method} {path} as a user: {status} {answer}"
    status, dead = call("GET", "/api/jobs/dead", admin_token)
    assert {retried["id"], discarded["id"]} <= {letter["id"] for letter in dead["deadLetters"]}, "a user's call acted on a dead letter"

    journey.step("the administrator's Admin view: every chart drawn, with the figures of GET /api/stats")
    journey.logout()
    journey.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    journey.wait(lambda d: ADMIN_EMAIL in journey.el("#whoami").text)
    journey.click("#nav-admin")
    journey.wait(lambda d: "#/admin" in d.current_url)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "admin-heading")

    def loaded(days):
        return journey.js(
            "const v = document.getElementById('view-admin'), f = document.getElementById('figure-uploads'); "
            "return !v.hidden && !v.hasAttribute('aria-busy') && f.dataset.value !== undefined && f.textContent.includes(arguments[0])",
            f"{days} days")

    def charts():
        found = driver.execute_async_script(CHARTS_SCRIPT, "/vendor/chart.js/chart.esm.js")
        assert "error" not in found, f"Chart.js did not load in the page: {found}"
        return found

    def check_figures(days):
        status, stats = call("GET", f"/api/stats?days={days}", admin_token)
        assert status == 200, f"GET /api/stats?days={days}: {status} {stats}"
        processing, per_day = stats["uploads"]["processing"], stats["uploads"]["perDay"]
        # The range's figures are its days' sums (the API's totals cover every upload ever).
        totals = {field: sum(day[field] for day in per_day) for field in ("uploads", "bytes", "ready", "failed")}
        finished = totals["ready"] + totals["failed"]
        totals["successRate"] = totals["ready"] / finished if finished else None
        figure = lambda name, field="value": journey.el(f"#figure-{name}").get_attribute(f"data-{field}")
        for shown, expected, what in [
            (figure("uploads"), totals["uploads"], "uploads"), (figure("bytes"), totals["bytes"], "bytes"),
            (figure("success"), totals.get("successRate"), "success rate"), (figure("success", "ready"), totals["ready"], "ready"),
            (figure("success", "failed"), totals["failed"], "failed"),
            (figure("processing"), processing.get("medianSecondsPerMinute"), "median seconds per minute"),
            (figure("queue", "dead-letters"), stats["deadLetters"]["jobs"], "dead letters"),
        ]:
            assert same(shown, expected), f"the page shows {what} {shown!r}; GET /api/stats?days={days} says {expected!r}"
        assert totals["uploads"] >= 4, f"the journey's uploads are counted: {totals}"
        drawn = charts()
        names = ["uploads", "bytes", "success", "processing", "wait", "rtf", "queue"]
        assert all(drawn.get(f"chart-{name}") for name in names), f"charts missing: {sorted(drawn)}"
        assert all(drawn[f"chart-{name}"]["drawn"] and drawn[f"chart-{name}"]["label"] for name in names), drawn
        uploads, size = drawn["chart-uploads"], drawn["chart-bytes"]
        assert days <= len(uploads["labels"]) <= days + 1, f"{len(uploads['labels'])} days on the axis for {days}"
        assert uploads["labels"] == sorted(uploads["labels"]) and uploads["labels"] == size["labels"]
        for day in stats["uploads"]["perDay"]:
            assert day["day"] in uploads["labels"], f"{day['day']} is not on the axis {uploads['labels']}"
            at = uploads["labels"].index(day["day"])
            assert uploads["data"][at] == day["uploads"] and size["data"][at] == day["bytes"], (day, at, uploads, size)
        missing = set(uploads["labels"]) - {day["day"] for day in stats["uploads"]["perDay"]}
        assert all(uploads["data"][uploads["labels"].index(day)] == 0 for day in missing), "days without uploads are 0"
        # Every daily line chart plots the API's figure of each day (the success rate in percent),
        # and a gap where the day has none.
        for name, field, scale in [("success", "successRate", 100), ("processing", "medianSecondsPerMinute", 1),
                                   ("wait", "medianQueueWaitSeconds", 1), ("rtf", "medianTranscriptionRealTimeFactor", 1)]:
            chart = drawn[f"chart-{name}"]
            assert chart["labels"] == uploads["labels"], (name, chart["labels"])
            for day in per_day:
                plotted, expected = chart["data"][chart["labels"].index(day["day"])], day.get(field)
                if expected is None:
                    assert plotted is None, f"{name} on {day['day']}: {plotted!r}, the API has none"
                else:
                    assert plotted is not None and abs(plotted - expected * scale) <= 1e-9 * max(1, abs(expected * scale)), (
                        f"{name} on {day['day']}: the chart plots {plotted!r}, the API says {expected!r}")
            assert all(chart["data"][chart["labels"].index(day)] is None for day in missing), f"{name}: a day without uploads is a gap"
        # The figure beside each is the latest day that has one (other suites on the same servers
        # may have recorded uploads on other days); the journey's own uploads give today one.
        today = time.strftime("%Y-%m-%d", time.gmtime())
        for name, field in [("wait", "medianQueueWaitSeconds"), ("rtf", "medianTranscriptionRealTimeFactor")]:
            assert any(day["day"] == today and day.get(field) is not None for day in per_day), (
                f"the journey's uploads give {field} a figure today ({today}): {per_day}")
            latest = max((day for day in per_day if day.get(field) is not None), key=lambda day: day["day"])
            assert same(figure(name), latest[field]), f"the {name} figure {figure(name)!r}; the API's latest day says {latest[field]!r}"
        assert any(value > 0 for value in uploads["data"]) and any(value > 0 for value in size["data"]), uploads
        return stats

    days = int(Select(journey.el("#admin-range")).first_selected_option.get_attribute("value"))
    journey.wait(lambda d: loaded(days), 60)
    check_figures(days)

    journey.step("the accounts list: the user with their storage used against the quota, the administrator's role")
    status, me = call("GET", "/api/users/me", user_token)
    status, usage = call("GET", "/api/videos/usage/owners", admin_token)
    assert status == 200, f"GET /api/videos/usage/owners: {status} {usage}"
    stored = next((owner["storedBytes"] for owner in usage["owners"] if owner["owner"] == me["id"]), 0)
    row = journey.el(f'#admin-accounts tr[data-user-id="{me["id"]}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.email").text == email, row.text
    storage = row.find_element(By.CSS_SELECTOR, "td.storage")
    assert storage.get_attribute("data-stored-bytes") == str(stored) and stored > 0, (storage.get_attribute("data-stored-bytes"), stored)
    assert " of " in storage.text, storage.text
    admin_row = journey.el(f'#admin-accounts tr[data-user-id="{session["user"]["id"]}"]')
    assert admin_row.find_element(By.CSS_SELECTOR, "td.role").text == "admin", admin_row.text

    journey.step("the dead letters are listed with their reasons and attempts; a screenshot of the Admin view")
    for letter in (retried, discarded):
        row = journey.el(f'#admin-dead tr[data-dead-id="{letter["id"]}"]')
        assert row.find_element(By.CSS_SELECTOR, "td.attempts").text == str(letter["attempts"]), row.text
        assert row.find_element(By.CSS_SELECTOR, "td.reason").text == letter["reason"], row.text
    failures = [row.get_attribute("data-video-id") for row in driver.find_elements(By.CSS_SELECTOR, "#admin-failures tbody tr")]
    assert set(stuck) <= set(failures), f"recent failures {failures}"
    journey.js("window.scrollTo(0, 0)")
    journey.shot("admin")
    if not os.path.exists(ADMIN_SCREENSHOT):  # kept in docs (docs/web.md); delete it to take a new one
        driver.save_screenshot(ADMIN_SCREENSHOT)

    journey.step("another range: 7 days, the axis and the figures follow")
    Select(journey.el("#admin-range")).select_by_value("7")
    journey.wait(lambda d: loaded(7), 60)
    check_figures(7)

    journey.step("Retry on the page: the dead letter goes, the job is queued again and its video leaves failed")
    journey.click(f'#admin-dead tr[data-dead-id="{retried["id"]}"] button.retry')
    journey.wait(lambda d: "Retried" in journey.el("#admin-jobs-status").text, 30)
    journey.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#admin-dead tr[data-dead-id="{retried["id"]}"]'), 30)
    assert journey.message() == "", journey.message()
    status, video = call("GET", f"/api/videos/{stuck[0]}", user_token)
    # Back to `uploaded`, then taken again (it fails again ~30 s later: the file is still undecodable).
    assert status == 200 and video["status"] != "failed", f"the retried video is still failed: {video}"
    status, dead = call("GET", "/api/jobs/dead", admin_token)
    assert retried["id"] not in {letter["id"] for letter in dead["deadLetters"]}, dead
    journey.shot("admin-retried")

    journey.step("Discard on the page: the dead letter goes, the video stays failed with its reason")
    journey.click(f'#admin-dead tr[data-dead-id="{discarded["id"]}"] button.discard')
    journey.wait(lambda d: "Discarded" in journey.el("#admin-jobs-status").text, 30)
    journey.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#admin-dead tr[data-dead-id="{discarded["id"]}"]'), 30)
    status, video = call("GET", f"/api/videos/{stuck[1]}", user_token)
    assert status == 200 and video["status"] == "failed" and video.get("failureReason"), video
    status, dead = call("GET", "/api/jobs/dead", admin_token)
    assert discarded["id"] not in {letter["id"] for letter in dead["deadLetters"]}, dead

    journey.step("Re-run captions of a video that is not ready: the API's message is shown")
    journey.fill("#admin-rerun-video", stuck[1])
    journey.click("#admin-rerun-submit")
    shown = journey.wait_message()
    status, answer = call("POST", f"/api/videos/{stuck[1]}/captions/rerun", admin_token)
    assert status == 409 and answer["error"]["code"] == "not_ready", f"captions/rerun of a failed video: {status} {answer}"
    assert shown == answer["error"]["message"], f"the page says {shown!r}; the API {answer['error']['message']!r}"
    assert journey.el("#admin-rerun-status").text == shown, journey.el("#admin-rerun-status").text
    journey.step("Re-run captions of a ready video from the page: its captions go pending, and processing-service makes them again")

    def caption_events():
        status, detail = call("GET", f"/api/history/{ready_id}", user_token)
        assert status == 200, f"history of {ready_id}: {status} {detail}"
        return [event for event in detail["timeline"] if event["type"] == "video.captions"]

    status, before = call("GET", f"/api/videos/{ready_id}", user_token)
    assert status == 200 and before["status"] == "ready", before
    earlier = len(caption_events())
    journey.fill("#admin-rerun-video", ready_id)
    journey.click("#admin-rerun-submit")
    journey.wait(lambda d: journey.el("#admin-rerun-status").text and journey.el("#admin-rerun-status").text != shown, 30)
    # Two more video.captions in the history: `pending` (upload-service, at once), then the
    # outcome of the new run (processing-service); the video's own state then leaves pending.
    def made_again():
        status, video = call("GET", f"/api/videos/{ready_id}", user_token)
        return len(caption_events()) >= earlier + 2 and video.get("captionState") not in ("pending", None)

    deadline = time.time() + PROCESSING_LIMIT
    while time.time() < deadline and not made_again():
        time.sleep(0.5)
    assert made_again(), f"captions were not made again: {caption_events()}"
    status, after = call("GET", f"/api/videos/{ready_id}", user_token)
    print(f"[e2e] captions {before.get('captionState')} -> pending -> {after.get('captionState')}", flush=True)
    journey.js("window.scrollTo(0, document.body.scrollHeight)")
    journey.shot("admin-jobs")

    journey.step("the Admin view at 360 px: the charts fit, the tables scroll in their own boxes")
    driver.set_window_size(360, 800)
    journey.wait(lambda d: journey.js("return document.documentElement.clientWidth") <= 360)
    overflow = journey.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the Admin view at 360 px scrolls sideways by {overflow} px"
    journey.js("window.scrollTo(0, 0)")
    journey.shot("admin-360px")
    driver.set_window_size(1280, 900)


def main():
    video, text, long_video, damaged = make_media(OUT)
    undecodable = make_undecodable(OUT)
    big, partial = make_upload_media(OUT)
    journey = Journey()
    driver = journey.driver
    password = "correct horse battery staple"
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    try:
        journey.step("register, which logs the user in")
        journey.register(email, password, "Ada Journey")
        journey.shot("registered")

        journey.step("a wrong password gets a readable message; the right one logs in")
        journey.logout()
        journey.login(email, "not my password")
        wrong = journey.wait_message()
        assert "password" in wrong.lower() or "invalid" in wrong.lower(), wrong
        journey.shot("wrong-password")
        journey.login(email, password)
        journey.wait(lambda d: email in journey.el("#whoami").text)
        journey.wait(lambda d: journey.js("return document.activeElement.id") == "upload-heading")  # not the body
        token = journey.js("return sessionStorage.getItem(Object.keys(sessionStorage).find(k => /token/i.test(k)) || '')")
        assert token and token not in driver.current_url, "the token is kept in sessionStorage, never in the URL"

        journey.step("the upload view shows the storage used against the quota")
        journey.go("#/upload")
        journey.wait(lambda d: journey.el("#storage-usage").is_displayed() and " used" in journey.el("#storage-text").text)
        usage_text = journey.el("#storage-text").text
        assert usage_text.startswith("0 B of ") and " left" in usage_text, usage_text
        assert float(journey.el("#storage-meter").get_attribute("value")) == 0.0

        journey.step("a text file called .mp4 is refused with a readable message")
        journey.go("#/upload")
        journey.el("#upload-file").send_keys(text)
        journey.fill("#upload-title", "Not a video")
        journey.el("#upload-submit").click()
        refused = journey.wait_message()
        assert "video" in refused.lower() or "format" in refused.lower() or "support" in refused.lower(), refused
        assert journey.el("#upload-progress").get_attribute("data-state") == "failed", "the upload bar looks done, not failed"
        journey.shot("text-file-refused")

        journey.step("choosing another file clears the old error and the failed bar")
        journey.el("#upload-file").send_keys(video)
        journey.wait(lambda d: journey.message() == "")
        assert journey.el("#upload-progress").get_attribute("data-state") is None

        journey.step("upload the 10 s 720p video; the page goes to its watch view")
        journey.upload(video, "Harbour ☀️ — e2e")
        journey.wait(lambda d: journey.js("return document.activeElement.id") == "video-title")  # the watch view's heading
        video_id = driver.current_url.split("#/watch/")[1].split("?")[0]
        journey.shot("uploaded")

        journey.step("the live panel reaches 100 % and the video becomes ready")
        journey.visible("#processing-panel")
        seen_progress, overall_values = False, []
        deadline = time.time() + PROCESSING_LIMIT
        while time.time() < deadline:
            status = journey.el("#processing-panel").get_attribute("data-status")
            overall_values.append((float(journey.el("#overall-progress").get_attribute("value") or 0), journey.el("#stage").text))
            if overall_values[-1][0] > 0:
                seen_progress = True
            if status in ("ready", "failed"):
                break
            time.sleep(0.2)
        journey.shot("processing-done")
        assert status == "ready", f"status {status}: {journey.message()}"
        backwards = [(a, b) for a, b in zip(overall_values, overall_values[1:]) if b[0] < a[0]]
        assert not backwards, f"the overall bar went back: {backwards[:5]}"
        assert seen_progress or journey.el("#log").text.strip(), "the panel showed progress or the log"
        assert float(journey.el("#overall-progress").get_attribute("value")) == 100
        bars = {bar.get_attribute("data-rung"): float(bar.get_attribute("value") or 0)
                for bar in driver.find_elements(By.CSS_SELECTOR, "#rungs progress")}
        assert set(bars) == {"720p", "480p", "360p"} and all(value == 100 for value in bars.values()), bars

        journey.step("it plays in Auto (the HLS master) with its subtitles; to the highest quality and back, time and play state kept")
        journey.visible("#player-section", 60)
        # "ready" is shown before the playback links are fetched: a video that was playing live
        # has its player up with no qualities until they are in.
        journey.wait(lambda d: journey.js("return document.getElementById('player-section').dataset.mode !== 'live'")
                     and len(Select(journey.el("#quality")).options) >= 2, 60)
        menu = Select(journey.el("#quality"))
        qualities = [option.get_attribute("value") for option in menu.options]
        assert qualities[:2] == ["auto", "720p"] and "360p" in qualities and "1080p" not in qualities, qualities
        assert menu.options[0].text == "Auto", [option.text for option in menu.options]
        assert menu.first_selected_option.get_attribute("value") == "auto", menu.first_selected_option.text
        player = "const v = document.getElementById('player'); "
        journey.wait(lambda d: journey.js(player + "return v.readyState") >= 1, 30)
        source = journey.js(player + "return v.currentSrc")
        assert "/hls/master.m3u8" in source, f"Auto plays the HLS master: {source}"
        tracks_ready = (player + "const t = v.textTracks[0]; return v.querySelectorAll('track').length >= 1 && !!t "
                        "&& t.mode === 'showing' && !!t.cues && t.cues.length > 0")
        journey.wait(lambda d: journey.js(tracks_ready), 30)
        journey.js(player + "return v.play()")
        journey.wait(lambda d: journey.js(player + "return !v.paused && v.currentTime > 0.5"), 30)
        assert journey.js(tracks_ready), "the subtitle track is still there, showing, while Auto plays"
        showing = journey.js(player + "return Array.from(v.textTracks).filter(t => t.mode === 'showing').length")
        assert showing == 1, f"{showing} subtitle tracks showing at once"
        for value, kind in [("720p", "/renditions/720p.mp4"), ("auto", "/hls/master.m3u8")]:
            # From near the start: on a loaded machine the waits can outlast the 10 s video, which
            # would end (and pause) before the check that it plays on after the switch.
            journey.js(player + "v.currentTime = 1.0; return v.play()")
            journey.wait(lambda d: journey.js(player + "return !v.paused && !v.seeking && v.currentTime < 6"), 30)
            before, switched = journey.js(player + "return v.currentTime"), time.time()
            Select(journey.el("#quality")).select_by_value(value)
            # Playing again (play() is called after the seek to the kept time) on the new source.
            journey.wait(lambda d: journey.js(player + "return v.currentSrc.includes(arguments[0]) && v.readyState >= 2 "
                                              "&& !v.paused && !v.seeking", kind), 30)
            after, elapsed = journey.js(player + "return v.currentTime"), time.time() - switched
            assert before - 1.0 <= after <= before + elapsed + 1.0, f"{value} kept the time: {before:.2f} s → {after:.2f} s"
            journey.wait(lambda d: journey.js(player + "return !v.paused && v.currentTime > arguments[0]", after + 0.5), 30)
            assert journey.js(tracks_ready), f"the subtitle track is still there, showing, after switching to {value}"
        journey.shot("playing-auto")

        journey.step("play it, switch quality (time and play state kept), subtitles on with the spoken words")
        journey.wait(lambda d: journey.js("return document.getElementById('player').readyState") >= 1, 30)
        journey.js("const v = document.getElementById('player'); v.currentTime = 4; return v.play()")
        journey.wait(lambda d: journey.js("const v = document.getElementById('player'); return !v.paused && v.currentTime > 4"), 30)
        Select(journey.el("#quality")).select_by_value("360p")
        journey.wait(lambda d: "360p" in journey.js("return document.getElementById('player').currentSrc"), 20)
        journey.wait(lambda d: journey.js("const v = document.getElementById('player'); return v.readyState >= 2 && !v.paused"), 30)
        after_switch = journey.js("return document.getElementById('player').currentTime")
        assert after_switch >= 3.5, f"kept the time across the switch: {after_switch}"
        assert journey.el("#captions-toggle").is_selected()
        try:
            journey.wait(lambda d: journey.js(
                "const t = document.getElementById('player').textTracks[0]; return !!t && t.mode === 'showing' && !!t.cues && t.cues.length > 0"), 30)
        except Exception:
            state = journey.js(
                "const v = document.getElementById('player'); return JSON.stringify({tracks: Array.from(v.textTracks).map(t => "
                "({mode: t.mode, language: t.language, label: t.label, cues: t.cues ? t.cues.length : null})), "
                "elements: Array.from(v.querySelectorAll('track')).map(e => ({src: e.getAttribute('src'), ready: e.readyState})), "
                "toggle: document.getElementById('captions-toggle').checked, choice: document.getElementById('captions-choice').value, "
                "paused: v.paused, time: v.currentTime})")
            raise AssertionError(f"no subtitle cues showing: {state}") from None
        cues = journey.js("return Array.from(document.getElementById('player').textTracks[0].cues).map(c => c.text).join(' ')")
        words = [w for w in ["penguins", "diving", "fish", "hello", "frozen", "harbo"] if w in cues.lower()]
        assert len(words) >= 3, f"subtitle cues: {cues!r}"
        journey.js("document.getElementById('player').pause()")
        links = [a.get_attribute("data-quality") for a in driver.find_elements(By.CSS_SELECTOR, "#downloads a[download]")]
        assert set(qualities) - {"auto"} == set(links), links
        journey.shot("playing-360p-with-subtitles")

        journey.step("the upload view counts the stored video against the quota")
        journey.go("#/upload")
        journey.wait(lambda d: not journey.el("#storage-text").text.startswith("0 B of "))
        assert float(journey.el("#storage-meter").get_attribute("value")) > 0, journey.el("#storage-text").text
        journey.shot("storage-usage")

        resumed_id = unfinished_uploads(journey, big, partial)  # speed and time left; resume after a reload; discard

        journey.step("two uploads no encoder can decode: retried, then dead-lettered while the journey goes on (checked at the end)")
        stuck = []
        for title in ("Undecodable A (e2e)", "Undecodable B (e2e)"):
            status, created = call("POST", "/api/videos", token, data=undecodable,
                                   headers={"Content-Type": "video/x-msvideo", "X-Title": title})
            assert status == 201, f"uploading the AVS2 AVI: {status} {created}"
            stuck.append(created["id"])

        journey.step("history lists it as ready")
        journey.go("#/history")
        # The rows of an earlier visit are replaced when the listing arrives: looked up each time.
        journey.wait(lambda d: "ready" in d.find_element(
            By.CSS_SELECTOR, f'#history-table tr[data-video-id="{video_id}"] td.status').text.lower())
        journey.shot("history")
        journey.step("the title filter with spaces finds it (a space was sent as '+' and read literally: 0 uploads)")
        journey.fill("#history-q", "Harbour ☀️ — e2e")
        journey.el("#history-apply").click()
        journey.wait(lambda d: journey.el("#history-total").text == "1 upload")
        journey.visible(f'#history-table tr[data-video-id="{video_id}"]')
        journey.shot("history-title-filter")
        journey.fill("#history-q", "")
        journey.el("#history-apply").click()
        journey.wait(lambda d: journey.el("#history-table tbody").get_attribute("aria-busy") != "true")
        driver.set_window_size(360, 800)
        journey.wait(lambda d: journey.js("return document.documentElement.clientWidth") <= 360)
        overflow = journey.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the history at 360 px scrolls sideways by {overflow} px"
        journey.shot("history-360px")
        driver.set_window_size(1280, 900)
        history_posters(journey, [video_id, resumed_id])  # posters in compact rows, also at 360 px

        journey.step("search a spoken word and land on its moment")
        journey.fill("#search-q", "penguins")
        journey.el("#search-submit").click()
        hit = journey.visible(f'#search-results li[data-video-id="{video_id}"] a.search-hit')
        start = float(hit.get_attribute("data-start"))
        journey.shot("search")
        hit.click()
        journey.wait(lambda d: f"#/watch/{video_id}" in d.current_url and "t=" in d.current_url)
        journey.visible("#player-section", 60)
        journey.wait(lambda d: abs(journey.js("return document.getElementById('player').currentTime") - start) < 1.0, 30)
        journey.shot("jumped-to-moment")
        header_search(journey, video_id)  # the header's box from another view: <mark>, a click plays from the cue

        journey.step("fix a caption: the edit shows in the player, the HLS subtitles, the MP4 download and search")
        journey.visible("#captions-editor", 30)
        journey.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#captions-editor-cues .cue-row")) >= 1, 30)
        journey.js("const input = document.querySelector('#captions-editor-cues .cue-row .cue-text'); "
                   "input.value = 'The walruses are singing tonight'; input.dispatchEvent(new Event('input'));")
        journey.click("#captions-editor-save")
        journey.wait(lambda d: "saved" in journey.el("#captions-editor-note").text, 30)
        journey.wait(lambda d: journey.js(
            "const t = document.getElementById('player').textTracks[0]; "
            "return !!t && !!t.cues && Array.from(t.cues).some(c => c.text.includes('walruses'))"), 30)
        journey.shot("captions-edited")
        token = journey.js("return sessionStorage.getItem(Object.keys(sessionStorage).find(k => /token/i.test(k)) || '')")

        def get(path):
            request = urllib.request.Request(f"{EDGE}{path}", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read()
        playback = json.loads(get(f"/api/videos/{video_id}/playback"))
        assert playback.get("captionEdited") is True, playback
        master = get(playback["hls"]).decode()
        assert 'TYPE=SUBTITLES' in master, master
        subs = get(f"/api/videos/{video_id}/hls/subs/en.vtt?token={playback['token']}").decode()
        assert "walruses" in subs, subs[:300]

        def mp4_has_the_edit():
            return b"walruses are singing" in get(playback["renditions"][-1]["url"])
        deadline = time.time() + 90
        while not mp4_has_the_edit():
            assert time.time() < deadline, "the MP4 download was not re-muxed with the edited captions"
            time.sleep(2)

        def search_finds_it():
            results = json.loads(get("/api/search?q=walruses"))
            return any(item.get("videoId") == video_id for item in results.get("videos", results.get("results", [])))
        deadline = time.time() + 30
        while not search_finds_it():
            assert time.time() < deadline, "search does not find the edited words"
            time.sleep(1)

        journey.step("cut a clip: a caption cue sets its start, a number its end; it is made, plays, and links back")
        journey.visible("#clip-maker", 30)
        journey.click("#captions-editor-cues .cue-row .cue-clip")
        start = float(journey.el("#clip-from").get_attribute("value"))
        journey.js("const i = document.getElementById('clip-to'); i.value = arguments[0]; i.dispatchEvent(new Event('input'));",
                   f"{start + 3:.2f}")
        journey.wait(lambda d: "3.0 s" in journey.el("#clip-summary").text, 10)
        journey.fill("#clip-title", "The walrus moment")
        journey.shot("clip-maker")
        journey.click("#clip-create")
        journey.wait(lambda d: "#/watch/" in d.current_url and video_id not in d.current_url, 30)
        clip_id = driver.current_url.rsplit("/", 1)[-1].split("?")[0]
        journey.wait(lambda d: journey.el("#video-title").text == "The walrus moment", 30)
        journey.visible("#player-section", 180)  # ready: the player replaces the panel's feed
        origin = journey.el("#clip-origin")
        assert origin.is_displayed() and "A clip of" in origin.text, origin.text
        clip = json.loads(get(f"/api/videos/{clip_id}"))
        assert clip["status"] == "ready" and abs(clip["durationSeconds"] - 3.0) < 0.1, clip
        assert clip["clipOf"]["videoId"] == video_id, clip
        journey.shot("clip-ready")
        journey.go(f"#/watch/{video_id}")
        journey.visible("#player-section", 60)

        watch_leg(journey, email, password, token, video_id)  # controls, keyboard, edit, share, resume

        journey.step("a 60 s 1080p video plays while it is still being encoded, then the ready player takes over in Auto")
        journey.go("#/upload")
        journey.el("#upload-file").send_keys(long_video)
        journey.fill("#upload-title", "Long 1080p — live e2e")
        journey.el("#upload-submit").click()
        journey.wait(lambda d: "#/watch/" in d.current_url, 180)
        assert video_id not in driver.current_url, driver.current_url
        long_id = driver.current_url.split("#/watch/")[1].split("?")[0]
        journey.visible("#processing-panel")
        live_state = """const v = document.getElementById('player'), s = document.getElementById('player-section');
            return {live: !s.hidden && s.dataset.mode === 'live', time: v.currentTime, paused: v.paused, readyState: v.readyState,
                    src: v.currentSrc, overall: Number(document.getElementById('overall-progress').value),
                    status: document.getElementById('processing-panel').dataset.status || '',
                    note: document.getElementById('live-note').hidden ? '' : document.getElementById('live-note').textContent,
                    seekMax: Number(document.getElementById('seek-bar').max),
                    stage: document.getElementById('stage').dataset.stage || '', eta: document.getElementById('eta').textContent,
                    rungs: [...document.querySelectorAll('#rungs progress')].map((p) => Number(p.value))};"""
        # The time left the panel shows while encoding, against when the encode really ended.
        eta_samples = []

        def sample_eta(state):
            eta_samples.append((time.time(), state["stage"], state["eta"], state["rungs"]))
        # Playable comes seconds after the upload; the whole ladder takes far longer. Watch the live
        # player's clock move by more than a second while the panel is still below 100 %.
        first = playing = state = None
        deadline = time.time() + PROCESSING_LIMIT
        while time.time() < deadline:
            state = journey.js(live_state)
            sample_eta(state)
            if state["status"] in ("ready", "failed"):
                break
            if state["live"] and state["overall"] < 100:
                if state["paused"] and state["readyState"] >= 1:
                    journey.js("document.getElementById('player').play().catch(() => {})")
                if first is None or state["time"] < first["time"]:
                    first = state
                elif state["time"] > first["time"] + 1.0:
                    playing = state
                    break
            time.sleep(0.3)
        journey.shot("playing-while-processing")
        assert playing, f"the video did not play while processing (first live state {first}, last state {state}): {journey.message()}"
        assert playing["status"] == "processing", playing
        assert "processing" in playing["note"].lower(), playing
        assert playing["src"].startswith("blob:"), f"the live player plays through Media Source Extensions: {playing}"
        assert playing["seekMax"] >= LONG_SECONDS - 5, f"the seek bar spans the whole video while it plays live: {playing}"
        print(f"[e2e] played {first['time']:.1f} s → {playing['time']:.1f} s at {playing['overall']:.0f} % processed", flush=True)

        deadline = time.time() + PROCESSING_LIMIT
        while time.time() < deadline:
            state = journey.js(live_state)
            sample_eta(state)
            if state["status"] in ("ready", "failed"):
                break
            time.sleep(0.3)
        assert state["status"] == "ready", f"status {state['status']}: {journey.message()}"
        check_first_eta(eta_samples)
        journey.wait(lambda d: not journey.js(live_state)["live"] and len(Select(journey.el("#quality")).options) >= 2, 60)
        qualities = [option.get_attribute("value") for option in Select(journey.el("#quality")).options]
        assert qualities[:2] == ["auto", "1080p"] and "360p" in qualities, qualities
        assert Select(journey.el("#quality")).first_selected_option.get_attribute("value") == "auto"
        # Auto (the HLS master) goes on from where the live player was (it never jumps back to the
        # start); the seek happens once its metadata is in.
        deadline = time.time() + 30
        while True:
            took_over = journey.js(live_state)
            if took_over["readyState"] >= 1 and took_over["time"] >= playing["time"] - 0.5:
                break
            assert time.time() < deadline, f"kept the position across the switch: {took_over} after {playing}"
            time.sleep(0.3)
        assert not took_over["src"].startswith("blob:") and "/hls/master.m3u8" in took_over["src"], took_over
        if took_over["time"] < LONG_SECONDS - 5:
            journey.wait(lambda d: journey.js("const v = document.getElementById('player'); return !v.paused && v.currentTime > arguments[0]",
                                              took_over["time"] + 0.5), 30)
        links = [a.get_attribute("data-quality") for a in driver.find_elements(By.CSS_SELECTOR, "#downloads a[download]")]
        assert set(qualities) - {"auto"} == set(links), links
        journey.js("document.getElementById('player').pause()")
        journey.shot("ready-player-took-over")

        journey.step("a cut-off video fails: the panel says why, and its bars look failed, not done")
        journey.upload(damaged, "Cut off")
        journey.wait(lambda d: journey.el("#processing-panel").get_attribute("data-status") == "failed", PROCESSING_LIMIT)
        assert "damaged" in journey.el("#stage").text, journey.el("#stage").text
        assert journey.el("#overall-progress").get_attribute("data-state") == "failed"
        assert journey.el("#overall-percent").text == "Failed", journey.el("#overall-percent").text
        journey.shot("processing-failed")

        journey.step("another user cannot open the first user's watch URL")
        journey.logout()
        journey.register(f"e2e-other-{uuid.uuid4().hex[:8]}@example.com", password, "Someone Else")
        journey.go(f"#/watch/{video_id}")
        denied = journey.wait_message()
        assert "not yours" in denied.lower() or "does not exist" in denied.lower(), denied
        assert not journey.el("#player-section").is_displayed()
        journey.shot("other-user-denied")

        deep_link_login(journey, email, password, video_id, "frozen")  # logged out: log in, land on the link

        journey.step("the owner deletes it, after confirming")
        journey.logout()
        journey.login(email, password)
        journey.wait(lambda d: email in journey.el("#whoami").text)
        journey.wait(lambda d: journey.js("return document.activeElement.id") == "upload-heading")  # not the body
        journey.go("#/history")
        journey.click(f'#history-table tr[data-video-id="{video_id}"] button.delete')
        journey.visible("#confirm-dialog")
        journey.click("#confirm-yes")
        journey.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#history-table tr[data-video-id="{video_id}"]'), 30)
        token = journey.js("return sessionStorage.getItem(Object.keys(sessionStorage).find(k => /token/i.test(k)) || '')")
        request = urllib.request.Request(f"{EDGE}/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"})
        try:
            urllib.request.urlopen(request)
            raise AssertionError("the deleted video still answers")
        except urllib.error.HTTPError as error:
            assert error.code == 404, error.code
        journey.shot("deleted")

        admin_leg(journey, email, token, stuck, long_id)

        journey.step("the edge sends its security headers")
        with urllib.request.urlopen(f"{EDGE}/") as response:
            headers = response.headers
            assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]]
        assert not errors, errors
        print(f"[e2e] passed; screenshots in {OUT}")
        return 0
    except Exception as error:  # any failure names its step (a stale element or a driver error too)
        journey.shot("FAILED")
        print(f"[e2e] FAILED at '{journey.current}': {type(error).__name__}: {error}", flush=True)
        for entry in driver.get_log("browser")[-30:]:
            print(f"[e2e] browser: {entry['level']} {entry['message']}")
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
