#!/usr/bin/env python3
"""Benchmark peer: Tornado, one process, one IOLoop (chapter 10's design).

usage: tornado_server.py PORT ROOT

  GET /hello   "Hello, world"
  /ws, /ws/echo  WebSocket echo (text stays text, binary stays binary)
  GET /NAME    a file under ROOT (tornado.web.StaticFileHandler)

Listens on 127.0.0.1 only; no access log.
"""
import asyncio
import sys

import tornado.web
import tornado.websocket


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, world")


class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


async def serve(port, root):
    app = tornado.web.Application(
        [
            (r"/hello", Hello),
            (r"/ws(?:/echo)?", Echo),
            (r"/(.+)", tornado.web.StaticFileHandler, {"path": root}),
        ],
        websocket_max_message_size=16 << 20,
    )
    app.listen(port, address="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: tornado_server.py PORT ROOT")
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2]))
