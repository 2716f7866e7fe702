#!/usr/bin/env python3
"""scripts/bench clip: a clip cut smartly against the same range re-encoded through the ladder.

    run.py BIN_DIR WORK_DIR [--minutes 10] [--seconds 10]

On one live stack (Tests/Chaos/stack.py): a 10-minute 1080p video (testsrc2 and a tone, made
once and cached) is uploaded and processed; then a 10 s clip of it is cut (POST .../clips) and,
as the baseline, the same 10 s of the original upload (cut losslessly) is uploaded and goes
through today's ladder; then the same for a range of about as many seconds that starts and ends
on keyframes (nothing is encoded). For each: wall time from the request to `ready` and processing-service's
CPU seconds (its own and its ffmpeg children's). Then, per rung, the SSIM against the source
video's rendition over the same range: the clip's whole, its copied middle (up to where its tail's
encode begins), its re-encoded edges, and the baseline's. Prints a table and the CPU ratio;
for the range inside GOPs, also the CPU of its edges alone (`edges_floor`: decoded and encoded
as the cut does, nothing else; and decoded once for every rung) against the ladder's: the most
a cut that encodes them these ways can save.
"""
import json
import os
import re
import resource
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Chaos"))
from stack import Stack, call, eventually  # noqa: E402

CACHE = os.path.join(os.environ.get("CLIPCUT_CACHE", os.path.expanduser("~/.cache/clipcut")), "bench-clip-v1")


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *arguments], check=True)


def make_source(minutes):
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"source-1080p-{minutes}min.mp4")
    if not os.path.exists(path):
        seconds = minutes * 60
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
               "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "60", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-movflags", "+faststart", path + ".part.mp4")
        os.rename(path + ".part.mp4", path)
    return path


def cpu_split(pid):
    """(the process's own CPU seconds, its waited-for children's: ffmpeg and ffprobe)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


def cpu_seconds(pid):
    """utime + stime of the process and of its waited-for children (ffmpeg), in seconds."""
    return sum(cpu_split(pid))


def wait_ready(stack, token, vid, seconds):
    def done():
        status = stack.status_of(token, vid)
        return status if status in ("ready", "failed") else None
    status = eventually(seconds, done, interval=0.25)
    assert status == "ready", f"{vid} ended {status}"


def download(stack, token, vid, quality, path):
    playback = call("GET", stack.url("upload-service") + f"/api/videos/{vid}/playback", token=token)[1]
    url = next(r["url"] for r in playback["renditions"] if r["quality"] == quality)
    url = url if url.startswith("http") else stack.url("upload-service") + url
    with urllib.request.urlopen(url, timeout=600) as response, open(path, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
    return path


def ssim(a, b, a_from=0.0, b_from=0.0, seconds=None):
    """SSIM (All) of `a` from `a_from` against `b` from `b_from`, over `seconds`."""
    arguments = ["ffmpeg", "-nostdin", "-v", "info", "-ss", f"{a_from:.6f}"]
    if seconds:
        arguments += ["-t", f"{seconds:.6f}"]
    arguments += ["-i", a, "-ss", f"{b_from:.6f}"]
    if seconds:
        arguments += ["-t", f"{seconds:.6f}"]
    arguments += ["-i", b, "-lavfi", "[0:v]settb=AVTB,setpts=PTS-STARTPTS[x];[1:v]settb=AVTB,setpts=PTS-STARTPTS[y];[x][y]ssim",
                  "-f", "null", "-"]
    output = subprocess.run(arguments, capture_output=True, text=True).stderr
    match = re.findall(r"All:([0-9.]+)", output)
    return float(match[-1]) if match else float("nan")


def packets(path):
    """(presentation time, keyframe?) of each video packet."""
    listing = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                              "-of", "csv=p=0", path], capture_output=True, text=True).stdout
    return [(float(line.split(",")[0]), ",K" in line) for line in listing.splitlines() if line and line[0].isdigit()]


def keyframes(path):
    return sorted(time for time, key in packets(path) if key)


def measure(stack, token, vid, pid, name, start, end, original_range):
    """Processing CPU and wall of one way to make the clip of `[start, end)`: `smart` (POST .../clips)
    or `ladder` (the range of the original, uploaded)."""
    cpu0, t0, split0 = cpu_seconds(pid), time.time(), cpu_split(pid)
    if name == "smart":
        body = json.dumps({"from": start, "to": end, "title": "bench clip"}).encode()
        clip = call("POST", stack.url("upload-service") + f"/api/videos/{vid}/clips", token=token, body=body,
                    headers={"Content-Type": "application/json"})[1]["id"]
    else:
        clip = stack.upload(token, original_range, "bench range")
        cpu0, t0, split0 = cpu_seconds(pid), time.time(), cpu_split(pid)  # from the upload's end, as for the clip
    wait_ready(stack, token, clip, 1800)
    time.sleep(1)  # the job's last ffmpeg reaped
    split = cpu_split(pid)
    return {"id": clip, "wall": time.time() - t0, "cpu": cpu_seconds(pid) - cpu0,
            "own": split[0] - split0[0], "tools": split[1] - split0[1]}


def quality_rows(stack, token, vid, results, start, end, work, label):
    video = call("GET", stack.url("upload-service") + f"/api/videos/{vid}", token=token)[1]
    length, rows = end - start, []
    for rendition in video["renditions"]:
        quality = rendition["quality"]
        src = os.path.join(work, f"src-{quality}.mp4")
        if not os.path.exists(src):
            download(stack, token, vid, quality, src)
        smart = download(stack, token, results["smart"]["id"], quality, os.path.join(work, f"smart-{label}-{quality}.mp4"))
        ladder = download(stack, token, results["ladder"]["id"], quality, os.path.join(work, f"ladder-{label}-{quality}.mp4"))
        frames = sorted(time for time, _ in packets(src))
        keys = [k for k in keyframes(src) if start - 1e-3 <= k <= end + 1e-3]
        # The encoded tail begins at the clip's last keyframe when that is past the rendition's
        # last one in the range (the frames before it were copied), else at that one; as the
        # rendition's frame there (a time off by a microsecond would compare the next frame).
        clip_keys = keyframes(smart)
        tail_from = keys[-1]
        if clip_keys and start + clip_keys[-1] > keys[-1] + 0.02:
            tail_from = min(frames, key=lambda t: abs(t - start - clip_keys[-1]))
        head, tail = max(0.0, keys[0] - start), max(0.0, end - tail_from)
        rows.append({
            "quality": quality,
            "whole": ssim(smart, src, 0, start, length),
            "middle": ssim(smart, src, head, keys[0], tail_from - keys[0]),
            "head": ssim(smart, src, 0, start, head) if head > 0.02 else None,
            "tail": ssim(smart, src, length - tail, tail_from, tail) if tail > 0.02 else None,
            "ladder": ssim(ladder, src, 0, start, length),
            "edges": f"{head:.2f} s + {tail:.2f} s",
            # What the cut encodes, for the floor: (first frame, frame count) of each edge.
            "spans": [(frames_in(frames, a, b)[0], len(frames_in(frames, a, b))) for a, b in ((start, keys[0]), (tail_from, end))
                      if frames_in(frames, a, b)],
            "src": src,
        })
    return rows


def frames_in(frames, a, b, step=1 / 30):
    """The frame times in `[a, b)`, half a frame of tolerance at each end (as the cut counts them)."""
    return [t for t in frames if a - step / 2 <= t < b - step / 2]


# The rungs' caps and the edges' x264 settings as processing-service gives them
# (Ladder.standard, SmartCutCommands.pieces and edgeAnalysis, the thread rule on 2 cores).
MAX_RATE = {"1080p": 5_000_000, "720p": 2_800_000, "480p": 1_400_000, "360p": 800_000}
EDGE_X264 = ["-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high",
             "-pix_fmt", "yuv420p", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
             "-x264-params", "me=dia:subme=1:b-adapt=0:rc-lookahead=5", "-threads", "2"]


SIZE = {"1080p": "1920:1080", "720p": "1280:720", "480p": "854:480", "360p": "640:360"}


def edges_floor(rows, work, rounds=3):
    """CPU seconds (median of `rounds`) of the part of a cut inside GOPs that the issue's design
    cannot skip, every rung's edges decoded from their GOP's keyframe and encoded with the rung's
    settings, and nothing else (no copy, sound, join, HLS, poster or storyboard), in one ffmpeg
    run over local copies of the renditions; two ways: `own`, each rung's edges from its own
    rendition (as the cut does), and `shared`, each edge decoded once from the best rung and
    scaled to every rung, with one thread per decoder and encoder (the cheapest way measured)."""
    def x264(row, threads):
        rate = MAX_RATE.get(row["quality"], 400_000)
        return [*EDGE_X264[:-1], str(threads), "-maxrate", str(rate), "-bufsize", str(2 * rate)]

    own_in, own_out = [], []
    for row in rows:
        for index, (first, count) in enumerate(row["spans"]):
            own_in += ["-ss", f"{first:.6f}", "-i", row["src"]]
            own_out += ["-map", f"{len(own_in) // 4 - 1}:v:0", "-an", "-frames:v", str(count), "-t", f"{(count + 0.5) / 30:.6f}",
                        *x264(row, 2), os.path.join(work, f"floor-own-{row['quality']}-{index}.mp4")]
    if not own_in:
        return None
    shared_in, graph, shared_out = [], [], []
    for index, (first, count) in enumerate(rows[0]["spans"]):
        shared_in += ["-threads", "1", "-ss", f"{first:.6f}", "-i", rows[0]["src"]]
        labels = [f"e{index}r{n}" for n in range(len(rows))]
        chain = f"[{index}:v]split={len(rows)}" + "".join(f"[{label}]" for label in labels)
        graph.append(chain)
        for row, label in zip(rows, labels):
            scaled = label if row is rows[0] else f"{label}s"
            if row is not rows[0]:
                graph.append(f"[{label}]scale={SIZE.get(row['quality'], '640:360')}:flags=bicubic,setsar=1[{scaled}]")
            shared_out += ["-map", f"[{scaled}]", "-an", "-frames:v", str(count), "-t", f"{(count + 0.5) / 30:.6f}",
                           *x264(row, 1), os.path.join(work, f"floor-shared-{row['quality']}-{index}.mp4")]
    ways = {"own": own_in + own_out, "shared": shared_in + ["-filter_complex", ";".join(graph)] + shared_out}
    seconds = {way: [] for way in ways}
    for _ in range(rounds):
        for way, arguments in ways.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *arguments], check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds[way].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {way: sorted(values)[len(values) // 2] for way, values in seconds.items()}


def aligned_range(stack, token, vid, near, length):
    """A range of about `length` seconds from the first keyframe at or after `near` to a keyframe:
    keyframes every rung shares (the ladder aligns them), read from the smallest rendition."""
    video = call("GET", stack.url("upload-service") + f"/api/videos/{vid}", token=token)[1]
    qualities = [r["quality"] for r in video["renditions"]]
    playback = call("GET", stack.url("upload-service") + f"/api/videos/{vid}/playback", token=token)[1]
    url = next(r["url"] for r in playback["renditions"] if r["quality"] == qualities[-1])
    url = url if url.startswith("http") else stack.url("upload-service") + url
    listing = subprocess.run(["ffprobe", "-v", "error", "-read_intervals", f"{near - 1}%+{length + 6}", "-select_streams", "v:0",
                              "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", url], capture_output=True, text=True).stdout
    keys = sorted(float(line.split(",")[0]) for line in listing.splitlines() if ",K" in line)
    first = next(k for k in keys if k >= near)
    last = min((k for k in keys if k > first), key=lambda k: abs(k - first - length))
    return round(first, 3), round(last, 3)


def main():
    binaries, work = sys.argv[1], sys.argv[2]
    minutes = int(sys.argv[sys.argv.index("--minutes") + 1]) if "--minutes" in sys.argv else 10
    length = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10.0
    source = make_source(minutes)
    inside = round(minutes * 30 + 1.3, 2)  # mid-video, inside a GOP: both edges are encoded

    stack = Stack(binaries, work, overrides={"processing-service": {"CLIPCUT_JOB_CLAIM_IDLE_SECONDS": "600"}})
    ranges = []
    try:
        stack.up()
        token = stack.user()
        began = time.time()
        vid = stack.upload(token, source, "ten minutes")
        wait_ready(stack, token, vid, 7200)
        print(f"[clip] the {minutes}-minute source is ready after {time.time() - began:.0f} s", flush=True)
        pid = stack.processes["processing-service"].pid
        aligned = aligned_range(stack, token, vid, inside + length + 2, length)
        # Inside GOPs (both edges encoded), and on keyframes (nothing encoded), each against the
        # same seconds of the original re-encoded through the ladder.
        for label, (start, end) in (("inside GOPs", (inside, inside + length)), ("on keyframes", aligned)):
            original_range = os.path.join(work, f"range-{len(ranges)}.mkv")
            # The baseline's upload: the same seconds of the original, losslessly (the ladder gets what the source had).
            ffmpeg("-ss", f"{start}", "-t", f"{end - start}", "-i", source, "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
                   "-c:a", "flac", original_range)
            results = {name: measure(stack, token, vid, pid, name, start, end, original_range) for name in ("smart", "ladder")}
            rows = quality_rows(stack, token, vid, results, start, end, work, len(ranges))
            ranges.append((label, start, end, results, rows, edges_floor(rows, work)))
    finally:
        stack.down()
        logs = os.path.join(ROOT, ".test-output", "bench-clip")
        subprocess.run(["rm", "-rf", logs])
        os.makedirs(os.path.dirname(logs), exist_ok=True)
        subprocess.run(["cp", "-r", os.path.join(work, "logs"), logs])

    fmt = lambda v: "—" if v is None else f"{v:.5f}"
    for label, start, end, results, rows, floor in ranges:
        smart, ladder = results["smart"], results["ladder"]
        print(f"\n{end - start:.1f} s of a {minutes}-minute 1080p video, {start:.2f}-{end:.2f} s, {label} (2 cores)\n")
        print("| way | wall (s) | processing CPU (s) | of which the service itself | ffmpeg and ffprobe |\n| --- | --- | --- | --- | --- |")
        for way, r in (("smart cut from the renditions", smart), ("the range re-encoded through the ladder", ladder)):
            print(f"| {way} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['own']:.1f} | {r['tools']:.1f} |")
        print(f"\nCPU ladder/smart: x{ladder['cpu'] / max(smart['cpu'], 0.01):.1f}; wall ladder/smart: x{ladder['wall'] / max(smart['wall'], 0.01):.1f}")
        if floor:
            print("The edges alone, decoded and encoded in one ffmpeg run from local renditions and nothing else (median of 3): "
                  f"{floor['own']:.2f} s of CPU each rung from its own rendition (ladder/edges x{ladder['cpu'] / floor['own']:.1f}), "
                  f"{floor['shared']:.2f} s decoded once from the best rung and scaled, one thread each "
                  f"(x{ladder['cpu'] / floor['shared']:.1f}): the most a cut of this range that encodes these edges these ways can be below the ladder")
        print()
        print("| rung | encoded edges | SSIM whole clip | copied middle | head | tail | ladder's re-encode |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            print(f"| {r['quality']} | {r['edges']} | {fmt(r['whole'])} | {fmt(r['middle'])} | {fmt(r['head'])} | {fmt(r['tail'])} | {fmt(r['ladder'])} |")
    print("\nSSIM against the source video's own rendition over the same seconds.", flush=True)


if __name__ == "__main__":
    main()
