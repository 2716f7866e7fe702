#!/usr/bin/env python3
"""Access-control matrix: every route of the four OpenAPI documents, called as anonymous, another
user, the owner and an administrator (and, for internal routes, with the service token).

    access_matrix.py --user URL --upload URL --audio URL --monitoring URL [--service-token T]
                     [--admin-email E [--admin-password P]] [--edge URL]

Registers an owner and another user, uploads a real tiny MP4 with espeak-ng speech (so it gets
renditions, HLS, captions, poster, storyboard and is found by search), waits until it is ready,
and asserts the class of status of each call: 401 without a token where one is needed, 404 (not
403) for another user's video, 2xx for the owner, 403 for non-admins on admin routes, 401 on
internal routes without the service token, and a forged token (`alg: none`, the owner's claims
with the role raised to admin) refused wherever a token is needed. Lists the caller's videos, history and search must not
show another user's video. The admin column needs an account with the admin role: pass
--admin-email (an address in the stack's CLIPCUT_ADMIN_EMAILS registers as the first admin, or an
existing admin logs in); without it the column is skipped. Destructive calls run last, the owner
last of all, and the accounts delete themselves at the end. With --edge, checks that the edge
does not route /internal/. Prints the matrix; exits non-zero on any mismatch.
"""

import base64
import hashlib
import hmac
import json
import sys
import time
import uuid

import requests
import yaml

from hostile_common import (DOCUMENTS, PASSWORD, ROOT, Account, arguments, base_urls, fresh_email, make_video,
                            upload_video, wait_until_processed)

ROLES = ["anon", "forged", "other", "admin", "service", "owner"]  # the order calls are made in (the owner last)
SHOWN = ["anon", "forged", "other", "owner", "admin", "service"]
PUBLIC = {"anon": "2xx", "other": "2xx", "owner": "2xx", "admin": "2xx"}
ANY_USER = {"anon": "401", "other": "2xx", "owner": "2xx", "admin": "2xx"}
OWNER_ONLY = {"anon": "401", "other": "404", "owner": "2xx", "admin": "404"}
OWNER_OR_ADMIN = {"anon": "401", "other": "404", "owner": "2xx", "admin": "2xx"}
ADMIN_ONLY = {"anon": "401", "other": "403", "owner": "403", "admin": "2xx"}
SERVICE_ONLY = {"anon": "401", "other": "401", "owner": "401", "admin": "401", "service": "2xx"}


def media_grant(token, video_id, path, lifetime=600):
    """The query of a SourceGrant for one media file: the MAC also covers its path."""
    expires = int(time.time()) + lifetime
    mac = hmac.new((token or "").encode(), f"clipcut-media-grant\n{video_id}\n{path}\n{expires}".encode(), hashlib.sha256).digest()
    return f"expires={expires}&grant={base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def source_grant(token, video_id, lifetime=600):
    """The query of a SourceGrant (ServiceSupport): HMAC-SHA256 over the video id and the expiry,
    keyed by the service token, base64url without padding."""
    expires = int(time.time()) + lifetime
    mac = hmac.new((token or "").encode(), f"clipcut-source-grant\n{video_id}\n{expires}".encode(), hashlib.sha256).digest()
    return f"expires={expires}&grant={base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


class Row:
    def __init__(self, service, method, doc_path, expect, path=None, last=False, hidden=None, **request):
        self.service, self.method, self.doc_path, self.expect = service, method, doc_path, dict(expect)
        self.path = path or doc_path
        self.last, self.hidden, self.request = last, hidden, request  # hidden: an id the body must not show
        self.results = {}


def routes(ctx):
    """Every documented route, with the concrete request and who may call it."""
    v, w, up = ctx["video"], ctx["spare"], ctx["tus"]
    mp4, media, internal = ctx["mp4"], f"/api/videos/{v}", ctx["internal_access"]
    tus = {"Tus-Resumable": "1.0.0"}

    def register(role):  # a new address each time, remembered so the account can be deleted at the end
        ctx["registered"].append(fresh_email(role))
        return {"json": {"email": ctx["registered"][-1], "password": PASSWORD, "displayName": "Someone"}}

    login = lambda role: {"json": {"email": ctx["accounts"].get(role, ctx["accounts"]["owner"]).email,
                                   "password": ctx["passwords"].get(role, PASSWORD)}}
    return [
        Row("user", "POST", "/api/users", PUBLIC, body=register),
        Row("user", "GET", "/api/users", ADMIN_ONLY),
        Row("user", "POST", "/api/sessions", PUBLIC, body=login),
        Row("user", "GET", "/api/users/me", ANY_USER),
        Row("user", "PATCH", "/api/users/me", ANY_USER, json={"displayName": "Renamed"}),
        Row("user", "GET", "/api/auth/jwks", PUBLIC),
        Row("user", "GET", "/api/users/openapi.yaml", PUBLIC),
        Row("upload", "GET", "/health", PUBLIC), Row("upload", "GET", "/ready", PUBLIC), Row("upload", "GET", "/metrics", PUBLIC),
        Row("upload", "GET", "/api/videos/openapi.yaml", PUBLIC),
        Row("upload", "GET", "/api/videos", ANY_USER, hidden=v),
        Row("upload", "POST", "/api/videos", ANY_USER, data=ctx["small"], headers={"Content-Type": "video/mp4", "X-Title": "matrix"}),
        Row("upload", "GET", "/api/videos/usage", ANY_USER),
        Row("upload", "GET", "/api/uploads", ANY_USER, hidden=up),
        Row("upload", "GET", "/api/videos/{id}", OWNER_ONLY, media),
        Row("upload", "PATCH", "/api/videos/{id}", OWNER_ONLY, media, json={"title": "renamed by the matrix"}),
        Row("upload", "GET", "/api/videos/{id}/playback", OWNER_ONLY, f"{media}/playback"),
        Row("upload", "GET", "/api/videos/{id}/renditions/{file}", OWNER_ONLY, f"{media}/renditions/{ctx['rung']}.mp4"),
        Row("upload", "HEAD", "/api/videos/{id}/renditions/{file}", OWNER_ONLY, f"{media}/renditions/{ctx['rung']}.mp4"),
        Row("upload", "GET", "/api/videos/{id}/hls/{path}", OWNER_ONLY, f"{media}/hls/master.m3u8"),
        Row("upload", "HEAD", "/api/videos/{id}/hls/{path}", OWNER_ONLY, f"{media}/hls/master.m3u8"),
        Row("upload", "GET", "/api/videos/{id}/captions/{file}", OWNER_ONLY, f"{media}/captions/en.vtt"),
        Row("upload", "HEAD", "/api/videos/{id}/captions/{file}", OWNER_ONLY, f"{media}/captions/en.vtt"),
        Row("upload", "PUT", "/api/videos/{id}/captions/{file}", OWNER_ONLY, f"{media}/captions/de.vtt",
            data=b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHallo von der Matrix\n", headers={"Content-Type": "text/vtt"}),
        Row("upload", "DELETE", "/api/videos/{id}/captions/{file}", OWNER_ONLY, f"{media}/captions/de.vtt"),
        Row("upload", "GET", "/api/videos/{id}/poster.jpg", OWNER_ONLY, f"{media}/poster.jpg"),
        Row("upload", "HEAD", "/api/videos/{id}/poster.jpg", OWNER_ONLY, f"{media}/poster.jpg"),
        Row("upload", "GET", "/api/videos/{id}/storyboard.jpg", OWNER_ONLY, f"{media}/storyboard.jpg"),
        Row("upload", "GET", "/api/videos/{id}/storyboard.vtt", OWNER_ONLY, f"{media}/storyboard.vtt"),
        Row("upload", "OPTIONS", "/api/uploads", PUBLIC),
        Row("upload", "POST", "/api/uploads", ANY_USER, headers={**tus, "Upload-Length": "1000"}),
        Row("upload", "HEAD", "/api/uploads/{upload}", OWNER_ONLY, f"/api/uploads/{up}", headers=tus),
        Row("upload", "PATCH", "/api/uploads/{upload}", OWNER_ONLY, f"/api/uploads/{up}", data=mp4[:1000],
            headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}),
        Row("upload", "GET", "/internal/videos/{id}", internal, f"/internal/videos/{w}"),
        Row("upload", "GET", "/internal/videos/{id}/source", internal, f"/internal/videos/{w}/source"),
        # Without a grant even the service token is refused; with one (minted as processing-service
        # does, from the token) anyone holding the URL reads that source, whatever else they send.
        Row("upload", "GET", "/internal/videos/{id}/granted-source", {role: code for role, code in internal.items()
                                                                      if role != "service"} | ({"service": "401"} if internal else {}),
            f"/internal/videos/{w}/granted-source"),
        Row("upload", "GET", "/internal/videos/{id}/granted-source", {role: "2xx" for role in ROLES},
            f"/internal/videos/{w}/granted-source?{source_grant(ctx['service_token'], w)}"),
        Row("upload", "GET", "/internal/videos/{id}/granted-media/{path}", {role: code for role, code in internal.items()
                                                                           if role != "service"} | ({"service": "401"} if internal else {}),
            f"/internal/videos/{v}/granted-media/{ctx['rung']}/video.mp4"),
        Row("upload", "GET", "/internal/videos/{id}/granted-media/{path}", {role: "2xx" for role in ROLES},
            f"/internal/videos/{v}/granted-media/{ctx['rung']}/video.mp4?"
            f"{media_grant(ctx['service_token'], v, ctx['rung'] + '/video.mp4')}"),
        Row("upload", "PUT", "/internal/videos/{id}/media/{path}", internal, f"/internal/videos/{w}/media/matrix/probe.txt",
            data=b"written by the access matrix", headers={"Content-Type": "application/octet-stream"}),
        Row("upload", "GET", "/internal/videos/{id}/media/{path}", internal, f"/internal/videos/{w}/media/matrix/probe.txt"),
        Row("audio", "POST", "/v1/audio/transcriptions", ctx["audio_access"], files={"file": ("speech.mp4", mp4, "video/mp4")},
            data={"model": "whisper-1", "response_format": "json"}),
        Row("audio", "POST", "/v1/audio/translations", ctx["audio_access"], files={"file": ("speech.mp4", mp4, "video/mp4")},
            data={"model": "whisper-1", "response_format": "json"}),
        Row("audio", "GET", "/v1/models", ctx["audio_access"]),
        Row("audio", "GET", "/v1/openapi.yaml", PUBLIC),
        Row("monitoring", "GET", "/health", PUBLIC), Row("monitoring", "GET", "/ready", PUBLIC), Row("monitoring", "GET", "/metrics", PUBLIC),
        Row("monitoring", "GET", "/api/history/openapi.yaml", PUBLIC),
        Row("monitoring", "GET", "/api/history", ANY_USER, hidden=v),
        Row("monitoring", "GET", "/api/history", ADMIN_ONLY, f"/api/history?owner={ctx['accounts']['owner'].id}"),
        Row("monitoring", "GET", "/api/history/{videoId}", OWNER_OR_ADMIN, f"/api/history/{v}"),
        Row("monitoring", "GET", "/api/videos/{id}/events", OWNER_OR_ADMIN, f"/api/videos/{v}/events", stream=True),
        Row("monitoring", "GET", "/api/search", ANY_USER, "/api/search?q=penguin", hidden=v),
        Row("upload", "POST", "/api/videos/{id}/clips", OWNER_ONLY, f"/api/videos/{v}/clips", json={"from": 0, "to": 1}),
        Row("monitoring", "GET", "/api/stats", ADMIN_ONLY),
        Row("monitoring", "GET", "/api/queue", ADMIN_ONLY),
        Row("monitoring", "PUT", "/api/queue/weights/{id}", ADMIN_ONLY, f"/api/queue/weights/{ctx['accounts']['other'].id}",
            json={"weight": 1}),
        # The owner's video is ready: nothing of it waits, so even an administrator gets 409.
        Row("monitoring", "POST", "/api/queue/priority/{id}", ADMIN_ONLY | {"admin": "409"}, f"/api/queue/priority/{v}"),
        Row("monitoring", "GET", "/api/stats", ADMIN_ONLY, "/api/stats?days=90"),
        # The operator's view in upload-service: storage by owner, the dead letters and what acts on
        # them. The role is checked first: a user is refused even for their own video. No dead letter
        # 0-1 and no video `missing` exist, so an administrator gets 404 there.
        Row("upload", "GET", "/api/videos/usage/owners", ADMIN_ONLY),
        Row("upload", "GET", "/api/jobs/dead", ADMIN_ONLY),
        Row("upload", "POST", "/api/jobs/dead/{id}/retry", ADMIN_ONLY | {"admin": "404"}, "/api/jobs/dead/0-1/retry"),
        Row("upload", "DELETE", "/api/jobs/dead/{id}", ADMIN_ONLY | {"admin": "404"}, "/api/jobs/dead/0-1"),
        Row("upload", "POST", "/api/videos/{id}/captions/rerun", {role: code for role, code in ADMIN_ONLY.items() if role != "admin"},
            f"{media}/captions/rerun"),
        Row("upload", "POST", "/api/videos/{id}/captions/rerun", ADMIN_ONLY | {"admin": "404"}, f"/api/videos/{ctx['missing']}/captions/rerun"),
        # Destructive, in this order, after everything else.
        Row("upload", "DELETE", "/api/uploads/{upload}", OWNER_ONLY, f"/api/uploads/{up}", last=True, headers=tus),
        Row("upload", "DELETE", "/internal/videos/{id}/media", internal, f"/internal/videos/{w}/media", last=True),
        Row("upload", "DELETE", "/api/videos/{id}", OWNER_ONLY, media, last=True),
        Row("user", "DELETE", "/api/users/me", ANY_USER, last=True),
    ]


class Forged:
    """The owner's token with `alg: none`, no signature and the role raised to admin."""

    def __init__(self, token):
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        encode = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
        self.auth = {"Authorization": f"Bearer {encode({'alg': 'none', 'typ': 'JWT'})}.{encode({**claims, 'role': 'admin'})}."}


def call(row, role, ctx):
    account = ctx["accounts"].get(role)
    headers = dict(row.request.get("headers", {}))
    if role == "service":
        headers["Authorization"] = f"Bearer {ctx['service_token']}"
    elif account:
        headers.update(account.auth)
    kwargs = {key: value for key, value in row.request.items() if key not in ("headers", "body", "stream")}
    if "body" in row.request:
        kwargs.update(row.request["body"](role))
    url = ctx["urls"][row.service] + row.path
    try:
        answer = requests.request(row.method, url, headers=headers, timeout=(5, 60), stream=row.request.get("stream", False), **kwargs)
    except requests.RequestException as error:
        return "ERR", f"{type(error).__name__}"
    if row.request.get("stream"):
        answer.close()  # the status is all we need of the SSE feed
        return str(answer.status_code), ""
    note = ""
    if row.hidden and answer.status_code == 200 and row.hidden in answer.text and role != "owner":
        note = "shows the owner's video"
    return str(answer.status_code), note


def matches(status, expected):
    return status == expected or (expected.endswith("xx") and status[:1] == expected[0])


def documented():
    operations = set()
    for service, path in DOCUMENTS.items():
        with open(f"{ROOT}/{path}") as handle:
            for route, item in yaml.safe_load(handle)["paths"].items():
                methods = [method for method in item if method in ("get", "put", "post", "patch", "delete", "head", "options")]
                operations |= {(service, method.upper(), route) for method in methods}
    return operations


def main():
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--admin-email", help="an address in CLIPCUT_ADMIN_EMAILS, or an existing admin's")
    parser.add_argument("--admin-password", default=PASSWORD)
    parser.add_argument("--edge", help="the nginx edge's URL: /internal/ must not be routed")
    args = parser.parse_args()
    urls, notes = base_urls(args), []
    accounts = {"owner": Account(urls["user"], fresh_email("owner")), "other": Account(urls["user"], fresh_email("other"))}
    passwords = {}
    if args.admin_email:
        admin = Account(urls["user"], args.admin_email, args.admin_password)
        if admin.role == "admin":
            accounts["admin"], passwords["admin"] = admin, args.admin_password
        else:
            notes.append(f"{args.admin_email} has the role {admin.role} (an admin existed before it registered?): admin column skipped")
    else:
        notes.append("no --admin-email: admin column skipped (register an address listed in CLIPCUT_ADMIN_EMAILS to test it)")
    audio_open = requests.get(f"{urls['audio']}/v1/models", timeout=30).status_code == 200
    if audio_open:
        notes.append("audio-service answers without a service token (CLIPCUT_SERVICE_TOKEN unset there): its routes are open to all")

    owner = accounts["owner"]
    mp4, small = make_video(speech=True), make_video(speech=False)
    video = upload_video(urls["upload"], owner, mp4, title="matrix video")
    spare = upload_video(urls["upload"], owner, small, title="matrix spare")
    tus = requests.post(f"{urls['upload']}/api/uploads", timeout=30,
                        headers={**owner.auth, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(mp4))})
    if not args.service_token:
        internal = requests.get(f"{urls['upload']}/internal/videos/{spare}", timeout=30).status_code
        notes.append("no service token given: internal routes not checked" + (
            " (they answer without one: upload-service has no CLIPCUT_SERVICE_TOKEN)" if internal == 200 else f" (they answer {internal})"))
    ready = wait_until_processed(urls["upload"], owner, video, captions=True)
    wait_until_processed(urls["upload"], owner, spare)
    ctx = {"urls": urls, "accounts": accounts, "passwords": passwords, "service_token": args.service_token,
           "registered": [], "mp4": mp4, "small": small, "video": video, "spare": spare, "missing": str(uuid.uuid4()),
           "tus": tus.headers["Location"].rsplit("/", 1)[-1],
           "rung": ready["renditions"][-1]["quality"],
           "internal_access": SERVICE_ONLY if args.service_token else {},
           "audio_access": PUBLIC if audio_open else SERVICE_ONLY if args.service_token else {}}
    print(f"owner {owner.id}, other {accounts['other'].id}, video {video} (captions {ready.get('captionState')}), spare {spare}")

    rows = routes(ctx)
    accounts["forged"] = Forged(owner.token)
    for row in rows:
        if row.expect.get("anon") == "401":
            row.expect["forged"] = "401"
    if ready.get("captionState") != "ready":
        notes.append(f"the video's captions are {ready.get('captionState')}: the caption rows expect 404 for the owner")
        for row in rows:
            if "/captions/" in row.doc_path:
                row.expect["owner"] = "404"
    if "admin" in accounts and not admin.created:
        rows[-1].expect.pop("admin")  # never delete an admin the matrix did not create
    missing = documented() - {(row.service, row.method, row.doc_path) for row in rows}
    if args.edge and args.service_token:
        ctx["urls"]["edge"] = args.edge.rstrip("/")
        rows.append(Row("edge", "GET", "/internal/videos/{id}", {"service": "404"}, f"/internal/videos/{spare}"))
    for row in [row for row in rows if not row.last] + [row for row in rows if row.last]:
        for role in ROLES:
            if role in row.expect and (role in accounts or role == "anon" or role == "service"):
                status, note = call(row, role, ctx)
                row.results[role] = (status, note, matches(status, row.expect[role]) and not note)

    for email in ctx["registered"]:  # the accounts the POST /api/users row made
        session = requests.post(f"{urls['user']}/api/sessions", json={"email": email, "password": PASSWORD}, timeout=30)
        if session.status_code == 200:
            requests.delete(f"{urls['user']}/api/users/me", headers={"Authorization": f"Bearer {session.json()['token']}"}, timeout=30)

    failures = 0
    print(f"\n{'route':<60}" + "".join(f"{role:>12}" for role in SHOWN))
    for row in rows:
        cells = []
        for role in SHOWN:
            if role not in row.results:
                cells.append("skip" if role in row.expect else "-")
                continue
            status, note, ok = row.results[role]
            failures += not ok
            cells.append(f"{status} ok" if ok else f"{status}!={row.expect[role]}" + (" LEAK" if note else ""))
        label = f"{row.service:<10} {row.method:<7} {row.path if '?' in row.path else row.doc_path}"
        print(f"{label[:60]:<60}" + "".join(f"{cell:>12}" for cell in cells))
    for service, method, path in sorted(missing):
        print(f"NOT COVERED: {service} {method} {path} (documented, no row in access_matrix.py)")
    for note in notes:
        print(f"note: {note}")
    checked = sum(len(row.results) for row in rows)
    print(f"\naccess-matrix: {checked - failures} passed, {failures + len(missing)} failed")
    return 1 if failures or missing else 0


if __name__ == "__main__":
    sys.exit(main())
