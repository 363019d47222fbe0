"""The console under measurement: a pseudo-terminal, a tiny terminal model of its screen, and
what to look for on it."""

import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
import unicodedata

from .common import COLS, ROWS, Timeout, log


# ---------------------------------------------------------------- terminal model

SEQ = re.compile(
    r"\x1b\[([0-?]*)[ -/]*([@-~])"          # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"   # OSC
    r"|\x1b[()][0-9A-Za-z]"                 # charset
    r"|\x1b[@-Z\\^_78=>]"                   # other two-byte escapes
    r"|([^\x1b\r\n\x08\x07]+)"              # text
    r"|([\r\n\x08\x07])"                    # controls
)


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Screen:
    """Just enough of a VT100 for ratatui's crossterm backend: CUP, erase, SGR ignored."""

    def __init__(self, cols=COLS, rows=ROWS):
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.tail = ""
        self.frames = 0
        self.on_frame = None  # called with no argument at every frame end
        self.replies = []     # answers to the terminal's queries (cursor position)

    def row(self, y):
        return "".join(self.grid[y])

    def feed(self, data):
        text = self.tail + self.decoder.decode(data)
        self.tail = ""
        pos, n = 0, len(text)
        while pos < n:
            m = SEQ.match(text, pos)
            if m is None:
                if n - pos < 256:       # an escape sequence cut by the read: keep it
                    self.tail = text[pos:]
                    return
                pos += 1                # junk: skip the ESC
                continue
            if m.group(3) is not None:
                self._text(m.group(3))
            elif m.group(4) is not None:
                c = m.group(4)
                if c == "\r":
                    self.x = 0
                elif c == "\n":
                    self.y = min(self.y + 1, self.rows - 1)
                elif c == "\x08":
                    self.x = max(self.x - 1, 0)
            elif m.group(2) is not None:
                self._csi(m.group(1), m.group(2))
            pos = m.end()

    def _text(self, s):
        g, y = self.grid, self.y
        for ch in s:
            w = char_width(ch)
            if w == 0:
                continue
            if self.x < self.cols:
                g[y][self.x] = ch
                if w == 2 and self.x + 1 < self.cols:
                    g[y][self.x + 1] = ""
            self.x += w

    def _csi(self, params, final):
        if params.startswith("?"):
            if final in "hl" and "25" in params[1:].split(";"):
                self.frames += 1
                if self.on_frame:
                    self.on_frame()
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")] if params else []

        def arg(i, default):
            return nums[i] if len(nums) > i and nums[i] else default

        if final == "n" and arg(0, 0) == 6:
            self.replies.append(f"\x1b[{self.y + 1};{self.x + 1}R".encode())
            return
        if final == "c" and not params.startswith((">", "=")):
            self.replies.append(b"\x1b[?62;22c")
            return
        if final in "Hf":
            self.y = min(arg(0, 1), self.rows) - 1
            self.x = min(arg(1, 1), self.cols) - 1
        elif final == "G":
            self.x = min(arg(0, 1), self.cols) - 1
        elif final == "d":
            self.y = min(arg(0, 1), self.rows) - 1
        elif final == "A":
            self.y = max(self.y - arg(0, 1), 0)
        elif final == "B":
            self.y = min(self.y + arg(0, 1), self.rows - 1)
        elif final == "C":
            self.x = min(self.x + arg(0, 1), self.cols - 1)
        elif final == "D":
            self.x = max(self.x - arg(0, 1), 0)
        elif final == "J":
            mode = arg(0, 0)
            if mode in (2, 3):
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
            elif mode == 0:
                self._erase_line(self.y, self.x, self.cols)
                for y in range(self.y + 1, self.rows):
                    self._erase_line(y, 0, self.cols)
            elif mode == 1:
                for y in range(0, self.y):
                    self._erase_line(y, 0, self.cols)
                self._erase_line(self.y, 0, self.x + 1)
        elif final == "K":
            mode = arg(0, 0)
            if mode == 0:
                self._erase_line(self.y, self.x, self.cols)
            elif mode == 1:
                self._erase_line(self.y, 0, self.x + 1)
            else:
                self._erase_line(self.y, 0, self.cols)
        # SGR (m) and everything else: no effect on the text

    def _erase_line(self, y, x0, x1):
        row = self.grid[y]
        for x in range(max(x0, 0), min(x1, self.cols)):
            row[x] = " "


SHOWN = re.compile(r"(\d+)/(\d+) shown")


# ---------------------------------------------------------------- console in a pty

class Console:
    def __init__(self, argv, env):
        self.screen = Screen()
        self.t_spawn = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # child
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.exited = False
        self.raw_bytes = 0

    def pump(self, timeout):
        """Reads what the console wrote for up to `timeout` seconds; returns after the first read."""
        if self.exited:
            time.sleep(timeout)
            return
        r, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not r:
            return
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self.exited = True
            return
        self.read_at = time.monotonic()
        self.raw_bytes += len(data)
        self.screen.feed(data)
        while self.screen.replies:
            os.write(self.fd, self.screen.replies.pop(0))

    def quiet(self, gap=0.005, limit=0.25):
        """Reads until the console has written nothing for `gap` seconds (at most `limit`)."""
        end = time.monotonic() + limit
        while not self.exited and time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], gap)
            if not r:
                return
            self.pump(0)

    def wait_frame(self, pred, deadline, what):
        """Pumps until the screen satisfies pred(screen) once the output paused; returns the
        time of the read that completed it.

        The console writes a frame in ~1 KiB pieces, so the screen is only judged when no
        more output is waiting (a frame is not cut in the middle), and a hit is confirmed
        after 5 ms of silence (the frame was whole)."""
        while True:
            now = time.monotonic()
            if now > deadline:
                screen = "\n".join(self.screen.row(y).rstrip() for y in range(ROWS))
                log(f"screen at the timeout:\n{screen}")
                raise Timeout(f"timed out waiting for {what}; status bar: "
                              f"{status_row(self.screen).strip()!r}")
            if self.exited:
                raise RuntimeError(f"the console exited while waiting for {what}")
            self.pump(min(0.5, deadline - now))
            r, _, _ = select.select([self.fd], [], [], 0)
            if r or not pred(self.screen):
                continue
            hit_at = self.read_at
            self.quiet()
            if pred(self.screen):
                return hit_at

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(end - time.monotonic())

    def write(self, data):
        """Writes to the pty; returns the time just before the write (taken after the write,
        the GIL can be held by a proxy thread for a while and make a key look instant)."""
        t = time.monotonic()
        os.write(self.fd, data)
        return t

    def memory(self):
        out = {}
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        out[key] = int(value.split()[0]) / 1024.0
        except OSError:
            pass
        return out.get("VmRSS"), out.get("VmHWM")

    def kill(self):
        if self.pid is None:
            return
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while time.monotonic() < end:
                try:
                    # keep the pty drained so the console is not stuck writing
                    r, _, _ = select.select([self.fd], [], [], 0.05)
                    if r:
                        os.read(self.fd, 1 << 16)
                except OSError:
                    pass
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.pid = None
                    break
            if self.pid is None:
                break
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.pid = None


def status_row(screen):
    """The status bar: the lowest of the last four rows that has `N/T shown`."""
    for y in range(ROWS - 1, ROWS - 5, -1):
        row = screen.row(y)
        if SHOWN.search(row):
            return row
    return ""


def shown_counts(screen):
    m = SHOWN.search(status_row(screen))
    return (int(m.group(1)), int(m.group(2))) if m else None


def full_table(n):
    def pred(screen):
        c = shown_counts(screen)
        return c is not None and c[1] == n and c[0] == n
    return pred


def search_done(query):
    """The search box shows `query` (padded to 24) and no pending mark."""
    def pred(screen):
        title = screen.row(0)
        i = title.rfind("Search: ")
        if i < 0:
            return False
        rest = title[i + 8:]
        if not rest.startswith(query):
            return False
        after = rest[max(len(query), 24):]
        return not after.lstrip(" ").startswith("…") and shown_counts(screen) is not None
    return pred


def search_cleared(n):
    def pred(screen):
        return "/ search" in screen.row(0) and full_table(n)(screen)
    return pred
