#!/usr/bin/env python3
"""Fuzz every service's OpenAPI document with schemathesis, anonymously and with a valid token.

    schemathesis_run.py --user URL --upload URL --audio URL --monitoring URL
                        [--service-token T] [--admin-email E [--admin-password P]]
                        [--mode short|long] [--report-dir DIR] [--only user,upload,...]

Registers a throwaway user, logs in, uploads one tiny video and waits until it is ready (its id
is mixed into `{id}` path parameters by schemathesis_hooks.py), then runs `schemathesis run` on each document in the
checkout twice: without credentials and with a bearer token (user-service, upload-service and
monitoring-service: the user's access token; audio-service: CLIPCUT_SERVICE_TOKEN when the stack
has one); upload-service's /internal/ routes a third time with the service token, if given; and
the admin-only reads (GET /api/users, /api/stats, /api/history) as an admin with --admin-email
(an address in CLIPCUT_ADMIN_EMAILS registers as the first admin; an admin made here is deleted
at the end, like the fuzzing user). Checks: all of schemathesis's but the few that
Tests/Hostile/schemathesis.toml turns off and explains (so: no 5xx, documented status codes,
content types, headers and JSON bodies, invalid input rejected, auth not ignored...).

Modes: short (scripts/test; about two minutes) = 5 examples per operation, no stateful phase;
long (scripts/chaos) = 100 examples and the stateful phase.

Left out, on purpose:
- DELETE /api/users/me in the run with the token (it would delete the fuzzing user and turn the
  rest of the run into 401s); Tests/Hostile/access_matrix.py covers it.
- Huge bodies: schemathesis sends small ones; the 413 limits have Swift tests (upload, tus, user,
  audio).
- The SSE feed /api/videos/{id}/events is fuzzed, bounded by a request timeout (see the toml).
Fuzzing POST /api/sessions fails logins (20 from one address in 15 minutes throttle it: 429
even for the right password): user-service runs last, and the access matrix should run first.

Prints a table of the runs and exits non-zero when any run found a failure. Full outputs (with
a curl line for each failure) are in the report directory.
"""

import os
import re
import subprocess
import sys
import time

import requests

from hostile_common import (DOCUMENTS, PASSWORD, ROOT, Account, arguments, base_urls, fresh_email, make_video,
                            upload_video, wait_until_processed)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
MODES = {
    "short": {"examples": 5, "phases": "examples,coverage,fuzzing", "timeout": 600},
    "long": {"examples": 100, "phases": "examples,coverage,fuzzing,stateful", "timeout": 1800},
}
# monitoring first, while the real video exists (upload-service's fuzzing may delete it: schemathesis
# reuses ids from responses); user-service last, since fuzzing logins throttles the address.
ORDER = ["monitoring", "upload", "audio", "user"]
EXCLUDED_WITH_TOKEN = {"user": ["--exclude-operation-id", "deleteMe"]}


def run_one(service, url, label, headers, mode, report_dir, extra_env):
    settings = MODES[mode]
    name = f"{service}-{label}"
    command = [
        SCHEMATHESIS, "--config-file", os.path.join(HERE, "schemathesis.toml"), "run",
        os.path.join(ROOT, DOCUMENTS[service]), "--url", url,
        "--max-examples", str(settings["examples"]), "--phases", settings["phases"],
        "--request-timeout", "30", "--workers", "1",  # CPython 3.11.7 ast bug (gh-106905) with threads
        "--no-color", "--output-truncate", "false",
        "--generation-database", "none",
        "--report", "junit", "--report-junit-path", os.path.join(report_dir, f"{name}.xml"),
    ]
    for header in headers:
        command += ["--header", header]
    if label == "token":
        command += EXCLUDED_WITH_TOKEN.get(service, [])
    if label == "service":
        command += ["--include-path-regex", "^/internal/"]
    if label == "admin":
        command += ["--include-operation-id-regex", "^(listUsers|stats|listHistory)$"]
    env = {**os.environ, **extra_env, "SCHEMATHESIS_HOOKS": os.path.join(HERE, "schemathesis_hooks.py")}
    started = time.monotonic()
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=settings["timeout"])
        output, code = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired as timeout:
        output = (timeout.stdout or b"").decode(errors="replace") if isinstance(timeout.stdout, bytes) else (timeout.stdout or "")
        output += f"\nTIMED OUT after {settings['timeout']} s"
        code = -1
    path = os.path.join(report_dir, f"{name}.txt")
    with open(path, "w") as handle:
        handle.write(output)
    return {"name": name, "code": code, "seconds": time.monotonic() - started, "output": output, "path": path}


def summarise(run):
    """(closing line, {operation: failure kinds}) from schemathesis's output."""
    lines = run["output"].splitlines()
    closing = [line.strip("= ") for line in lines if re.match(r"^=+ .* in [0-9.]+s =+$", line)]
    verdict = closing[-1] if closing else ("timed out" if run["code"] == -1 else "no summary line")
    failures, operation, in_details, title_next = {}, None, False, False
    for line in lines:
        section = re.match(r"^=+ ([A-Z ]+) =+$", line)
        if section:
            in_details = section.group(1) in ("FAILURES", "ERRORS")
            continue
        heading = re.match(r"^_{3,} (.+?) _{3,}$", line)
        if in_details and heading:
            operation, title_next = heading.group(1), True
        elif in_details and operation and line.startswith("- "):
            failures.setdefault(operation, set()).add(line[2:].strip())
            title_next = False
        elif in_details and operation and title_next and line.strip() and not line[0].isdigit() and not line[0].isspace():
            failures.setdefault(operation, set()).add(line.strip())  # an error's title
            title_next = False
    return verdict, failures


def main():
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="short")
    parser.add_argument("--report-dir", default=os.path.join(ROOT, ".test-output", "hostile", "schemathesis"))
    parser.add_argument("--only", default=",".join(ORDER), help="comma-separated services to fuzz")
    parser.add_argument("--admin-email", help="an address in CLIPCUT_ADMIN_EMAILS, or an existing admin's")
    parser.add_argument("--admin-password", default=PASSWORD)
    args = parser.parse_args()
    urls = base_urls(args)
    os.makedirs(args.report_dir, exist_ok=True)

    account = Account(urls["user"], fresh_email("fuzz"))
    video_id = upload_video(urls["upload"], account, make_video(speech=False), title="fuzz target")
    wait_until_processed(urls["upload"], account, video_id)
    print(f"fuzzing as {account.email} ({account.id}); real video {video_id}; mode {args.mode}", flush=True)
    if not args.service_token:
        print("note: no service token given: the audio-service run 'token' sends the user's access token", flush=True)
    admin = Account(urls["user"], args.admin_email, args.admin_password) if args.admin_email else None
    if admin and admin.role != "admin":
        print(f"note: {args.admin_email} has the role {admin.role}: no admin pass", flush=True)
        admin = None

    runs = []
    for service in [name for name in ORDER if name in args.only.split(",")]:
        token = args.service_token if service == "audio" and args.service_token else account.token
        passes = [("anonymous", []), ("token", [f"Authorization: Bearer {token}"])]
        if service == "upload" and args.service_token:  # the internal routes, as processing-service calls them
            passes.append(("service", [f"Authorization: Bearer {args.service_token}"]))
        if service in ("user", "monitoring") and admin:
            passes.append(("admin", [f"Authorization: Bearer {admin.token}"]))
        for label, headers in passes:
            run = run_one(service, urls[service], label, headers, args.mode, args.report_dir, {"HOSTILE_VIDEO_ID": video_id})
            verdict, failures = summarise(run)
            run.update(verdict=verdict, failures=failures)
            print(f"  {run['name']:<22} {'ok ' if run['code'] == 0 else 'FAIL'} {run['seconds']:6.1f} s  {verdict}", flush=True)
            runs.append(run)

    for created in [account] + ([admin] if admin and admin.created else []):
        requests.delete(f"{urls['user']}/api/users/me", headers=created.auth, timeout=30)  # its videos go too

    print("\nschemathesis summary")
    failed = [run for run in runs if run["code"] != 0]
    for run in failed:
        print(f"\n{run['name']}: {run['verdict']}  (full output with curl lines: {run['path']})")
        for operation, kinds in sorted(run["failures"].items()):
            print(f"  {operation}")
            for kind in sorted(kinds):
                print(f"      {kind}")
    passed = len(runs) - len(failed)
    print(f"\nschemathesis: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
