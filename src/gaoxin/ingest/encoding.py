"""Encoding detection and streaming transcoding of delimited text files.

Users hand in CSV files saved by Excel, WPS or statistical systems: UTF-8 with or
without BOM, or GBK/GB18030.  Detection is by *strict decoding in a fixed order*
(BOM, UTF-8, GB18030, then a restricted charset-normalizer guess) rather than by
statistical guessing, because a statistical detector calls a short GBK file Korean
or Cyrillic, and a wrong guess silently garbles every name.  UTF-8 is tried
before GB18030 because GB18030 accepts almost any byte pair, while real GBK text
fails UTF-8 within the first few characters.

Everything streams in fixed-size chunks so a 300 MB return costs bounded memory.
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gaoxin.ingest.errors import ReadError

CHUNK = 8 << 20  # bytes read per step when streaming a whole file
HEAD_BYTES = 1 << 20  # bytes looked at to sniff the encoding
# A UTF-8 decode that fails only after this many extra (multi-byte) bytes decoded
# fine is a damaged UTF-8 file, not GBK: GBK text fails UTF-8 almost at once.
BROKEN_UTF8_EXTRA = 16
FALLBACK_CANDIDATES = ("utf_8", "gb18030", "big5", "utf_16")

Progress = Callable[[int, int], None]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class DecodeFailure(Exception):
    """Strict decoding failed at byte ``offset``; ``extra`` = multi-byte bytes decoded before."""

    def __init__(self, encoding: str, offset: int, extra: int):
        super().__init__(f"{encoding}: invalid bytes at offset {offset}")
        self.encoding, self.offset, self.extra = encoding, offset, extra


def line_of_offset(path: Path, offset: int) -> int:
    """1-based line number holding byte ``offset`` (only computed for error messages)."""
    n, done = 1, 0
    with open(path, "rb") as f:
        while done < offset and (b := f.read(min(CHUNK, offset - done))):
            n += b.count(b"\n")
            done += len(b)
    return n


def iter_chunks(
    path: Path,
    encoding: str,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
    stats: dict[str, int] | None = None,
) -> Iterator[tuple[bytes, str]]:
    """Yield (raw bytes, decoded text) of ``path`` chunk by chunk, decoding strictly.

    Raises :class:`DecodeFailure` with the absolute byte offset of the first bad
    byte.  ``stats['extra']`` counts bytes beyond one per character (i.e. how
    much non-ASCII text decoded fine), used to tell damaged UTF-8 from GBK.
    """
    dec = codecs.getincrementaldecoder(encoding)("strict")
    total = path.stat().st_size
    size = chunk or CHUNK  # looked up at call time so tests can shrink it
    pos = extra = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(size)
            pending = len(dec.getstate()[0])
            try:
                text = dec.decode(b, final=not b)
            except UnicodeDecodeError as e:
                raise DecodeFailure(encoding, max(0, pos - pending + e.start), extra) from None
            pos += len(b)
            extra += len(b) + pending - len(dec.getstate()[0]) - len(text)
            if stats is not None:
                stats["extra"] = extra
            if progress is not None and b:
                progress(pos, total)
            if b or text:
                yield b, text
            if not b:
                return


def iter_decoded(
    path: Path,
    encoding: str,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
    stats: dict[str, int] | None = None,
) -> Iterator[str]:
    """The decoded text of ``path`` chunk by chunk (see :func:`iter_chunks`)."""
    for _b, text in iter_chunks(path, encoding, chunk=chunk, progress=progress, stats=stats):
        if text:
            yield text


def _decodes(data: bytes, encoding: str, final: bool) -> tuple[bool, int, int]:
    """Strictly decode ``data``: (ok, extra multi-byte bytes before any failure, its offset)."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        text = dec.decode(data, final=final)
    except UnicodeDecodeError as e:
        good = data[: e.start].decode(encoding, errors="ignore")
        return False, e.start - len(good), e.start
    return True, len(data) - len(dec.getstate()[0]) - len(text), -1


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without BOM: ASCII-heavy text has NULs on every other byte."""
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _charset_normalizer_guess(head: bytes) -> str | None:
    """Last resort, restricted to encodings a Chinese return can plausibly use."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head, cp_isolation=list(FALLBACK_CANDIDATES)).best()
    except Exception:  # the detector must never be the reason a read crashes
        return None
    if best is None:
        return None
    return codecs.lookup(best.encoding).name


def sniff_encoding(head: bytes, at_eof: bool, file: str) -> str:
    """Choose the encoding from the first bytes of a file (strict order, see module doc).

    The result is provisional for UTF-8/GB18030 when ``at_eof`` is false: the
    caller must still decode the rest strictly (it does so while streaming).
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            ok, _extra, offset = _decodes(head, name, at_eof)
            if not ok:
                raise bad_bytes(file, name, (offset, head[:offset].count(b"\n") + 1))
            return name
    if b"\x00" in head:
        enc = _utf16_without_bom(head)
        if enc and _decodes(head[: len(head) // 2 * 2], enc, at_eof)[0]:
            return enc
        raise ReadError(
            file,
            en="binary file, not a CSV text file (contains NUL bytes)",
            zh="文件不是 CSV 文本文件（含二进制 NUL 字节）",
        )
    ok, extra, offset = _decodes(head, "utf-8", at_eof)
    if ok:
        return "utf-8"
    if extra >= BROKEN_UTF8_EXTRA:
        raise broken_utf8(file, (offset, head[:offset].count(b"\n") + 1))
    if _decodes(head, "gb18030", at_eof)[0]:
        return "gb18030"
    guess = _charset_normalizer_guess(head)
    if guess and _decodes(head, guess, at_eof)[0]:
        return guess
    raise ReadError(
        file,
        en="cannot decode the file: it is neither UTF-8 nor GBK/GB18030",
        zh="无法识别文件编码：既不是 UTF-8，也不是 GBK/GB18030",
    )


def broken_utf8(file: str, where: tuple[int, int]) -> ReadError:
    """The file is UTF-8 but damaged; say where (byte offset, line) so the user can fix it."""
    return ReadError(
        file,
        en=f"invalid UTF-8 at byte {where[0]} (line {where[1]}); the file mixes encodings "
        "or is damaged — re-save it as UTF-8",
        zh=f"UTF-8 编码错误（第 {where[1]} 行，字节偏移 {where[0]}）："
        "文件混用了编码或已损坏，请重新另存为 UTF-8",
        row=where[1],
    )


def bad_bytes(file: str, encoding: str, where: tuple[int, int]) -> ReadError:
    return ReadError(
        file,
        en=f"invalid {encoding} bytes at byte {where[0]} (line {where[1]}); "
        "the file mixes encodings or is damaged",
        zh=f"{encoding} 编码错误（第 {where[1]} 行，字节偏移 {where[0]}）：文件混用了编码或已损坏",
        row=where[1],
    )


def read_head(path: Path, size: int = HEAD_BYTES) -> tuple[bytes, bool]:
    """First ``size`` bytes and whether they are the whole file."""
    with open(path, "rb") as f:
        head = f.read(size)
        return head, not f.read(1)


def detect_encoding(path: str | Path) -> str:
    """Encoding of a whole text file: 'utf-8-sig', 'utf-8', 'gb18030', 'utf-16'…

    Unlike the single-pass reader this validates the *whole* file strictly.
    Raises ReadError when no candidate decodes it.
    """
    p = Path(path)
    file = str(path)
    try:
        head, at_eof = read_head(p)
    except OSError as e:
        raise ReadError(file, en=f"cannot open file: {e}", zh=f"无法打开文件：{e}") from e
    if not head:
        raise ReadError(file, en="the file is empty", zh="文件为空")
    enc = sniff_encoding(head, at_eof, file)
    if at_eof:
        return enc
    stats: dict[str, int] = {}
    try:
        for _ in iter_decoded(p, enc, stats=stats):
            pass
        return enc
    except DecodeFailure as e:
        failure = e
    if enc == "utf-8" and failure.extra >= BROKEN_UTF8_EXTRA:
        raise broken_utf8(file, (failure.offset, line_of_offset(p, failure.offset)))
    for other in ("gb18030", _charset_normalizer_guess(head)):
        if other and other != enc:
            try:
                for _ in iter_decoded(p, other):
                    pass
                return other
            except DecodeFailure:
                continue
    raise bad_bytes(file, enc, (failure.offset, line_of_offset(p, failure.offset)))


_INNER_BLANK = re.compile(r"(?<=\n)(?=\r?\n)")


@dataclass
class LineStream:
    """Drop the first ``skip_lines`` lines of a decoded text stream, pass on the rest.

    Lines are split on '\\n' only (what DuckDB counts).  Pieces are passed on
    unchanged (no re-alignment copies); a piece never ends in '\\r', so a blank
    '\\r\\n' line cannot straddle two pieces.  The first piece starts a line.
    """

    skip_lines: int = 0

    def segments(self, texts: Iterator[str]) -> Iterator[str]:
        to_skip = self.skip_lines
        held = ""
        for text in texts:
            if held:
                text, held = held + text, ""
            if to_skip:
                text, to_skip = _drop_lines(text, to_skip)
            if text.endswith("\r"):
                text, held = text[:-1], "\r"
            if text:
                yield text
        if held:
            yield held


def _drop_lines(text: str, n: int) -> tuple[str, int]:
    """Drop the text up to the ``n``-th newline; return the rest and newlines still to drop."""
    start = 0
    while n:
        i = text.find("\n", start)
        if i < 0:
            return "", n
        start, n = i + 1, n - 1
    return text[start:], 0


_CONTENT_B = re.compile(rb"[^\r\n]")
_BLANK_B = re.compile(rb"\n\r?\n")  # faster than two bytes.find() calls


def scan_utf8(
    path: Path,
    encoding: str,
    data_offset: int,
    *,
    progress: Progress | None = None,
    stats: dict[str, int] | None = None,
) -> bool:
    """Validate a UTF-8 file strictly; return True if a blank line inside the data
    (at or after byte ``data_offset``, which starts a line) is followed by more content.

    DuckDB's CSV reader skips blank lines, which would shift the row numbers
    users see; trailing blank lines at the end of the file shift nothing.  The
    search runs on the raw bytes (memchr speed; searching the decoded str of
    CJK text is several times slower).  Raises DecodeFailure.
    """
    found = pending = False
    tail = b"\n"  # the data start a line: as if a newline preceded them
    pos = 0
    for b, _text in iter_chunks(path, encoding, progress=progress, stats=stats):
        end, start = pos + len(b), pos
        pos = end
        if found or end <= data_offset:
            continue
        part = b[max(0, data_offset - start) :]
        if pending:
            if _CONTENT_B.search(part):
                found = True
            continue
        buf = tail + part
        m = _BLANK_B.search(buf)
        if m:
            if _CONTENT_B.search(buf, m.start() + 1):
                found = True
            else:
                pending = True
        tail = buf[-2:]
    return found


def write_utf8(segments: Iterator[str], out: Path, blank_fill: str) -> None:
    """Write text segments as UTF-8, turning blank lines into ``blank_fill`` lines.

    A blank line becomes a row of empty fields so that DuckDB keeps it and the
    row numbering of the following lines stays true (the lead drops empty rows).
    Blank lines are looked for in the encoded bytes (fast) before touching the str.
    """
    at_line_start = True
    with open(out, "wb") as o:
        for seg in segments:
            data = seg.encode("utf-8")
            if _BLANK_B.search(data):
                seg = _INNER_BLANK.sub(blank_fill, seg)
                data = seg.encode("utf-8")
            if at_line_start and data.startswith((b"\n", b"\r\n")):
                data = blank_fill.encode("utf-8") + data
            at_line_start = data.endswith(b"\n")
            o.write(data)


_ICONV_NAMES = {"gb18030": "GB18030"}


def iconv_to_utf8(path: Path, encoding: str, out: Path, offset: int = 0) -> list[tuple[Path, int]] | None:
    """Transcode ``path`` from byte ``offset`` on into ``out`` with the system's ``iconv``.

    glibc's iconv is ~3x faster than Python's codec.  Large files are cut in
    two at a line end and transcoded by two iconv processes at once; the threads
    feeding them look for blank lines in the chunks they feed (no second read of
    the source, and a blank line stops the transcoding at once).  Cutting on raw bytes is
    safe: in GBK/GB18030 the bytes '\\n' and '\\r' never occur inside a
    multi-byte character (trail bytes are >= 0x30), and ``offset`` starts a line.
    The parts are not joined (a copy of the whole file): DuckDB reads them as
    one table.  Returns the parts after ``out`` with the number of lines before
    each ([] for one part).

    Returns None when the caller must take the Python path instead: iconv
    missing (or ``GAOXIN_NO_ICONV`` set), an encoding it is not used for,
    invalid bytes (the Python path names the byte and line), or a blank line
    in the data (the Python path keeps row numbers true).
    """
    name = _ICONV_NAMES.get(encoding)
    exe = shutil.which("iconv")
    if name is None or exe is None or os.environ.get("GAOXIN_NO_ICONV"):
        return None
    size = path.stat().st_size
    cuts = [offset]
    if size - offset > ICONV_SPLIT_BYTES and (os.cpu_count() or 1) > 1:
        mid = _next_line_start(path, offset + (size - offset) // 2)
        if mid < size:
            cuts.append(mid)
    cuts.append(size)
    outs = [out] + [out.with_name(f"{out.name}.part{i}") for i in range(1, len(cuts) - 1)]
    results: list[bool] = [False] * len(outs)
    lines = [0] * len(outs)  # newlines of each part
    workers = [threading.Thread(target=_iconv_part, args=(exe, name, path, a, b, dst, results, lines, i), daemon=True)
               for i, ((a, b), dst) in enumerate(zip(itertools.pairwise(cuts), outs, strict=True))]
    ok = False
    try:
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        ok = all(results)  # False too when a part holds a blank line
        return list(zip(outs[1:], itertools.accumulate(lines[:-1]), strict=True)) if ok else None
    finally:
        if not ok:
            for part in outs[1:]:
                part.unlink(missing_ok=True)


ICONV_CHUNK_BYTES = 32 << 20  # input of one iconv call: GNU iconv holds its whole input in memory


def _iconv_part(exe: str, name: str, path: Path, start: int, end: int, dst: Path, results: list[bool],
                lines: list[int], i: int) -> None:
    """Transcode bytes [start, end) of ``path`` into ``dst`` by iconv calls of at most ~ICONV_CHUNK_BYTES each.

    GNU iconv reads its entire input before converting, so one call per part
    would hold the whole part in memory (1 GB per process for a 10M-row
    return); chunks cut at line ends keep every call small.  A chunk holding a
    blank line (see :func:`has_blank_line`; every chunk starts a line) ends the
    part unsuccessfully: the caller takes the Python path, which keeps row numbers.
    The next chunk is read and scanned while iconv converts the previous one.
    """
    proc: subprocess.Popen | None = None
    try:
        with open(path, "rb") as f, open(dst, "wb") as o:
            pos = start
            while pos < end:
                stop = min(end, _next_line_start(path, pos + ICONV_CHUNK_BYTES)) if end - pos > ICONV_CHUNK_BYTES \
                    else end
                f.seek(pos)
                data = f.read(stop - pos)
                if data.startswith((b"\n", b"\r\n")) or _BLANK_B.search(data):
                    return
                lines[i] += data.count(b"\n")
                if proc is not None and proc.wait() != 0:  # the previous chunk's output precedes this one's
                    return
                proc = subprocess.Popen([exe, "-f", name, "-t", "UTF-8"], stdin=subprocess.PIPE, stdout=o,
                                        stderr=subprocess.DEVNULL)
                assert proc.stdin is not None
                with proc.stdin:
                    proc.stdin.write(data)
                del data
                pos = stop
            if proc is not None and proc.wait() != 0:
                return
        results[i] = True
    except OSError:
        return
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


ICONV_SPLIT_BYTES = 16 << 20  # files above this are transcoded by two iconv processes


def _next_line_start(path: Path, pos: int) -> int:
    """Offset just after the first '\\n' at or after ``pos`` (the file size if none)."""
    with open(path, "rb") as f:
        f.seek(pos)
        while b := f.read(1 << 16):
            i = b.find(b"\n")
            if i >= 0:
                return pos + i + 1
            pos += len(b)
    return pos


def has_blank_line(path: Path, data_offset: int = 0) -> bool:
    """Is any line at or after byte ``data_offset`` (which starts a line) empty or just '\r'?"""
    tail = b"\n"  # the data start a line: as if a newline preceded them
    with open(path, "rb") as f:
        f.seek(data_offset)
        while b := f.read(CHUNK):
            buf = tail + b
            if _BLANK_B.search(buf):
                return True
            tail = buf[-2:]
    return False
