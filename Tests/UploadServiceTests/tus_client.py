"""An independent tus 1.0 client run against upload-service: tuspy (PyPI) plus a raw socket.

    tus_client.py BASE_URL TOKEN FILE CHUNK_SIZE

1. tuspy creates the upload (with filename and title metadata) and sends CHUNK_SIZE PATCHes
   until about a third of the file is there, then stops.
2. A raw PATCH announces the rest of the file but the socket is closed after half of it
   (a connection that broke mid-request).
3. HEAD is polled until the server has counted what it received; tuspy resumes from that
   offset with a new uploader on the same URL, and finishes.

Prints JSON: the upload URL, the offsets seen, the video id, and the response of GET /api/videos/ID.
"""
import json
import socket
import sys
import time
import urllib.parse
import urllib.request

from tusclient import client as tus

base, token, path, chunk_size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
auth = {"Authorization": f"Bearer {token}"}

tus_client = tus.TusClient(f"{base}/api/uploads", headers=auth)
uploader = tus_client.uploader(
    path, chunk_size=chunk_size, metadata={"filename": "interrupted.mp4", "title": "Interrupted ünïcode upload"})
uploader.upload(stop_at=len(data) // 3)
url = uploader.url
first_offset = uploader.offset


def head_offset():
    request = urllib.request.Request(url, method="HEAD", headers={**auth, "Tus-Resumable": "1.0.0"})
    with urllib.request.urlopen(request) as response:
        return int(response.headers["Upload-Offset"]), response.headers.get("X-Video-Id")


# A PATCH that promises the rest but breaks after half of it.
parsed = urllib.parse.urlsplit(url)
rest = data[first_offset:]
sent = len(rest) // 2
sock = socket.create_connection((parsed.hostname, parsed.port))
sock.sendall((
    f"PATCH {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAuthorization: Bearer {token}\r\n"
    f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {first_offset}\r\nContent-Type: application/offset+octet-stream\r\n"
    f"Content-Length: {len(rest)}\r\n\r\n").encode())
sock.sendall(rest[:sent])
time.sleep(0.5)
sock.shutdown(socket.SHUT_RDWR)
sock.close()

deadline = time.time() + 20
interrupted_offset, video_id = head_offset()
while interrupted_offset == first_offset and time.time() < deadline:
    time.sleep(0.2)
    interrupted_offset, video_id = head_offset()

# Resume with a fresh uploader, as a client restarted after the failure would.
for attempt in range(50):
    try:
        resumed = tus_client.uploader(path, url=url, chunk_size=chunk_size)
        resumed_from = resumed.offset
        resumed.upload()
        break
    except Exception as error:  # 409 while the broken request is still being closed: retry
        if attempt == 49:
            raise
        time.sleep(0.2)
final_offset, video_id = head_offset()

request = urllib.request.Request(f"{base}/api/videos/{video_id}", headers=auth)
with urllib.request.urlopen(request) as response:
    video = json.load(response)
print(json.dumps({
    "url": url, "firstOffset": first_offset, "interruptedOffset": interrupted_offset, "sentBeforeBreak": sent,
    "resumedFrom": resumed_from, "finalOffset": final_offset, "length": len(data), "videoId": video_id, "video": video,
}))
