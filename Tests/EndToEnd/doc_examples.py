"""Runs every example in README.md and docs/*.md against a running stack, as a reader would.

A fenced block whose info string is `sh example` (or `python example`) is an example: each
document's examples run in order in one bash process (so `TOKEN=...` in one block is there in the
next), in a fresh directory of their own, with `set -euo pipefail`; python blocks run with this
venv's python, inside the same script. `sh example skip: <reason>` marks a block that cannot run
here; the reason is printed and must be given. A sh (or python) block with neither tag fails the
run: nothing untested slips in.

    doc_examples.py EDGE_URL BIN_DIR WORK_DIR [--audio URL] [--service-token T]

The examples see CLIPCUT (the edge), CLIPCUT_AUDIO and CLIPCUT_SERVICE_TOKEN (audio-service, not
behind the edge), and BIN_DIR (the `clipcut` CLI) first on PATH.
"""

import argparse
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def blocks(path):
    """(line, language, tag, code) of every fenced block: ```<language> <tag>, also indented
    (inside a list), the code dedented by the fence's indentation."""
    found, lines = [], open(path, encoding="utf-8").read().split("\n")
    index = 0
    while index < len(lines):
        stripped = lines[index].lstrip(" ")
        if stripped.startswith("```"):
            indent = len(lines[index]) - len(stripped)
            info = stripped[3:].strip().split(None, 1)
            language, tag = (info[0] if info else ""), (info[1] if len(info) > 1 else "")
            start, code = index + 1, []
            index += 1
            while index < len(lines) and not lines[index].lstrip(" ").startswith("```"):
                code.append(lines[index][indent:] if lines[index][:indent].strip() == "" else lines[index])
                index += 1
            found.append((start, language, tag, "\n".join(code)))
        index += 1
    return found


def script_for(document, examples, python):
    """One bash script running `examples` in order, announcing each on stderr."""
    parts = ["set -euo pipefail"]
    for line, language, code in examples:
        parts.append(f"echo '::: {document}:{line}' >&2")
        if language == "python":
            parts.append(f"{python} - <<'CLIPCUT_EXAMPLE_PY'\n{code}\nCLIPCUT_EXAMPLE_PY")
        else:
            parts.append(code)
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("edge")
    parser.add_argument("bin_dir")
    parser.add_argument("work")
    parser.add_argument("--audio", default=os.environ.get("CLIPCUT_AUDIO_SERVICE_URL", ""))
    parser.add_argument("--service-token", default=os.environ.get("CLIPCUT_SERVICE_TOKEN", ""))
    options = parser.parse_args()

    documents = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    failures, ran, skipped = [], 0, 0
    for path in documents:
        name = os.path.relpath(path, ROOT)
        examples = []
        for line, language, tag, code in blocks(path):
            words = tag.split(None, 1)
            if words and words[0] == "example":
                rest = words[1] if len(words) > 1 else ""
                if rest.startswith("skip:") and rest[len("skip:"):].strip():
                    print(f"  SKIP {name}:{line}: {rest[len('skip:'):].strip()}")
                    skipped += 1
                elif rest:
                    failures.append(f"{name}:{line}: unknown example tag {tag!r} (skip: needs a reason)")
                elif language not in ("sh", "python"):
                    failures.append(f"{name}:{line}: examples are sh or python, not {language!r}")
                else:
                    examples.append((line, language, code))
            elif language in ("sh", "bash", "shell", "console", "python"):
                failures.append(f"{name}:{line}: a {language} block is neither run (`{language} example`) nor says why not "
                                f"(`{language} example skip: <reason>`)")
        if not examples:
            continue
        directory = os.path.join(options.work, name.replace("/", "_"))
        os.makedirs(directory, exist_ok=True)
        script = os.path.join(directory, "examples.sh")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(script_for(name, examples, sys.executable))
        environment = dict(os.environ, CLIPCUT=options.edge, CLIPCUT_AUDIO=options.audio,
                           CLIPCUT_SERVICE_TOKEN=options.service_token or "none",
                           CLIPCUT_CONFIG_DIR=os.path.join(directory, "config"),
                           PATH=options.bin_dir + os.pathsep + os.environ.get("PATH", ""))
        try:
            result = subprocess.run(["bash", script], cwd=directory, env=environment, capture_output=True, text=True, timeout=600)
            status, output, errors = result.returncode, result.stdout, result.stderr
        except subprocess.TimeoutExpired as timeout:
            status, output, errors = "timeout", timeout.stdout or "", timeout.stderr or ""
            output, errors = (o.decode() if isinstance(o, bytes) else o for o in (output, errors))
        ran += len(examples)
        markers = [line for line in errors.split("\n") if line.startswith("::: ")]
        if status != 0:
            where = markers[-1][4:] if markers else name
            failures.append(f"{where}: the example failed ({status})\n--- stdout (end)\n{output[-1500:]}\n--- stderr (end)\n{errors[-2500:]}")
        else:
            print(f"  ok   {name}: {len(examples)} example(s)")
    # What the README says of the request `curl -T` makes without -X POST.
    put = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-X", "PUT", "--data-binary", "x", options.edge + "/api/videos"],
                         capture_output=True, text=True, timeout=30).stdout
    headers = dict((name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in put.splitlines()[1:]) if value)
    if not put.startswith("HTTP/1.1 405") or headers.get("allow") != "GET, POST":
        failures.append(f"README.md: PUT /api/videos should answer 405 with Allow: GET, POST; it answered\n{put}")
    print(f"doc examples: {ran} run, {skipped} skipped, {len(failures)} problem(s)")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
