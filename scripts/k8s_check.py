#!/usr/bin/env python3
"""Offline checks of ClipCut's Kubernetes deployment: k8s/ and the Dockerfile.

scripts/k8s-check runs this with the venv's python after making sure its tools are there.

  k8s_check.py --root DIR --kubectl KUBECTL [--modern-kubectl KUBECTL] [--bin-dir DIR]
  k8s_check.py ... --self-test

Every kustomization is rendered with `kubectl kustomize` (kubectl 1.20's embedded kustomize, the
oldest syntax we promise); the optional ones (k8s/optional/*, which need a newer kustomize) with
a newer kubectl when there is one. Each rendered object is validated against the Kubernetes
OpenAPI schemas bundled in the kubernetes-validate package (strict: unknown fields fail), for the
oldest and the newest Kubernetes version it bundles. Then our own rules, each failure printed with
the object it is about:

- every container: readiness and liveness probes, CPU and memory requests and limits,
  runAsNonRoot, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, a
  pinned image tag; the ClipCut containers also a read-only root file system, /ready and
  /health probes on the port CLIPCUT_HTTP_PORT names, CLIPCUT_DATA_DIR on a writable emptyDir,
  Prometheus scrape annotations;
- every Service selects the pods of some Deployment or StatefulSet, on ports they have;
- every CLIPCUT_* variable a service reads (as `<service> --print-config` lists them, with their
  defaults; each service's tests check that list against its reads) that has no default usable in a cluster (none, a loopback address, a relative path)
  is set for it, directly or through envFrom of an object in the render; every secretKeyRef,
  configMapKeyRef and $(VAR) reference resolves; no unknown CLIPCUT_* variable is set;
- processing-service: the pod's grace period outlasts CLIPCUT_SHUTDOWN_GRACE_SECONDS, a CPU
  HorizontalPodAutoscaler (or, in a KEDA render, a ScaledObject on the stream and group that
  `processing-service --print-config` names and no HorizontalPodAutoscaler), a PodDisruptionBudget;
- StatefulSets have volume claim templates and a headless Service; Redis runs with AOF on;
- the Ingress routes exactly the paths of scripts/edge/nginx.conf.template to the same services,
  with the edge's buffering, body-size and timeout settings as ingress-nginx annotations, and
  never /internal; the web page's nginx config carries the edge's security headers (and passes
  `nginx -t` where nginx is installed);
- Secrets hold placeholders only (REPLACE_ME), never real values;
- the Dockerfile: its runtime stage installs a Debian package for every shared library `ldd`
  shows for the locally built service binaries (skipped, with a note, when they are not built)
  and for every program the services run by absolute path (their --print-config) or the manifests run
  (nginx); whisper.cpp and the model are made as scripts/bootstrap makes them; the five services
  are built with the scripts' flags; the image's user is the manifests' runAsUser; the runtime
  stage copies only from the `binaries` stage (build or prebuilt, so scripts/image-test runs what
  scripts/image builds);
- paths: every absolute path the manifests hand a container of the image (its environment; for
  the web page's nginx, the -c config file and the pid, temporary, log, root, alias and include
  paths in it) is on one of its volumes (what is written on a writable emptyDir, a mounted file a
  key of its Secret or ConfigMap) or in the image (a COPY destination of the runtime stage, or a
  file of a package it installs), and no volume hides what the image has: the mistakes a
  read-only root file system shows only when a container runs (scripts/image-test runs them).
- dashboards and alerts (k8s/optional, which needs neither binaries nor a render):
  grafana-dashboard.json parses, takes its data source from a `datasource` variable and has a
  panel for every ClipCut metric; every query in it and every expression of
  prometheus-rules.rules.yml uses only metric names k8s/optional/metric-names.txt lists (a
  histogram through _bucket/_sum/_count; matchers on labels the metric has); the list names
  exactly the clipcut_* metrics the Swift sources define and Hummingbird's request metrics;
  every alert has a `for`, a severity, a summary and a description; the PrometheusRule in
  prometheus-rules.yaml holds the same groups; the PodMonitor selects the five services; and
  with promtool (Debian package prometheus) `promtool check rules` on the rules and on every
  dashboard query, and `promtool test rules` with prometheus-rules.test.yml's cases.

--self-test copies k8s/ (and the Dockerfile) to a temporary directory, breaks one thing at a time
(a probe, a limit, a Service selector, and more), and fails unless the checks catch each one.
"""
import argparse
import base64
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import yaml

import promql_names  # scripts/promql_names.py, shared with Tests/Hostile/metric_names.py

# kubernetes-validate reads a schema file for every object it validates; keep them.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PLACEHOLDER = "REPLACE_ME"
CLIPCUT_IMAGE = "clipcut"
# Shared libraries every Debian image has (libc6, libgcc-s1, libstdc++6): not listed.
BASE_LIBRARY_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
SWIFT_RUNTIME_LIBRARY = re.compile(
    r"^(libswift\w*|lib_FoundationICU|libFoundation\w*|libdispatch|libBlocksRuntime|libXCTest)\.so")
WHISPER_LIBRARY = re.compile(r"^lib(whisper|ggml[\w-]*)\.so")


class Failures:
    """Collects failures; each is printed once, prefixed with where it was found."""

    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")

    def __len__(self):
        return len(self.items)


# ------------------------------------------------------------------------------------------
# What the services say about themselves


def service_targets(root):
    """{deployment name: SwiftPM target} for the `*-service` executables of Package.swift."""
    text = (root / "Package.swift").read_text()
    return dict(re.findall(r'\.executable\(\s*name:\s*"([a-z-]+-service)",\s*targets:\s*\["(\w+)"\]', text))


class NotBuilt(Exception):
    """The service binaries are not there to ask."""


def service_descriptions(root, bin_dir):
    """{service: what `<service> --print-config` prints}: the CLIPCUT_* variables it reads with
    their defaults, the Redis names it uses, the programs it runs (each service's tests check the
    list against what its settings read)."""
    services = sorted(service_targets(root))
    if not bin_dir or not all((Path(bin_dir) / s).exists() for s in services):
        raise NotBuilt(f"the service binaries are not built{' in ' + str(bin_dir) if bin_dir else ''}: "
                       "build them first (scripts/test does); k8s-check asks each for --print-config")
    descriptions = {}
    for service in services:
        result = subprocess.run([str(Path(bin_dir) / service), "--print-config"], capture_output=True, text=True, timeout=20)
        if result.returncode != 0:
            raise NotBuilt(f"{service} --print-config failed ({result.returncode}): {result.stderr.strip()[:300]}")
        descriptions[service] = json.loads(result.stdout)
    return descriptions


def default_unusable_in_cluster(default):
    """Why a variable's default does not do in a pod, or None when it does."""
    if default is None:
        return "it has no default"
    if re.search(r"127\.0\.0\.1|localhost|\[::1\]", default):
        return f"its default {default!r} is a loopback address"
    if "/" in default and "://" not in default and not default.startswith("/"):
        return f"its default {default!r} is a path relative to the working directory"
    return None


# Variables that may stand in for each other (user-service signs with either).
ALTERNATIVES = [{"CLIPCUT_JWT_SIGNING_KEY_FILES", "CLIPCUT_JWT_SIGNING_KEY_PEM"}]


def required_variables(descriptions):
    """{service: {variable: why it must be set}}, {service: every variable it reads} and
    {variable: default}."""
    required, reads, defaults = {}, {}, {}
    for service, description in descriptions.items():
        reads[service] = {v["name"] for v in description["variables"]}
        required[service] = {}
        for variable in description["variables"]:
            defaults.setdefault(variable["name"], variable.get("defaultValue"))
            why = default_unusable_in_cluster(variable.get("defaultValue"))
            if why:
                required[service][variable["name"]] = why
    return required, reads, defaults


def check_configuration_doc(root, descriptions, failures):
    """docs/configuration.md documents every variable a service reads, with the default the
    service prints, and nothing no service reads."""
    doc = root / "docs/configuration.md"
    rows = {}
    # The services' table; the one after "The scripts and tools, not the services" is not theirs.
    services_part = doc.read_text().split("The scripts and tools, not the services", 1)[0]
    for line in services_part.splitlines():
        match = re.match(r"\|\s*`(CLIPCUT_\w+)`\s*\|\s*([^|]*)\|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    printed = {}
    for service, description in descriptions.items():
        for variable in description["variables"]:
            printed.setdefault(variable["name"], (service, variable.get("defaultValue")))
    for name, (service, default) in sorted(printed.items()):
        if name not in rows:
            failures.add("docs/configuration.md", f"{service} reads {name}, which the table does not document")
        elif default and name != "CLIPCUT_HTTP_PORT" and f"`{default}`" not in rows[name]:
            failures.add("docs/configuration.md", f"{name}: {service} prints the default {default!r}, the table says {rows[name]!r}")
    for name in sorted(set(rows) - set(printed)):
        failures.add("docs/configuration.md", f"documents {name}, which no service reads (--print-config)")


def redis_names(descriptions):
    """The jobs stream and the processing group, as processing-service names them."""
    redis = descriptions.get("processing-service", {}).get("redis", {})
    return redis.get("jobsStream"), redis.get("processingGroup")


def absolute_programs(descriptions):
    """Programs the services run by absolute path, e.g. /usr/bin/ffmpeg."""
    return {program for description in descriptions.values() for program in description.get("programs", [])}


# ------------------------------------------------------------------------------------------
# Rendering


def prepare_tree(k8s, work):
    """A copy of k8s/ with the overlays' untracked secret files made from their examples."""
    tree = work / "k8s"
    shutil.copytree(k8s, tree, ignore=shutil.ignore_patterns("secrets.env", "jwt-signing-key.pem"))
    template_key = tree / "base/secrets/jwt-signing-key.template.pem"
    for example in tree.rglob("secrets.env.example"):
        shutil.copy(example, example.with_name("secrets.env"))
        if template_key.exists():
            shutil.copy(template_key, example.with_name("jwt-signing-key.pem"))
    return tree


def kustomizations(tree):
    """(name, directory, needs a newer kustomize) for every kustomization to render."""
    found = [("base", tree, False)]
    for kustomization in sorted(tree.glob("overlays/*/kustomization.yaml")):
        found.append((f"overlays/{kustomization.parent.name}", kustomization.parent, False))
    for kustomization in sorted(tree.glob("optional/*/kustomization.yaml")):
        found.append((f"optional/{kustomization.parent.name}", kustomization.parent, True))
    return found


def render(kubectl, directory):
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"exit {result.returncode}")
    return [doc for doc in yaml.load_all(result.stdout, Loader=YAML_LOADER) if doc]


def normalized(objects):
    """The render without kustomize's name hashes and empty metadata maps, for comparing versions."""
    text = json.dumps(objects, sort_keys=True)
    generated = {}
    for obj in objects:
        if obj.get("kind") in ("ConfigMap", "Secret"):
            match = re.match(r"^(.*)-[a-z0-9]{10}$", obj["metadata"]["name"])
            if match:
                generated[obj["metadata"]["name"]] = match.group(1)
    for hashed, plain in generated.items():
        text = text.replace(f'"{hashed}"', f'"{plain}"')
    result = json.loads(text)
    for obj in result:
        if obj.get("kind") == "Secret":  # newer kustomize wraps long base64 lines
            obj["data"] = {k: "".join(v.split()) for k, v in (obj.get("data") or {}).items()}
        for field in ("annotations", "labels"):
            if obj.get("metadata", {}).get(field) == {}:
                del obj["metadata"][field]
    return sorted(result, key=lambda o: (o.get("kind", ""), o.get("metadata", {}).get("name", "")))


# ------------------------------------------------------------------------------------------
# Checks of one render


def where(obj, container=None):
    text = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    return f"{text} container {container}" if container else text


def by_kind(objects, kind):
    return [o for o in objects if o.get("kind") == kind]


def find(objects, kind, name):
    for obj in objects:
        if obj.get("kind") == kind and obj.get("metadata", {}).get("name") == name:
            return obj
    return None


def workloads(objects):
    return [o for o in objects if o.get("kind") in ("Deployment", "StatefulSet")]


def is_clipcut(container):
    image = container.get("image", "")
    return image.split("/")[-1].split(":")[0].split("@")[0] == CLIPCUT_IMAGE


def check_schemas(objects, versions, failures, label):
    for obj in objects:
        if obj.get("apiVersion", "").startswith("keda.sh/"):
            continue  # no bundled schema; checked by check_keda
        for version in versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                failures.add(f"[{label}] {where(obj)}", f"no Kubernetes {version} schema for {obj.get('apiVersion')} {obj.get('kind')}")
                break
            except kubernetes_validate.ValidationError as error:
                path = "/".join(str(p) for p in error.path)
                failures.add(f"[{label}] {where(obj)}", f"invalid for Kubernetes {version} at {path or '(top)'}: {error.message}")
                break


def effective(pod_context, container_context, field):
    value = (container_context or {}).get(field)
    return value if value is not None else (pod_context or {}).get(field)


def container_env(obj, container, objects, failures, label):
    """{name: value or None (from a Secret)}; reports references that do not resolve."""
    env = {}
    here = f"[{label}] {where(obj, container['name'])}"
    for source in container.get("envFrom", []):
        for ref_field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(ref_field)
            if not ref:
                continue
            target = find(objects, kind, ref.get("name"))
            if target is None:
                if not ref.get("optional"):
                    failures.add(here, f"envFrom {kind} {ref.get('name')} is not in the render")
                continue
            prefix = source.get("prefix", "")
            data = dict(target.get("data") or {})
            data.update(target.get("stringData") or {})
            for key, value in data.items():
                env[prefix + key] = value if kind == "ConfigMap" else None
    for var in container.get("env", []):
        name = var["name"]
        if "value" in var:
            value = str(var["value"])
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value):
                if ref not in env:
                    failures.add(here, f"{name} refers to $({ref}), which is not defined before it")
            env[name] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                               lambda m: env.get(m.group(1)) or f"<{m.group(1)}>", value)
            continue
        source = var.get("valueFrom", {})
        for ref_field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            ref = source.get(ref_field)
            if not ref:
                continue
            target = find(objects, kind, ref.get("name"))
            keys = set((target or {}).get("data") or {}) | set((target or {}).get("stringData") or {})
            if target is None:
                failures.add(here, f"{name} takes {ref_field} {ref.get('name')}, which is not in the render")
            elif ref.get("key") not in keys:
                failures.add(here, f"{name} takes key {ref.get('key')} of {kind} {ref.get('name')}, which has no such key")
            env[name] = None if kind == "Secret" else ((target or {}).get("data") or {}).get(ref.get("key"))
        if "fieldRef" in source or "resourceFieldRef" in source:
            env[name] = "<field>"
    return env


def volume_for_mount(pod, mount_path):
    """The volume mounted exactly at mount_path (or at a parent of it), with its mount."""
    best = None
    for container in pod.get("containers", []):
        for mount in container.get("volumeMounts", []):
            path = mount["mountPath"].rstrip("/")
            if mount_path == path or mount_path.startswith(path + "/"):
                if best is None or len(path) > len(best[1]["mountPath"].rstrip("/")):
                    volume = next((v for v in pod.get("volumes", []) if v["name"] == mount["name"]), None)
                    best = (volume, mount)
    return best


def check_workloads(objects, failures, label, services, required, reads, known_variables, processing_grace_default):
    running = {(c.get("command") or [None])[0] for o in workloads(objects)
               for c in o["spec"]["template"]["spec"]["containers"] if is_clipcut(c)}
    for service in sorted(services - running):
        failures.add(f"[{label}]", f"no Deployment runs {service}")
    for obj in workloads(objects):
        template = obj["spec"]["template"]
        pod = template["spec"]
        pod_security = pod.get("securityContext", {})
        name = obj["metadata"]["name"]
        labels = template.get("metadata", {}).get("labels", {})
        selector = obj["spec"].get("selector", {}).get("matchLabels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            failures.add(f"[{label}] {where(obj)}", "the selector does not match the pod template's labels")
        if pod.get("automountServiceAccountToken") is not False:
            failures.add(f"[{label}] {where(obj)}", "automountServiceAccountToken is not false (no ClipCut pod talks to the API)")
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            here = f"[{label}] {where(obj, container['name'])}"
            is_init = container in pod.get("initContainers", [])
            if not is_init:
                for probe in ("readinessProbe", "livenessProbe"):
                    if not container.get(probe):
                        failures.add(here, f"no {probe}")
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if not resources.get(section, {}).get(resource):
                        failures.add(here, f"no resources.{section}.{resource}")
            security = container.get("securityContext", {})
            if effective(pod_security, security, "runAsNonRoot") is not True:
                failures.add(here, "runAsNonRoot is not true")
            user = effective(pod_security, security, "runAsUser")
            if user == 0:
                failures.add(here, "runAsUser is 0")
            if security.get("allowPrivilegeEscalation") is not False:
                failures.add(here, "allowPrivilegeEscalation is not false")
            if "ALL" not in (security.get("capabilities", {}).get("drop") or []):
                failures.add(here, "capabilities do not drop ALL")
            seccomp = (security.get("seccompProfile") or pod_security.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                failures.add(here, f"seccompProfile is {seccomp or 'unset'}, not RuntimeDefault")
            image = container.get("image", "")
            tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else None
            if "@sha256:" not in image and (not tag or tag == "latest"):
                failures.add(here, f"image {image!r} has no pinned tag")
            if not is_clipcut(container):
                continue
            if security.get("readOnlyRootFilesystem") is not True:
                failures.add(here, "readOnlyRootFilesystem is not true")
            program = (container.get("command") or [None])[0]
            if program is None:
                failures.add(here, "no command: name the executable (the image runs every service)")
                continue
            env = container_env(obj, container, objects, failures, label)
            if program in services:
                check_service_container(obj, pod, container, env, program, objects, failures, label,
                                        required[program], reads[program], known_variables,
                                        processing_grace_default)
            elif is_init is False:
                # The web page's nginx from the same image: plain HTTP probes on its port.
                for probe in ("readinessProbe", "livenessProbe"):
                    if container.get(probe) and not container[probe].get("httpGet"):
                        failures.add(here, f"{probe} is not an HTTP probe")


def check_service_container(obj, pod, container, env, service, objects, failures, label,
                            required, reads, known_variables, processing_grace_default):
    here = f"[{label}] {where(obj, container['name'])}"
    # Variables the service needs and has no usable default for.
    for variable, why in sorted(required.items()):
        alternatives = next((group for group in ALTERNATIVES if variable in group), {variable})
        if not any(alt in env for alt in alternatives):
            failures.add(here, f"{service} reads {variable} and {why}, but the Deployment does not set it")
    for var in container.get("env", []):
        if var["name"].startswith("CLIPCUT_") and var["name"] not in reads:
            failures.add(here, f"sets {var['name']}, which {service} does not read")
    host = env.get("CLIPCUT_HTTP_HOST") or ""
    if re.match(r"^(127\.|localhost$|::1$)", host):
        failures.add(here, f"CLIPCUT_HTTP_HOST={host} is a loopback address: nothing outside the pod reaches it")
    port = env.get("CLIPCUT_HTTP_PORT")
    http_ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if port is None or str(http_ports.get("http")) != str(port):
        failures.add(here, f"CLIPCUT_HTTP_PORT={port} is not the container port named http ({http_ports.get('http')})")
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
        get = (container.get(probe) or {}).get("httpGet") or {}
        if container.get(probe) and (get.get("path") != path or get.get("port") not in ("http", http_ports.get("http"))):
            failures.add(here, f"{probe} is not GET {path} on the http port")
    annotations = obj["spec"]["template"].get("metadata", {}).get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or str(annotations.get("prometheus.io/port")) != str(port) \
            or annotations.get("prometheus.io/path", "/metrics") != "/metrics":
        failures.add(f"[{label}] {where(obj)}", "no Prometheus scrape annotations for /metrics on the http port")
    # Files the service writes or reads.
    data_dir = env.get("CLIPCUT_DATA_DIR")
    if data_dir:
        found = volume_for_mount(pod, data_dir)
        if not found or not found[0] or "emptyDir" not in found[0] or found[1].get("readOnly"):
            failures.add(here, f"CLIPCUT_DATA_DIR={data_dir} is not a writable emptyDir mount (the root file system is read-only)")
    for path in filter(None, (env.get("CLIPCUT_JWT_SIGNING_KEY_FILES") or "").split(",")):
        found = volume_for_mount(pod, path.strip())
        secret = (found[0] or {}).get("secret") if found else None
        if not secret:
            failures.add(here, f"signing key file {path} is not on a Secret volume")
            continue
        target = find(objects, "Secret", secret.get("secretName"))
        key = path.strip()[len(found[1]["mountPath"].rstrip("/")) + 1:]
        items = {i["path"]: i["key"] for i in secret.get("items", [])}
        if target is None or items.get(key, key) not in (target.get("data") or {}):
            failures.add(here, f"signing key file {path} is not a key of Secret {secret.get('secretName')}")
    # Addresses of other services inside the cluster.
    services_by_name = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    for variable, value in sorted(env.items()):
        if not value or not (variable.endswith("_URL") or variable.endswith("_ADDRESS")):
            continue
        match = re.match(r"^(?:[a-z]+://)?(?:[^@/]*@)?([A-Za-z0-9-]+)(?::(\d+))?(?:/|$)", value)
        if not match or "." in match.group(1) or match.group(1).startswith("<"):
            continue
        target_service = services_by_name.get(match.group(1))
        if target_service is None:
            failures.add(here, f"{variable} names host {match.group(1)}, which is no Service in the render")
        elif match.group(2) and int(match.group(2)) not in [p["port"] for p in target_service["spec"].get("ports", [])]:
            failures.add(here, f"{variable} uses port {match.group(2)}, which Service {match.group(1)} does not have")
    if service == "upload-service":
        check_media_cache(pod, env, here, failures)
    if service == "processing-service":
        grace_value = env.get("CLIPCUT_SHUTDOWN_GRACE_SECONDS") or processing_grace_default
        pod_grace = pod.get("terminationGracePeriodSeconds", 30)
        if grace_value is None or int(pod_grace) < int(grace_value) + 15:
            failures.add(f"[{label}] {where(obj)}",
                         f"terminationGracePeriodSeconds {pod_grace} does not outlast CLIPCUT_SHUTDOWN_GRACE_SECONDS "
                         f"{grace_value} by 15 s: the kubelet would kill a worker while it hands its job back")


QUANTITY = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity_bytes(value):
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(value or "").strip())
    return int(match.group(1)) * QUANTITY[match.group(2) or ""] if match else None


def check_media_cache(pod, env, here, failures):
    """upload-service's media cache sits on a writable emptyDir whose sizeLimit holds it with
    room for the copies being made (CLIPCUT_MEDIA_CACHE_BYTES at most 90 % of it)."""
    cache_bytes = int(env.get("CLIPCUT_MEDIA_CACHE_BYTES") or 2147483648)
    if cache_bytes == 0:
        return
    directory = env.get("CLIPCUT_MEDIA_CACHE_DIR") or (env.get("CLIPCUT_DATA_DIR") or "./.data") + "/media-cache"
    found = volume_for_mount(pod, directory)
    if not found or not found[0] or "emptyDir" not in found[0] or found[1].get("readOnly"):
        failures.add(here, f"the media cache CLIPCUT_MEDIA_CACHE_DIR={directory} is not on a writable emptyDir")
        return
    limit = quantity_bytes((found[0]["emptyDir"] or {}).get("sizeLimit"))
    if limit is None:
        failures.add(here, f"the media cache's emptyDir {found[0]['name']} has no sizeLimit")
    elif cache_bytes > limit * 0.9:
        failures.add(here, f"CLIPCUT_MEDIA_CACHE_BYTES={cache_bytes} is more than 90 % of the media cache's emptyDir sizeLimit "
                           f"({limit}): copies being made would pass it and the kubelet would evict the pod")


def pod_templates(objects):
    return [(o, o["spec"]["template"]) for o in workloads(objects)]


def check_services(objects, failures, label):
    templates = pod_templates(objects)
    for service in by_kind(objects, "Service"):
        here = f"[{label}] {where(service)}"
        selector = service["spec"].get("selector") or {}
        if not selector:
            failures.add(here, "has no selector")
            continue
        matching = [(o, t) for o, t in templates
                    if all(t.get("metadata", {}).get("labels", {}).get(k) == v for k, v in selector.items())]
        if not matching:
            failures.add(here, f"selector {selector} matches no Deployment's or StatefulSet's pods")
            continue
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort", port["port"])
            for workload, template in matching:
                ports = [p for c in template["spec"]["containers"] for p in c.get("ports", [])]
                if not any(p.get("name") == target or p.get("containerPort") == target for p in ports):
                    failures.add(here, f"targetPort {target} is no container port of {where(workload)}")
    for statefulset in by_kind(objects, "StatefulSet"):
        here = f"[{label}] {where(statefulset)}"
        service = find(objects, "Service", statefulset["spec"].get("serviceName"))
        if service is None or service["spec"].get("clusterIP") != "None":
            failures.add(here, f"serviceName {statefulset['spec'].get('serviceName')} is not a headless Service in the render")
        if not statefulset["spec"].get("volumeClaimTemplates"):
            failures.add(here, "has no volumeClaimTemplates: its data would not survive the pod")


def check_redis(objects, failures, label):
    for statefulset in by_kind(objects, "StatefulSet"):
        for container in statefulset["spec"]["template"]["spec"]["containers"]:
            if not container.get("image", "").startswith("redis"):
                continue
            words = " ".join(str(w) for w in (container.get("command") or []) + (container.get("args") or []))
            if not re.search(r"--appendonly[ =]yes", words):
                failures.add(f"[{label}] {where(statefulset, container['name'])}",
                             "Redis runs without --appendonly yes: queued jobs would not survive a restart")


def check_autoscaling(objects, failures, label, stream, group, is_keda_render):
    deployment = find(objects, "Deployment", "processing-service")
    if deployment is None:
        failures.add(f"[{label}]", "no processing-service Deployment")
        return
    pod_labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    hpas = [h for h in by_kind(objects, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
            and h["spec"]["scaleTargetRef"].get("name") == "processing-service"]
    scaled = [s for s in by_kind(objects, "ScaledObject") if s["spec"]["scaleTargetRef"].get("name") == "processing-service"]
    if is_keda_render:
        if hpas:
            failures.add(f"[{label}] {where(hpas[0])}", "a HorizontalPodAutoscaler besides the ScaledObject: KEDA makes its own, two would fight")
        if not scaled:
            failures.add(f"[{label}]", "no ScaledObject for processing-service")
    elif not hpas:
        failures.add(f"[{label}]", "no HorizontalPodAutoscaler for processing-service")
    for hpa in hpas:
        if hpa["apiVersion"] != "autoscaling/v2" or not any(
                m.get("type") == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"].get("metrics", [])):
            failures.add(f"[{label}] {where(hpa)}", "is not an autoscaling/v2 CPU autoscaler")
        if "replicas" in deployment["spec"]:
            failures.add(f"[{label}] {where(deployment)}", "sets replicas although an autoscaler owns the count (every apply would reset it)")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = container_env(deployment, container, objects, Failures(), label)
    for obj in scaled:
        here = f"[{label}] {where(obj)}"
        triggers = obj["spec"].get("triggers", [])
        if not triggers:
            failures.add(here, "has no triggers")
        for trigger in triggers:
            meta = trigger.get("metadata", {})
            if trigger.get("type") != "redis-streams":
                failures.add(here, f"trigger {trigger.get('type')} is not redis-streams")
                continue
            if meta.get("stream") != stream or meta.get("consumerGroup") != group:
                failures.add(here, f"trigger watches {meta.get('stream')}/{meta.get('consumerGroup')}, not {stream}/{group} (processing-service --print-config)")
            if not any(k in meta for k in ("pendingEntriesCount", "lagCount", "streamLength")):
                failures.add(here, "trigger has no pendingEntriesCount, lagCount or streamLength")
            for key in ("addressFromEnv", "passwordFromEnv", "hostFromEnv", "portFromEnv"):
                if key in meta and meta[key] not in env:
                    failures.add(here, f"{key}: {meta[key]} is not in processing-service's environment")
            for key, value in meta.items():
                if key.endswith("Count") and not re.fullmatch(r"\d+", str(value)):
                    failures.add(here, f"{key} {value!r} is not a whole number")
    budgets = [p for p in by_kind(objects, "PodDisruptionBudget")
               if all(pod_labels.get(k) == v for k, v in p["spec"].get("selector", {}).get("matchLabels", {}).items())
               and p["spec"].get("selector", {}).get("matchLabels")]
    if not budgets:
        failures.add(f"[{label}]", "no PodDisruptionBudget selects processing-service's pods")


def check_secrets(objects, failures, label):
    for secret in by_kind(objects, "Secret"):
        values = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (secret.get("data") or {}).items()}
        values.update(secret.get("stringData") or {})
        for key, value in values.items():
            if PLACEHOLDER not in value:
                failures.add(f"[{label}] {where(secret)}", f"{key} is not a {PLACEHOLDER} placeholder: real secrets never go into k8s/")


# ------------------------------------------------------------------------------------------
# The edge and the Ingress


def edge_locations(template):
    """[(kind, path, upstream or None, directives)] from scripts/edge/nginx.conf.template."""
    text = template.read_text()
    locations = []
    for match in re.finditer(r"location\s+(=|~\*?|\^~)?\s*(\S+)\s*\{", text):
        start = match.end()
        depth, i = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        upstream = re.search(r"proxy_pass\s+http://(\w+)", body)
        directives = dict(re.findall(r"^\s*(proxy_\w+|client_max_body_size)\s+([^;]+);", body, re.M))
        locations.append((match.group(1) or "", match.group(2), upstream.group(1) if upstream else None, directives, body))
    # Directives of the server block itself (outside every location) apply to each location.
    server = re.search(r"server\s*\{(.*)", text, re.S).group(1)
    for _kind, _path, _upstream, _directives, body in locations:
        server = server.replace(body, "")
    globals_ = dict(re.findall(
        r"^\s*(client_max_body_size|proxy_request_buffering|proxy_buffering|proxy_read_timeout|proxy_send_timeout)\s+([^;]+);",
        server, re.M))
    return locations, globals_


def nginx_seconds(value):
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value.strip())
    number, unit = int(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def check_ingress(objects, failures, label, template):
    locations, edge_globals = edge_locations(template)
    routes = {}
    for ingress in by_kind(objects, "Ingress"):
        annotations = ingress["metadata"].get("annotations", {})
        if ingress["spec"].get("ingressClassName") != "nginx":
            failures.add(f"[{label}] {where(ingress)}", "ingressClassName is not nginx (the annotations are ingress-nginx's)")
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                routes[path["path"]] = (backend["name"], backend["port"], path.get("pathType"), ingress, annotations)
    prefix = "nginx.ingress.kubernetes.io/"
    wanted = {}
    for kind, path, upstream, directives, body in locations:
        if kind == "~":
            wanted[path.lstrip("^")] = (upstream, directives, True)
        elif upstream:
            wanted[path] = (upstream, directives, False)
        elif path == "/" and "try_files" in body:
            wanted["/"] = ("web", {}, False)
    for path, (upstream, directives, is_regex) in sorted(wanted.items()):
        service = upstream.replace("_", "-")
        here = f"[{label}] Ingress path {path}"
        if path not in routes:
            failures.add(here, f"the edge routes {path} to {service}; no Ingress does")
            continue
        name, port, path_type, ingress, annotations = routes[path]
        if name != service:
            failures.add(here, f"goes to {name}; the edge sends it to {service}")
        target = find(objects, "Service", name)
        if target is None:
            failures.add(here, f"backend Service {name} is not in the render")
        elif not any(p.get("name") == port.get("name") or p["port"] == port.get("number") for p in target["spec"]["ports"]):
            failures.add(here, f"backend port {port} is not a port of Service {name}")
        if is_regex and (annotations.get(prefix + "use-regex") != "true" or path_type != "ImplementationSpecific"):
            failures.add(here, "a regular expression path needs use-regex \"true\" and pathType ImplementationSpecific")
        if not is_regex and path_type != "Prefix":
            failures.add(here, f"pathType is {path_type}; the edge matches it as a prefix")
        if service == "web":
            continue
        merged = dict(edge_globals)
        merged.update(directives)
        if merged.get("client_max_body_size", "").strip() == "0" and annotations.get(prefix + "proxy-body-size") != "0":
            failures.add(here, "the edge caps no body size (client_max_body_size 0); the Ingress needs proxy-body-size \"0\"")
        for directive, annotation in (("proxy_request_buffering", "proxy-request-buffering"), ("proxy_buffering", "proxy-buffering")):
            if merged.get(directive, "").strip() == "off" and annotations.get(prefix + annotation) != "off":
                failures.add(here, f"the edge has {directive} off; the Ingress needs {annotation} \"off\"")
        if "proxy_buffer_size" in merged and annotations.get(prefix + "proxy-buffer-size") != merged["proxy_buffer_size"].strip():
            failures.add(here, f"the edge has proxy_buffer_size {merged['proxy_buffer_size']}; the Ingress has proxy-buffer-size "
                               f"{annotations.get(prefix + 'proxy-buffer-size')}")
        for directive, annotation in (("proxy_read_timeout", "proxy-read-timeout"), ("proxy_send_timeout", "proxy-send-timeout")):
            if directive in merged:
                have = annotations.get(prefix + annotation)
                if have is None or int(have) < nginx_seconds(merged[directive]):
                    failures.add(here, f"the edge has {directive} {merged[directive]}; the Ingress has {annotation} {have}")
    for path, (name, *_rest) in sorted(routes.items()):
        if path not in wanted:
            failures.add(f"[{label}] Ingress path {path}", f"routes to {name}, which the edge does not")
        if path.startswith("/internal") or (path.rstrip("/") == "/api"):
            failures.add(f"[{label}] Ingress path {path}", "must never be routed (the edge answers 404)")


def check_edge_headers(template, failures):
    """nginx inherits proxy_set_header from the server block only into locations that set none
    of their own: such a location must repeat every one (without `Connection ""` each request
    closes its upstream connection, and the forwarded headers are lost)."""
    text = template.read_text()
    locations, _globals = edge_locations(template)
    server = re.search(r"server\s*\{(.*)", text, re.S).group(1)
    for _kind, _path, _upstream, _directives, body in locations:
        server = server.replace(body, "")
    inherited = dict(re.findall(r"^\s*proxy_set_header\s+(\S+)\s+([^;]+);", server, re.M))
    for _kind, path, upstream, _directives, body in locations:
        own = dict(re.findall(r"^\s*proxy_set_header\s+(\S+)\s+([^;]+);", body, re.M))
        if not own:
            continue
        for name, value in sorted(inherited.items()):
            if own.get(name) != value:
                failures.add(f"scripts/edge/nginx.conf.template location {path}",
                             f"sets its own proxy_set_header, so it inherits none: it must repeat `proxy_set_header {name} {value}`")


def check_web_config(root, k8s, failures, say=print):
    template = root / "scripts/edge/nginx.conf.template"
    web = k8s / "base/web-nginx.conf"
    if not web.exists():
        failures.add("k8s/base/web-nginx.conf", "missing")
        return
    web_text = web.read_text()
    # The edge's internal location for upload-service's media cache (X-Accel-Redirect) exists
    # only where nginx and upload-service share a disk; its headers are not the page's.
    edge_text = re.sub(r"location\s+/_media-cache/\s*\{.*?\n        \}", "", template.read_text(), flags=re.S)
    for header in re.findall(r"^\s*(add_header .*;)\s*$", edge_text, re.M):
        if header not in web_text:
            failures.add("k8s/base/web-nginx.conf", f"lacks the edge's `{header[:60]}...`")
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        say("note: nginx is not installed here; k8s/base/web-nginx.conf not checked with nginx -t")
        return
    with tempfile.TemporaryDirectory() as work:
        result = subprocess.run([nginx, "-t", "-q", "-e", "stderr", "-p", work, "-c", str(web)], capture_output=True, text=True)
        if result.returncode != 0:
            failures.add("k8s/base/web-nginx.conf", f"nginx -t: {result.stderr.strip()}")


# ------------------------------------------------------------------------------------------
# Dashboards and alerts: k8s/optional/grafana-dashboard.json, prometheus-rules.yaml (and the
# plain rules file with the same groups), prometheus-podmonitor.yaml, against the metric names
# the services export (k8s/optional/metric-names.txt, itself checked against the sources).

SEVERITIES = ("critical", "warning", "info")
PROMETHEUS_DURATION = re.compile(r"^((\d+)(ms|s|m|h|d|w|y))+$")
# What Grafana puts in for its variables when it runs a query (for promtool's parser).
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1d", "$__range": "1d", "${datasource}": "x", "$service": ".+"}


def find_promtool(root):
    """promtool (Debian package `prometheus`): $CLIPCUT_PROMTOOL, on PATH, or unpacked in .deps."""
    for candidate in (os.environ.get("CLIPCUT_PROMTOOL"), shutil.which("promtool"),
                      str(root / ".deps/prometheus/usr/bin/promtool")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def swift_metric_names(root):
    """{metric name: {service}} for every clipcut_* metric the Swift sources name (in files that
    import Metrics or Prometheus; a MetricNameDescriptor's metricName and unitName joined as
    swift-prometheus joins them). A library's metrics map to every service ("all")."""
    services_by_target = {target: service for service, target in service_targets(root).items()}
    found = {}
    for source in sorted((root / "Sources").rglob("*.swift")):
        text = source.read_text(errors="replace")
        if not re.search(r"^\s*(?:public |internal |@preconcurrency )*import (?:Metrics|CoreMetrics|Prometheus)\b", text, re.M):
            continue
        text = re.sub(r'MetricNameDescriptor\(\s*(?:namespace:\s*"([^"]*)"\s*,\s*)?(?:subsystem:\s*"([^"]*)"\s*,\s*)?'
                      r'metricName:\s*"([^"]+)"\s*,\s*unitName:\s*"([^"]*)"',
                      lambda m: '"' + "_".join(p for p in m.groups() if p) + '"', text)
        target = source.relative_to(root / "Sources").parts[0]
        service = services_by_target.get(target, "all")
        for name in re.findall(r'"(clipcut_[A-Za-z0-9_]+)"', text):
            found.setdefault(name, set()).add(service)
    return found


def hummingbird_metrics(root):
    """{name: {label names}} of Hummingbird's MetricsMiddleware in the checkout, made valid for
    Prometheus as ServiceObservability does (dots to underscores); None without a checkout."""
    middleware = root / ".build/checkouts/hummingbird/Sources/Hummingbird/Middleware/MetricsMiddleware.swift"
    if not middleware.exists():
        return None
    sanitize = lambda name: re.sub(r"[^A-Za-z0-9_:]", "_", name)  # noqa: E731
    found = {}
    for label, dimensions in re.findall(r'(?:Counter|Timer|Meter|Recorder|Gauge)\(\s*label:\s*"([^"]+)"\s*,\s*dimensions:\s*\[(.*?)\]',
                                        middleware.read_text(), re.S):
        found[sanitize(label)] = {sanitize(key) for key in re.findall(r'\(\s*"([^"]+)"\s*,', dimensions)}
    return found


def check_metric_list(root, listed, failures, say):
    where_ = "k8s/optional/metric-names.txt"
    in_sources = swift_metric_names(root)
    for name, services in sorted(in_sources.items()):
        if name not in listed:
            failures.add(where_, f"{name} is exported by {', '.join(sorted(services))} (Sources) but not listed")
        elif "all" not in services and set(listed[name].services) != services:
            failures.add(where_, f"{name}: listed as exported by {', '.join(listed[name].exporters)}, "
                                 f"the sources have it in {', '.join(sorted(services))}")
    for name in sorted(n for n in listed if n.startswith("clipcut_") and n not in in_sources):
        failures.add(where_, f"lists {name}, which no source defines (Sources/**/*.swift)")
    hummingbird = hummingbird_metrics(root)
    everywhere = sorted(n for n, m in listed.items() if not n.startswith("clipcut_") and set(m.services) == set(promql_names.SERVICES))
    if hummingbird is None:
        say("note: no Hummingbird checkout in .build/checkouts; hb_* and http_server_* names not checked against MetricsMiddleware")
        return
    for name in sorted(set(hummingbird) - set(everywhere)):
        failures.add(where_, f"Hummingbird's MetricsMiddleware exports {name} from every service; it is not listed so")
    for name in everywhere:
        if name not in hummingbird:
            failures.add(where_, f"lists {name} for every service, which Hummingbird's MetricsMiddleware does not export")
        elif hummingbird[name] != listed[name].labels:
            failures.add(where_, f"{name}: labels {', '.join(sorted(listed[name].labels))}; MetricsMiddleware gives "
                                 f"{', '.join(sorted(hummingbird[name]))}")


def read_yaml_file(path, failures):
    try:
        return yaml.load(path.read_text(), Loader=YAML_LOADER)
    except (OSError, yaml.YAMLError) as error:
        failures.add(str(path.name), f"cannot be read: {error}")
        return None


def check_dashboard(path, listed, failures):
    """The dashboard's queries; failures for a dashboard Grafana or Prometheus would not take."""
    here = f"k8s/optional/{path.name}"
    try:
        dashboard = promql_names.read_dashboard(path.read_text())
    except (OSError, ValueError) as error:
        failures.add(here, f"is not JSON: {error}")
        return []
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        failures.add(here, "has no schemaVersion of 36 or later (Grafana 9.3+ dashboard model)")
    variables = {v.get("name"): v for v in (dashboard.get("templating") or {}).get("list") or []}
    source = variables.get("datasource", {})
    if source.get("type") != "datasource" or source.get("query") != "prometheus":
        failures.add(here, "has no `datasource` templating variable of type datasource for prometheus")
    ids = set()
    panels = list(promql_names._panels(dashboard.get("panels")))
    for panel in panels:
        if panel.get("id") in ids:
            failures.add(here, f"two panels have the id {panel.get('id')}")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            continue
        for holder in [panel] + list(panel.get("targets") or []):
            uid = (holder.get("datasource") or {}).get("uid")
            if holder is panel or "datasource" in holder:
                if uid != "${datasource}":
                    failures.add(here, f"panel {panel.get('id')} {panel.get('title')!r}: data source {uid!r}, not ${{datasource}}")
        if not panel.get("targets"):
            failures.add(here, f"panel {panel.get('id')} {panel.get('title')!r} has no query")
    queries = promql_names.dashboard_queries(dashboard)
    used = set()
    for where_query, expr in queries:
        for problem in promql_names.check_expression(expr, listed):
            failures.add(here, f"{where_query}: {problem}")
        for name, _ in promql_names.metric_uses(expr)[0]:
            metric, _ = promql_names.resolve(name, listed)
            if metric:
                used.add(metric.name)
    for name in sorted(n for n in listed if n.startswith("clipcut_") and n not in used):
        failures.add(here, f"shows nothing of {name} (every ClipCut metric has a panel, as on the admin page)")
    return queries


def check_rule_groups(groups, listed, failures, here):
    """Alert rules: a `for`, a severity, a summary and a description; known metric names."""
    if not isinstance(groups, list) or not groups:
        failures.add(here, "has no rule groups")
        return
    recorded = {r.get("record") for g in groups for r in g.get("rules") or [] if r.get("record")}
    names = set()
    for group in groups:
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            where_rule = f"{here} {'alert' if rule.get('alert') else 'record'} {name}"
            if (rule.get("alert") is None) == (rule.get("record") is None):
                failures.add(where_rule, "needs exactly one of `alert` and `record`")
            for problem in promql_names.check_expression(str(rule.get("expr", "")), listed, recorded):
                failures.add(where_rule, problem)
            if not rule.get("alert"):
                continue
            if name in names:
                failures.add(where_rule, "is defined twice")
            names.add(name)
            if "for" not in rule:
                failures.add(where_rule, "has no `for` (an alert must hold a while before it fires)")
            elif not PROMETHEUS_DURATION.match(str(rule["for"])):
                failures.add(where_rule, f"`for: {rule['for']}` is not a Prometheus duration")
            if (rule.get("labels") or {}).get("severity") not in SEVERITIES:
                failures.add(where_rule, f"has no severity label ({', '.join(SEVERITIES)})")
            for annotation in ("summary", "description"):
                if not (rule.get("annotations") or {}).get(annotation):
                    failures.add(where_rule, f"has no {annotation} annotation")


def check_podmonitor(k8s, failures):
    here = "k8s/optional/prometheus-podmonitor.yaml"
    monitor = read_yaml_file(k8s / "optional/prometheus-podmonitor.yaml", failures)
    if not monitor:
        return
    spec = monitor.get("spec") or {}
    if monitor.get("kind") != "PodMonitor" or monitor.get("apiVersion") != "monitoring.coreos.com/v1":
        failures.add(here, "is not a monitoring.coreos.com/v1 PodMonitor")
    if spec.get("jobLabel") != "app.kubernetes.io/name":
        failures.add(here, "jobLabel is not app.kubernetes.io/name (the dashboard and rules tell services apart by job)")
    if "clipcut" not in ((spec.get("namespaceSelector") or {}).get("matchNames") or []):
        failures.add(here, "does not look in namespace clipcut")
    selector = spec.get("selector") or {}
    named = set()
    for expression in selector.get("matchExpressions") or []:
        if expression.get("key") == "app.kubernetes.io/name" and expression.get("operator") == "In":
            named |= set(expression.get("values") or [])
    if named != set(promql_names.SERVICES):
        failures.add(here, f"selects {', '.join(sorted(named)) or 'no app.kubernetes.io/name'}, not the five services")
    endpoints = spec.get("podMetricsEndpoints") or [{}]
    if [(e.get("port"), e.get("path")) for e in endpoints] != [("http", "/metrics")]:
        failures.add(here, "does not scrape /metrics on the port named http")
    for service in promql_names.SERVICES:
        path = k8s / f"base/{service}.yaml"
        docs = [d for d in yaml.load_all(path.read_text(), Loader=YAML_LOADER) if d] if path.exists() else []
        deployment = next((d for d in docs if d.get("kind") == "Deployment"), None)
        if deployment is None:
            failures.add(here, f"no Deployment in k8s/base/{service}.yaml to scrape")
            continue
        template = deployment["spec"]["template"]
        labels = template.get("metadata", {}).get("labels", {})
        wanted = dict(selector.get("matchLabels") or {}, **{"app.kubernetes.io/name": service})
        if any(labels.get(k) != v for k, v in wanted.items()):
            failures.add(here, f"does not select {service}'s pods (their labels: {labels})")
        ports = {p.get("name") for c in template["spec"]["containers"] for p in c.get("ports") or []}
        if "http" not in ports:
            failures.add(here, f"{service}'s pods have no port named http")


# promtool's answers by what it was given (the self-test checks the same files many times).
PROMTOOL_ANSWERS = {}


def promtool_answer(promtool, args, inputs):
    """(exit status, output) of promtool with `args`, run in the directory holding `inputs`
    ({file name: text}); remembered by those contents."""
    key = (promtool, tuple(args), tuple(sorted(inputs.items())))
    if key not in PROMTOOL_ANSWERS:
        with tempfile.TemporaryDirectory() as work:
            for name, text in inputs.items():
                (Path(work) / name).write_text(text)
            result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120, cwd=work)
            PROMTOOL_ANSWERS[key] = (result.returncode, (result.stdout + result.stderr).strip())
    return PROMTOOL_ANSWERS[key]


def run_promtool(promtool, args, inputs, failures, here):
    status, output = promtool_answer(promtool, args, inputs)
    if status != 0:
        failures.add(here, f"promtool {' '.join(args)} failed: {output[-1500:]}")
    return status == 0


def check_monitoring(root, k8s, failures, say=print):
    optional = k8s / "optional"
    list_path = optional / "metric-names.txt"
    if not list_path.exists():
        failures.add("k8s/optional/metric-names.txt", "missing")
        return
    listed, problems = promql_names.read_metric_list(list_path.read_text())
    for problem in problems:
        failures.add("k8s/optional/metric-names.txt", problem)
    check_metric_list(root, listed, failures, say)
    queries = check_dashboard(optional / "grafana-dashboard.json", listed, failures)

    plain_path, operator_path = optional / "prometheus-rules.rules.yml", optional / "prometheus-rules.yaml"
    plain, operator = read_yaml_file(plain_path, failures), read_yaml_file(operator_path, failures)
    groups = (plain or {}).get("groups")
    check_rule_groups(groups, listed, failures, "k8s/optional/prometheus-rules.rules.yml")
    if operator is not None:
        if operator.get("kind") != "PrometheusRule" or operator.get("apiVersion") != "monitoring.coreos.com/v1":
            failures.add("k8s/optional/prometheus-rules.yaml", "is not a monitoring.coreos.com/v1 PrometheusRule")
        if (operator.get("spec") or {}).get("groups") != groups:
            failures.add("k8s/optional/prometheus-rules.yaml", "its spec.groups differ from prometheus-rules.rules.yml's groups")
    # The live check (Tests/Hostile/metric_names.py) reads the rules without a YAML library.
    for path, document in ((plain_path, plain), (operator_path, operator)):
        if document is None:
            continue
        rules = (document.get("spec") or document).get("groups") or []
        parsed = [(r.get("alert") or r.get("record"), r.get("expr")) for g in rules for r in g.get("rules") or []]
        if promql_names.rule_expressions(path.read_text()) != parsed:
            failures.add(f"k8s/optional/{path.name}", "its expressions are written so that promql_names.rule_expressions "
                                                      "reads them differently from a YAML parser: use a plain one-line value or a | block")
    check_podmonitor(k8s, failures)

    alerts = {r["alert"]: r["expr"] for g in groups or [] for r in g.get("rules") or [] if r.get("alert")}
    tests_path = optional / "prometheus-rules.test.yml"
    tests = read_yaml_file(tests_path, failures) if tests_path.exists() else None
    if tests is None:
        failures.add("k8s/optional/prometheus-rules.test.yml", "missing: every alert needs a test")
        tests = {"tests": []}
    firing = set()
    for case in tests.get("tests") or []:
        for expression_test in case.get("promql_expr_test") or []:
            alert = expression_test.pop("alert", None)
            if alert not in alerts:
                failures.add("k8s/optional/prometheus-rules.test.yml", f"tests {alert!r}, which is no alert of the rules")
                continue
            expression_test["expr"] = alerts[alert]
            if expression_test.get("exp_samples"):
                firing.add(alert)
    for alert in sorted(set(alerts) - firing):
        failures.add("k8s/optional/prometheus-rules.test.yml", f"has no case in which {alert} fires")

    promtool = find_promtool(root)
    if not promtool:
        say("note: promtool (Debian package prometheus) is not installed; rules and dashboard queries not parsed by it")
        return
    rules_text = plain_path.read_text()
    if run_promtool(promtool, ["check", "rules", "rules.yml"], {"rules.yml": rules_text}, failures,
                    "k8s/optional/prometheus-rules.rules.yml"):
        tests.update(rule_files=["rules.yml"], evaluation_interval="1m")
        run_promtool(promtool, ["test", "rules", "tests.yml"],
                     {"rules.yml": rules_text, "tests.yml": yaml.safe_dump(tests, sort_keys=False)},
                     failures, "k8s/optional/prometheus-rules.test.yml")
    # Each dashboard query as a recording rule, Grafana's variables filled in, for promtool's parser.
    records = []
    for number, (_, expr) in enumerate(queries):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        records.append({"record": f"clipcut_dashboard:query_{number}", "expr": expr})
    status, output = promtool_answer(promtool, ["check", "rules", "dashboard.yml"],
                                     {"dashboard.yml": yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}, sort_keys=False)})
    if status != 0:
        for number, (where_query, _) in reversed(list(enumerate(queries))):  # query_12 before query_1
            output = output.replace(f'"clipcut_dashboard:query_{number}"', where_query)
        failures.add("k8s/optional/grafana-dashboard.json", f"promtool cannot parse a query: {output[-1500:]}")
    say(f"dashboards and alerts: {len(queries)} dashboard queries, {len(alerts)} alerts and their tests: checked "
        f"(promtool {promtool})")


# ------------------------------------------------------------------------------------------
# The Dockerfile


def dockerfile_stages(dockerfile):
    """{stage name: [instruction lines, continuations joined]}."""
    lines, current = [], ""
    for raw in dockerfile.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped[:-1] if stripped.endswith("\\") else " " + stripped
        if not stripped.endswith("\\"):
            lines.append(current.strip())
            current = ""
    stages, name = {}, None
    for line in lines:
        match = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            name = (match.group(1) or f"stage{len(stages)}").lower()
            stages[name] = [line]
        elif name:
            stages[name].append(line)
    return stages


def runtime_packages(stages):
    packages = set()
    for line in stages.get("runtime", []):
        for command in re.findall(r"apt-get\s+install\s+([^&;|]+)", line):
            packages.update(word for word in command.split() if not word.startswith("-"))
    return packages


def ldd_libraries(binary):
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    libraries = []
    for line in result.stdout.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if match:
            libraries.append((match.group(1), match.group(2)))
    return libraries


_dpkg_cache = {}


def path_variants(path):
    """The path, its real path, and each with and without /usr (Debian's merged /usr)."""
    variants = [path, os.path.realpath(path)]
    for candidate in list(variants):
        if candidate.startswith("/lib"):
            variants.append("/usr" + candidate)
        elif candidate.startswith("/usr/lib"):
            variants.append(candidate[4:])
    return variants


def learn_packages(paths):
    """Asks dpkg once which packages ship `paths` (and their variants)."""
    wanted = sorted({v for p in paths for v in path_variants(p)} - set(_dpkg_cache))
    if not wanted:
        return
    result = subprocess.run(["dpkg", "-S", *wanted], capture_output=True, text=True)
    for candidate in wanted:
        _dpkg_cache[candidate] = None
    for line in result.stdout.splitlines():
        owners, _, owned = line.partition(": ")
        if owned in _dpkg_cache and not owners.startswith("diversion"):
            _dpkg_cache[owned] = owners.split(",")[0].strip()


def package_of(path):
    """The Debian package that ships `path` (merged /usr aware), or None."""
    learn_packages([path])
    return next((_dpkg_cache[v] for v in path_variants(path) if _dpkg_cache.get(v)), None)


def check_dockerfile(root, dockerfile, bin_dir, descriptions, objects, failures, say=print):
    if not dockerfile.exists():
        failures.add("Dockerfile", "missing")
        return
    stages = dockerfile_stages(dockerfile)
    text = dockerfile.read_text()
    if "runtime" not in stages or "build" not in stages:
        failures.add("Dockerfile", "needs a stage named build and one named runtime")
        return
    packages = runtime_packages(stages)
    runtime_text = "\n".join(stages["runtime"])
    build_text = "\n".join(stages["build"])
    services = sorted(service_targets(root))
    # The five services, built as the scripts build.
    if not re.search(r"(source|\.)\s+scripts/lib\.sh", build_text) or not re.search(
            r"swift build -c release \$\(swift_build_flags\)", build_text):
        failures.add("Dockerfile", "the build stage does not run `swift build -c release $(swift_build_flags)` with scripts/lib.sh")
    for service in services:
        if service not in build_text:
            failures.add("Dockerfile", f"the build stage does not build {service}")
    if re.search(r"^\s*HEALTHCHECK", text, re.M | re.I):
        failures.add("Dockerfile", "has a HEALTHCHECK; Kubernetes probes do that")
    user = re.search(r"^USER\s+(\d+)", runtime_text, re.M)
    if not user or user.group(1) == "0":
        failures.add("Dockerfile", "the runtime stage has no numeric non-root USER")
    # whisper.cpp and the model made as scripts/bootstrap makes them.
    bootstrap = (root / "scripts/bootstrap").read_text()
    version = re.search(r"^WHISPER_PYPI_VERSION=(\S+)", bootstrap, re.M)
    model = re.search(r"^WHISPER_MODEL_PACKAGE=(\S+)", bootstrap, re.M)
    if version and f"WHISPER_PYPI_VERSION={version.group(1)}" not in text:
        failures.add("Dockerfile", f"builds another pywhispercpp than scripts/bootstrap ({version.group(1)})")
    if model and f"WHISPER_MODEL_PACKAGE={model.group(1)}" not in text:
        failures.add("Dockerfile", f"converts another model package than scripts/bootstrap ({model.group(1)})")
    for flag in re.findall(r"(-D[A-Z_]+)=(\S+)", re.search(r"cmake -S.*?>", bootstrap, re.S).group(0)):
        name, value = flag
        if name == "-DGGML_NATIVE":
            # bootstrap builds for the CPU it runs on; the image must run on any AVX2 machine.
            if "-DGGML_NATIVE=OFF" not in build_text:
                failures.add("Dockerfile", "whisper.cpp is not configured with -DGGML_NATIVE=OFF (the image must not depend on the build machine's CPU)")
        elif name == "-DCMAKE_INSTALL_PREFIX":
            if name not in build_text:
                failures.add("Dockerfile", f"whisper.cpp is configured without {name}")
        elif f"{name}={value}" not in build_text:
            failures.add("Dockerfile", f"whisper.cpp is configured without scripts/bootstrap's {name}={value}")
    options = re.search(r'^WHISPER_CONVERT_OPTIONS="([^"]*)"', bootstrap, re.M)
    if options and build_text.count(options.group(1)) < 2:
        failures.add("Dockerfile", "the models are not quantized as scripts/bootstrap quantizes them (--quantize q8_0)")
    if "convert-whisper-model" not in build_text:
        failures.add("Dockerfile", "the build stage does not convert the model with scripts/convert-whisper-model")
    # The model path the manifests give audio-service is the one the image has.
    model_env = re.search(r"CLIPCUT_WHISPER_MODEL=(\S+)", runtime_text)
    for obj in workloads(objects):
        for container in obj["spec"]["template"]["spec"]["containers"]:
            for var in container.get("env", []):
                if var["name"] == "CLIPCUT_WHISPER_MODEL" and (not model_env or var.get("value") != model_env.group(1)):
                    failures.add(where(obj, container["name"]),
                                 f"CLIPCUT_WHISPER_MODEL={var.get('value')} is not where the Dockerfile puts the model")
            user_id = (container.get("securityContext") or {}).get("runAsUser") or \
                (obj["spec"]["template"]["spec"].get("securityContext") or {}).get("runAsUser")
            if is_clipcut(container) and user and user_id is not None and str(user_id) != user.group(1):
                failures.add(where(obj, container["name"]), f"runAsUser {user_id} is not the image's user {user.group(1)}")
            program = (container.get("command") or [None])[0]
            if is_clipcut(container) and program and program not in services:
                programs = {program}
                check_programs(programs, packages, failures, say)
    check_programs(absolute_programs(descriptions), packages, failures, say)
    check_image_paths(stages, packages, objects, failures, say)
    # Shared libraries of the locally built binaries.
    binaries = [Path(bin_dir) / s for s in services] if bin_dir else []
    missing = [b for b in binaries if not b.exists()]
    if not bin_dir or missing:
        say(f"note: the service binaries are not built{' in ' + str(bin_dir) if bin_dir else ''}; "
              "the runtime stage's packages were not checked against ldd")
        return
    if not shutil.which("ldd") or not shutil.which("dpkg"):
        say("note: no ldd or dpkg here; the runtime stage's packages were not checked against ldd")
        return
    checked = set()
    libraries = {binary: ldd_libraries(binary) for binary in binaries}
    learn_packages([path for found in libraries.values() for _, path in found if path.startswith("/")])
    for binary in binaries:
        for name, path in libraries[binary]:
            if path == "not found":
                failures.add(f"{binary.name}", f"ldd: {name} not found")
                continue
            if SWIFT_RUNTIME_LIBRARY.match(name):
                if "COPY --from=binaries /staging/swift/ /usr/lib/swift/linux/" not in runtime_text:
                    failures.add("Dockerfile", f"the runtime stage does not copy the Swift runtime ({name})")
                continue
            if WHISPER_LIBRARY.match(name):
                if "COPY --from=binaries /staging/lib/" not in runtime_text:
                    failures.add("Dockerfile", f"the runtime stage does not copy whisper.cpp's libraries ({name})")
                continue
            package = package_of(path)
            if package is None:
                failures.add(f"{binary.name}", f"{name} ({path}) belongs to no Debian package")
                continue
            package = package.split(":")[0]
            if package in BASE_LIBRARY_PACKAGES or (name, package) in checked:
                continue
            checked.add((name, package))
            if package not in packages:
                failures.add("Dockerfile", f"the runtime stage does not install {package}, which has {name} ({binary.name} needs it)")
    packages_needed = sorted({package for _, package in checked})
    say(f"ldd: {len(binaries)} binaries in {bin_dir} need {', '.join(packages_needed)} "
          f"(besides {', '.join(sorted(BASE_LIBRARY_PACKAGES))}, the Swift runtime and whisper.cpp)")


def runtime_copies(stages):
    """[(from stage or None, destination)] of the runtime stage's COPY instructions."""
    copies = []
    for line in stages.get("runtime", []):
        match = re.match(r"COPY\s+(.*)$", line, re.I)
        if not match:
            continue
        words = match.group(1).split()
        origin = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        paths = [w for w in words if not w.startswith("--")]
        if len(paths) >= 2:
            copies.append((origin, paths[-1]))
    return copies


def in_image(path, copies):
    """Whether the runtime stage's COPYs put `path` into the image (a file or under a directory)."""
    for _, destination in copies:
        if path == destination.rstrip("/") or (destination.endswith("/") and path.startswith(destination)):
            return True
    return False


def package_paths_ok(path, packages):
    """(True, owner) when an installed Debian package the runtime stage installs (or one they
    depend on directly) ships `path`; (False, owner) when another does; (None, None) when this
    machine cannot tell (not installed here)."""
    if not shutil.which("dpkg"):
        return None, None
    owner = package_of(path.rstrip("/"))
    if owner is None:
        return None, None
    owner = owner.split(":")[0]
    if owner in packages:
        return True, owner
    for package in packages:
        depends = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True).stdout
        if re.search(rf"(^|[,|]\s*){re.escape(owner)}(\s|,|$|:)", depends):
            return True, owner
    return False, owner


NGINX_WRITES = re.compile(r"^\s*(pid|client_body_temp_path|proxy_temp_path|fastcgi_temp_path|uwsgi_temp_path|scgi_temp_path"
                          r"|error_log|access_log)\s+([^\s;]+)", re.M)
NGINX_READS = re.compile(r"^\s*(?:location\s+[^{]*\{\s*)?(root|alias|include)\s+([^\s;]+)\s*;", re.M)


def check_image_paths(stages, packages, objects, failures, say=print):
    """Every path the manifests hand a container of the image is where the container can use it:
    on one of its volumes (written only on a writable emptyDir, a mounted file a key of its Secret
    or ConfigMap), or in the image (a runtime-stage COPY destination, or a file of a package the
    runtime stage installs); and no volume hides what the image has. For the web page's nginx,
    the paths of its config file too: the file itself on the ConfigMap volume `-c` names, pid,
    temporary files and logs on a writable emptyDir, its root, aliases and includes in the image.
    These are the mistakes a container on a read-only root file system shows only when it runs
    (scripts/image-test runs it)."""
    copies = runtime_copies(stages)
    checked = {"read": 0, "write": 0, "containers": 0}
    # Packages of the runtime stage this machine lacks: the files they ship cannot be looked up.
    not_installed_here = ["its packages (no dpkg here)"] if not shutil.which("dpkg") else sorted(
        package for package in packages
        if "install ok installed" not in subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                                        capture_output=True, text=True).stdout)
    for origin, destination in copies:
        if origin is not None and origin != "binaries":
            failures.add("Dockerfile", f"the runtime stage copies {destination} --from={origin}, not from the binaries stage "
                                       "(BINARIES picks build or prebuilt: scripts/image-test runs what scripts/image builds)")
    text = "\n".join(line for lines in stages.values() for line in lines)
    if "binaries" not in stages or not re.search(r"FROM\s+\$\{BINARIES\}\s+AS\s+binaries", text, re.I) \
            or "prebuilt" not in stages:
        failures.add("Dockerfile", "needs the stages prebuilt and `FROM ${BINARIES} AS binaries` (scripts/image-test's runtime leg)")
    for obj in workloads(objects):
        pod = obj["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod.get("containers", []):
            if not is_clipcut(container):
                continue
            here = where(obj, container["name"])
            checked["containers"] += 1
            read_only_root = (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is True
            mounts = [(m["mountPath"].rstrip("/") or "/", m, volumes.get(m["name"])) for m in container.get("volumeMounts", [])]
            for mount_path, mount, _volume in mounts:
                for _, destination in copies:
                    target = destination.rstrip("/")
                    if target == mount_path or target.startswith(mount_path + "/"):
                        failures.add(here, f"the volume {mount['name']} at {mount_path} hides {destination}, which the image has")

            def place(path):
                """(kind of place, volume, mount) for an absolute path: 'volume' or 'image'."""
                best = None
                for mount_path, mount, volume in mounts:
                    if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                        if best is None or len(mount_path) > len(best[1]["mountPath"].rstrip("/")):
                            best = (volume, mount)
                return best

            def needs_read(path, why):
                checked["read"] += 1
                found = place(path)
                if found:
                    volume, mount = found
                    source = (volume or {}).get("secret") or (volume or {}).get("configMap")
                    if source is not None:
                        key = path[len(mount["mountPath"].rstrip("/")) + 1:]
                        items = {i["path"]: i["key"] for i in source.get("items", [])}
                        kind = "Secret" if (volume or {}).get("secret") is not None else "ConfigMap"
                        target = find(objects, kind, source.get("secretName") or source.get("name"))
                        if key and (target is None or items.get(key, key) not in (target.get("data") or {})):
                            failures.add(here, f"{why} {path} is on the {kind} volume {mount['name']}, which has no key {key}")
                    return
                if in_image(path, copies):
                    return
                ok, owner = package_paths_ok(path, packages)
                if ok:
                    return
                if ok is None and path.startswith(("/etc/", "/usr/")) and not_installed_here:
                    say(f"note: {why} {path} may come from {', '.join(not_installed_here)}, not installed here; not checked")
                elif ok is None:
                    failures.add(here, f"{why} {path} is on no volume of the container and not in the image "
                                       "(no COPY of the runtime stage puts it there)")
                else:
                    failures.add(here, f"{why} {path} comes from the package {owner}, which the runtime stage does not install")

            def needs_write(path, why):
                checked["write"] += 1
                found = place(path)
                volume, mount = found if found else (None, None)
                if volume is None or "emptyDir" not in volume or mount.get("readOnly"):
                    failures.add(here, f"{why} {path} is not on a writable emptyDir mount"
                                       f"{' (the root file system is read-only)' if read_only_root else ''}")

            env = container_env(obj, container, objects, Failures(), "paths")
            for name, value in sorted(env.items()):
                for item in (value or "").split(","):
                    item = item.strip()
                    if re.fullmatch(r"/[\w./-]*", item) and not name.endswith("_URL"):
                        needs_read(item, name)
            command = container.get("command") or []
            if command[:1] == ["nginx"]:
                config = command[command.index("-c") + 1] if "-c" in command[:-1] else "/etc/nginx/nginx.conf"
                found = place(config)
                source = ((found[0] or {}).get("configMap") if found else None)
                if not source:
                    failures.add(here, f"nginx -c {config}: the config file is not on a ConfigMap volume of the container")
                    continue
                key = config[len(found[1]["mountPath"].rstrip("/")) + 1:]
                items = {i["path"]: i["key"] for i in source.get("items", [])}
                config_map = find(objects, "ConfigMap", source.get("name"))
                content = ((config_map or {}).get("data") or {}).get(items.get(key, key))
                if content is None:
                    failures.add(here, f"nginx -c {config}: the ConfigMap {source.get('name')} has no key {key}")
                    continue
                for directive, path in NGINX_WRITES.findall(content):
                    if path in ("off", "stderr") or path.startswith("syslog:") or not path.startswith("/"):
                        continue
                    needs_write(path, f"nginx's {directive}")
                for directive, path in NGINX_READS.findall(content):
                    if path.startswith("/"):
                        needs_read(path, f"nginx's {directive}")
    say(f"paths: {checked['read']} read and {checked['write']} written by {checked['containers']} containers of the image, "
        "each on a volume of its container or in the image; no volume hides the image's files")


def check_programs(programs, packages, failures, say=print):
    for program in sorted(programs):
        path = program if program.startswith("/") else shutil.which(program) or f"/usr/sbin/{program}"
        if not program.startswith("/") and not shutil.which(program) and not Path(path).exists():
            failures.add("Dockerfile", f"the manifests run {program}, which is neither a ClipCut service nor a program "
                                       "installed here (so its package cannot be checked)")
            continue
        package = package_of(path) if shutil.which("dpkg") else None
        if package is None:
            say(f"note: {program} is not installed here; not checked against the runtime stage")
            continue
        if package.split(":")[0] not in packages:
            failures.add("Dockerfile", f"the runtime stage does not install {package}, which provides {program}")


@functools.lru_cache(maxsize=None)
def local_swift_version():
    swift = shutil.which("swift")
    if not swift:
        return None
    match = re.search(r"Swift version (\d+\.\d+)", subprocess.run([swift, "--version"], capture_output=True, text=True).stdout)
    return match.group(1) if match else None


def check_swift_image(dockerfile, failures):
    image = re.search(r"ARG SWIFT_IMAGE=swift:(\d+\.\d+)", dockerfile.read_text())
    if not image:
        failures.add("Dockerfile", "no ARG SWIFT_IMAGE=swift:<version>-bookworm")
        return
    version = local_swift_version()
    if version and version != image.group(1):
        failures.add("Dockerfile", f"builds with Swift {image.group(1)}; the project is developed with {version}")


# ------------------------------------------------------------------------------------------


def run_checks(root, k8s, dockerfile, kubectl, modern_kubectl, bin_dir, quiet=False):
    failures = Failures()
    say = (lambda *a: None) if quiet else print
    # The edge's config beside the k8s tree checked (the self-test's copies carry their own).
    edge_template = k8s.parent / "scripts/edge/nginx.conf.template"
    if not edge_template.exists():
        edge_template = root / "scripts/edge/nginx.conf.template"
    # Needs neither the binaries nor a render: checked first.
    check_monitoring(root, k8s, failures, say)
    try:
        descriptions = service_descriptions(root, bin_dir)
    except (NotBuilt, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        failures.add("services", str(error))
        return failures
    required, reads, defaults = required_variables(descriptions)
    known_variables = set(defaults)
    check_configuration_doc(root, descriptions, failures)
    grace_default = defaults.get("CLIPCUT_SHUTDOWN_GRACE_SECONDS")
    stream, group = redis_names(descriptions)
    # The oldest and the newest Kubernetes whose schemas kubernetes-validate bundles.
    versions = ["1.25.0", kubernetes_validate.latest_version()]
    with tempfile.TemporaryDirectory() as work:
        tree = prepare_tree(k8s, Path(work))
        renders = {}
        for name, directory, needs_modern in kustomizations(tree):
            tool = modern_kubectl if needs_modern else kubectl
            if tool is None:
                say(f"note: {name} needs a kustomize newer than kubectl 1.20's and none is installed; not rendered")
                continue
            try:
                objects = render(tool, directory)
            except RuntimeError as error:
                failures.add(f"[{name}]", f"kubectl kustomize failed: {error}")
                continue
            renders[name] = objects
            say(f"rendered {name}: {len(objects)} objects")
            if modern_kubectl and not needs_modern:
                try:
                    if normalized(render(modern_kubectl, directory)) != normalized(objects):
                        failures.add(f"[{name}]", "renders differently with the newer kubectl")
                except RuntimeError as error:
                    failures.add(f"[{name}]", f"the newer kubectl cannot render it: {error}")
        for name, objects in renders.items():
            before = len(failures)
            check_schemas(objects, versions, failures, name)
            check_workloads(objects, failures, name, set(required), required, reads, known_variables, grace_default)
            check_services(objects, failures, name)
            check_redis(objects, failures, name)
            check_autoscaling(objects, failures, name, stream, group, is_keda_render=bool(by_kind(objects, "ScaledObject")))
            check_ingress(objects, failures, name, edge_template)
            check_secrets(objects, failures, name)
            for obj in by_kind(objects, "ConfigMap"):
                for key in obj.get("data") or {}:
                    if key.startswith("CLIPCUT_") and key not in known_variables:
                        failures.add(f"[{name}] {where(obj)}", f"{key} is no variable any service reads")
            if len(failures) == before:
                say(f"  {name}: schemas (Kubernetes {', '.join(versions)}), probes, resources, security, Services, "
                    "variables, autoscaling, Ingress routes, Secrets: ok")
        check_web_config(root, k8s, failures, say)
        check_edge_headers(edge_template, failures)
        base = renders.get("base", [])
        check_dockerfile(root, dockerfile, bin_dir, descriptions, base, failures, say)
        check_swift_image(dockerfile, failures)
    # Real secrets never tracked.
    tracked = subprocess.run(["git", "-C", str(root), "ls-files", "--", str(k8s)], capture_output=True, text=True).stdout.split()
    for path in tracked:
        if Path(path).name in ("secrets.env", "jwt-signing-key.pem"):
            failures.add(path, "is tracked by git: real secrets must stay out of the repository")
    return failures


# ------------------------------------------------------------------------------------------
# Self-test: each breakage must be caught.


def replace_once(path, old, new):
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"self-test: {path.name} does not contain exactly one {old!r}; update the self-test")
    path.write_text(text.replace(old, new))


def yaml_edit(path, kind, name, edit):
    docs = list(yaml.safe_load_all(path.read_text()))
    hits = [d for d in docs if d and d.get("kind") == kind and d["metadata"]["name"] == name]
    if len(hits) != 1:
        raise SystemExit(f"self-test: no single {kind}/{name} in {path.name}")
    edit(hits[0])
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def first_container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def drop_env(name):
    def edit(deployment):
        container = first_container(deployment)
        before = len(container["env"])
        container["env"] = [v for v in container["env"] if v["name"] != name]
        assert len(container["env"]) == before - 1
    return edit


MUTATIONS = [
    ("user-service without a readiness probe", "no readinessProbe",
     lambda t: yaml_edit(t / "k8s/base/user-service.yaml", "Deployment", "user-service",
                         lambda d: first_container(d).pop("readinessProbe"))),
    ("upload-service without resource limits", "no resources.limits.cpu",
     lambda t: yaml_edit(t / "k8s/base/upload-service.yaml", "Deployment", "upload-service",
                         lambda d: first_container(d)["resources"].pop("limits"))),
    ("the monitoring-service Service selecting no pods", "matches no Deployment",
     lambda t: yaml_edit(t / "k8s/base/monitoring-service.yaml", "Service", "monitoring-service",
                         lambda s: s["spec"].update(selector={"app.kubernetes.io/name": "monitoring"}))),
    ("a misspelt probe field (schema)", "invalid for Kubernetes",
     lambda t: replace_once(t / "k8s/base/audio-service.yaml", "            failureThreshold: 60\n",
                            "            failureTreshold: 60\n")),
    ("a port that is not a number (schema)", "invalid for Kubernetes",
     lambda t: yaml_edit(t / "k8s/base/redis.yaml", "Service", "redis",
                         lambda s: s["spec"]["ports"][0].update(port="six-three-seven-nine"))),
    ("processing-service without CLIPCUT_SERVICE_TOKEN", "reads CLIPCUT_SERVICE_TOKEN",
     lambda t: yaml_edit(t / "k8s/base/processing-service.yaml", "Deployment", "processing-service",
                         drop_env("CLIPCUT_SERVICE_TOKEN"))),
    ("a Secret key that does not exist", "has no such key",
     lambda t: replace_once(t / "k8s/base/monitoring-service.yaml", "key: POSTGRES_PASSWORD", "key: POSTGRESS_PASSWORD")),
    ("services bound to the loopback address", "loopback",
     lambda t: replace_once(t / "k8s/base/config.yaml", 'CLIPCUT_HTTP_HOST: "0.0.0.0"', 'CLIPCUT_HTTP_HOST: "127.0.0.1"')),
    ("a pod grace period shorter than the worker's", "terminationGracePeriodSeconds",
     lambda t: replace_once(t / "k8s/base/processing-service.yaml", "terminationGracePeriodSeconds: 90",
                            "terminationGracePeriodSeconds: 40")),
    ("no /api/stats route", "no Ingress does",
     lambda t: yaml_edit(t / "k8s/base/ingress.yaml", "Ingress", "clipcut-api",
                         lambda i: i["spec"]["rules"][0]["http"].update(
                             paths=[p for p in i["spec"]["rules"][0]["http"]["paths"] if p["path"] != "/api/stats"]))),
    ("uploads buffered by the Ingress", "proxy-request-buffering",
     lambda t: yaml_edit(t / "k8s/base/ingress.yaml", "Ingress", "clipcut-media",
                         lambda i: i["metadata"]["annotations"].pop("nginx.ingress.kubernetes.io/proxy-request-buffering"))),
    ("/internal routed", "must never be routed",
     lambda t: yaml_edit(t / "k8s/base/ingress.yaml", "Ingress", "clipcut-media",
                         lambda i: i["spec"]["rules"][0]["http"]["paths"].append(
                             {"path": "/internal", "pathType": "Prefix",
                              "backend": {"service": {"name": "upload-service", "port": {"name": "http"}}}}))),
    ("an edge location that drops the server's proxy headers (upstream connections closed)", "inherits none",
     lambda t: replace_once(t / "scripts/edge/nginx.conf.template", '            proxy_set_header Connection "";\n            proxy_set_header Host $host;\n', "")),
    ("Redis without AOF", "appendonly",
     lambda t: replace_once(t / "k8s/base/redis.yaml", '            - --appendonly\n            - "yes"\n', "")),
    ("a real value in a Secret template", "placeholder",
     lambda t: replace_once(t / "k8s/base/secrets/secrets.env.template", "REDIS_PASSWORD=REPLACE_ME", "REDIS_PASSWORD=hunter2hunter2")),
    ("a container running as root", "runAsNonRoot",
     lambda t: yaml_edit(t / "k8s/base/web.yaml", "Deployment", "web",
                         lambda d: (d["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
                                    first_container(d)["securityContext"].pop("runAsNonRoot")))),
    ("no PodDisruptionBudget", "PodDisruptionBudget",
     lambda t: yaml_edit(t / "k8s/base/processing-service.yaml", "PodDisruptionBudget", "processing-service",
                         lambda p: p["spec"].update(selector={"matchLabels": {"app.kubernetes.io/name": "nothing"}}))),
    ("the ScaledObject on the wrong stream", "processing-service --print-config",
     lambda t: yaml_edit(t / "k8s/optional/keda/scaledobject.yaml", "ScaledObject", "processing-service",
                         lambda o: o["spec"]["triggers"][0]["metadata"].update(stream="clipcut:job")), "keda"),
    ("a library package missing from the runtime stage", "does not install libhiredis0.14",
     lambda t: replace_once(t / "Dockerfile", "        libhiredis0.14 \\\n", ""), "ldd"),
    ("a service left out of the base", "no Deployment runs audio-service",
     lambda t: replace_once(t / "k8s/base/kustomization.yaml", "  - audio-service.yaml\n", "")),
    ("the Ingress reading media a page at a time", "proxy-buffer-size",
     lambda t: yaml_edit(t / "k8s/base/ingress.yaml", "Ingress", "clipcut-media",
                         lambda i: i["metadata"]["annotations"].pop("nginx.ingress.kubernetes.io/proxy-buffer-size"))),
    ("the media cache larger than its volume", "media cache's emptyDir sizeLimit",
     lambda t: replace_once(t / "k8s/base/upload-service.yaml", "            sizeLimit: 10Gi", "            sizeLimit: 8Gi")),
    ("the media cache on the read-only root file system", "not on a writable emptyDir",
     lambda t: replace_once(t / "k8s/base/upload-service.yaml", "value: /var/cache/clipcut/media", "value: /var/cache/clipcut/elsewhere")),
    ("the multilingual model where the image does not put it", "CLIPCUT_WHISPER_MULTILINGUAL_MODEL /usr/local/share/clipcut/ggml-base.bin",
     lambda t: replace_once(t / "k8s/base/audio-service.yaml", "value: /usr/local/share/clipcut/models/ggml-base.bin",
                            "value: /usr/local/share/clipcut/ggml-base.bin")),
    ("the page copied elsewhere in the image", "nginx's root /srv/www is on no volume",
     lambda t: replace_once(t / "Dockerfile", "COPY frontend-static/ /srv/www/", "COPY frontend-static/ /srv/web/")),
    ("nginx writing its pid on the read-only root file system", "nginx's pid /run/nginx.pid is not on a writable emptyDir",
     lambda t: replace_once(t / "k8s/base/web-nginx.conf", "pid /tmp/nginx.pid;", "pid /run/nginx.pid;")),
    ("the web page's config mounted where nginx does not read it", "nginx -c /etc/clipcut/nginx/nginx.conf",
     lambda t: replace_once(t / "k8s/base/web.yaml", "mountPath: /etc/clipcut/nginx", "mountPath: /etc/nginx/clipcut")),
    ("a volume hiding the image's models", "hides /usr/local/share/clipcut/models/",
     lambda t: yaml_edit(t / "k8s/base/audio-service.yaml", "Deployment", "audio-service",
                         lambda d: first_container(d)["volumeMounts"].append({"name": "tmp", "mountPath": "/usr/local/share/clipcut"}))),
    ("the runtime stage copying from the build stage itself", "not from the binaries stage",
     lambda t: replace_once(t / "Dockerfile", "COPY --from=binaries /staging/bin/ /usr/local/bin/", "COPY --from=build /staging/bin/ /usr/local/bin/")),
    ("whisper.cpp configured differently from scripts/bootstrap", "GGML_NATIVE",
     lambda t: replace_once(t / "Dockerfile", "-DGGML_NATIVE=OFF", "-DGGML_NATIVE=ON")),
    ("a dashboard query on a metric no service exports", "clipcut_dead_letter_count is no metric",
     lambda t: dashboard_edit(t, "Dead letters", lambda p: p["targets"].append(
         {"refId": "B", "datasource": {"type": "prometheus", "uid": "${datasource}"}, "expr": "max(clipcut_dead_letter_count)"}))),
    ("a histogram queried without _bucket, _sum or _count", "is a histogram",
     lambda t: dashboard_edit(t, "Transcriptions", lambda p: p["targets"][0].update(
         expr="sum(rate(clipcut_transcription_real_time_factor[5m]))"))),
    ("a dashboard matcher on a label the metric does not have", "has no label 'phase'",
     lambda t: dashboard_edit(t, "Job queue depth", lambda p: p["targets"][0].update(
         expr='max(clipcut_jobs{phase="waiting"})'))),
    ("an alert without `for`", "has no `for`",
     lambda t: [drop_for(t / f"k8s/optional/{name}", "ClipCutQueueWaitHigh")
                for name in ("prometheus-rules.rules.yml", "prometheus-rules.yaml")]),
    ("the PrometheusRule and the rules file disagreeing", "differ from prometheus-rules.rules.yml",
     lambda t: replace_once(t / "k8s/optional/prometheus-rules.yaml", "> 0.2\n", "> 0.3\n")),
    ("metric-names.txt listing a metric no source defines", "which no source defines",
     lambda t: (t / "k8s/optional/metric-names.txt").write_text(
         (t / "k8s/optional/metric-names.txt").read_text() + "clipcut_made_up gauge monitoring-service eager -\n")),
    ("an alert that no longer does what its test says", "promtool test rules",
     lambda t: [replace_once(t / f"k8s/optional/{name}", "> 15 * 60\n", "> 60 * 60\n")
                for name in ("prometheus-rules.rules.yml", "prometheus-rules.yaml")], "promtool"),
    ("a dashboard query that does not parse", "promtool cannot parse",
     lambda t: dashboard_edit(t, "Requests in progress", lambda p: p["targets"][0].update(
         expr="sum by (job) (http_server_active_requests{job=~\"$service\"}")), "promtool"),
]


def dashboard_edit(tree, title, edit):
    """Edits the one panel of k8s/optional/grafana-dashboard.json titled `title`."""
    path = tree / "k8s/optional/grafana-dashboard.json"
    dashboard = json.loads(path.read_text())
    hits = [p for p in promql_names._panels(dashboard["panels"]) if p.get("title") == title]
    if len(hits) != 1:
        raise SystemExit(f"self-test: no single panel {title!r} in {path.name}; update the self-test")
    edit(hits[0])
    path.write_text(json.dumps(dashboard, indent=2))


def drop_for(path, alert):
    """Removes the `for:` line of one alert of a rules file."""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == f"- alert: {alert}"), None)
    if start is None:
        raise SystemExit(f"self-test: no alert {alert} in {path.name}; update the self-test")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("- alert:")), len(lines))
    position = next(i for i in range(start, end) if lines[i].strip().startswith("for:"))
    del lines[position]
    path.write_text("".join(lines))


def self_test(root, kubectl, modern_kubectl, bin_dir):
    print("self-test: the unbroken copy must pass")
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work)
        shutil.copytree(root / "k8s", copy / "k8s", ignore=shutil.ignore_patterns("secrets.env", "jwt-signing-key.pem"))
        shutil.copy(root / "Dockerfile", copy / "Dockerfile")
        (copy / "scripts/edge").mkdir(parents=True)
        shutil.copy(root / "scripts/edge/nginx.conf.template", copy / "scripts/edge/nginx.conf.template")
        baseline = run_checks(root, copy / "k8s", copy / "Dockerfile", kubectl, modern_kubectl, bin_dir, quiet=True)
        if baseline:
            for item in baseline.items:
                print(f"  FAIL {item}")
            print("self-test: the unbroken copy fails; fix that first")
            return 1
    binaries_built = bool(bin_dir) and all((Path(bin_dir) / s).exists() for s in service_targets(root))
    missed = 0
    for mutation in MUTATIONS:
        title, expected, apply = mutation[:3]
        needs = mutation[3] if len(mutation) > 3 else None
        if needs == "keda" and modern_kubectl is None:
            print(f"  skipped: {title} (no kubectl newer than 1.20 to render k8s/optional/keda)")
            continue
        if needs == "ldd" and not binaries_built:
            print(f"  skipped: {title} (the service binaries are not built)")
            continue
        if needs == "promtool" and not find_promtool(root):
            print(f"  skipped: {title} (promtool, Debian package prometheus, is not installed)")
            continue
        with tempfile.TemporaryDirectory() as work:
            copy = Path(work)
            shutil.copytree(root / "k8s", copy / "k8s", ignore=shutil.ignore_patterns("secrets.env", "jwt-signing-key.pem"))
            shutil.copy(root / "Dockerfile", copy / "Dockerfile")
            (copy / "scripts/edge").mkdir(parents=True)
            shutil.copy(root / "scripts/edge/nginx.conf.template", copy / "scripts/edge/nginx.conf.template")
            apply(copy)
            failures = run_checks(root, copy / "k8s", copy / "Dockerfile", kubectl, modern_kubectl, bin_dir, quiet=True)
            caught = [f for f in failures.items if expected in f]
            if caught:
                print(f"  caught: {title}\n          {caught[0][:150]}")
            else:
                missed += 1
                print(f"  MISSED: {title} (expected a failure mentioning {expected!r}; got {failures.items[:3]})")
    total = len(MUTATIONS)
    print(f"self-test: {total - missed} of {total} breakages caught" if not missed else f"self-test: {missed} breakage(s) not caught")
    return 1 if missed else 0


def kubectl_minor(kubectl):
    """The minor version of a kubectl 1.x, or 0 when it does not say."""
    try:
        result = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30)
        version = json.loads(result.stdout)["clientVersion"]
        return int(re.match(r"\d+", version["minor"]).group(0)) if version.get("major") == "1" else 0
    except (OSError, ValueError, KeyError, AttributeError, subprocess.TimeoutExpired):
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--kubectl", required=True, help="kubectl 1.20 (Debian's kubernetes-client)")
    parser.add_argument("--modern-kubectl", help="a newer kubectl, for k8s/optional/* and a second rendering")
    parser.add_argument("--bin-dir", help="where the service binaries are built (for ldd)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    root = args.root.resolve()
    if args.modern_kubectl and kubectl_minor(args.modern_kubectl) < 21:
        args.modern_kubectl = None
    if args.self_test:
        return self_test(root, args.kubectl, args.modern_kubectl, args.bin_dir)
    failures = run_checks(root, root / "k8s", root / "Dockerfile", args.kubectl, args.modern_kubectl, args.bin_dir)
    for item in failures.items:
        print(f"FAIL {item}")
    if failures:
        print(f"k8s-check: {len(failures)} problem(s)")
        return 1
    print("k8s-check: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
