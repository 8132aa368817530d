#!/usr/bin/env python3
# dns_delay.py LISTEN_PORT UPSTREAM_PORT DELAY_MS: a UDP DNS relay on 127.0.0.1 that holds every
# query DELAY_MS before passing it to the server on 127.0.0.1:UPSTREAM_PORT, and relays the
# answers back at once: a DNS round trip of DELAY_MS without touching the machine's network
# settings (tc netem on loopback would slow every other program too). For the cold-cache runs.
import asyncio
import sys


class Relay(asyncio.DatagramProtocol):
    def __init__(self, upstream, delay):
        self.upstream = upstream
        self.delay = delay
        self.pending = {}  # (query id, upstream socket) -> client address

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, lambda: loop.create_task(self.forward(data, addr)))

    async def forward(self, data, addr):
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        client = self.transport

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, answer, _):
                client.sendto(answer, addr)
                if not done.done():
                    done.set_result(None)

        up, _ = await loop.create_datagram_endpoint(Back, remote_addr=("127.0.0.1", self.upstream))
        up.sendto(data)
        try:
            await asyncio.wait_for(done, 5)
        except asyncio.TimeoutError:
            pass  # the resolver retries on its own
        up.close()


async def main():
    listen, upstream, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Relay(upstream, delay_ms / 1000.0),
                                        local_addr=("127.0.0.1", listen))
    await asyncio.Event().wait()


asyncio.run(main())
