"""Time to first frame of a ready video in headless Chromium: its best MP4 rendition against its
HLS master (Auto in the page), against a running stack behind the edge.

    ttff.py EDGE_URL BEARER_TOKEN VIDEO_ID [--rounds N] [--warmup N] [--quality 1080p]
            [--cache disabled|cleared] [--timeout SECONDS]

The links come from the real playback API (GET /api/videos/<id>/playback with the token), fresh
for every measurement, as the page fetches them. Each measurement runs in a new tab (a fresh page
load of the edge's own page, so the URLs are same-origin under its Content-Security-Policy) with
the browser's cache disabled through DevTools (Network.setCacheDisabled), so what is measured is
the server side (edge, upload-service, its media cache), not Chromium's HTTP or media cache. In
the page a muted <video> is created; the time runs from setting its src to its `playing` event.

Rounds alternate which of the two goes first; --warmup pairs (default 1) go before them and are
not counted (Chromium's first media pipeline is slower; they also warm the server's media cache:
--warmup 0 keeps the cold first round). Chromium's built-in HLS player reads the first init
segment and segment twice; with the cache disabled both reads reach the server, where a viewer's
browser would answer the second from its cache (segments are cacheable): --cache cleared clears
the browser's cache before each measurement instead of disabling it (a first-time viewer).
Prints a table (median and every round, in ms) and one JSON line; exits non-zero if a
measurement failed. Chromium starts as in the browser tests (Tests/EndToEnd/headless_chromium.py);
HTTP connections to the edge may stay open between rounds.
"""
import argparse
import json
import os
import statistics
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "EndToEnd"))
import headless_chromium  # noqa: E402  (the browser tests' own way to start Chromium)

# Runs in the page (execute_async_script): the milliseconds from setting src to `playing`.
MEASURE = """
const [url, timeoutMs, done] = arguments;
const video = document.createElement('video');
video.muted = true;
video.playsInline = true;
video.preload = 'auto';
document.body.append(video);
let start = 0;
let settled = false;
const finish = (result) => {
  if (settled) return;
  settled = true;
  clearTimeout(timer);
  done({ ...result, readyState: video.readyState, width: video.videoWidth, height: video.videoHeight });
  video.removeAttribute('src');
  video.load();
};
const timer = setTimeout(() => finish({ error: `no playing event within ${timeoutMs} ms` }), timeoutMs);
video.addEventListener('playing', () => finish({ ms: performance.now() - start }), { once: true });
video.addEventListener('error', () => finish({ error: video.error ? `${video.error.code} ${video.error.message}` : 'error' }), { once: true });
start = performance.now();
video.src = url;
video.play().catch(() => {}); // a failure shows as the error event or the timeout
"""


def arguments():
    parser = argparse.ArgumentParser(description="Time to first frame: the best MP4 rendition against the HLS master.")
    parser.add_argument("edge", help="the edge's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("token", help="a bearer token of the video's owner (POST /api/sessions)")
    parser.add_argument("video_id")
    parser.add_argument("--rounds", type=int, default=5, help="measurements of each (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted measurements of each first (default 1)")
    parser.add_argument("--cache", choices=["disabled", "cleared"], default="disabled",
                        help="the browser's cache: disabled (default) or cleared before each measurement")
    parser.add_argument("--quality", help="the MP4 rendition to measure (default: the highest, e.g. 1080p)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for `playing` (default 30)")
    args = parser.parse_args()
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1, --warmup at least 0")
    args.edge = args.edge.rstrip("/")
    return args


def playback(args):
    """The playback response (GET /api/videos/<id>/playback): signed links, relative to the edge."""
    request = urllib.request.Request(f"{args.edge}/api/videos/{urllib.parse.quote(args.video_id)}/playback",
                                     headers={"Authorization": f"Bearer {args.token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            links = json.loads(response.read())
    except urllib.error.HTTPError as error:
        sys.exit(f"GET {request.full_url}: {error.code} {error.read().decode(errors='replace')[:300]}")
    if links.get("status") != "ready":
        sys.exit(f"the video is {links.get('status')!r}, not ready")
    if not links.get("renditions"):
        sys.exit("the playback response lists no rendition")
    if not links.get("hls"):
        sys.exit("the playback response has no HLS master (hls)")
    return links


def urls(args, links):
    """{kind: absolute URL}: the chosen MP4 rendition (the highest unless --quality) and the master."""
    renditions = links["renditions"]  # best first
    rendition = next((r for r in renditions if r["quality"] == args.quality), None) if args.quality else renditions[0]
    if rendition is None:
        sys.exit(f"no rendition {args.quality}; there are {', '.join(r['quality'] for r in renditions)}")
    return {"mp4": urllib.parse.urljoin(args.edge + "/", rendition["url"]),
            "hls": urllib.parse.urljoin(args.edge + "/", links["hls"])}, rendition["quality"]


def fresh_page(driver, args, round_number):
    """A new tab (the old one closed) with the cache disabled or cleared, on a fresh load of the edge's page."""
    old = driver.current_window_handle
    driver.switch_to.new_window("tab")
    new = driver.current_window_handle
    driver.switch_to.window(old)
    driver.close()
    driver.switch_to.window(new)
    driver.execute_cdp_cmd("Network.enable", {})
    if args.cache == "disabled":
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    else:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(f"{args.edge}/?ttff={round_number}")


def measure(driver, args, kind, round_number):
    """One measurement: fresh links, a fresh page, then setting src until `playing`."""
    targets, _ = urls(args, playback(args))
    fresh_page(driver, args, round_number)
    return driver.execute_async_script(MEASURE, targets[kind], int(args.timeout * 1000))


def describe(values):
    ok = [v for v in values if v is not None]
    return round(statistics.median(ok), 1) if ok else None


def main():
    args = arguments()
    _, quality = urls(args, playback(args))
    labels = {"mp4": f"{quality} MP4", "hls": "HLS master"}
    results = {"mp4": [], "hls": []}
    failed = False
    driver = headless_chromium.start()
    driver.set_script_timeout(args.timeout + 15)
    try:
        for index in range(-args.warmup, args.rounds):
            for kind in (["mp4", "hls"] if index % 2 == 0 else ["hls", "mp4"]):
                result = measure(driver, args, kind, index)
                name = f"round {index + 1}" if index >= 0 else "warm-up"
                if "error" in result:
                    failed = True
                    print(f"{name}, {labels[kind]}: {result['error']} (readyState {result['readyState']})",
                          file=sys.stderr, flush=True)
                elif index < 0:
                    print(f"{name}, {labels[kind]}: {result['ms']:.0f} ms (not counted)", file=sys.stderr, flush=True)
                if index >= 0:
                    results[kind].append(result)
    finally:
        driver.quit()

    ms = {kind: [round(r["ms"], 1) if "ms" in r else None for r in rows] for kind, rows in results.items()}
    heights = {kind: [r.get("height") or None for r in rows] for kind, rows in results.items()}
    title = f"time to first frame, ms (cache {args.cache})"
    width = max(len(title), *(len(label) for label in labels.values()))
    rounds = "".join(f"{f'#{i + 1}':>9}" for i in range(args.rounds))
    print(f"{title:<{width + 2}}{'median':>9}{rounds}   height at playing")
    for kind, label in labels.items():
        median = describe(ms[kind])
        cells = "".join(f"{'failed' if v is None else f'{v:.0f}':>9}" for v in ms[kind])
        starts = ", ".join(sorted({str(h) for h in heights[kind] if h})) or "—"
        print(f"{label:<{width + 2}}{'—' if median is None else f'{median:.0f}':>9}{cells}   {starts}")
    print(json.dumps({
        "videoId": args.video_id, "rounds": args.rounds, "warmup": args.warmup, "cache": args.cache,
        "mp4": {"quality": quality, "medianMs": describe(ms["mp4"]), "ms": ms["mp4"], "heights": heights["mp4"]},
        "hls": {"medianMs": describe(ms["hls"]), "ms": ms["hls"], "heights": heights["hls"]},
    }), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
