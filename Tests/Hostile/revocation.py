"""Tokens outlive nothing they stood for: after a password change, and after an account is
deleted, the old access token is refused (401) by every service that takes user tokens
(user-, upload- and monitoring-service) within a second; a token issued after the change works.

    revocation.py --user URL --upload URL --monitoring URL
"""

import argparse
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import PASSWORD, Account, finish, fresh_email  # noqa: E402


def statuses(urls, token):
    """The status of one authenticated read on each service."""
    paths = {"user": "/api/users/me", "upload": "/api/videos", "monitoring": "/api/history"}
    return {name: requests.get(urls[name] + path, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code
            for name, path in paths.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("user", "upload", "monitoring"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    urls = {name: getattr(args, name).rstrip("/") for name in ("user", "upload", "monitoring")}
    failures = []
    account = Account(urls["user"], fresh_email("revoke"))
    old = account.token
    if statuses(urls, old) != {"user": 200, "upload": 200, "monitoring": 200}:
        failures.append(f"password change: before it, the token answered {statuses(urls, old)}")

    new_password = PASSWORD + "-changed"
    changed = requests.patch(f"{urls['user']}/api/users/me", json={"password": new_password, "currentPassword": PASSWORD},
                             headers=account.auth, timeout=30)
    if changed.status_code != 200:
        failures.append(f"password change: {changed.status_code} {changed.text[:200]}")
    time.sleep(1.2)
    after = statuses(urls, old)
    print(f"the token issued before the password change, 1.2 s after it: {after}", flush=True)
    if after != {"user": 401, "upload": 401, "monitoring": 401}:
        failures.append(f"password change: old token still answered {after}")
    session = requests.post(f"{urls['user']}/api/sessions", json={"email": account.email, "password": new_password}, timeout=30)
    fresh = session.json().get("token", "") if session.status_code == 200 else ""
    if statuses(urls, fresh) != {"user": 200, "upload": 200, "monitoring": 200}:
        failures.append(f"password change: the new token answered {statuses(urls, fresh)}")

    deleted = requests.delete(f"{urls['user']}/api/users/me", headers={"Authorization": f"Bearer {fresh}"}, timeout=30)
    if deleted.status_code != 204:
        failures.append(f"deletion: {deleted.status_code} {deleted.text[:200]}")
    time.sleep(1.2)
    gone = statuses(urls, fresh)
    print(f"the token of the deleted account, 1.2 s after: {gone}", flush=True)
    if gone != {"user": 401, "upload": 401, "monitoring": 401}:
        failures.append(f"deletion: the token still answered {gone}")
    finish("token-revocation", 2, failures)


if __name__ == "__main__":
    main()
