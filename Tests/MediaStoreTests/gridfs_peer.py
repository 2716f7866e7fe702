"""An independent GridFS client (pymongo) for the MediaStore interop tests.

    gridfs_peer.py write URI BUCKET FILENAME LENGTH   -> prints "<id> <sha256>"
    gridfs_peer.py read URI BUCKET ID                 -> prints "<length> <sha256>"

The bytes written are the same deterministic pattern as TestBytes.byte(at:) in Swift.
"""
import hashlib
import sys

import gridfs
from bson import ObjectId
from pymongo import MongoClient


PERIOD = 1_000_003  # TestBytes.period


def pattern(length):
    mask = (1 << 64) - 1
    table = bytearray(PERIOD)
    for i in range(PERIOD):
        mixed = (i * 0x9E3779B97F4A7C15) & mask
        table[i] = ((mixed >> 29) ^ (mixed >> 47)) & 0xFF
    repeats = length // PERIOD + 1
    return bytes(table * repeats)[:length]


def main():
    command, uri, bucket_name = sys.argv[1:4]
    client = MongoClient(uri, serverSelectionTimeoutMS=5000)
    bucket = gridfs.GridFSBucket(client.get_default_database(), bucket_name=bucket_name)
    if command == "write":
        filename, length = sys.argv[4], int(sys.argv[5])
        data = pattern(length)
        file_id = bucket.upload_from_stream(filename, data, metadata={"writer": "pymongo"})
        print(file_id, hashlib.sha256(data).hexdigest())
    elif command == "read":
        stream = bucket.open_download_stream(ObjectId(sys.argv[4]))
        data = stream.read()
        print(len(data), hashlib.sha256(data).hexdigest())
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
