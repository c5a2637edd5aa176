"""The upstream smarthost of the node tests: an aiosmtpd sink that requires STARTTLS.

    python3 node-sink.py ADDRESS PORT CERT KEY MESSAGES [REFUSE]

Each message accepted is one JSON line appended to MESSAGES (sender, recipients, Message-ID,
size, whether it came over TLS). While the file REFUSE exists, DATA is answered with 421 4.7.0,
as an upstream answers during an outage or over its rate, so the relay keeps the mail queued.
Runs until killed.
"""

import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, messages, refuse):
        self.messages, self.refuse = messages, refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse and os.path.exists(self.refuse):
            return "421 4.7.0 Try again later, closing connection. (test upstream outage)"
        content = (envelope.content or b"").decode("utf-8", "replace")
        headers = content.split("\r\n\r\n", 1)[0].splitlines()
        message_id = next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("message-id:")), None)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": message_id,
            "size": len(envelope.content or b""),
            "tls": session.ssl is not None,
        }
        with open(self.messages, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 2.0.0 queued by the test sink"


def main():
    address, port, cert, key, messages = sys.argv[1:6]
    refuse = sys.argv[6] if len(sys.argv) > 6 else None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Handler(messages, refuse),
        hostname=address,
        port=int(port),
        server_hostname="smarthost.test",
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
