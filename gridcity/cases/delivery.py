"""Delivering live events to this process's sockets, and the Redis link.

Socket.IO's own managers write every event into every socket's send queue in
one synchronous loop. When the CPU is short those queues grow; Engine.IO's
heartbeat ping waits behind them, the client's answer comes too late and the
socket is dropped. Here instead:

- a socket whose send queue holds more than ``live_lag_packets`` is lagging:
  its ``case`` events are coalesced to the latest state per case and written
  once it has caught up, so its queue (and the ping in it) stays short;
- the loop over sockets yields every few sockets (no long synchronous loop);
- the Redis publisher has short connect / read timeouts and raises on
  failure (the publisher keeps the event and retries); the listener re-
  subscribes with a capped backoff and, once back, tells its sockets to resync.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from engineio import packet as eio_packet
from redis.backoff import NoBackoff
from redis.retry import Retry
from socketio import Manager, RedisManager
from socketio import packet as sio_packet

from gridcity.cases.publisher import COUNTERS

log = logging.getLogger(__name__)

COUNTERS.update(delivered=0, coalesced=0, coalesced_flushed=0)
YIELD_EVERY = 25  # sockets written between two yields to the other greenlets
FLUSH_SECONDS = 0.2  # how often lagging sockets are checked for having caught up
LISTEN_RETRY_MAX_SECONDS = 5.0


class _CoalescingDelivery:
    """Local delivery shared by the plain and the Redis manager."""

    lag_packets = 20

    def _init_delivery(self, lag_packets: int) -> None:
        self.lag_packets = lag_packets
        self._pending: dict[str, dict[int, tuple[int, list]]] = {}  # eio sid → case id → (seq, packets)
        self._pending_lock = threading.Lock()
        self._flusher_started = False

    def _deliver(self, event, data, namespace, room, skip_sid) -> None:
        namespace = namespace or "/"
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args])
        encoded = pkt.encode()
        packets = [
            eio_packet.Packet(eio_packet.MESSAGE, p)
            for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        case = data.get("case") if event == "case" and isinstance(data, dict) else None
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        participants = [
            (sid, eio_sid) for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip
        ]
        for n, (_, eio_sid) in enumerate(participants):
            if case is not None and (eio_sid in self._pending or self._backlog(eio_sid) > self.lag_packets):
                self._hold(eio_sid, case["id"], data.get("seq") or 0, packets)
            else:
                self._write(eio_sid, packets)
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                self.server.sleep(0)

    def _write(self, eio_sid, packets) -> None:
        for p in packets:
            self.server._send_eio_packet(eio_sid, p)
        COUNTERS["delivered"] += 1

    def _backlog(self, eio_sid) -> int:
        socket = self.server.eio.sockets.get(eio_sid)
        queue = getattr(socket, "queue", None)
        return queue.qsize() if queue is not None else 0

    def _hold(self, eio_sid, case_id: int, seq: int, packets) -> None:
        with self._pending_lock:
            held = self._pending.setdefault(eio_sid, {})
            if case_id not in held or held[case_id][0] <= seq:
                held[case_id] = (seq, packets)
        COUNTERS["coalesced"] += 1
        if not self._flusher_started:
            self._flusher_started = True
            self.server.start_background_task(self._flush_forever)

    def _flush_forever(self) -> None:
        while True:
            self.server.sleep(FLUSH_SECONDS)
            try:
                self.flush_caught_up()
            except Exception:  # noqa: BLE001 - the flusher must outlive one bad socket
                log.exception("flushing coalesced live events failed")

    def flush_caught_up(self) -> int:
        """Write the held events of every socket that caught up; returns how many sockets."""
        flushed = 0
        for eio_sid in list(self._pending):
            if eio_sid not in self.server.eio.sockets:
                with self._pending_lock:
                    self._pending.pop(eio_sid, None)  # gone: it resyncs when it reconnects
                continue
            if self._backlog(eio_sid) > self.lag_packets // 2:
                continue
            with self._pending_lock:
                held = self._pending.pop(eio_sid, {})
            for _, packets in sorted(held.values(), key=lambda item: item[0]):
                self._write(eio_sid, packets)
                COUNTERS["coalesced_flushed"] += 1
            flushed += 1
            self.server.sleep(0)
        return flushed


class LocalManager(_CoalescingDelivery, Manager):
    """One process, no message queue."""

    def __init__(self, lag_packets: int) -> None:
        super().__init__()
        self._init_delivery(lag_packets)

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback is not None:
            return super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
        self._deliver(event, data, namespace, to or room, skip_sid)


class LiveRedisManager(_CoalescingDelivery, RedisManager):
    """Several processes sharing a Redis channel."""

    def __init__(self, url: str, channel: str, timeout: float, lag_packets: int) -> None:
        super().__init__(url, channel=channel)
        self._init_delivery(lag_packets)
        self.timeout = timeout
        self._writer = None
        self._listens = 0

    def _handle_emit(self, message):
        if message.get("callback") is not None or message.get("binary"):
            return super()._handle_emit(message)
        data = message["data"]
        data = data[0] if len(data) == 1 else tuple(data)
        self._deliver(
            message["event"], data, message.get("namespace"), message.get("room"), message.get("skip_sid")
        )

    def _publish(self, data):
        """One attempt, bounded by the timeout; an emit that fails raises (the
        publisher keeps it), anything else is logged as Socket.IO does."""
        try:
            if self._writer is None:
                self._writer = redis.Redis.from_url(
                    self.redis_url,
                    socket_connect_timeout=self.timeout,
                    socket_timeout=self.timeout,
                    retry=Retry(NoBackoff(), 0),  # one attempt: the publisher has its own backoff
                )
            return self._writer.publish(self.channel, self.json.dumps(data))
        except Exception:
            self._writer = None
            if data.get("method") == "emit":
                raise
            log.warning("message queue: %s not published", data.get("method"), exc_info=True)

    def _redis_connect(self):
        # The listener's connection: a bounded connect, no read timeout (it waits for messages).
        client = redis.Redis.from_url(
            self.redis_url, socket_connect_timeout=self.timeout, socket_keepalive=True
        )
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    def _redis_listen_with_retries(self):
        delay, failing_since = self.timeout, time.monotonic()
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._listens += 1
                if self._listens > 1:
                    log.warning("message queue listener back after %.0f s", time.monotonic() - failing_since)
                    # What others published meanwhile never reached our sockets.
                    self._deliver("resync", {"after": None}, "/", None, None)
                delay = self.timeout
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 - any Redis failure: wait and subscribe again
                if delay == self.timeout:
                    failing_since = time.monotonic()
                    log.warning("message queue listener lost (%s); retrying", error)
                time.sleep(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX_SECONDS)


def client_manager(settings):
    """The Socket.IO client manager for these settings."""
    if settings.redis_url:
        return LiveRedisManager(
            settings.redis_url,
            channel=settings.socketio_channel,
            timeout=settings.redis_timeout_seconds,
            lag_packets=settings.live_lag_packets,
        )
    return LocalManager(lag_packets=settings.live_lag_packets)
