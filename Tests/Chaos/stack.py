"""A whole ClipCut stack for fault scenarios: the three servers (scripts/servers) and the five
services as processes this script can stop, SIGKILL and start again, plus the REST calls the
scenarios make. Used by chaos.py."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = ["user-service", "upload-service", "audio-service", "processing-service", "monitoring-service"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(seconds, condition, interval=0.5):
    """The first truthy value of condition() within `seconds`, else None."""
    deadline = time.time() + seconds
    while True:
        try:
            value = condition()
        except (OSError, urllib.error.URLError, ValueError):
            value = None
        if value:
            return value
        if time.time() >= deadline:
            return None
        time.sleep(interval)


class APIError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body[:300]}")
        self.status = status


def call(method, url, token=None, body=None, headers=None, timeout=60):
    request = urllib.request.Request(url, method=method, data=body, headers=dict(headers or {}))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
            return response.status, (json.loads(data) if data and response.headers.get_content_type() == "application/json" else data)
    except urllib.error.HTTPError as error:
        raise APIError(error.code, error.read().decode(errors="replace")) from None


class Stack:
    def __init__(self, binaries, work, overrides=None):
        self.bin, self.work = binaries, work
        self.ports = {name: free_port() for name in SERVICES}
        self.processes = {}
        self.overrides = overrides or {}
        os.makedirs(os.path.join(work, "logs"), exist_ok=True)
        self.servers_dir = os.path.join(work, "servers")
        self.env = {}
        self.service_token = uuid.uuid4().hex + uuid.uuid4().hex
        self.playback_secret = uuid.uuid4().hex + uuid.uuid4().hex

    # --- servers ---
    def servers(self, action, only=None):
        # Ports and URLs of servers started by whoever runs this (scripts/test exports its own)
        # must not leak into ours: scripts/servers would reuse those ports.
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_PORT", "PG_PORT", "MONGO_PORT") and not k.endswith("_URL")}
        subprocess.run([os.path.join(ROOT, "scripts", "servers"), action, self.servers_dir] + ([only] if only else []),
                       check=True, stdout=subprocess.DEVNULL, env=env)
        if action == "start":
            for line in open(os.path.join(self.servers_dir, "env")):
                for assignment in line.replace("export ", "").split():
                    if "=" in assignment and not line.startswith("#"):
                        key, value = assignment.split("=", 1)
                        self.env[key] = value.strip("'")

    # --- services ---
    def url(self, service):
        return f"http://127.0.0.1:{self.ports[service]}"

    def service_env(self, service):
        env = dict(os.environ)
        env.update({
            "CLIPCUT_HTTP_HOST": "127.0.0.1", "CLIPCUT_HTTP_PORT": str(self.ports[service]),
            "CLIPCUT_DATA_DIR": os.path.join(self.work, "data", service), "CLIPCUT_LOG_LEVEL": "info",
            "CLIPCUT_REDIS_URL": self.env["CLIPCUT_REDIS_URL"], "CLIPCUT_POSTGRES_URL": self.env["CLIPCUT_POSTGRES_URL"],
            "CLIPCUT_MONGO_URL": self.env["CLIPCUT_MONGO_URL"], "CLIPCUT_JWKS_URL": self.url("user-service") + "/api/auth/jwks",
            "CLIPCUT_UPLOAD_SERVICE_URL": self.url("upload-service"), "CLIPCUT_AUDIO_SERVICE_URL": self.url("audio-service"),
            "CLIPCUT_SERVICE_TOKEN": self.service_token, "CLIPCUT_PLAYBACK_SECRET": self.playback_secret,
            "CLIPCUT_ADMIN_EMAILS": "admin@chaos.example",
            # Faster recovery than production so scenarios finish in minutes.
            "CLIPCUT_JOB_CLAIM_IDLE_SECONDS": "5", "CLIPCUT_JOB_RETRY_BASE_SECONDS": "2", "CLIPCUT_CAPTION_RETRY_SECONDS": "5",
            "CLIPCUT_SHUTDOWN_GRACE_SECONDS": "5", "CLIPCUT_SWEEP_INTERVAL_SECONDS": "2",
            "CLIPCUT_EVENTS_CLAIM_IDLE_SECONDS": "5", "CLIPCUT_UPLOAD_IDLE_SECONDS": "10",
        })
        env.update(self.overrides.get(service, {}))
        return env

    def start(self, service, wait=True):
        """Starts `service`; `NAME@2` is a second replica of NAME on a port of its own."""
        self.ports.setdefault(service, free_port())
        os.makedirs(os.path.join(self.work, "data", service), exist_ok=True)
        log = open(os.path.join(self.work, "logs", f"{service}.log"), "ab")
        binary = service.split("@")[0]
        self.processes[service] = subprocess.Popen([os.path.join(self.bin, binary)], env=self.service_env(service),
                                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if wait and not eventually(60, lambda: self.ready(service)):
            raise RuntimeError(f"{service} did not become ready")

    def stop(self, service, sig=signal.SIGTERM):
        process = self.processes.pop(service, None)
        if process and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def running(self, service):
        process = self.processes.get(service)
        return process is not None and process.poll() is None

    def ready(self, service):
        try:
            return call("GET", self.url(service) + "/ready", timeout=5)[0] == 200
        except (APIError, OSError, urllib.error.URLError):
            return False

    def up(self):
        self.servers("start")
        for service in SERVICES:
            self.start(service, wait=False)
        for service in SERVICES:
            if not eventually(90, lambda: self.ready(service)):
                raise RuntimeError(f"{service} did not become ready (see {self.work}/logs/{service}.log)")

    def down(self):
        for service in list(self.processes):
            self.stop(service)
        self.servers("stop")

    # --- the API ---
    def user(self, email=None):
        email = email or f"chaos-{uuid.uuid4().hex[:10]}@example.com"
        password = "correct horse battery staple"
        body = json.dumps({"email": email, "password": password, "displayName": "Chaos"}).encode()
        call("POST", self.url("user-service") + "/api/users", body=body, headers={"Content-Type": "application/json"})
        return self.login(email, password)

    def login(self, email, password="correct horse battery staple"):
        body = json.dumps({"email": email, "password": password}).encode()
        return call("POST", self.url("user-service") + "/api/sessions", body=body, headers={"Content-Type": "application/json"})[1]["token"]

    def upload(self, token, path, title):
        with open(path, "rb") as handle:
            data = handle.read()
        headers = {"Content-Type": "video/mp4", "X-Title": urllib.request.quote(title), "Expect": ""}
        status, body = call("POST", self.url("upload-service") + "/api/videos", token=token, body=data, headers=headers, timeout=300)
        return body["id"]

    def video(self, token, video_id):
        return call("GET", self.url("upload-service") + f"/api/videos/{video_id}", token=token)[1]

    def status_of(self, token, video_id):
        return self.video(token, video_id)["status"]

    def history(self, token, limit=100):
        return call("GET", self.url("monitoring-service") + f"/api/history?limit={limit}", token=token)[1]

    def redis(self, *command):
        port = self.env["REDIS_PORT"]
        return subprocess.run(["redis-cli", "-p", port, "--no-raw", *command], capture_output=True, text=True, check=True).stdout.strip()

    def psql(self, sql):
        """One value from PostgreSQL (the database the services use)."""
        return subprocess.run(["psql", self.env["CLIPCUT_POSTGRES_URL"], "-tAc", sql],
                              capture_output=True, text=True, check=True).stdout.strip()

    def mongo(self):
        import pymongo
        return pymongo.MongoClient("127.0.0.1", int(self.env["MONGO_PORT"]))["clipcut"]


def gridfs_clean(stack, ids):
    """No orphan chunks in either bucket, no media file stored twice, one source per video."""
    db = stack.mongo()
    for bucket in ("uploads", "media"):
        file_ids = {f["_id"] for f in db[f"{bucket}.files"].find({}, {"_id": 1})}
        orphans = {c["files_id"] for c in db[f"{bucket}.chunks"].find({}, {"files_id": 1})} - file_ids
        assert not orphans, f"{len(orphans)} orphan chunk sets in {bucket}"
    names = [f["filename"] for f in db["media.files"].find({}, {"filename": 1})]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"media stored twice: {sorted(duplicates)[:5]}"
    for vid in ids:
        sources = db["uploads.files"].count_documents({"metadata.videoId": vid})
        assert sources <= 1, f"{vid} has {sources} sources"


def make_clip(path, seconds, size="1280x720", speech=None):
    """An H.264/AAC MP4 from lavfi (and espeak-ng speech when given)."""
    if os.path.exists(path):
        return path
    arguments = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}"]
    if speech:
        wav = path + ".wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", wav, speech], check=True)
        arguments += ["-i", wav, "-filter_complex", f"[1:a]apad=whole_dur={seconds}[a]", "-map", "0:v", "-map", "[a]"]
    else:
        arguments += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}"]
    arguments += ["-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", path]
    subprocess.run(arguments, check=True)
    return path


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def copy_logs(stack, destination):
    shutil.copytree(os.path.join(stack.work, "logs"), destination, dirs_exist_ok=True)
