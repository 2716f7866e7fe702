"""The `clipcut` command-line client against the real stack (scripts/test runs it after the
browser journey, through the same nginx edge).

    cli_cycle.py CLIPCUT_BINARY EDGE_URL WORK_DIR

The whole cycle: login (token file mode 0600), whoami, upload --follow until ready, history,
status, search, captions as VTT and SRT, a clip of the video followed to ready, an upload interrupted by SIGINT and resumed (the
stored bytes' SHA-256 matches the file), a download resumed from the middle (bytes identical
to a whole download), rm, and the exit codes scripts rely on. Exits non-zero on failure.
"""
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
import uuid

CLIPCUT, EDGE, WORK = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
os.makedirs(WORK, exist_ok=True)
ENV = dict(os.environ, CLIPCUT_CONFIG_DIR=os.path.join(WORK, "config"))
SPOKEN = "Seven purple elephants are painting the lighthouse."


def run(*arguments, stdin=None, expect=0):
    result = subprocess.run([CLIPCUT, *arguments], input=stdin, capture_output=True, text=True, env=ENV, timeout=900)
    assert result.returncode == expect, f"clipcut {' '.join(arguments)}: exit {result.returncode}, expected {expect}\n{result.stderr}"
    return result


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media():
    speech, video = os.path.join(WORK, "speech.wav"), os.path.join(WORK, "elephants.mp4")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", speech, SPOKEN], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=6",
                    "-i", speech, "-filter_complex", "[1:a]apad=whole_dur=6[a]", "-map", "0:v", "-map", "[a]", "-t", "6",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", video], check=True)
    # A large file for the interrupted upload: a real MP4 head (the server sniffs it), then noise.
    big = os.path.join(WORK, "big.mp4")
    with open(video, "rb") as source, open(big, "wb") as target:
        target.write(source.read())
        target.write(os.urandom(48 << 20))
    return video, big


def step(name):
    print(f"[cli] {name}", flush=True)


def main():
    email, password = f"cli-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery staple"
    request = urllib.request.Request(f"{EDGE}/api/users", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"email": email, "password": password, "displayName": "CLI"}).encode())
    urllib.request.urlopen(request).read()
    video, big = media()

    step("login: a wrong password exits 3; the right one stores the token with mode 0600")
    run("login", "--server", EDGE, "--email", email, "--password-stdin", stdin="wrong password\n", expect=3)
    run("login", "--server", EDGE, "--email", email, "--password-stdin", stdin=password + "\n")
    credentials = os.path.join(ENV["CLIPCUT_CONFIG_DIR"], "credentials.json")
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600, oct(os.stat(credentials).st_mode)
    whoami = json.loads(run("whoami", "--json").stdout)
    assert whoami["account"]["email"] == email
    assert whoami["usage"]["storedBytes"] == 0 and whoami["usage"]["quotaBytes"] > 0, whoami["usage"]
    assert run("whoami").stdout.splitlines()[1].startswith("storage: 0 B of "), run("whoami").stdout

    step("upload --follow prints the watch URL once, when the video plays (before it is ready), and follows to ready")
    followed = run("upload", video, "--title", "Elephants 🐘", "--follow")
    url = followed.stdout.strip()
    assert url.startswith(f"{EDGE}/#/watch/") and "\n" not in url, url
    notes = followed.stderr
    assert "playable: watch it now at " + url in notes and notes.rfind("ready") > notes.find("playable: watch"), notes
    video_id = url.rsplit("/", 1)[1]

    step("history, status, search and captions")
    usage = json.loads(run("whoami", "--json").stdout)["usage"]
    assert usage["storedBytes"] == os.path.getsize(video), (usage, os.path.getsize(video))
    assert usage["availableBytes"] == usage["quotaBytes"] - usage["storedBytes"] - usage["reservedBytes"], usage
    history = json.loads(run("history", "--json").stdout)
    assert [(h["videoId"], h["status"], h["title"]) for h in history] == [(video_id, "ready", "Elephants 🐘")], history
    assert json.loads(run("history", "--status", "failed", "--json").stdout) == []
    assert video_id in run("history").stdout
    # upload-service applies video.ready on its own, beside monitoring-service's feed that said done.
    deadline = time.monotonic() + 60
    while (status := json.loads(run("status", video_id, "--json").stdout))["status"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status["status"] == "ready" and status["sha256"] == sha256(video), status
    found = json.loads(run("search", "elephants", "--json").stdout)
    assert found["results"] and found["results"][0]["videoId"] == video_id, found
    vtt = run("captions", video_id).stdout
    srt = run("captions", video_id, "--format", "srt").stdout
    assert vtt.startswith("WEBVTT") and "-->" in vtt, vtt
    assert srt.startswith("1\n00:00:") and "," in srt.split("\n")[1] and "lephant" in srt.lower(), srt

    step("clip: a range as m:ss becomes a new video, followed to ready, linked to its source, with the range's captions")
    clipped = run("clip", video_id, "--from", "0:00.5", "--to", "0:04.5", "--title", "Elephants, cut", "--follow")
    clip_url = clipped.stdout.strip()
    assert clip_url.startswith(f"{EDGE}/#/watch/") and "\n" not in clip_url, clipped
    clip_id = clip_url.rsplit("/", 1)[1]
    assert clip_id != video_id and "ready" in clipped.stderr, clipped.stderr
    clip = json.loads(run("status", clip_id, "--json").stdout)
    assert clip["status"] == "ready" and clip["title"] == "Elephants, cut", clip
    assert clip["clipOf"]["videoId"] == video_id and abs(clip["durationSeconds"] - 4) < 0.1, clip
    clip_vtt = run("captions", clip_id).stdout
    assert clip_vtt.startswith("WEBVTT") and "lephant" in clip_vtt.lower(), clip_vtt
    assert clip_id in [h["videoId"] for h in json.loads(run("history", "--json").stdout)]
    # Bad usage exits 2 (not a time, a missing option, an unknown command); a range the server
    # refuses (shorter than 1 s) exits 5.
    assert "is not a time" in run("clip", video_id, "--from", "1:75", "--to", "0:03", expect=2).stderr
    run("clip", video_id, "--from", "0:01", expect=2)
    run("frobnicate", expect=2)
    run("clip", video_id, "--from", "5", "--to", "5.5", expect=5)

    step("an upload interrupted by SIGINT resumes where the server has it")
    process = subprocess.Popen([CLIPCUT, "upload", big, "--title", "Big", "--chunk-size", "1048576"], env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("uploading ") and not line.rstrip().endswith("(100%)"):
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, f"exit {process.returncode}: {rest}"
    assert "run the same command again to resume" in rest, rest
    resumed = run("upload", big, "--title", "Big", "--chunk-size", "1048576")
    assert "resuming at " in resumed.stderr, resumed.stderr
    offset = int(resumed.stderr.split("resuming at ")[1].split()[0])
    assert 0 < offset < os.path.getsize(big), offset
    big_id = resumed.stdout.strip()
    assert json.loads(run("status", big_id, "--json").stdout)["sha256"] == sha256(big)

    step("a download resumed from the middle matches a whole one")
    whole, part = os.path.join(WORK, "whole.mp4"), os.path.join(WORK, "resumed.mp4")
    run("download", video_id, "--quality", "360p", "-o", whole)
    with open(whole, "rb") as source, open(part + ".part", "wb") as target:
        target.write(source.read(os.path.getsize(whole) // 2))
    again = run("download", video_id, "--quality", "360p", "-o", part)
    assert "resuming at " in again.stderr and sha256(part) == sha256(whole) and not os.path.exists(part + ".part")
    run("download", video_id, "--quality", "4320p", "-o", part, expect=4)

    step("rm, then the video is gone (exit 4); errors exit with their codes")
    run("rm", video_id)
    run("rm", big_id)
    run("status", video_id, expect=4)
    run("status", "not-a-video", expect=4)
    run("upload", os.path.join(WORK, "missing.mp4"), expect=1)
    text = os.path.join(WORK, "notes.mp4")
    with open(text, "w") as handle:
        handle.write("not a video\n" * 100)
    refused = run("upload", text, expect=5)
    assert "clipcut:" in refused.stderr
    run("logout")
    run("whoami", expect=3)
    print("[cli] passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"[cli] FAILED: {error}", flush=True)
        sys.exit(1)
