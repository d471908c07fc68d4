"""A TCP proxy in front of the database that can cut or hang it, for the
fault tests and ``scripts/fault_drill.py``: point the processes at
``proxy.port`` and switch ``proxy.mode`` between

- ``pass``: bytes flow both ways;
- ``cut``: every open connection is closed and new ones are refused (the
  database is gone);
- ``hang``: connections are accepted but no byte goes through either way (the
  database hangs: the peer's kernel still acknowledges, so only an
  application-level deadline notices).

The shared PostgreSQL server itself is never touched.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time

MODES = ("pass", "cut", "hang")


class DatabaseProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---------------------------------------------------------------- control
    def start(self) -> DatabaseProxy:
        self._open_listener()
        self._thread = threading.Thread(target=self._serve, name="db-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._close_listener()
        self._close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._lock:
            self.mode = mode
        if mode == "cut":
            # Refused, not just unanswered: nothing listens on the port.
            self._close_listener()
            self._close_all()
        elif self._listener is None:
            self._open_listener()

    def url_for(self, database_url: str) -> str:
        """``database_url`` (host 127.0.0.1 or localhost, default port) through this proxy."""
        for host in ("@127.0.0.1/", "@localhost/", "@127.0.0.1:5432/", "@localhost:5432/"):
            if host in database_url:
                return database_url.replace(host, f"@127.0.0.1:{self.port}/")
        raise ValueError(f"cannot route {database_url!r} through the proxy")

    # ---------------------------------------------------------------- workers
    def _open_listener(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(256)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _close_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _serve(self) -> None:
        while not self._stopping:
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == "cut":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        peers = {client: upstream, upstream: client}
        try:
            for sock in peers:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopping:
                if self.mode == "hang":
                    time.sleep(0.05)  # hold the bytes where they are
                    continue
                for key, _ in selector.select(timeout=0.2):
                    sock = key.fileobj
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].setblocking(True)
                    peers[sock].sendall(data)
                    peers[sock].setblocking(False)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            with self._lock:
                if (client, upstream) in self._pairs:
                    self._pairs.remove((client, upstream))
            for sock in peers:
                sock.close()
