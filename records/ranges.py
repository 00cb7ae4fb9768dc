"""HTTP range requests (RFC 9110 §14) over a seekable stream, for the browser's player."""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _chunks(stream, length: int):
    try:
        while length > 0:
            data = stream.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        stream.close()


def ranged_response(request, stream, *, size: int, content_type: str):
    """206 with Content-Range for one satisfiable range, 416 for one that is not, else the whole
    file (200). Several ranges in one request are answered with the whole file, as RFC 9110 allows."""
    header = request.headers.get("Range", "").strip()
    match = _RANGE.match(header) if header else None
    if match is None or (not match.group(1) and not match.group(2)):
        response = FileResponse(stream, content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or end < start:
        stream.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    stream.seek(start)
    response = StreamingHttpResponse(_chunks(stream, end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
