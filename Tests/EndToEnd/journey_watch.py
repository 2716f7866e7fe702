"""The watch view's leg of the browser journey ([19]): one set of player controls, the keyboard,
edit, share, and picking up where the viewer was.

    watch_leg(journey, email, password, token, video_id)

`journey` is journey.py's `Journey` (signed in as the owner, `email`/`password`, whose API token is
`token`); `video_id` a ready video of theirs with captions and a storyboard. It checks:

- one seek bar: the <video> has no native controls, and the page's bar has the seek bar, play,
  time, mute, volume, subtitles, quality and full screen;
- the storyboard preview over the seek bar when it is hovered, and when it is focused with the
  keyboard and moved with the arrow keys (the video follows);
- keyboard only: navigating to the view puts focus on its heading, and every Tab stop of the view
  (the share panel opened from the keyboard on the way) shows a focus ring (the focused element's
  computed outline or box-shadow is not empty; a visually hidden file input's label carries it);
- edit the title and description from the keyboard: an empty title shows the API's own message,
  then the change is saved, shown, and still there after a reload;
- at 360 px wide nothing scrolls sideways and every control of the bar shows;
- share: unlisted, the link read from the page (the clipboard may not exist headless; the link is
  also in a field), opened in a second browser logged out and then as another user: it plays
  there (with its subtitles; no Edit, Share, caption editor, clip maker or processing panel);
  private again: the second browser gets "does not exist or is not yours", signed in and logged
  out, and the page's "Log in" there brings the owner back to the video;
- a reload mid-playback goes on from the same moment (within 1 s), playing.

Screenshots go to the journey's OUTPUT_DIR; the controls and the share panel also to
docs/screenshots/watch-controls.png and watch-share.png when those files are missing.
Leaves the video private, paused, the owner signed in on its watch view.
"""
import os
import sys
import time
import uuid

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

NOT_YOURS = "This video does not exist or is not yours."
# Every control the page's player bar offers (what the native controls and the old page offered).
BAR_CONTROLS = ["seek-bar", "play-toggle", "mute-toggle", "volume", "captions-toggle", "quality", "fullscreen-toggle"]
PLAYER = "const v = document.getElementById('player'); "
# The focused element: whether it is inside the watch view, what it is, and its focus ring (the
# element's own, or its label's when the element is visually hidden, like the caption editor's
# file input whose label shows the ring).
FOCUSED = """const el = document.activeElement, view = document.getElementById('view-watch');
if (!el || el === document.body || !view.contains(el)) return {inView: false, tag: el ? el.tagName : null, id: el ? el.id : null};
const box = el.getBoundingClientRect();
const target = (box.width < 4 || box.height < 4) && el.labels && el.labels.length ? el.labels[0] : el;
const style = getComputedStyle(target);
const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 ? `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}` : '';
const shadow = style.boxShadow && style.boxShadow !== 'none' ? style.boxShadow : '';
const name = el.getAttribute('aria-label') || (el.labels && el.labels.length ? el.labels[0].textContent.trim() : '') || el.textContent.trim();
const shown = target.getBoundingClientRect();
return {inView: true, id: el.id, tag: el.tagName, type: el.type || '', name: name.slice(0, 60), outline, shadow,
        focusVisible: el.matches(':focus-visible'), inVideo: el.closest('video') !== null, visible: shown.width > 0 && shown.height > 0};"""
PREVIEW = """const p = document.getElementById('storyboard-preview');
return {shown: !p.hidden && p.offsetWidth > 0, image: p.classList.contains('has-image') ? p.style.backgroundImage : '',
        position: p.style.backgroundPosition, time: document.getElementById('storyboard-time').textContent};"""


def clock(seconds):
    """ui.js formatClock: 83.4 → '1:23'."""
    total = int(seconds)
    return f"{total // 60}:{total % 60:02d}" if total < 3600 else f"{total // 3600}:{(total % 3600) // 60:02d}:{total % 60:02d}"


def watch_leg(journey, email, password, token, video_id):
    base = sys.modules[type(journey).__module__]  # journey.py, run as a script or imported
    edge, out, root, call = base.EDGE, base.OUT, base.ROOT, base.call
    driver = journey.driver
    keys = lambda *sequence: ActionChains(driver).send_keys(*sequence).perform()  # noqa: E731

    def replace_text(text, then):
        """Ctrl+A in the focused field, types `text`, then presses `then`."""
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.DELETE).perform()
        keys(text, then)

    def shot(browser, name, docs_name=None):
        """A screenshot of `browser` into OUTPUT_DIR, numbered with the journey's; also into docs/
        screenshots/`docs_name` when that file is missing (delete it there to take a new one)."""
        journey.shots += 1
        browser.save_screenshot(os.path.join(out, f"{journey.shots:02d}-{name}.png"))
        if docs_name:
            path = os.path.join(root, "docs", "screenshots", docs_name)
            if not os.path.exists(path):
                browser.save_screenshot(path)

    def focused():
        return journey.js(FOCUSED)

    def assert_ring(info, where):
        assert info["inView"], f"{where}: focus left the watch view ({info})"
        assert info["visible"], f"{where}: the focused element (or its label) is not on screen: {info}"
        assert info["outline"] or info["shadow"], f"{where}: no focus ring on {info}"
        assert info["focusVisible"], f"{where}: focused from the keyboard but not :focus-visible: {info}"

    journey.step("watch: one set of controls: no native controls, one seek bar, play, time, volume, subtitles, quality, full screen")
    journey.go(f"#/watch/{video_id}")
    journey.visible("#player-section", 60)
    journey.wait(lambda d: journey.js(PLAYER + "return v.readyState >= 1 && Number(document.getElementById('seek-bar').max) > 0"), 30)
    assert not journey.js(PLAYER + "return v.controls || v.hasAttribute('controls')"), "the <video> shows its native controls"
    ranges = journey.js("return Array.from(document.querySelectorAll('#view-watch input[type=range]')).map(r => r.id)")
    assert sorted(ranges) == ["seek-bar", "volume"], f"one seek bar (and the volume): {ranges}"
    for control in BAR_CONTROLS:
        assert journey.el(f"#{control}").is_displayed(), f"#{control} is not shown in the player bar"
    seek = journey.el("#seek-bar")
    assert seek.get_attribute("aria-valuetext"), "the seek bar says where it is in words"
    assert journey.el("#player-time").text.endswith("/ 0:10"), journey.el("#player-time").text
    journey.js("document.getElementById('player-frame').scrollIntoView({block: 'end'})")
    journey.js(PLAYER + "v.pause()")  # it may go on playing from where an earlier step left it
    journey.click("#play-toggle")
    journey.wait(lambda d: journey.js(PLAYER + "return !v.paused && v.currentTime > 0.3"), 30)
    assert journey.el("#play-toggle").get_attribute("aria-label") == "Pause"
    journey.click("#play-toggle")
    journey.wait(lambda d: journey.js(PLAYER + "return v.paused"), 10)
    assert journey.el("#play-toggle").get_attribute("aria-label") == "Play"
    journey.click("#mute-toggle")
    journey.wait(lambda d: journey.js(PLAYER + "return v.muted") and journey.el("#mute-toggle").get_attribute("aria-label") == "Unmute", 10)
    journey.click("#mute-toggle")
    journey.wait(lambda d: not journey.js(PLAYER + "return v.muted"), 10)
    journey.click("#fullscreen-toggle")
    journey.wait(lambda d: journey.js("return document.fullscreenElement && document.fullscreenElement.id") == "player-frame", 10)
    assert journey.el("#fullscreen-toggle").get_attribute("aria-label") == "Exit full screen"
    assert journey.el("#seek-bar").is_displayed() and journey.el("#quality").is_displayed(), "the bar stays in full screen"
    journey.click("#fullscreen-toggle")
    journey.wait(lambda d: journey.js("return document.fullscreenElement") is None, 10)

    journey.step("watch: the storyboard preview shows over the seek bar when it is hovered")
    journey.js("document.getElementById('player-frame').scrollIntoView({block: 'end'})")
    width = seek.size["width"]
    hovered = []
    for fraction in (0.2, 0.75):
        ActionChains(driver).move_to_element_with_offset(seek, int((fraction - 0.5) * width), 0).perform()
        journey.wait(lambda d: journey.js(PREVIEW)["shown"] and journey.js(PREVIEW)["image"], 10)
        hovered.append(journey.js(PREVIEW))
    assert all("storyboard" in p["image"] for p in hovered), f"the preview shows the storyboard sprite: {hovered}"
    assert hovered[0]["time"] != hovered[1]["time"], f"the preview follows the pointer: {hovered}"
    assert hovered[0]["position"] != hovered[1]["position"], f"another thumbnail further on: {hovered}"
    shot(driver, "watch-controls", "watch-controls.png")
    ActionChains(driver).move_to_element(journey.el("#video-title")).perform()
    journey.wait(lambda d: not journey.js(PREVIEW)["shown"], 10)

    journey.step("watch, keyboard only: navigating here puts focus on the heading; every Tab stop shows a focus ring")
    journey.go("#/history")
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "history-heading", 20)
    journey.go(f"#/watch/{video_id}")
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "video-title", 20)
    journey.visible("#player-section", 60)
    journey.wait(lambda d: journey.js(PLAYER + "return v.readyState >= 1 && Number(document.getElementById('seek-bar').max) > 0"), 30)
    journey.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#captions-editor-cues .cue-row"), 30)
    journey.js(PLAYER + "v.pause(); v.currentTime = 0")  # the arrow keys below go to 5, 10 and back to 5 s
    journey.wait(lambda d: journey.js(PLAYER + "return !v.seeking") and float(seek.get_attribute("value")) == 0, 10)
    journey.js("document.getElementById('video-title').focus()")
    stops, seek_checked = [], False
    for _ in range(300):
        keys(Keys.TAB)
        info = focused()
        if not info["inView"]:
            break
        where = f"Tab stop {len(stops) + 1} ({info['tag']} #{info['id']} {info['name']!r})"
        assert not info["inVideo"], f"{where}: focus went into the video's own controls"
        assert_ring(info, where)
        stops.append(info)
        if info["id"] == "share-toggle":
            keys(Keys.ENTER)  # opens the share panel: its stops come next
            journey.wait(lambda d: journey.el("#share-panel").is_displayed(), 10)
        if info["id"] == "seek-bar" and not seek_checked:
            seek_checked = True
            shown = journey.js(PREVIEW)
            value = float(seek.get_attribute("value"))
            assert shown["shown"] and shown["time"] == clock(value), f"focusing the seek bar shows the preview at {value}: {shown}"
            for key, expected in ((Keys.ARROW_RIGHT, value + 5), (Keys.ARROW_RIGHT, value + 10), (Keys.ARROW_LEFT, value + 5)):
                keys(key)
                # The bar and its preview read together: the preview hides a few seconds after the
                # last key, which a slow driver could outlast between two separate reads.
                moved = {}

                def bar_and_preview(_, expected=expected, moved=moved):
                    moved.update(journey.js(PREVIEW))
                    return abs(float(seek.get_attribute("value")) - expected) < 0.01 and moved["shown"] \
                        and moved["image"] and moved["time"] == clock(expected)
                try:
                    journey.wait(bar_and_preview, 10)
                except TimeoutException:
                    raise AssertionError(f"the arrow key moved the seek bar to {expected} with its preview: {moved}")
                journey.wait(lambda d: abs(journey.js(PLAYER + "return v.currentTime") - expected) < 0.3, 10)
                assert clock(expected) in seek.get_attribute("aria-valuetext"), seek.get_attribute("aria-valuetext")
            shot(driver, "watch-seek-keyboard")
    else:
        raise AssertionError(f"more than 300 Tab stops in the watch view: {stops[-5:]}")
    ids = [stop["id"] for stop in stops]
    print(f"[e2e] {len(stops)} Tab stops in the watch view, each with a focus ring: {', '.join(i or stop['tag'] for i, stop in zip(ids, stops))}", flush=True)
    wanted = BAR_CONTROLS + ["details-toggle", "share-toggle", "share-link", "share-copy"]
    missing = [control for control in wanted if control not in ids]
    assert not missing, f"Tab never reached {missing}: {ids}"
    assert any(stop["type"] == "radio" for stop in stops), f"Tab never reached the visibility choice: {ids}"
    assert seek_checked, "the seek bar was not a Tab stop"
    assert ids.index("share-toggle") < ids.index("seek-bar") < ids.index("play-toggle"), f"Tab order: {ids}"
    journey.js(PLAYER + "v.pause(); v.currentTime = 0")

    journey.step("watch, keyboard only: an empty title shows the API's message; the new title and description are saved and kept")
    status, refused = call("PATCH", f"/api/videos/{video_id}", token, body={"title": "   "})
    assert status == 400 and refused["error"]["message"], f"an empty title: {status} {refused}"
    new_title, new_description = f"Harbour at dawn, edited ☀ {uuid.uuid4().hex[:4]}", "Penguins diving for fish.\nFilmed from the harbour wall."
    journey.js("document.getElementById('details-toggle').focus()")
    keys(Keys.ENTER)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "details-title", 10)
    assert_ring(focused(), "the title field")
    replace_text("   ", Keys.ENTER)  # Enter submits the form
    journey.wait(lambda d: journey.el("#details-status").text, 20)
    assert journey.el("#details-status").text == refused["error"]["message"], \
        f"the page says {journey.el('#details-status').text!r}; the API {refused['error']['message']!r}"
    assert journey.message() == refused["error"]["message"], journey.message()
    assert journey.el("#details-title").get_attribute("aria-invalid") == "true"
    journey.js("document.getElementById('details-title').focus()")
    replace_text(new_title, Keys.TAB)
    assert focused()["id"] == "details-description", focused()
    assert_ring(focused(), "the description field")
    replace_text(new_description.replace("\n", Keys.ENTER), Keys.TAB)
    assert focused()["id"] == "details-save", focused()
    assert_ring(focused(), "Save")
    keys(Keys.ENTER)
    journey.wait(lambda d: journey.el("#details-status").text == "Saved.", 20)
    journey.wait(lambda d: journey.js("return document.activeElement.id") == "details-toggle", 10)
    assert journey.el("#video-title").text == new_title, journey.el("#video-title").text
    assert journey.el("#video-description").text == new_description, journey.el("#video-description").text
    assert journey.message() == "", f"the old error stays: {journey.message()}"
    status, stored = call("GET", f"/api/videos/{video_id}", token)
    assert status == 200 and stored["title"] == new_title and stored["description"] == new_description, stored
    driver.refresh()
    journey.wait(lambda d: journey.el("#video-title").text == new_title, 30)
    assert journey.el("#video-description").text == new_description, journey.el("#video-description").text
    assert driver.title.startswith(new_title), driver.title

    journey.step("share: unlisted, and the link read from the page")
    journey.click("#share-toggle")
    journey.visible("#share-panel")
    assert journey.el("#visibility-private").is_selected() and journey.el("#visibility-badge").text == "Private"
    journey.click("#visibility-unlisted")
    journey.wait(lambda d: journey.el("#visibility-badge").text == "Unlisted", 20)
    status, stored = call("GET", f"/api/videos/{video_id}", token)
    assert stored["visibility"] == "unlisted", stored
    journey.click("#share-copy")
    journey.wait(lambda d: journey.el("#share-status").text, 10)
    copied = journey.el("#share-status").text
    assert copied == "Link copied." or "selected" in copied, copied
    link = journey.el("#share-link").get_attribute("value")
    assert link == f"{edge}/#/watch/{video_id}", f"the link to share: {link}"
    journey.js("window.scrollTo(0, 0)")
    shot(driver, "watch-share", "watch-share.png")

    journey.step("watch at 360 px: the controls, the share panel, the caption editor and the clip maker fit")
    driver.set_window_size(360, 800)
    try:
        journey.wait(lambda d: journey.js("return document.documentElement.clientWidth") <= 360)
        overflow = journey.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the watch view at 360 px scrolls sideways by {overflow} px"
        for control in BAR_CONTROLS:
            assert journey.el(f"#{control}").is_displayed(), f"#{control} is not shown at 360 px"
        journey.js("document.getElementById('player-frame').scrollIntoView({block: 'end'})")
        shot(driver, "watch-360px")
    finally:
        driver.set_window_size(1280, 900)

    other = type(journey)()  # a second browser profile: its own sessionStorage, nobody signed in
    try:
        def plays(browser_journey, who):
            browser_journey.visible("#player-section", 60)
            browser_journey.wait(lambda d: browser_journey.js(PLAYER + "return v.readyState >= 1"), 30)
            assert browser_journey.el("#video-title").text == new_title, browser_journey.el("#video-title").text
            assert not browser_journey.el("#watch-actions").is_displayed(), f"{who} sees the owner's Edit and Share"
            assert not browser_journey.el("#captions-editor").is_displayed() and not browser_journey.el("#clip-maker").is_displayed()
            assert not browser_journey.el("#processing-panel").is_displayed()
            assert not browser_journey.js(PLAYER + "return v.controls"), f"{who} gets native controls"
            browser_journey.js("document.getElementById('player-frame').scrollIntoView({block: 'end'})")
            browser_journey.click("#play-toggle")
            browser_journey.wait(lambda d: browser_journey.js(PLAYER + "return !v.paused && v.currentTime > 0.5"), 30)
            browser_journey.wait(lambda d: browser_journey.js(
                PLAYER + "const t = v.textTracks[0]; return !!t && t.mode === 'showing' && !!t.cues && t.cues.length > 0"), 30)
            assert browser_journey.message() == "", browser_journey.message()

        journey.step("share: the link plays in a second browser, logged out")
        other.driver.get(link)
        plays(other, "a visitor")
        assert "#/watch/" in other.driver.current_url, f"a visitor was sent away: {other.driver.current_url}"
        assert other.el("#watch-signin").is_displayed(), "a visitor is offered to log in"
        shot(other.driver, "shared-logged-out")
        other.js(PLAYER + "v.pause()")

        journey.step("share: the link plays for another account")
        other_email = f"e2e-viewer-{uuid.uuid4().hex[:8]}@example.com"
        other.register(other_email, password, "Someone Watching")
        other.driver.get(link)
        plays(other, "another account")
        shot(other.driver, "shared-other-account")
        other.js(PLAYER + "v.pause()")

        journey.step("share: private again; the other account and a visitor get 'does not exist or is not yours'")
        journey.click("#visibility-private")
        journey.wait(lambda d: journey.el("#visibility-badge").text == "Private", 20)
        assert call("GET", f"/api/videos/{video_id}", token)[1]["visibility"] == "private"
        other.driver.refresh()
        other.wait(lambda d: other.message() == NOT_YOURS, 30)
        assert not other.el("#player-section").is_displayed() and other.el("#video-title").text == "Video not found"
        shot(other.driver, "private-other-account")
        other.logout()
        other.driver.get(link)
        other.wait(lambda d: other.message() == NOT_YOURS, 30)
        assert not other.el("#player-section").is_displayed()
        assert other.el("#watch-signin").is_displayed() and "Is it yours?" in other.el("#watch-signin").text, \
            "a visitor is offered to log in"
        shot(other.driver, "private-logged-out")

        journey.step("share: the owner, logged out in that browser, logs in from the private video's page and lands back on it")
        other.click("#watch-signin a")
        other.wait(lambda d: "#/login" in d.current_url, 10)
        other.login(email, password)
        other.wait(lambda d: f"#/watch/{video_id}" in d.current_url, 20)
        other.visible("#watch-actions", 30)
        other.visible("#player-section", 60)
        assert other.el("#video-title").text == new_title and other.message() == "", (other.el("#video-title").text, other.message())
    finally:
        other.driver.quit()

    journey.step("watch: a reload mid-playback goes on from the same moment, playing")
    journey.go(f"#/watch/{video_id}")
    journey.wait(lambda d: journey.js(PLAYER + "return v.readyState >= 1"), 30)
    journey.js(PLAYER + "v.currentTime = 2.5; return v.play()")
    journey.wait(lambda d: journey.js(PLAYER + "return !v.paused && !v.seeking && v.currentTime > 3"), 30)
    reloaded = time.time()
    left = journey.js(PLAYER + "const t = v.currentTime; window.beforeReload = true; setTimeout(() => location.reload(), 0); return t")
    assert left < 9, f"the video nearly ended before the reload ({left:.2f} s): the machine is too slow for this check"
    journey.wait(lambda d: journey.js(PLAYER + "return !window.beforeReload && !!v.getAttribute('src') && v.readyState >= 1 "
                                      "&& !v.seeking && v.currentTime > 0"), 60)
    # Where it went on from: the start of what has been played since (or the time, if paused).
    # The old page plays on until it is gone (its position is kept at pagehide): up to the time
    # the reload took later than where it was asked.
    back, took = journey.js(PLAYER + "return v.played.length ? v.played.start(0) : v.currentTime"), time.time() - reloaded
    assert left - 1.0 <= back <= left + took + 0.5, f"left at {left:.2f} s, back at {back:.2f} s ({took:.1f} s for the reload)"
    journey.wait(lambda d: journey.js(PLAYER + "return !v.paused && v.currentTime > arguments[0]", back + 0.3), 20)
    print(f"[e2e] reloaded at {left:.2f} s, went on from {back:.2f} s", flush=True)
    journey.js(PLAYER + "v.pause()")
    assert journey.el("#video-title").text == new_title
