#!/usr/bin/python3
"""An aiosmtpd peer for the interop tests (tests/SmtpCodec.IntegrationTests/Interop/AiosmtpdPeer.cs).

Run with Debian's /usr/bin/python3 (python3-aiosmtpd). Listens on 127.0.0.1 (port 0 by default) with
STARTTLS required and AUTH PLAIN/LOGIN against one user, and prints one JSON object per line on stdout:
  {"event": "listening", "port": N}
  {"event": "auth", "mechanism": "PLAIN", "user": "...", "ok": true}
  {"event": "message", "from": "...", "to": [...], "bytes": N, "sha256": "...", "user": "...", "tls": true}
It stops on SIGTERM or when its stdin closes, so that it never outlives the test that started it.
"""
import argparse
import asyncio
import hashlib
import json
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or b""
        emit({
            "event": "message",
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "tls": session.ssl is not None,
        })
        return "250 2.0.0 Ok: queued by aiosmtpd"


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        emit({"event": "auth", "mechanism": mechanism,
              "user": auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else None,
              "ok": ok})
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user", default="user@example.test")
    parser.add_argument("--password", default="secret")
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    handler = Handler()
    authenticator = make_authenticator(args.user, args.password)

    def factory():
        return SMTP(handler, hostname="aiosmtpd.localhost", tls_context=context, require_starttls=True,
                    auth_require_tls=True, authenticator=authenticator)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=args.port)
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})

    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stopped.set() if not sys.stdin.buffer.read1(4096) else None)
    await stopped.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
