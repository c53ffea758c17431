"""An SMTP server that accepts every message and appends its recipients to a file, one per line.

It offers PIPELINING (RFC 2920), as Postfix and the large providers do; aiosmtpd reads pipelined commands in
order, it only does not say so.

Usage: python bench/smtp_sink.py PORT FILE   (runs until killed)
"""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the life of the process)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        self.out.write("".join(f"{recipient}\n" for recipient in envelope.rcpt_tos))
        self.out.flush()
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
