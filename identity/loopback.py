"""The CLI's end of an OpenID Connect sign-in (RFC 8252, loopback redirect): listen on the
redirect address for the one answer the browser brings back, then say in the browser whether
the sign-in worked."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit


async def await_answer(
    redirect_uri: str,
    on_ready: Callable[[], None],
    conclude: Callable[[dict[str, str]], Awaitable[str]],
    timeout: float = 300.0,
) -> None:
    """Serve ``redirect_uri`` until the provider's answer arrives; ``conclude`` turns the
    answer into the line shown in the browser (and raises when the sign-in fails, after the
    browser has been told why)."""
    where = urlsplit(redirect_uri)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await reader.readline()).decode("latin-1").split()
            while (await reader.readline()).strip():
                pass  # headers: not needed
            target = urlsplit(request[1]) if len(request) >= 2 else None
            if target is None or target.path != where.path or done.done():
                _respond(writer, 404, "Không tìm thấy / not found")
                return
            try:
                message = await conclude(dict(parse_qsl(target.query)))
            except Exception as exc:
                _respond(writer, 400, f"Đăng nhập không thành công / sign-in failed: {exc}")
                done.set_exception(exc)
                return
            _respond(writer, 200, message)
            done.set_result(None)
        finally:
            await writer.drain()
            writer.close()

    server = await asyncio.start_server(serve, where.hostname, where.port)
    async with server:
        on_ready()
        await asyncio.wait_for(done, timeout)


def _respond(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = (
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>legisflow</title>'
        f'<p role="{"status" if status == 200 else "alert"}">{html.escape(text)}</p>'
        "<p>Có thể đóng cửa sổ này / you can close this window.</p></html>"
    ).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
