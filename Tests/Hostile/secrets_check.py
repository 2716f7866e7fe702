"""No secret in the repository, none in the services' logs.

    secrets_check.py REPO_ROOT LOG_DIR [LOG_DIR...] [--secret VALUE ...]

Fails when a tracked file holds a private key (other than the k8s templates' placeholders), or
when a log line holds an access token (a JWT), a bearer header, a password the tests used, or
one of the --secret values (the playback secret, the service token). Exits 1 with the findings.
"""
import os
import re
import subprocess
import sys

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
BEARER = re.compile(r"Bearer\s+[A-Za-z0-9._-]{16,}")
PRIVATE_KEY = re.compile(r"-----BEGIN (?:EC |RSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
TEST_PASSWORDS = ["correct horse battery staple", "correct horse battery"]


def main():
    arguments = sys.argv[1:]
    secrets = [arguments[i + 1] for i, a in enumerate(arguments) if a == "--secret" and i + 1 < len(arguments)]
    positional = [a for i, a in enumerate(arguments) if a != "--secret" and (i == 0 or arguments[i - 1] != "--secret")]
    root, log_dirs = positional[0], positional[1:]
    findings = []

    tracked = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    for path in filter(None, tracked):
        full = os.path.join(root, path)
        if not os.path.isfile(full) or os.path.getsize(full) > 2_000_000:
            continue
        text = open(full, "rb").read().decode("utf-8", errors="replace")
        for match in PRIVATE_KEY.finditer(text):
            block = text[match.start():match.start() + 400]
            if "REPLACE_ME" in block or "placeholder" in block.lower():
                continue
            findings.append(f"{path}: a private key")
        if JWT.search(text) and not path.startswith(("Tests/", "Benchmarks/", "docs/")):
            findings.append(f"{path}: something shaped like an access token")

    lines_read = 0
    for directory in log_dirs:
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            if not name.endswith(".log"):
                continue
            for number, line in enumerate(open(os.path.join(directory, name), errors="replace"), 1):
                lines_read += 1
                where = f"{name}:{number}"
                if JWT.search(line):
                    findings.append(f"{where}: an access token")
                if BEARER.search(line):
                    findings.append(f"{where}: a bearer header")
                for password in TEST_PASSWORDS:
                    if password in line:
                        findings.append(f"{where}: a password")
                for secret in secrets:
                    if secret and secret in line:
                        findings.append(f"{where}: a configured secret")
    if findings:
        print("secrets check FAILED:\n  " + "\n  ".join(sorted(set(findings))[:50]))
        return 1
    print(f"secrets check: {len(tracked)} tracked files and {lines_read} log lines hold no key, token or password")
    return 0


if __name__ == "__main__":
    sys.exit(main())
