"""The live player (frontend-static/js/live-player.js) against a real growing HLS stream, in
Debian's Chromium (headless) through selenium and chromium-driver, without the ClipCut stack.

    live_player_check.py [OUTPUT_DIR]

ffmpeg makes a 20 s 640x360 video, then writes it as fMP4 HLS in real time (-re) into a temporary
directory, as processing-service publishes a video while it encodes. A small HTTP server serves
that directory, frontend-static/js (same origin), a test page and a master playlist, with the
edge's Content-Security-Policy, no-store playlists, and a ?token= on every playlist URI (a media
request without it gets a 403). The page plays the stream with startLive; the check asserts that
playback starts while ffmpeg is still writing (no #EXT-X-ENDLIST yet), that it never runs past
the playlist (with the writer paused it waits at the live edge, then goes on), and that after
#EXT-X-ENDLIST it plays to the end. Exits non-zero with a message at the first failure.
"""
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import headless_chromium

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JS_DIR = os.path.join(ROOT, "frontend-static", "js")
OUT = sys.argv[1] if len(sys.argv) > 1 else None
DURATION = 20
TOKEN = "t0ken"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
PROFILES = {"High": "6400", "Main": "4d40", "Constrained Baseline": "42e0", "Baseline": "4200"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>live player check</title><link rel="icon" href="data:,">
<script type="module" src="live-check.js"></script></head>
<body><video id="player" controls muted playsinline width="640" height="360"></video></body></html>
"""
SCRIPT = """import { startLive } from './js/live-player.js';
const video = document.getElementById('player');
window.liveErrors = [];
window.live = startLive(video, {
  masterUrl: 'hls/master.m3u8?token=%s',
  durationSeconds: %d,
  onError: (err) => window.liveErrors.push(String(err && err.message || err)),
});
video.play().catch((err) => window.liveErrors.push(`play(): ${err.message}`));
""" % (TOKEN, DURATION)
STATE = """const v = document.getElementById('player');
const b = v.buffered;
return JSON.stringify({time: v.currentTime, paused: v.paused, ended: v.ended, readyState: v.readyState,
  duration: v.duration, bufferedEnd: b.length ? b.end(b.length - 1) : 0, ranges: b.length,
  error: v.error ? `${v.error.code} ${v.error.message}` : null, errors: window.liveErrors || ['page not loaded']});"""


class Failure(Exception):
    pass


def log(text):
    print(f"[live] {text}", flush=True)


def make_source(directory):
    """A 20 s 640x360 30 fps video (a keyframe every 2 s) with a sine tone; its CODECS string."""
    source = os.path.join(directory, "source.mp4")
    subprocess.run([
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={DURATION}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60",
        "-sc_threshold", "0", "-c:a", "aac", "-b:a", "96k", "-shortest", source,
    ], check=True)
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,level", "-of", "json", source],
        check=True, capture_output=True, text=True).stdout)["streams"][0]
    codecs = f"avc1.{PROFILES[probe['profile']]}{int(probe['level']):02x},mp4a.40.2"
    return source, codecs


def write_master(hls, codecs):
    with open(os.path.join(hls, "master.m3u8"), "w") as handle:
        handle.write(
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,'
            'URI="subs/en.m3u8"\n'
            f'#EXT-X-STREAM-INF:BANDWIDTH=1200000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=640x360,FRAME-RATE=30.000,'
            f'CODECS="{codecs}",SUBTITLES="subs"\n360p/index.m3u8\n')


def serve(directory):
    """Serves `directory` and /js/ from frontend-static/js; playlists get the token like upload-service's."""
    refused = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def translate_path(self, path):
            clean = urllib.parse.urlsplit(path).path
            if clean.startswith("/js/"):
                return os.path.join(JS_DIR, os.path.basename(clean))
            return super().translate_path(path)

        def end_headers(self):
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            if self.path.split("?")[0].endswith(".m3u8"):
                self.send_header("Cache-Control", "private, no-store")
            super().end_headers()

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path.startswith("/hls/"):
                if urllib.parse.parse_qs(url.query).get("token") != [TOKEN]:
                    refused.append(self.path)
                    self.send_error(403)
                    return
                if url.path.endswith(".m3u8"):
                    return self.playlist(self.translate_path(url.path))
            return super().do_GET()

        def playlist(self, path):
            try:
                with open(path) as handle:
                    text = handle.read()
            except FileNotFoundError:
                self.send_error(404)
                return
            lines = [line if line.startswith("#") or not line.strip() else f"{line}?token={TOKEN}" for line in text.splitlines()]
            body = re.sub(r'URI="([^"]+)"', rf'URI="\1?token={TOKEN}"', "\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.apple.mpegurl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    Handler.extensions_map = {**Handler.extensions_map, ".js": "text/javascript", ".m4s": "video/iso.segment",
                              ".mp4": "video/mp4"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, refused


def playlist_state(path):
    """(seconds listed, ended) of the variant playlist on disk; (0, False) before it exists."""
    try:
        with open(path) as handle:
            text = handle.read()
    except FileNotFoundError:
        return 0.0, False
    seconds = sum(float(m) for m in re.findall(r"^#EXTINF:([0-9.]+)", text, re.M))
    return seconds, "#EXT-X-ENDLIST" in text


def browser():
    return headless_chromium.start()


def main():
    work = tempfile.mkdtemp(prefix="clipcut-live-")
    hls = os.path.join(work, "hls")
    os.makedirs(os.path.join(hls, "360p"))
    variant = os.path.join(hls, "360p", "index.m3u8")
    writer = driver = server = None
    max_ahead = -1e9

    def check(state):
        """Reads the playlist before the player, so a segment landing in between cannot excuse it."""
        nonlocal max_ahead
        listed, ended = playlist_state(variant)
        now = json.loads(driver.execute_script(STATE))
        if now["errors"] and now["errors"] != ["page not loaded"]:
            raise Failure(f"the live player reported {now['errors']}")
        if now["error"]:
            raise Failure(f"the <video> failed: {now['error']}")
        max_ahead = max(max_ahead, now["time"] - listed)
        if now["time"] > listed + 1.0:
            raise Failure(f"played past the live edge: currentTime {now['time']:.2f} s, the playlist lists {listed:.2f} s")
        state.update(now, listed=listed, listEnded=ended)
        return state

    def until(what, predicate, seconds):
        deadline = time.time() + seconds
        state = {}
        while time.time() < deadline:
            if predicate(check(state)):
                return state
            time.sleep(0.2)
        raise Failure(f"{what} within {seconds} s; last state {json.dumps(state)}")

    try:
        source, codecs = make_source(work)
        write_master(hls, codecs)
        log(f"source {DURATION} s 640x360, CODECS {codecs}")
        with open(os.path.join(work, "live.html"), "w") as handle:
            handle.write(PAGE)
        with open(os.path.join(work, "live-check.js"), "w") as handle:
            handle.write(SCRIPT)
        server, refused = serve(work)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        driver = browser()
        supported = driver.execute_script(f"return MediaSource.isTypeSupported('video/mp4; codecs=\"{codecs}\"')")
        if not supported:
            raise Failure(f"this Chromium does not support video/mp4; codecs=\"{codecs}\" in Media Source Extensions")

        writer = subprocess.Popen([
            "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", source, "-c", "copy",
            "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "event", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", os.path.join(hls, "360p", "seg_%05d.m4s"),
            "-hls_flags", "temp_file", variant,
        ])
        started = time.time()
        driver.get(f"{base}/live.html")

        log("playback starts while ffmpeg is still writing the stream")
        state = until("playback did not pass 1 s", lambda s: s["time"] > 1.0, 30)
        if state["listEnded"] or writer.poll() is not None:
            raise Failure(f"the stream was already complete when playback passed 1 s: {json.dumps(state)}")
        if not 19 <= state["duration"] <= 21:
            raise Failure(f"the duration is the whole video's ({DURATION} s) from the start, not {state['duration']}")
        log(f"playing at {state['time']:.2f} s, {time.time() - started:.1f} s after the writer started, "
            f"{state['listed']:.0f} s listed, duration {state['duration']:.2f} s")
        if OUT:
            os.makedirs(OUT, exist_ok=True)
            driver.save_screenshot(os.path.join(OUT, "live-playing.png"))

        log("with the writer paused, playback waits at the live edge")
        writer.send_signal(signal.SIGSTOP)
        try:
            last = {"time": -1.0, "since": time.time()}

            def stalled(s):
                if abs(s["time"] - last["time"]) > 0.05:
                    last.update(time=s["time"], since=time.time())
                # Not moving for 4.5 s at the end of what is buffered (not a slow decoder mid-buffer):
                # longer than two of the player's playlist polls (2 s apart), so a segment listed
                # just before the writer stopped has been fetched by then.
                return time.time() - last["since"] > 4.5 and not s["paused"] and s["bufferedEnd"] - s["time"] < 0.5
            state = until("playback did not stop at the live edge", stalled, 30)
        finally:
            writer.send_signal(signal.SIGCONT)
        if state["listed"] - state["time"] > 1.0:
            raise Failure(f"stalled at {state['time']:.2f} s, short of the live edge at {state['listed']:.2f} s: {json.dumps(state)}")
        edge = state["time"]
        log(f"waiting at {edge:.2f} s with {state['listed']:.2f} s listed (readyState {state['readyState']}); writer resumed")
        until("playback did not go on after the writer resumed", lambda s: s["time"] > edge + 1.0, 20)

        log("after #EXT-X-ENDLIST playback reaches the end")
        until("the writer did not finish", lambda s: s["listEnded"], DURATION + 20)
        if writer.wait(10) != 0:
            raise Failure(f"ffmpeg exited with {writer.returncode}")
        state = until("playback did not reach the end", lambda s: s["ended"] or s["time"] > DURATION - 2, 40)
        # endOfStream() was called: the <video> ends instead of waiting for more.
        state = until("the <video> did not end (no endOfStream?)", lambda s: s["ended"], 10)
        log(f"reached {state['time']:.2f} s of {state['listed']:.2f} s (ended: {state['ended']}, duration {state['duration']:.2f} s); "
            f"at most {max_ahead:.2f} s past the listed playlist at any check")
        if refused:
            raise Failure(f"requests without the playlist's token: {refused[:3]}")
        violations = [entry["message"] for entry in driver.get_log("browser")
                      if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]]
        if violations:
            raise Failure(f"Content-Security-Policy violations: {violations}")
        if OUT:
            driver.save_screenshot(os.path.join(OUT, "live-ended.png"))
        log("passed")
        return 0
    except (Failure, subprocess.CalledProcessError) as error:
        log(f"FAILED: {error}")
        if driver:
            for entry in driver.get_log("browser")[-20:]:
                log(f"browser: {entry['level']} {entry['message']}")
        return 1
    finally:
        if writer and writer.poll() is None:
            writer.send_signal(signal.SIGCONT)
            writer.kill()
            writer.wait()
        if driver:
            driver.quit()
        if server:
            server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
