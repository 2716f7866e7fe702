"""Load on one machine: concurrent large uploads, Range readers and SSE watchers at once.

    load.py BIN_DIR WORK_DIR [--uploads N] [--upload-mib N] [--readers N] [--watchers N] [--seconds N]

Defaults are the issue's: 20 uploads of 100 MB, 200 Range readers (64 KiB at random offsets of
a real rendition, with a playback token), 500 SSE watchers (EventsBenchmark: real feeds,
PUBLISH-to-arrival latency), for the length of the uploads (at least --seconds). Verdict: no
failed upload, no failed read, every watcher connected and every event delivered. Reports the
p50/p99 of media reads and of events and each service's peak RSS (VmHWM).
"""
import argparse
import os
import subprocess
import sys
import threading
import time

from stack import SERVICES, Stack, call, eventually, make_clip


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin")
    parser.add_argument("work")
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--upload-mib", type=int, default=100)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--watchers", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    options = parser.parse_args()
    os.makedirs(options.work, exist_ok=True)
    source = make_clip(os.path.join(options.work, "source.mp4"), 20)
    big = os.path.join(options.work, "big.mp4")
    with open(source, "rb") as head, open(big, "wb") as target:
        data = head.read()
        target.write(data)
        target.write(os.urandom(options.upload_mib * 1048576 - len(data)))

    stack = Stack(options.bin, options.work, overrides={
        "upload-service": {"CLIPCUT_UPLOAD_QUOTA_BYTES": str(1 << 40), "CLIPCUT_UPLOAD_MAX_BYTES": str(1 << 36)},
    })
    verdicts = []
    try:
        stack.up()
        token = stack.user()
        owner = call("GET", stack.url("user-service") + "/api/users/me", token=token)[1]["id"]
        video = stack.upload(token, source, "range target")
        assert eventually(300, lambda: stack.status_of(token, video) == "ready", interval=1), "the range target never became ready"
        playback = call("GET", stack.url("upload-service") + f"/api/videos/{video}/playback", token=token)[1]
        rendition = playback["renditions"][0]
        media_url = stack.url("upload-service") + rendition["url"]
        print(f"[load] range target: {rendition['quality']} {rendition['size']} bytes", flush=True)

        uploads = []

        def upload(index):
            started = time.time()
            result = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", f"Authorization: Bearer {token}",
                                     "-H", "Content-Type: video/mp4", "-H", f"X-Title: load {index}", "-H", "Expect:", "-T", big,
                                     stack.url("upload-service") + "/api/videos"], capture_output=True, text=True)
            uploads.append((result.stdout.strip(), time.time() - started))

        started = time.time()
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(options.uploads)]
        for thread in threads:
            thread.start()
        readers = subprocess.Popen([os.path.join(options.bin, "UploadBenchmark"), "ranges", media_url, str(rendition["size"]),
                                    str(min(65536, rendition["size"])), str(options.readers), str(options.seconds)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rounds = max(10, options.seconds * 10 - 40)
        watchers = subprocess.Popen([os.path.join(options.bin, "EventsBenchmark"), stack.url("monitoring-service"), stack.env["CLIPCUT_REDIS_URL"],
                                     token, owner, str(options.watchers), str(max(1, options.watchers // 10)), str(rounds)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for thread in threads:
            thread.join()
        upload_seconds = time.time() - started
        read_out, read_err = readers.communicate(timeout=options.seconds + 600)
        watch_out, watch_err = watchers.communicate(timeout=options.seconds + 600)
        peaks = {service: peak_rss_mb(stack.processes[service].pid) for service in SERVICES if stack.running(service)}
        alive = all(stack.running(service) for service in SERVICES)
    finally:
        stack.down()

    fields = lambda text: dict(item.split("=", 1) for item in text.split() if "=" in item)
    reads, events = fields(read_out), fields(watch_out)
    codes = [code for code, _ in uploads]
    mb_s = options.uploads * options.upload_mib * 1.048576 / upload_seconds
    verdicts.append(("uploads", all(c == "201" for c in codes),
                     f"{codes.count('201')}/{options.uploads} × {options.upload_mib} MiB stored in {upload_seconds:.0f} s ({mb_s:.0f} MB/s in all); codes {sorted(set(codes))}"))
    verdicts.append(("media reads", reads.get("errors") == "0" and int(reads.get("requests", 0)) > 0,
                     f"{options.readers} readers: {reads.get('requests')} reads of 64 KiB, {reads.get('rps')}/s, p50 {reads.get('p50_ms')} ms, "
                     f"p99 {reads.get('p99_ms')} ms, errors {reads.get('errors')}" + ("" if reads else f" ({read_err.strip()[-300:]})")))
    verdicts.append(("SSE watchers", events.get("failed_clients") == "0" and events.get("delivered") == events.get("expected"),
                     f"{events.get('clients')} watchers: {events.get('delivered')}/{events.get('expected')} events, p50 {events.get('p50_ms')} ms, "
                     f"p99 {events.get('p99_ms')} ms" + ("" if events else f" ({watch_err.strip()[-300:]})")))
    verdicts.append(("services", alive, "peak RSS " + ", ".join(f"{s} {mb:.0f} MB" for s, mb in peaks.items())))
    print("\n| part | verdict | figures |\n| --- | --- | --- |")
    for name, passed, detail in verdicts:
        print(f"| {name} | {'PASS' if passed else 'FAIL'} | {detail} |")
    return 0 if all(passed for _, passed, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
