"""Hostile media for processing-service, made at run time with ffmpeg (lavfi) and espeak-ng, plus
byte patches where ffmpeg will not write the value: Matroska files written without CRC elements
(`-write_crc32 0`, `-fflags +bitexact`), so a patched element needs no checksum fixed.

Each case names the file's bytes, the media type it is uploaded with, and what a person should see
afterwards: the video's `status`, a phrase of its `failureReason` (failed) or its ladder (ready),
and its `captionState`. `python3 hostile_media.py DIR` writes the files and prints the table.
"""

import os
import struct
import subprocess
import sys
from dataclasses import dataclass, field

MKV = "video/x-matroska"
MP4 = "video/mp4"


@dataclass
class Case:
    name: str
    filename: str
    content_type: str
    status: str                      # ready | failed
    reason: str = ""                 # a phrase of failureReason when failed
    ladder: list = field(default_factory=list)  # the renditions when ready
    captions: str = None             # the expected captionState (None: not checked)
    what: str = ""                   # what the file is, for the docs table


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-hide_banner", "-loglevel", "error", *arguments], check=True)


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def patch_once(data, old, new, after=0):
    """`data` with the first `old` at or after `after` replaced by `new` (same length)."""
    assert len(old) == len(new), (old, new)
    index = data.find(old, after)
    assert index >= 0, f"{old!r} not found"
    return data[:index] + new + data[index + len(old):]


def mkv(path, seconds=2, size="320x240", codec=("-c:v", "libx264", "-preset", "ultrafast"), extra=()):
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds}", *codec, "-pix_fmt", "yuv420p",
           "-fflags", "+bitexact", "-write_crc32", "0", *extra, path)


def tagged_rotation(work, value):
    """A Matroska video stream with a `rotate` tag holding `value` as written (ffprobe passes it on)."""
    path = os.path.join(work, "rotate-template.mkv")
    placeholder = "Q" * len(value)
    mkv(path, extra=("-metadata:s:v:0", f"rotatq={placeholder}"))
    data = read(path)
    name = data.find(b"ROTATQ")
    data = patch_once(data, b"ROTATQ", b"rotate")
    return patch_once(data, placeholder.encode(), value.encode(), after=name)


def patched_element(work, element, packed):
    """A small H.264 Matroska file whose first `element` (ID and size bytes) gets the value `packed`."""
    path = os.path.join(work, "element-template.mkv")
    mkv(path)
    data = read(path)
    index = data.find(element)
    assert index >= 0, element
    start = index + len(element)
    return data[:start] + packed + data[start + len(packed):]


def declared_duration(work, seconds):
    """Segment Info Duration (ID 0x4489, an 8-byte float in ms) says `seconds`."""
    return patched_element(work, b"\x44\x89\x88", struct.pack(">d", seconds * 1000))


def default_duration(work, nanoseconds):
    """The track's DefaultDuration (ID 0x23E383, the frame duration in ns) says `nanoseconds`."""
    return patched_element(work, b"\x23\xe3\x83\x84", struct.pack(">I", nanoseconds))


def declared_frame(work, width, height):
    """An FFV1 Matroska file (FFV1 keeps no size of its own) declaring `width`×`height`."""
    path = os.path.join(work, "frame-template.mkv")
    mkv(path, seconds=1, size="322x258", codec=("-c:v", "ffv1"))
    data = read(path)
    data = patch_once(data, b"\xb0\x82\x01\x42", b"\xb0\x82" + struct.pack(">H", width))
    return patch_once(data, b"\xba\x82\x01\x02", b"\xba\x82" + struct.pack(">H", height))


def speech_wav(work, sentence):
    wav = os.path.join(work, "speech.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", wav, sentence], check=True, capture_output=True)
    return wav


def make_all(work):
    """Writes every case's file into `work`; returns the cases."""
    os.makedirs(work, exist_ok=True)
    cases = []

    def add(case, data=None, path=None):
        target = os.path.join(work, case.filename)
        if data is not None:
            write(target, data)
        elif path is not None and path != target:
            os.replace(path, target)
        cases.append(case)

    ready_small = dict(status="ready", ladder=["240p"], captions="none")
    for label, value in [("1e300", "1e300"), ("nan", "nan"), ("-inf", "-inf"), ("huge-int", "99999999999999999999"), ("45", "45")]:
        add(Case(f"rotate tag {value}", f"rotate-{label}.mkv", MKV, what=f"Matroska, video `rotate` tag `{value}`", **ready_small),
            tagged_rotation(work, value))
    for label, seconds in [("inf", float("inf")), ("nan", float("nan")), ("1e300", 1e300), ("negative", -5.0), ("zero", 0.0)]:
        add(Case(f"declared duration {label}", f"duration-{label}.mkv", MKV,
                 what=f"Matroska, Segment Duration {label} (measured from the packets instead)", **ready_small),
            declared_duration(work, seconds))
    add(Case("declares 10 hours", "ten-hours.mkv", MKV, "failed", reason="10 h long; the limit is 4 h",
             what="2 s of video whose header declares 10 h"), declared_duration(work, 36000))
    for label, nanoseconds in [("1ns", 1), ("max", 0xFFFFFFFF), ("zero", 0)]:
        add(Case(f"frame duration {label}", f"framerate-{label}.mkv", MKV,
                 what=f"Matroska DefaultDuration {label} (frame rate {'1e9' if label == '1ns' else 'tiny' if label == 'max' else '0/0'})",
                 **ready_small), default_duration(work, nanoseconds))
    add(Case("declared 16000×16000 frame", "frame-16000.mkv", MKV, "failed", reason="limit is 8192×8192",
             what="FFV1 declaring 16000×16000 (a decompression bomb)"), declared_frame(work, 16000, 16000))
    add(Case("declared 30000×30000 frame", "frame-30000.mkv", MKV, "failed", reason="damaged or incomplete",
             what="FFV1 declaring 30000×30000 (ffprobe itself refuses the size)"), declared_frame(work, 30000, 30000))

    path = os.path.join(work, "sar.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-vf", "setsar=255/1", "-c:v", "libx264", "-preset", "ultrafast", path)
    add(Case("sample aspect ratio 100:1", "sar.mp4", MP4, what="H.264 with a 100:1 sample aspect ratio (ignored)", **ready_small), path=path)

    wav = speech_wav(work, "Podcasts and voice memos are uploads people make.")
    path = os.path.join(work, "voice.m4a")
    ffmpeg("-i", wav, "-c:a", "aac", "-b:a", "64k", path)
    add(Case("audio only", "voice.m4a", MP4, "ready", ladder=["360p"], captions="ready",
             what="AAC speech in an .m4a, no video"), path=path)

    path = os.path.join(work, "silent.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
    add(Case("no audio track", "silent.mp4", MP4, what="H.264, no audio stream", **ready_small), path=path)
    complete = read(path)

    path = os.path.join(work, "one-frame.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25", "-frames:v", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
    add(Case("one frame", "one-frame.mp4", MP4, what="a single H.264 frame (0.04 s)", **ready_small), path=path)

    path = os.path.join(work, "negative-start.mkv")
    mkv(path, extra=("-output_ts_offset", "-1", "-avoid_negative_ts", "disabled"))
    add(Case("timestamps starting below zero", "negative-start.mkv", MKV, what="Matroska, timestamps shifted by -1 s",
             **ready_small), path=path)

    srt = os.path.join(work, "subs.srt")
    with open(srt, "w") as handle:
        handle.write("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    path = os.path.join(work, "subtitles-only.mkv")
    ffmpeg("-i", srt, "-c:s", "srt", path)
    add(Case("subtitles only", "subtitles-only.mkv", MKV, "failed", reason="not a video", what="Matroska with one SubRip stream"),
        path=path)
    picture = os.path.join(work, "picture.png")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", picture)
    path = os.path.join(work, "picture-only.mkv")
    ffmpeg("-i", srt, "-c:s", "srt", "-attach", picture, "-metadata:s:t", "mimetype=image/png", path)
    add(Case("attached picture only", "picture-only.mkv", MKV, "failed", reason="not a video",
             what="Matroska with a cover picture and a subtitle, no video or audio"), path=path)

    path = os.path.join(work, "forty-audio.mkv")
    maps = ["-map", "0:v"] + ["-map", "1:a"] * 40
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1", *maps,
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path)
    add(Case("40 audio streams", "forty-audio.mkv", MKV, "failed", reason="41 streams; the limit is 16",
             what="one video and 40 audio streams"), path=path)

    # Cut off: the MP4 index (moov) is at the end, so any cut loses it; with +faststart the index
    # is whole and the data is cut.
    for percent in (10, 50, 90):
        add(Case(f"truncated at {percent} %", f"truncated-{percent}.mp4", MP4, "failed", reason="damaged or incomplete",
                 what=f"an MP4 cut at {percent} % (index at the end)"), complete[:len(complete) * percent // 100])
    path = os.path.join(work, "faststart.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", path)
    whole = read(path)
    add(Case("faststart truncated at 50 %", "faststart-50.mp4", MP4, "failed", reason="damaged or incomplete",
             what="an MP4 with its index first, cut at 50 %"), whole[:len(whole) // 2])
    add(Case("garbage after a valid header", "garbage.mp4", MP4, "failed", reason="damaged or incomplete",
             what="the first 64 bytes of an MP4, then 64 KiB of random bytes"), complete[:64] + os.urandom(65536))
    return cases


if __name__ == "__main__":
    directory = sys.argv[1] if len(sys.argv) > 1 else "hostile-media"
    for case in make_all(directory):
        expected = case.reason if case.status == "failed" else ",".join(case.ladder)
        print(f"{case.filename:24} {case.status:7} {expected:32} captions={case.captions}")
