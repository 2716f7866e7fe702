#!/usr/bin/env python3
"""Runs k8s/base's Deployments as podman containers on this machine, for scripts/image-test.

  image_test_pods.py start RENDER SETTINGS WORK   start every Deployment of the rendered base
                                                  (`kubectl kustomize k8s/base`) whose containers
                                                  run the ClipCut image, wait for its probes
  image_test_pods.py check WORK                   every container still running, never restarted,
                                                  its probes answering, its volumes within their
                                                  sizeLimit
  image_test_pods.py web PORT FRONTEND TEMPLATE   the web page's container serves FRONTEND byte for
                                                  byte, with the edge's (TEMPLATE's) headers
  image_test_pods.py edge-to-web CONF PORT        the edge's config (from scripts/edge) sends what it
                                                  serves from frontend-static/ to the web container
                                                  instead, as the Ingress sends it to the web Service

Each container gets what its Deployment gives it, read from the render rather than repeated here:
the command; the environment (the ConfigMap through envFrom, values with Kubernetes' $(VAR)
expansion, Secret keys, the pod's name); runAsUser/runAsGroup (and fsGroup as a supplementary
group), runAsNonRoot, readOnlyRootFilesystem (podman --read-only, without podman's own writable
/tmp, /var/tmp and /run), capabilities dropped, no privilege escalation; the CPU and memory
limits; the grace period; every volume mount (an emptyDir becomes a directory under WORK/volumes
owned by root and the fsGroup, mode 2777 as the kubelet makes it, or a tmpfs for medium: Memory; a
Secret or a ConfigMap becomes a read-only directory of its files, group fsGroup with its
defaultMode). Then the probes the Deployment declares, on the paths and port it names: the
startupProbe within its periodSeconds x failureThreshold, then the readiness and liveness probes.

What differs, because every container shares the host's network (podman --network host) instead
of having a pod address: each listens on 127.0.0.1 and a port of its own (CLIPCUT_HTTP_HOST and
CLIPCUT_HTTP_PORT, and the web page's `listen`, are replaced). Service names keep their names
(user-service, redis, ...): each container resolves every Service of the render to 127.0.0.1
(podman --add-host, in its /etc/hosts, as cluster DNS would answer), and only the Service's port
in the settings (user-service:8080, redis:6379) is replaced by the port of what answers for it
here. The Secrets' values come from SETTINGS (the base has only placeholders).

Once the probes answer, inside each container (podman exec, as its user): the user and groups
are the Deployment's, the root file system refuses writes, every writable volume takes them and
every file of a Secret or ConfigMap volume can be read.

SETTINGS is JSON:

  {"image": IMAGE, "run_id": ID, "podman": [flags for run], "ports": {deployment: port},
   "addresses": {"redis": PORT, ...: data stores, by Service name}, "secrets": {key: value},
   "env": {NAME: value (added to every ClipCut service)}}
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

CLIPCUT_IMAGE = "clipcut"
QUANTITY = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity_bytes(value):
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(value).strip())
    if not match:
        raise SystemExit(f"image-test: cannot read the quantity {value!r}")
    return int(match.group(1)) * QUANTITY[match.group(2) or ""]


def cpus(value):
    value = str(value)
    return int(value[:-1]) / 1000 if value.endswith("m") else float(value)


def is_clipcut(container):
    image = container.get("image", "")
    return image.split("/")[-1].split(":")[0].split("@")[0] == CLIPCUT_IMAGE


class Failed(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# From the render to podman run


class Pods:
    def __init__(self, render, settings, work):
        self.objects = [o for o in yaml.safe_load_all(Path(render).read_text()) if o]
        self.settings = settings
        self.work = Path(work)
        self.services = {o["metadata"]["name"]: o for o in self.objects if o["kind"] == "Service"}
        self.deployments = [o for o in self.objects if o["kind"] == "Deployment"
                            and any(is_clipcut(c) for c in o["spec"]["template"]["spec"]["containers"])]

    def find(self, kind, name):
        return next((o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name), None)

    def service_port(self, deployment):
        port = self.settings["ports"].get(deployment)
        if port is None:
            raise Failed(f"no port for {deployment} in the settings")
        return port

    def rewrite(self, value):
        """A Service's port (name:port) to the port where what it selects answers here; the name
        stays (every container resolves it to 127.0.0.1)."""
        def replace(match):
            name = match.group(1)
            if name in self.settings["addresses"]:
                return f"{name}:{self.settings['addresses'][name]}"
            service = self.services.get(name)
            if service is None:
                return match.group(0)
            selector = (service["spec"].get("selector") or {}).get("app.kubernetes.io/name")
            if selector in self.settings["ports"]:
                return f"{name}:{self.settings['ports'][selector]}"
            raise Failed(f"{value!r} names Service {name}, which nothing answers for here")
        return re.sub(r"(?<![\w.-])([a-z][a-z0-9-]*):(\d+)(?![\w.-])", replace, value)

    def environment(self, deployment, container, pod_name):
        env = {}
        here = f"{deployment['metadata']['name']}/{container['name']}"
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef")
            if ref:
                config = self.find("ConfigMap", ref["name"])
                if config is None:
                    raise Failed(f"{here}: envFrom ConfigMap {ref['name']} is not in the render")
                for key, value in (config.get("data") or {}).items():
                    env[source.get("prefix", "") + key] = self.rewrite(str(value))
            elif source.get("secretRef"):
                raise Failed(f"{here}: envFrom a Secret is not supported here")
        # Host networking: loopback only, a port of its own.
        port = self.service_port(deployment["metadata"]["name"])
        env["CLIPCUT_HTTP_HOST"] = "127.0.0.1"
        env["CLIPCUT_HTTP_PORT"] = str(port)
        for var in container.get("env", []):
            name = var["name"]
            if "value" in var:
                value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                               lambda m: env.get(m.group(1), m.group(0)), self.rewrite(str(var["value"])))
                env[name] = value
                continue
            source = var.get("valueFrom", {})
            if "secretKeyRef" in source:
                key = source["secretKeyRef"]["key"]
                if key not in self.settings["secrets"]:
                    raise Failed(f"{here}: {name} takes Secret key {key}, which the test does not provide")
                env[name] = self.settings["secrets"][key]
            elif "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                env[name] = self.rewrite(str(((self.find("ConfigMap", ref["name"]) or {}).get("data") or {})[ref["key"]]))
            elif "fieldRef" in source:
                field = source["fieldRef"]["fieldPath"]
                env[name] = {"metadata.name": pod_name, "metadata.namespace": "clipcut"}.get(field)
                if env[name] is None:
                    raise Failed(f"{here}: {name} takes fieldRef {field}, which is not supported here")
            else:
                raise Failed(f"{here}: {name} has a valueFrom that is not supported here")
        if container.get("command", [None])[0] != "nginx":
            env.update(self.settings.get("env", {}))
        return env

    def volume_args(self, deployment, container, fs_group):
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        args, recorded = [], []
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"])
            if volume is None:
                raise Failed(f"{name}: volumeMount {mount['name']} names no volume")
            path = mount["mountPath"]
            host = self.work / "volumes" / name / mount["name"]
            read_only = bool(mount.get("readOnly"))
            if "emptyDir" in volume:
                empty = volume["emptyDir"] or {}
                limit = quantity_bytes(empty["sizeLimit"]) if empty.get("sizeLimit") else None
                if empty.get("medium") == "Memory":
                    args += ["--tmpfs", f"{path}:rw,mode=1777,size={limit or 64 * 2**20}"]
                    recorded.append({"volume": mount["name"], "path": path, "tmpfs": True, "limit": limit, "read_only": False})
                    continue
                host.mkdir(parents=True, exist_ok=True)
                os.chown(host, 0, fs_group if fs_group is not None else 0)
                os.chmod(host, 0o2777 if fs_group is not None else 0o777)
                recorded.append({"volume": mount["name"], "path": path, "host": str(host), "limit": limit,
                                 "read_only": read_only})
            elif "secret" in volume or "configMap" in volume:
                kind = "Secret" if "secret" in volume else "ConfigMap"
                spec = volume["secret"] if kind == "Secret" else volume["configMap"]
                object_name = spec.get("secretName") or spec.get("name")
                source = self.find(kind, object_name)
                if source is None:
                    raise Failed(f"{name}: volume {mount['name']} takes {kind} {object_name}, which is not in the render")
                keys = list((source.get("data") or {}).keys())
                items = {i["key"]: i["path"] for i in spec.get("items", [])} or {k: k for k in keys}
                mode = spec.get("defaultMode", 0o644)
                if host.exists():
                    shutil.rmtree(host)
                host.mkdir(parents=True)
                for key, file_name in items.items():
                    if kind == "Secret":
                        if key not in self.settings["secrets"]:
                            raise Failed(f"{name}: volume {mount['name']} needs Secret key {key}, which the test does not provide")
                        content = self.settings["secrets"][key]
                    else:
                        content = self.configured_file(deployment, container, str(source["data"][key]))
                    target = host / file_name
                    target.write_text(content)
                    os.chown(target, 0, fs_group if fs_group is not None else 0)
                    os.chmod(target, mode)
                read_only = True
                recorded.append({"volume": mount["name"], "path": path, "host": str(host), "limit": None,
                                 "files": sorted(items.values())})
            else:
                raise Failed(f"{name}: volume {mount['name']} is of a kind image-test does not emulate")
            args += ["-v", f"{host}:{path}:{'ro' if read_only else 'rw'}"]
        return args, recorded

    def configured_file(self, deployment, container, text):
        """A ConfigMap file as the container reads it; the web page's nginx listens on its test port."""
        ports = [p["containerPort"] for p in container.get("ports", [])]
        port = self.service_port(deployment["metadata"]["name"])
        for container_port in ports:
            text = re.sub(rf"(?m)^(\s*listen\s+){container_port}(\s*;)", rf"\g<1>127.0.0.1:{port}\2", text)
        return text

    def run_args(self, deployment, container):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        pod_security = pod.get("securityContext", {})
        security = container.get("securityContext", {})

        def effective(field):
            value = security.get(field)
            return value if value is not None else pod_security.get(field)

        user, group, fs_group = effective("runAsUser"), effective("runAsGroup"), pod_security.get("fsGroup")
        if effective("runAsNonRoot") and (user is None or int(user) == 0):
            raise Failed(f"{name}: runAsNonRoot without a non-zero runAsUser")
        pod_name = f"{name}-image-test"
        container_name = f"clipcut-it-{self.settings['run_id']}-{name}"
        args = ["podman", "run", "-d", "--name", container_name, "--label", f"clipcut.image-test={self.settings['run_id']}",
                "--pull", "never", "--network", "host", *self.settings["podman"]]
        for service in sorted(self.services):
            args += ["--add-host", f"{service}:127.0.0.1"]
        if user is not None:
            args += ["--user", f"{user}:{group if group is not None else user}"]
        if fs_group is not None and fs_group != group:
            args += ["--group-add", str(fs_group)]
        if security.get("readOnlyRootFilesystem"):
            args += ["--read-only", "--read-only-tmpfs=false"]
        if "ALL" in (security.get("capabilities", {}).get("drop") or []):
            args += ["--cap-drop", "ALL"]
        for capability in security.get("capabilities", {}).get("add") or []:
            args += ["--cap-add", capability]
        if security.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        limits = container.get("resources", {}).get("limits", {})
        if "memory" in limits:
            args += ["--memory", str(quantity_bytes(limits["memory"]))]
        if "cpu" in limits:
            args += ["--cpus", str(min(cpus(limits["cpu"]), os.cpu_count() or 1))]
        args += ["--stop-timeout", str(pod.get("terminationGracePeriodSeconds", 30))]
        env = self.environment(deployment, container, pod_name)
        env_file = self.work / "env" / f"{name}.env"
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        args += ["--env-file", str(env_file)]
        volume_args, volumes = self.volume_args(deployment, container, fs_group)
        args += volume_args
        command = (container.get("command") or []) + (container.get("args") or [])
        args += [self.settings["image"], *command]
        identity = {"uid": user, "gid": group if group is not None else user, "fs_group": fs_group,
                    "read_only_root": bool(security.get("readOnlyRootFilesystem"))}
        return container_name, args, volumes, env, identity


# ------------------------------------------------------------------------------------------
# Probes


def probe(port, path, timeout):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "kube-probe/image-test"})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def probe_target(container, name, port):
    spec = container.get(name)
    if not spec:
        return None
    get = spec.get("httpGet")
    if not get:
        raise Failed(f"{container['name']}: {name} is not an HTTP probe; image-test checks HTTP probes only")
    wanted = get.get("port")
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if wanted not in named and wanted not in named.values():
        raise Failed(f"{container['name']}: {name} probes port {wanted}, which the container does not declare")
    return {"path": get.get("path", "/"), "port": port, "period": spec.get("periodSeconds", 10),
            "failures": spec.get("failureThreshold", 3), "delay": spec.get("initialDelaySeconds", 0),
            "timeout": spec.get("timeoutSeconds", 1)}


def container_state(name):
    result = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", name],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else f"missing ({result.stderr.strip()})"


def wait_probe(name, target, limit, what):
    """Polls the probe every second until it answers 2xx/3xx or `limit` seconds pass."""
    started = time.monotonic()
    status = None
    while time.monotonic() - started < limit:
        status = probe(target["port"], target["path"], target["timeout"])
        if status is not None and 200 <= status < 400:
            return time.monotonic() - started
        if not container_state(name).startswith("running"):
            raise Failed(f"{name} stopped while waiting for its {what} ({container_state(name)})")
        time.sleep(1)
    raise Failed(f"{name}: {what} GET {target['path']} on port {target['port']} did not answer 2xx within {limit:.0f} s "
                 f"(last: {status})")


# ------------------------------------------------------------------------------------------


def start(render, settings_path, work):
    settings = json.loads(Path(settings_path).read_text())
    pods = Pods(render, settings, work)
    if not pods.deployments:
        raise Failed("the render has no Deployment of the ClipCut image")
    started = []
    plans = []
    for deployment in pods.deployments:
        containers = deployment["spec"]["template"]["spec"]["containers"]
        if len(containers) != 1 or deployment["spec"]["template"]["spec"].get("initContainers"):
            raise Failed(f"{deployment['metadata']['name']}: image-test runs pods of one container only")
        container = containers[0]
        name, args, volumes, env, identity = pods.run_args(deployment, container)
        port = int(env.get("CLIPCUT_HTTP_PORT") or pods.service_port(deployment["metadata"]["name"]))
        plans.append((deployment, container, name, args, volumes, port, identity))
    # All at once, as `kubectl apply` starts them: the services wait for each other's readiness.
    for deployment, container, name, args, volumes, port, identity in plans:
        (pods.work / "commands").mkdir(parents=True, exist_ok=True)
        (pods.work / "commands" / f"{deployment['metadata']['name']}.sh").write_text(" ".join(args) + "\n")
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            raise Failed(f"podman run {deployment['metadata']['name']}: {result.stderr.strip()}")
        started.append({"deployment": deployment["metadata"]["name"], "container": name, "port": port,
                        "volumes": volumes, "identity": identity,
                        "probes": {p: probe_target(container, p, port) for p in ("startupProbe", "readinessProbe", "livenessProbe")}})
        log(f"started {deployment['metadata']['name']:<19} {name} on 127.0.0.1:{port}: "
            f"{' '.join(container.get('command') or [])}")
    (pods.work / "containers.json").write_text(json.dumps(started, indent=2))
    for entry in started:
        probes, name = entry["probes"], entry["container"]
        startup = probes["startupProbe"]
        report = []
        if startup:
            limit = startup["delay"] + startup["period"] * startup["failures"]
            took = wait_probe(name, startup, limit, "startupProbe")
            report.append(f"startup {startup['path']} after {took:.1f} s (allowed {limit} s)")
        readiness = probes["readinessProbe"]
        if readiness:
            took = wait_probe(name, readiness, 120, "readinessProbe")
            report.append(f"readiness {readiness['path']} after {took:.1f} s more")
        liveness = probes["livenessProbe"]
        if liveness:
            status = probe(liveness["port"], liveness["path"], liveness["timeout"])
            if status is None or not 200 <= status < 400:
                raise Failed(f"{name}: livenessProbe GET {liveness['path']} answered {status}")
            report.append(f"liveness {liveness['path']} {status}")
        log(f"probes {entry['deployment']:<19} {'; '.join(report)}")
    for entry in started:
        inside(entry)
    return 0


INSIDE = r'''
echo "uid $(id -u) gid $(id -g) groups $(id -G)"
awk '$5 == "/" {print "root " $6}' /proc/self/mountinfo
for dir in "$@"; do
    case $dir in
    write:*) p=${dir#write:}; if touch "$p/.image-test" 2>/dev/null && rm -f "$p/.image-test"; then echo "writable $p"; else echo "NOT WRITABLE $p"; fi ;;
    read:*) p=${dir#read:}; if cat "$p" >/dev/null 2>&1; then echo "readable $p"; else echo "NOT READABLE $p"; fi ;;
    esac
done
'''


def inside(entry):
    """As the container's own user: who it is, the root file system read-only, the volumes usable."""
    identity, name = entry["identity"], entry["container"]
    targets = []
    for volume in entry["volumes"]:
        if volume.get("files") is not None:
            targets += [f"read:{volume['path'].rstrip('/')}/{f}" for f in volume["files"]]
        elif not volume.get("read_only"):
            targets.append(f"write:{volume['path']}")
    result = subprocess.run(["podman", "exec", name, "sh", "-c", INSIDE, "sh", *targets], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    problems = [line for line in lines if line.startswith("NOT ")]
    ids = re.match(r"uid (\d+) gid (\d+) groups ([\d ]+)", lines[0] if lines else "")
    if result.returncode != 0 or not ids:
        raise Failed(f"{name}: podman exec failed: {result.stderr.strip()}")
    if identity["uid"] is not None and int(ids.group(1)) != int(identity["uid"]):
        problems.append(f"runs as uid {ids.group(1)}, not runAsUser {identity['uid']}")
    if identity["gid"] is not None and int(ids.group(2)) != int(identity["gid"]):
        problems.append(f"runs as gid {ids.group(2)}, not runAsGroup {identity['gid']}")
    if identity["fs_group"] is not None and str(identity["fs_group"]) not in ids.group(3).split():
        problems.append(f"is not in the fsGroup {identity['fs_group']} ({ids.group(3)})")
    root = next((line.split()[1] for line in lines if line.startswith("root ")), "")
    if identity["read_only_root"] and not root.split(",")[0] == "ro":
        problems.append(f"the root file system is mounted {root}, not read-only")
    if problems:
        raise Failed(f"{entry['deployment']}: " + "; ".join(problems))
    log(f"inside {entry['deployment']:<19} uid {ids.group(1)} gid {ids.group(2)} groups {ids.group(3)}, root {root.split(',')[0]}, "
        f"{sum(1 for line in lines if line.startswith('writable'))} writable volume(s), "
        f"{sum(1 for line in lines if line.startswith('readable'))} mounted file(s) readable")


def check(work):
    work = Path(work)
    started = json.loads((work / "containers.json").read_text())
    problems = []
    for entry in started:
        name = entry["container"]
        state = container_state(name)
        if state != "running 0 0":
            problems.append(f"{entry['deployment']}: {name} is not running as started (status, exit code, restarts: {state})")
            continue
        for kind in ("readinessProbe", "livenessProbe"):
            target = entry["probes"].get(kind)
            if target:
                status = probe(target["port"], target["path"], max(target["timeout"], 3))
                if status is None or not 200 <= status < 400:
                    problems.append(f"{entry['deployment']}: {kind} GET {target['path']} now answers {status}")
        for volume in entry["volumes"]:
            if volume.get("files") is not None or volume.get("tmpfs") or not volume.get("limit"):
                continue
            used = int(subprocess.run(["du", "-sb", volume["host"]], capture_output=True, text=True).stdout.split()[0])
            log(f"volume {entry['deployment']:<19} {volume['volume']:<12} {volume['path']:<28} "
                f"{used / 2**20:8.1f} MiB of {volume['limit'] / 2**20:.0f} MiB")
            if used > volume["limit"]:
                problems.append(f"{entry['deployment']}: volume {volume['volume']} ({volume['path']}) holds {used} bytes, more than "
                                f"its sizeLimit {volume['limit']}: the kubelet would evict the pod")
    stats = subprocess.run(["podman", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}",
                            *[e["container"] for e in started]], capture_output=True, text=True)
    for line in stats.stdout.splitlines():
        log(f"memory {line}")
    for problem in problems:
        log(f"FAIL {problem}")
    return 1 if problems else 0


def web(port, frontend, template):
    """The web page's container serves FRONTEND (the frontend-static/ the image was built with)
    byte for byte, with the right types and the edge's security headers; Chart.js from the image's
    libjs-chart.js; 404 for the /api/ and /internal/ paths the Ingress leaves to it."""
    frontend = Path(frontend)
    template = Path(template).read_text()
    csp = re.search(r'add_header Content-Security-Policy "([^"]+)"', template).group(1)
    types = {".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
             ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json", ".vtt": "text/vtt"}
    problems, checked = [], 0

    def get(path):
        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    files = sorted(f for f in frontend.rglob("*") if f.is_file())
    for file in files:
        path = "/" + str(file.relative_to(frontend))
        status, headers, body = get(path)
        checked += 1
        if status != 200 or body != file.read_bytes():
            problems.append(f"GET {path}: {status}, {'the same bytes' if body == file.read_bytes() else 'not the file in the checkout'}")
            continue
        wanted = types.get(file.suffix)
        if wanted and not headers.get("content-type", "").startswith(wanted):
            problems.append(f"GET {path}: Content-Type {headers.get('content-type')}, not {wanted}")
        if headers.get("content-security-policy") != csp:
            problems.append(f"GET {path}: Content-Security-Policy {headers.get('content-security-policy')!r} is not the edge's")
    status, headers, body = get("/")
    if status != 200 or body != (frontend / "index.html").read_bytes():
        problems.append(f"GET /: {status}, not index.html")
    chart = Path("/usr/share/javascript/chart.js/chart.esm.js")
    status, headers, body = get("/vendor/chart.js/chart.esm.js")
    if status != 200 or not headers.get("content-type", "").startswith("text/javascript"):
        problems.append(f"GET /vendor/chart.js/chart.esm.js: {status} {headers.get('content-type')}")
    elif chart.exists() and body != chart.read_bytes():
        problems.append("GET /vendor/chart.js/chart.esm.js: not the libjs-chart.js this machine has")
    for path in ("/api/nothing", "/internal/videos/x"):
        status, headers, body = get(path)
        if status != 404:
            problems.append(f"GET {path}: {status}, not 404")
    for problem in problems:
        log(f"FAIL web: {problem}")
    if not problems:
        log(f"web: the {checked} files of frontend-static/, /, Chart.js and the 404s as the edge serves them")
    return 1 if problems else 0


STATIC_LOCATIONS = [
    "location = / { try_files /index.html =404; }",
    "location / { try_files $uri =404; }",
    "location /vendor/chart.js/ { alias /usr/share/javascript/chart.js/; }",
]
SECURITY_HEADERS = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                    "Permissions-Policy"]


def edge_to_web(conf, port):
    """Rewrites the edge's config: the page's locations go to the web container (its headers
    hidden, so the edge's identical ones are sent once, as `web` checks they are identical)."""
    path = Path(conf)
    text = path.read_text()
    for location in STATIC_LOCATIONS:
        if text.count(location) != 1:
            raise Failed(f"the edge's config has no single `{location}`: update image_test_pods.py")
        text = text.replace(location, "" if location != STATIC_LOCATIONS[1] else
                            f"location / {{ proxy_pass http://127.0.0.1:{int(port)}; "
                            + " ".join(f"proxy_hide_header {h};" for h in SECURITY_HEADERS) + " }")
    path.write_text(text)
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "start":
        action = lambda: start(*sys.argv[2:5])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        action = lambda: check(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "web":
        action = lambda: web(*sys.argv[2:5])
    elif len(sys.argv) == 4 and sys.argv[1] == "edge-to-web":
        action = lambda: edge_to_web(*sys.argv[2:4])
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        return action()
    except Failed as failure:
        log(f"FAIL {failure}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
