"""Thumbnails of uploaded images: the S3-triggered Lambda function of AWS's tutorials.

Each PNG uploaded to the source bucket (``photos``) is read with boto3, scaled down
to fit THUMB_SIZE pixels (area-averaged, aspect ratio kept) and written to the
bucket THUMBS_BUCKET (``thumbs``) under the same key. The image code is pypng, pure
Python: Pillow is a native extension and cannot load in WebAssembly. PNG only
(there is no well-kept pure-Python JPEG codec); other files are skipped with a log line.

On wasmhost, boto3 finds the server's S3 API by itself (AWS_ENDPOINT_URL_S3 and a key
in the environment); the function's ``wasmhost:buckets`` tag grants the two buckets.
"""

import io
import logging
import os
from urllib.parse import unquote_plus

import boto3
import png

log = logging.getLogger()
log.setLevel(logging.INFO)
s3 = boto3.client("s3")  # once per instance, outside the handler, as on Lambda
THUMBS = os.environ.get("THUMBS_BUCKET", "thumbs")
SIZE = int(os.environ.get("THUMB_SIZE", "128"))


def thumbnail(data, size=SIZE):
    """PNG bytes -> PNG bytes at most ``size`` pixels wide and high."""
    width, height, rows, _ = png.Reader(bytes=data).asRGBA8()
    pixels = [bytes(row) for row in rows]
    scale = max(width / size, height / size, 1.0)
    tw, th = max(1, round(width / scale)), max(1, round(height / scale))
    out = []
    for ty in range(th):
        y0, y1 = ty * height // th, max((ty + 1) * height // th, ty * height // th + 1)
        row = bytearray()
        for tx in range(tw):
            x0, x1 = tx * width // tw, max((tx + 1) * width // tw, tx * width // tw + 1)
            acc = [0, 0, 0, 0]
            for y in range(y0, y1):
                line = pixels[y]
                for x in range(x0 * 4, x1 * 4, 4):
                    acc[0] += line[x]
                    acc[1] += line[x + 1]
                    acc[2] += line[x + 2]
                    acc[3] += line[x + 3]
            n = (y1 - y0) * (x1 - x0)
            row += bytes(c // n for c in acc)
        out.append(row)
    buf = io.BytesIO()
    png.Writer(tw, th, greyscale=False, alpha=True).write(buf, out)
    return buf.getvalue()


def lambda_handler(event, context):
    done = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 URL-encodes keys in events
        if not key.lower().endswith(".png"):
            log.info("skipping %s: not a PNG", key)
            continue
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        thumb = thumbnail(original)
        s3.put_object(Bucket=THUMBS, Key=key, Body=thumb, ContentType="image/png",
                      Metadata={"source": f"{bucket}/{key}"})
        log.info("%s/%s (%d bytes) -> %s/%s (%d bytes)", bucket, key, len(original), THUMBS, key, len(thumb))
        done.append(key)
    return {"thumbnails": done}
