"""Hostile PDFs for the attack suite, made here byte by byte.

Each decompression bomb expands to far more than Hearth reads (1 GiB, or 40 streams of
64 MiB), through one of the ways lopdf, the PDF parser, inflates data: every line ending
after `stream`, zlib headers of every window size, raw deflate behind a broken zlib
header (lopdf's fallback), filter chains, LZW, compressed object streams and xref
streams, many streams together, a lying /Length, a bomb no page uses. The structural
ones nest arrays a hundred thousand deep and make the page tree its own child.

Bombs are made without ever holding the expanded data: deflate's full flush makes each
repeated chunk compress to the same bytes, so a gigabyte of zeros is a few repeated
blocks; the zlib checksum of n zeros is computed directly.
"""

import base64
import zlib

GIB = 1 << 30
MIB = 1 << 20
_CHUNK = 4 * MIB


def deflate_zeros(total, wbits=15):
    """`total` zero bytes (a multiple of 4 MiB) compressed with zlib (`wbits` 9..15) or,
    with negative `wbits`, as raw deflate."""
    assert total % _CHUNK == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(_CHUNK)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    count = total // _CHUNK
    body = first + repeat * (count - 1)
    if wbits < 0:
        return body + tail
    # The trailer is the Adler-32 of the data: for n zeros, a = 1 and b = n mod 65521.
    adler = ((total % 65521) << 16) | 1
    return body + tail[:-4] + adler.to_bytes(4, "big")


def lzw_zeros(total):
    """`total` zero bytes as a PDF LZW stream (MSB first, early change, as libtiff writes
    it): for zeros the encoder's string grows by one byte per code, so codes stand for
    longer and longer runs until the table is full and cleared."""
    out = bytearray()
    acc = 0
    nbits = 0

    def emit(code, width):
        nonlocal acc, nbits
        acc = (acc << width) | code
        nbits += width
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
        acc &= (1 << nbits) - 1

    width, free, length, produced = 9, 258, 1, 0
    emit(256, width)
    while produced + length <= total:
        emit(0 if length == 1 else 256 + length, width)
        produced += length
        free += 1
        length += 1
        if free == 4094:
            emit(256, width)
            width, free, length = 9, 258, 1
        elif free > (1 << width) - 1:
            width += 1
    emit(257, width)
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    return bytes(out)


def ascii85(data):
    return base64.a85encode(data) + b"~>"


def stream(dictionary, data, after=b"stream\n"):
    return b"<< " + dictionary + b" /Length %d >>\n" % len(data) + after + data + b"\nendstream"


def document(objects, trailer_root=1, xref=True):
    """A PDF of `objects` (bodies of objects 1..n) with a classic xref table."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    if xref:
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            trailer_root,
            start,
        )
    return bytes(out)


def one_page(content_object, extra=()):
    """Catalog, pages, one page whose contents is object 4 (`content_object`), then
    `extra` objects from 5 on."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        content_object,
        *extra,
    ]


def text_content():
    return stream(b"", b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET")


def corpus():
    """(name, bytes, "bomb" when it must be refused as a decompression bomb, else
    "structure": refused for any reason, within the same memory bound)."""
    gib_zlib = deflate_zeros(GIB)
    files = []

    def bomb(name, objects, **kw):
        files.append((name, document(objects, **kw), "bomb"))

    for label, after in [
        ("stream-lf", b"stream\n"),
        ("stream-crlf", b"stream\r\n"),
        ("stream-cr", b"stream\r"),
    ]:
        bomb(f"flate-{label}", one_page(stream(b"/Filter /FlateDecode", gib_zlib, after)))
    for wbits in (9, 12):
        data = deflate_zeros(GIB, wbits)
        assert data[0] == 0x08 | ((wbits - 8) << 4)
        bomb(f"flate-window-{wbits}", one_page(stream(b"/Filter /FlateDecode", data)))
    raw = b"\x00\x00" + deflate_zeros(GIB, -15)
    bomb("raw-deflate-behind-a-bad-header", one_page(stream(b"/Filter /FlateDecode", raw)))
    double = zlib.compress(gib_zlib, 9)
    bomb(
        "flate-flate-chain",
        one_page(stream(b"/Filter [/FlateDecode /FlateDecode]", double)),
    )
    bomb(
        "ascii85-flate-chain",
        one_page(stream(b"/Filter [/ASCII85Decode /FlateDecode]", ascii85(gib_zlib))),
    )
    bomb("lzw", one_page(stream(b"/Filter /LZWDecode", lzw_zeros(GIB))))
    bomb(
        "lzw-in-a-chain",
        one_page(stream(b"/Filter [/FlateDecode /LZWDecode]", zlib.compress(lzw_zeros(GIB), 9))),
    )
    bomb(
        "object-stream",
        one_page(
            text_content(),
            [stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", gib_zlib)],
        ),
    )
    bomb(
        "unreferenced-stream",
        one_page(text_content(), [stream(b"/Filter /FlateDecode", gib_zlib)]),
    )
    # lopdf takes a /Length that is not followed by `endstream` as damage: refused either
    # way, and the server's peak memory shows whether anything was inflated.
    lying = b"<< /Filter /FlateDecode /Length 10 >>\nstream\n" + gib_zlib + b"\nendstream"
    files.append(("lying-length", document(one_page(lying)), "structure"))
    medium = deflate_zeros(64 * MIB)
    many = [stream(b"/Filter /FlateDecode", medium) for _ in range(40)]
    contents = b" ".join(b"%d 0 R" % n for n in range(4, 44))
    files.append(
        (
            "forty-streams-of-64-mib",
            document(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ["
                    + contents
                    + b"] /Resources << >> >>",
                    *many,
                ]
            ),
            "bomb",
        )
    )
    # An xref stream whose own data is the bomb; startxref points at it.
    objects = one_page(text_content())
    head = document(objects, xref=False)
    xref_at = len(head)
    xref_stream = b"%d 0 obj\n" % (len(objects) + 1) + stream(
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode" % (len(objects) + 2),
        gib_zlib,
    ) + b"\nendobj\n"
    files.append(
        ("xref-stream", head + xref_stream + b"startxref\n%d\n%%%%EOF\n" % xref_at, "bomb")
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    files.append(
        (
            "nested-100000-deep",
            document(one_page(text_content(), [b"<< /Deep " + deep + b" >>"])),
            "structure",
        )
    )
    files.append(
        (
            "page-tree-cycle",
            document(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                    text_content(),
                ]
            ),
            "structure",
        )
    )
    return files
