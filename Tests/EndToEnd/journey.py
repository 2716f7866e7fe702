"""The whole journey in a browser: scripts/test runs this against the real stack behind the
nginx edge, in Debian's Chromium (headless) through selenium and chromium-driver.

    journey.py EDGE_URL OUTPUT_DIR

Register, log in (and a wrong password first), a text file rejected, upload a generated 10 s
720p video with espeak-ng speech, watch the live panel reach 100 %, play it in Auto (the HLS
master) with its subtitles, to the highest quality and back, switch quality, read the subtitle
cues, find it in history, search a spoken word and land on its moment, play a 60 s 1080p video
while it is still being encoded (live HLS) until the ready player takes over in Auto, check
another user cannot open it, delete it. A screenshot of each step goes to OUTPUT_DIR.
Exits non-zero at the first failed step.
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import headless_chromium
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

EDGE, OUT = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(OUT, exist_ok=True)
SPOKEN = "The penguins are diving for fish. Hello from the frozen harbour."
PROCESSING_LIMIT = int(os.environ.get("CLIPCUT_E2E_PROCESSING_SECONDS", "600"))
LONG_SECONDS = 60


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
    return video, text, long_video


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

    def wait(self, condition, seconds=20):
        return WebDriverWait(self.driver, seconds, poll_frequency=0.2).until(condition)

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


def main():
    video, text, long_video = make_media(OUT)
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
        journey.shot("text-file-refused")

        journey.step("upload the 10 s 720p video; the page goes to its watch view")
        journey.go("#/upload")
        journey.el("#upload-file").send_keys(video)
        journey.fill("#upload-title", "Harbour ☀️ — e2e")
        journey.el("#upload-submit").click()
        journey.wait(lambda d: "#/watch/" in d.current_url, 60)
        video_id = driver.current_url.split("#/watch/")[1].split("?")[0]
        journey.shot("uploaded")

        journey.step("the live panel reaches 100 % and the video becomes ready")
        journey.visible("#processing-panel")
        seen_progress = False
        deadline = time.time() + PROCESSING_LIMIT
        while time.time() < deadline:
            status = journey.el("#processing-panel").get_attribute("data-status")
            if float(journey.el("#overall-progress").get_attribute("value") or 0) > 0:
                seen_progress = True
            if status in ("ready", "failed"):
                break
            time.sleep(0.5)
        journey.shot("processing-done")
        assert status == "ready", f"status {status}: {journey.message()}"
        assert seen_progress or journey.el("#log").text.strip(), "the panel showed progress or the log"
        assert float(journey.el("#overall-progress").get_attribute("value")) == 100
        bars = {bar.get_attribute("data-rung"): float(bar.get_attribute("value") or 0)
                for bar in driver.find_elements(By.CSS_SELECTOR, "#rungs progress")}
        assert set(bars) == {"720p", "480p", "360p"} and all(value == 100 for value in bars.values()), bars

        journey.step("it plays in Auto (the HLS master) with its subtitles; to the highest quality and back, time and play state kept")
        journey.visible("#player-section", 60)
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

        journey.step("history lists it as ready")
        journey.go("#/history")
        row = journey.visible(f'#history-table tr[data-video-id="{video_id}"]')
        assert "ready" in row.find_element(By.CSS_SELECTOR, "td.status").text.lower()
        journey.shot("history")
        driver.set_window_size(360, 800)
        journey.wait(lambda d: journey.js("return document.documentElement.clientWidth") <= 360)
        overflow = journey.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the history at 360 px scrolls sideways by {overflow} px"
        journey.shot("history-360px")
        driver.set_window_size(1280, 900)

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

        journey.step("a 60 s 1080p video plays while it is still being encoded, then the ready player takes over in Auto")
        journey.go("#/upload")
        journey.el("#upload-file").send_keys(long_video)
        journey.fill("#upload-title", "Long 1080p — live e2e")
        journey.el("#upload-submit").click()
        journey.wait(lambda d: "#/watch/" in d.current_url, 180)
        assert video_id not in driver.current_url, driver.current_url
        journey.visible("#processing-panel")
        live_state = """const v = document.getElementById('player'), s = document.getElementById('player-section');
            return {live: !s.hidden && s.dataset.mode === 'live', time: v.currentTime, paused: v.paused, readyState: v.readyState,
                    src: v.currentSrc, overall: Number(document.getElementById('overall-progress').value),
                    status: document.getElementById('processing-panel').dataset.status || '',
                    note: document.getElementById('live-note').hidden ? '' : document.getElementById('live-note').textContent,
                    seekMax: Number(document.getElementById('seek-bar').max)};"""
        # Playable comes seconds after the upload; the whole ladder takes far longer. Watch the live
        # player's clock move by more than a second while the panel is still below 100 %.
        first = playing = state = None
        deadline = time.time() + PROCESSING_LIMIT
        while time.time() < deadline:
            state = journey.js(live_state)
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
            if state["status"] in ("ready", "failed"):
                break
            time.sleep(0.5)
        assert state["status"] == "ready", f"status {state['status']}: {journey.message()}"
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

        journey.step("another user cannot open the first user's watch URL")
        journey.logout()
        journey.register(f"e2e-other-{uuid.uuid4().hex[:8]}@example.com", password, "Someone Else")
        journey.go(f"#/watch/{video_id}")
        denied = journey.wait_message()
        assert "not yours" in denied.lower() or "does not exist" in denied.lower(), denied
        assert not journey.el("#player-section").is_displayed()
        journey.shot("other-user-denied")

        journey.step("the owner deletes it, after confirming")
        journey.logout()
        journey.login(email, password)
        journey.wait(lambda d: email in journey.el("#whoami").text)
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

        journey.step("the edge sends its security headers")
        with urllib.request.urlopen(f"{EDGE}/") as response:
            headers = response.headers
            assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]]
        assert not errors, errors
        print(f"[e2e] passed; screenshots in {OUT}")
        return 0
    except (AssertionError, TimeoutException) as error:
        journey.shot("FAILED")
        print(f"[e2e] FAILED at '{journey.current}': {type(error).__name__}: {error}", flush=True)
        for entry in driver.get_log("browser")[-30:]:
            print(f"[e2e] browser: {entry['level']} {entry['message']}")
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
