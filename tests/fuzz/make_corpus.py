#!/usr/bin/python3
"""Writes the seed corpus of the HTTP response fuzzer (tests/fuzz/corpus/http_response/), once; the
files are committed. Each seed is two scenario bytes (see http_response_fuzzer.cpp: 0x00 0x00 is
default limits, one feed) followed by a response as a server sends it. Compressed bodies use
mtime=0, so that running this again gives the same bytes.
    /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import gzip
import os
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "http_response")
TEXT = b"libactor fetched this body. " * 8
HEAD_REQUEST, ONE_BYTE_READS, SMALL_READS, LARGE_READS = 0x02, 0x40, 0x80, 0xC0
SMALL_LIMITS = 0x08 | 0x20  # max_header_size 200, max_body_size 100


def response(status_line, fields, body=b""):
    head = status_line + b"\r\n" + b"".join(name + b": " + value + b"\r\n" for name, value in fields)
    return head + b"\r\n" + body


def chunked(body, sizes, trailers=b""):
    out, at = b"", 0
    for size in sizes:
        out += b"%x\r\n" % size + body[at:at + size] + b"\r\n"
        at += size
    return out + b"0\r\n" + trailers + b"\r\n"


def main():
    gz = gzip.compress(TEXT, mtime=0)
    deflated = zlib.compress(TEXT)
    raw = zlib.compressobj(wbits=-15)
    raw_deflate = raw.compress(TEXT) + raw.flush()
    ok = b"HTTP/1.1 200 OK"
    seeds = {
        "plain": (0, response(ok, [(b"Content-Type", b"text/plain"), (b"Content-Length", b"%d" % len(TEXT))], TEXT)),
        "chunked": (0, response(ok, [(b"Transfer-Encoding", b"chunked")], chunked(TEXT, [10, 100, len(TEXT) - 110]))),
        "chunked_trailers": (SMALL_READS, response(ok, [(b"Transfer-Encoding", b"chunked"), (b"Trailer", b"X-Sum")],
                             chunked(TEXT, [1, len(TEXT) - 1], b"X-Sum: 42\r\n").replace(b"1\r\n", b"1;ext=v\r\n", 1))),
        "gzip": (0, response(ok, [(b"Content-Encoding", b"gzip"), (b"Content-Length", b"%d" % len(gz))], gz)),
        "gzip_chunked": (LARGE_READS, response(ok, [(b"Content-Encoding", b"gzip"), (b"Transfer-Encoding", b"chunked")],
                         chunked(gz, [7, len(gz) - 7]))),
        "deflate": (0, response(ok, [(b"Content-Encoding", b"deflate"), (b"Content-Length", b"%d" % len(deflated))],
                                deflated)),
        # One byte per read: raw and zlib-wrapped deflate tell apart only by the first two bytes.
        "deflate_raw": (ONE_BYTE_READS, response(ok, [(b"Content-Encoding", b"deflate"), (b"Content-Length", b"%d" % len(raw_deflate))],
                                    raw_deflate)),
        "continue_then_200": (ONE_BYTE_READS, response(b"HTTP/1.1 100 Continue", []) +
                              response(b"HTTP/1.1 103 Early Hints", [(b"Link", b"</style.css>; rel=preload")]) +
                              response(ok, [(b"Content-Length", b"2")], b"ok")),
        "head": (HEAD_REQUEST, response(ok, [(b"Content-Length", b"1024"), (b"Content-Encoding", b"gzip")])),
        "not_modified": (0, response(b"HTTP/1.1 304 Not Modified", [(b"ETag", b'"abc"'), (b"Content-Length", b"99")])),
        "no_content": (0, response(b"HTTP/1.1 204 No Content", [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")])),
        "close_delimited": (SMALL_READS, response(ok, [(b"Connection", b"close")], TEXT)),
        "http10": (0, response(b"HTTP/1.0 200 OK", [(b"Server", b"old")], TEXT)),
        "http10_keep_alive": (0, response(b"HTTP/1.0 200 OK", [(b"Connection", b"keep-alive"),
                                                                (b"Content-Length", b"5")], b"hello")),
        "pipelined": (0, response(ok, [(b"Content-Length", b"1")], b"a") + response(ok, [(b"Content-Length", b"1")], b"b")),
        "small_limits": (SMALL_LIMITS, response(ok, [(b"Content-Length", b"%d" % len(TEXT))], TEXT)),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, (mode, data) in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([mode, 0]) + data)
    print("wrote %d seeds to %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()
