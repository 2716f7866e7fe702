"""The journey's steps for the upload, history, search and login pages ([19]), called from
journey.py's main() with its `Journey` (selenium helpers and the screenshot counter):

- unfinished_uploads: a tus upload through the page, the network throttled so its speed and time
  left show, interrupted by a reload; the upload view lists it with the bytes the server has, and
  another one (made partly through the API) too; a wrong file is refused, the same file resumes
  it from the server's offset to the watch view, where it is processed to `ready`; Discard
  deletes the other (tus termination).
- history_posters: the history's compact rows show each ready video's poster (loaded, sized
  before it came), seven columns instead of nine, short rows also at 360 px.
- header_search: the header's search box from another view finds a spoken word, the match is in
  <mark>, and clicking the cue plays the video from that moment.
- deep_link_login: a link opened while logged out shows the login, and logging in lands on it.

    journey.py EDGE_URL OUTPUT_DIR   (the same arguments: read here too)
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

EDGE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROCESSING_LIMIT = int(os.environ.get("CLIPCUT_E2E_PROCESSING_SECONDS", "600"))
# Written when missing, like journey.py's admin.png: delete one to take it again.
UPLOAD_SCREENSHOT = os.path.join(ROOT, "docs", "screenshots", "upload-unfinished.png")
HISTORY_SCREENSHOT = os.path.join(ROOT, "docs", "screenshots", "history-posters.png")
MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
THROTTLE = 3 * MIB  # bytes per second the browser may send while the upload is watched


def noise_video(path, seconds):
    """A 640x360 video of noise, coded lossless so it is large (about 9 MB a second) yet quick to
    process (no sound: no captions to wait for)."""
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
        "-i", "nullsrc=s=640x360:r=25,geq=random(1)*255:128:128", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", path,
    ], check=True)
    assert os.path.getsize(path) > seconds * 4 * MIB, f"the noise video is only {os.path.getsize(path)} bytes"
    return path


def make_upload_media(directory):
    """A 4 s video (about 36 MB: seven or eight 5 MiB tus requests) to interrupt and resume, and
    a 2 s one that only ever goes up in part (then discarded: upload-service checks the first
    bytes are a video's)."""
    return (noise_video(os.path.join(directory, "resume-me.mp4"), 4),
            noise_video(os.path.join(directory, "discard-me.mp4"), 2))


def request(method, path, token, data=None, headers=None):
    """(status, response headers, JSON body or None) of one API call through the edge."""
    headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
    req = urllib.request.Request(f"{EDGE}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status, answer, text = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer, text = error.code, error.headers, error.read()
    try:
        return status, answer, json.loads(text) if text else None
    except ValueError:
        return status, answer, None


def page_token(journey):
    return journey.js("return sessionStorage.getItem('clipcut.token') || ''")


def unfinished(token):
    status, _, body = request("GET", "/api/uploads", token)
    assert status == 200, f"GET /api/uploads: {status} {body}"
    return body["uploads"]


def partial_upload(token, path, sent, title):
    """A tus upload of `path` created through the API with its first `sent` bytes: its location."""
    metadata = f"filename {b64encode(os.path.basename(path).encode()).decode()},title {b64encode(title.encode()).decode()}"
    status, headers, body = request("POST", "/api/uploads", token, headers={
        **TUS, "Upload-Length": str(os.path.getsize(path)), "Upload-Metadata": metadata})
    assert status == 201, f"creating a tus upload: {status} {body}"
    location = headers["Location"]
    with open(path, "rb") as handle:
        chunk = handle.read(sent)
    status, headers, body = request("PATCH", location, token, data=chunk, headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert status == 204 and int(headers["Upload-Offset"]) == sent, f"PATCH: {status} {body}"
    return location


def keep_screenshot(journey, path):
    if not os.path.exists(path):
        journey.driver.save_screenshot(path)


def throttle(journey, upload_bytes_per_second):
    """The browser's upload speed (Chrome's network emulation); None lifts the limit."""
    journey.driver.execute_cdp_cmd("Network.enable", {})
    journey.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": upload_bytes_per_second if upload_bytes_per_second else -1})


def reload(journey):
    """Reloads the page; a "leave the page?" prompt (an upload is going) is accepted."""
    driver = journey.driver
    try:
        driver.refresh()
    finally:
        try:
            driver.switch_to.alert.accept()
        except NoAlertPresentException:
            pass


def item_css(upload_id):
    return f'#unfinished-list li[data-upload-id="{upload_id}"]'


def unfinished_uploads(journey, big, other):
    """The upload view's speed and time left, and unfinished uploads listed after a reload,
    resumed with the same file, and discarded. Returns the resumed video's id (ready)."""
    driver = journey.driver
    token = page_token(journey)
    size = os.path.getsize(big)

    journey.step("an upload shows its speed and time left while the bytes go up (the browser held to 3 MiB/s)")
    journey.go("#/upload")
    journey.visible("#upload-form")
    throttle(journey, THROTTLE)
    try:
        journey.el("#upload-file").send_keys(big)
        journey.fill("#upload-title", "Resumed after a reload (e2e)")
        journey.el("#upload-submit").click()
        rate_pattern = re.compile(r"^\d+(\.\d+)? [KMG]?B/s · (\d+ s|\d+ min \d+ s|\d+ h \d+ min) left$")
        journey.wait(lambda d: rate_pattern.match(journey.el("#upload-rate").text), 30)
        shown = journey.el("#upload-rate").text
        # Slower from here: the upload must still be going when the page is reloaded below, however
        # long this machine takes for the steps in between.
        throttle(journey, MIB // 2)
        speed = float(shown.split(" ")[0]) * {"B/s": 1, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9}[shown.split(" ")[1]]
        assert 0.2 * THROTTLE <= speed <= 3 * THROTTLE, f"{shown!r} for an upload held to {THROTTLE} B/s"
        print(f"[e2e] upload: {shown}", flush=True)
        journey.js("document.getElementById('upload-rate').scrollIntoView({block: 'center'})")
        journey.shot("upload-speed")

        journey.step("a reload interrupts it; the upload view lists it with the bytes the server has, and another one")
        # Another one, made through the API: its first 5 MiB sent.
        other_location = partial_upload(token, other, 5 * MIB, "Discard me (e2e)")
        # Two 5 MiB requests stored: the server's offset is past the first request.
        journey.wait(lambda d: any(u["filename"] == "resume-me.mp4" and u["offset"] >= 2 * 5 * MIB for u in unfinished(token)), 60)
        reload(journey)
    finally:
        throttle(journey, None)
    # The request the reload cut off may still be stored as far as it came: once the offset
    # stays put, the view lists again (it lists when it opens).
    offsets = []
    while len(offsets) < 2 or offsets[-1] != offsets[-2]:
        assert len(offsets) < 30, f"the offset keeps moving: {offsets}"
        time.sleep(1)
        offsets.append(sorted((u["id"], u["offset"]) for u in unfinished(token)))
    journey.go("#/history")
    journey.visible("#history-heading")
    journey.go("#/upload")
    journey.visible("#unfinished", 30)
    listed = {u["filename"]: u for u in unfinished(token)}
    assert {"resume-me.mp4", "discard-me.mp4"} <= set(listed), listed
    mine, spare = listed["resume-me.mp4"], listed["discard-me.mp4"]
    assert 0 < mine["offset"] < size, mine
    journey.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, item_css(spare["id"]))) == 1)
    item = journey.el(item_css(mine["id"]))
    sent_text = item.find_element(By.CSS_SELECTOR, ".unfinished-sent").text
    expected = journey.js("return arguments[0].toFixed(1)", mine["offset"] / 1e6)
    assert f"{expected} MB of {size / 1e6:.1f} MB sent" in sent_text and "choose the same file to resume" in sent_text, \
        f"{sent_text!r} for {mine['offset']} of {size} bytes"
    assert "Resumed after a reload (e2e)" in item.text, item.text
    spare_text = journey.el(item_css(spare["id"])).text
    assert f"5.2 MB of {os.path.getsize(other) / 1e6:.1f} MB sent" in spare_text, spare_text
    print(f"[e2e] listed: {sent_text}", flush=True)
    journey.js("window.scrollTo(0, 0); document.activeElement.blur()")
    journey.shot("unfinished-uploads")
    keep_screenshot(journey, UPLOAD_SCREENSHOT)

    journey.step("Discard deletes the other one on the server (after confirming)")
    journey.click(f"{item_css(spare['id'])} button.discard")
    journey.visible("#confirm-dialog")
    assert "Discard" in journey.el("#confirm-heading").text, journey.el("#confirm-heading").text
    journey.click("#confirm-yes")
    journey.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, item_css(spare["id"])), 30)
    assert "discarded" in journey.wait_message().lower(), journey.message()
    assert all(u["id"] != spare["id"] for u in unfinished(token)), "the discarded upload is still listed by the API"
    status, _, _ = request("HEAD", other_location, token, headers=TUS)
    assert status in (404, 410), f"HEAD of the discarded upload: {status}"
    assert journey.el(item_css(mine["id"])).is_displayed(), "the other unfinished upload went too"

    journey.step("another file is refused for it; the same file resumes it from the server's offset to its watch view")
    resume_input = f"{item_css(mine['id'])} input[type=file]"
    journey.el(resume_input).send_keys(other)
    refused = journey.wait_message()
    assert "is not the file of this upload" in refused and "resume-me.mp4" in refused, refused
    # The same name and size but other bytes (a re-encode, another take): its fingerprint differs
    # from the one the upload began with, so nothing is appended to the bytes already sent.
    imposter = os.path.join(os.path.dirname(big), "imposter", "resume-me.mp4")
    os.makedirs(os.path.dirname(imposter), exist_ok=True)
    with open(big, "rb") as handle:
        data = bytearray(handle.read())
    data[4096:4160] = bytes(64)
    with open(imposter, "wb") as handle:
        handle.write(data)
    assert mine.get("fingerprint"), f"the page began the upload with a fingerprint: {mine}"
    journey.el(resume_input).send_keys(imposter)
    # Its own refusal (the first named the other file), and no upload started.
    journey.wait(lambda d: journey.message() != refused and "is not the file of this upload" in journey.message(), 20)
    assert "#/watch/" not in driver.current_url, driver.current_url
    still = next(u for u in unfinished(token) if u["id"] == mine["id"])
    assert still["offset"] == mine["offset"], f"bytes were added from another file: {still}"
    before = mine["offset"]
    journey.el(resume_input).send_keys(big)
    journey.wait(lambda d: "#/watch/" in d.current_url, 120)
    video_id = driver.current_url.split("#/watch/")[1].split("?")[0]
    assert video_id == mine["videoId"], f"resuming made another video: {video_id}, not {mine['videoId']}"
    assert all(u["id"] != mine["id"] for u in unfinished(token)), "the finished upload is still listed"
    status, _, video = request("GET", f"/api/videos/{video_id}", token)
    assert status == 200 and video["title"] == "Resumed after a reload (e2e)", video
    journey.visible("#processing-panel")
    journey.wait(lambda d: journey.el("#processing-panel").get_attribute("data-status") in ("ready", "failed"), PROCESSING_LIMIT)
    assert journey.el("#processing-panel").get_attribute("data-status") == "ready", \
        f"the resumed upload did not process: {journey.el('#stage').text} {journey.message()}"
    status, _, video = request("GET", f"/api/videos/{video_id}", token)
    with open(big, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert video["size"] == size and video["sha256"] == digest, f"the stored source is not the file: {video}"
    print(f"[e2e] resumed from {before} of {size} bytes; {video_id} is ready", flush=True)
    journey.shot("resumed-ready")
    return video_id


def history_posters(journey, ready_ids):
    """The history's rows: a poster per ready video (loaded through the row's lazy fetch, its box
    sized before the image came), fewer columns, compact also at 360 px."""
    driver = journey.driver
    journey.step("history: a poster thumbnail per ready video, in compact rows")
    journey.go("#/history")
    for video_id in ready_ids:
        journey.visible(f'#history-table tr[data-video-id="{video_id}"]')
    posters = """return Array.from(document.querySelectorAll('#history-table tbody tr[data-video-id]')).map(tr => {
        const img = tr.querySelector('img.poster');
        return {id: tr.dataset.videoId, status: tr.dataset.status, state: img && img.dataset.poster,
                natural: img ? img.naturalWidth : 0, width: img && img.getAttribute('width'), height: img && img.getAttribute('height'),
                box: img ? img.getBoundingClientRect().height : 0, row: tr.getBoundingClientRect().height,
                src: img ? img.currentSrc : ''};
    });"""

    def shown(d):
        rows = {row["id"]: row for row in journey.js(posters)}
        return rows if all(rows.get(i, {}).get("natural", 0) > 0 for i in ready_ids) else False
    rows = journey.wait(shown, 60)
    for video_id in ready_ids:
        row = rows[video_id]
        assert row["state"] == "shown" and row["src"].startswith("blob:"), row
        assert (row["width"], row["height"]) == ("96", "54") and abs(row["box"] - 54) < 1, row
        assert row["row"] <= 90, f"a row {row['row']:.0f} px tall at 1280 px: {row}"
    for row in rows.values():  # every row has the sized box, a poster or not
        assert (row["width"], row["height"]) == ("96", "54"), row
    columns = len(driver.find_elements(By.CSS_SELECTOR, "#history-table thead th"))
    assert columns == 7, f"{columns} columns"
    heights = ", ".join(f"{row['row']:.0f} px" for row in rows.values())
    print(f"[e2e] history rows: {heights}", flush=True)
    journey.shot("history-posters")
    keep_screenshot(journey, HISTORY_SCREENSHOT)

    journey.step("history at 360 px: compact cards with their posters, no sideways scrolling")
    driver.set_window_size(360, 800)
    try:
        journey.wait(lambda d: journey.js("return document.documentElement.clientWidth") <= 360)
        overflow = journey.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the history at 360 px scrolls sideways by {overflow} px"
        narrow = {row["id"]: row for row in journey.js(posters)}
        for video_id in ready_ids:
            assert narrow[video_id]["natural"] > 0 and abs(narrow[video_id]["box"] - 54) < 1, narrow[video_id]
        tallest = max(narrow[video_id]["row"] for video_id in ready_ids)
        assert tallest <= 140, f"a row is {tallest:.0f} px tall at 360 px (the old cards were about 300)"
        journey.shot("history-posters-360px")
    finally:
        driver.set_window_size(1280, 900)


def header_search(journey, video_id, word="frozen"):
    """From the upload view, the header's search box finds `word` spoken in `video_id`; the cue
    shows it in <mark>; clicking the cue plays the video from that moment."""
    driver = journey.driver
    journey.step("the header's search box, from another view, finds a spoken word; the match is highlighted")
    journey.go("#/upload")
    journey.visible("#upload-heading")
    journey.fill("#header-search-q", word)
    journey.el("#header-search-submit").click()
    journey.wait(lambda d: "#/search?q=" + word in d.current_url)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "search-page-heading")
    hit = journey.visible(f'#search-page-results li[data-video-id="{video_id}"] a.search-hit', 30)
    marks = [mark.text for mark in hit.find_elements(By.CSS_SELECTOR, "mark")]
    assert marks and all(m.lower().startswith(word[:6]) for m in marks), f"marks {marks} in {hit.text!r}"
    # Built from text: the cue's own words, no markup of its own.
    assert journey.js("return arguments[0].querySelector('.cue-text').children.length", hit) == len(marks)
    assert "mention" in journey.el("#search-page-summary").text, journey.el("#search-page-summary").text
    start = float(hit.get_attribute("data-start"))
    journey.shot("header-search")

    journey.step("a click on the cue opens the video at that moment and plays it")
    clicked = time.time()
    hit.click()
    journey.wait(lambda d: f"#/watch/{video_id}" in d.current_url and "t=" in d.current_url)
    journey.visible("#player-section", 60)
    player = "const v = document.getElementById('player'); "
    journey.wait(lambda d: journey.js(player + "return !v.paused && v.readyState >= 2 && !v.seeking"), 30)
    at = journey.js(player + "return v.currentTime")
    assert start - 0.5 <= at <= start + 3 + (time.time() - clicked), f"playing at {at:.2f} s; the cue starts at {start:.2f} s"
    journey.wait(lambda d: journey.js(player + "return !v.paused && v.currentTime > arguments[0]", at + 0.3), 30)
    print(f"[e2e] header search: the cue at {start:.2f} s plays from {at:.2f} s", flush=True)
    journey.shot("search-hit-playing")
    journey.js(player + "v.pause()")


def deep_link_login(journey, email, password, video_id, word):
    """Links opened while logged out: the login shows, and logging in lands on the link (a search
    for `word`, spoken in `video_id`, and that video at 2 s) instead of the upload view."""
    driver = journey.driver
    journey.step("a link opened logged out: log in, and land on it")
    journey.el("#logout").click()
    journey.visible("#login-form")
    journey.go(f"#/search?q={word}")
    journey.visible("#login-form")
    journey.wait(lambda d: "#/login?next=" in d.current_url)
    assert journey.el("#login-next").is_displayed(), "the login view does not say the link comes next"
    journey.login(email, password)
    journey.wait(lambda d: d.current_url.endswith(f"#/search?q={word}"), 30)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "search-page-heading")
    assert journey.el("#header-search-q").get_attribute("value") == word
    journey.visible(f'#search-page-results li[data-video-id="{video_id}"]', 30)

    journey.el("#logout").click()
    journey.visible("#login-form")
    assert "next=" not in driver.current_url, f"logging out keeps no link to go back to: {driver.current_url}"
    journey.go(f"#/watch/{video_id}?t=2")
    # A video a visitor may not see shows the login, or a watch view with its own "Log in" link.
    journey.wait(lambda d: journey.el("#login-form").is_displayed()
                 or bool(d.find_elements(By.CSS_SELECTOR, "#watch-signin:not([hidden]) a")), 30)
    if not journey.el("#login-form").is_displayed():
        journey.click("#watch-signin a")
        journey.visible("#login-form")
    journey.wait(lambda d: "#/login?next=" in d.current_url)
    journey.shot("deep-link-login")
    journey.login(email, password)
    journey.wait(lambda d: d.current_url.endswith(f"#/watch/{video_id}?t=2"), 30)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "video-title")
    journey.visible("#player-section", 60)
    journey.wait(lambda d: journey.js("return document.getElementById('player').currentTime") >= 1.5, 30)
    journey.shot("deep-link-landed")
