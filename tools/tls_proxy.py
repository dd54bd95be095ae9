#!/usr/bin/env python3
"""A TLS-terminating TCP proxy on loopback, for `make bench`: it puts a real TLS handshake
between a function and the local DynamoDB, as DynamoDB's own endpoint does.

    tls_proxy.py LISTEN_PORT UPSTREAM_PORT CERT_CHAIN_PEM KEY_PEM

Runs until killed. Both sides set TCP_NODELAY, else every small answer waits ~40 ms.
"""

import asyncio
import socket
import ssl
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def no_delay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def main(listen_port, upstream_port, cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def handle(client_reader, client_writer):
        no_delay(client_writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        no_delay(upstream_writer)
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, ssl=context)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    listen, upstream, cert_chain, key_file = sys.argv[1:5]
    asyncio.run(main(int(listen), int(upstream), cert_chain, key_file))
