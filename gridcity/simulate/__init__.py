"""Clients of a running GridCity server, through its public HTTP API and
Socket.IO only: the signed-in API session and the live client (``client``),
and the working-day simulator behind ``gridcity simulate`` (``day``)."""
