#!/usr/bin/env python3
"""A real SMTP server for the mail tests (aiosmtpd), and a reader that decodes what it got
with Python's standard `email` package — the way a mail client would.

    smtp_sink.py serve PORT DIR   accept mail on 127.0.0.1:PORT; each message becomes
                                  DIR/<n>.eml plus DIR/<n>.json with the envelope
                                  (MAIL FROM, RCPT TO); prints "ready" when listening
    smtp_sink.py decode DIR       print a JSON list of the messages in DIR, decoded

Needs `aiosmtpd` (pip); `tests/run` installs it.
"""

import json
import os
import sys
import time
from email import policy
from email.parser import BytesParser


def serve(port, folder):
    from aiosmtpd.controller import Controller

    os.makedirs(folder, exist_ok=True)

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            stem = os.path.join(folder, f"{time.time_ns()}-{Sink.count}")
            with open(stem + ".json.tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
            with open(stem + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(stem + ".json.tmp", stem + ".json")
            os.rename(stem + ".eml.tmp", stem + ".eml")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin or kills us
    finally:
        controller.stop()


def decode(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".eml"):
            continue
        stem = os.path.join(folder, name[:-4])
        with open(stem + ".eml", "rb") as f:
            msg = BytesParser(policy=policy.default).parse(f)
        with open(stem + ".json") as f:
            envelope = json.load(f)
        body = msg.get_body(preferencelist=("plain",))
        out.append(
            {
                "envelope_from": envelope["mail_from"],
                "envelope_to": envelope["rcpt_tos"],
                "from": str(msg["From"]),
                "to": str(msg["To"]),
                "to_addresses": [a.addr_spec for a in msg["To"].addresses],
                "to_names": [a.display_name for a in msg["To"].addresses],
                "cc": str(msg["Cc"]) if msg["Cc"] else None,
                "bcc": str(msg["Bcc"]) if msg["Bcc"] else None,
                "subject": str(msg["Subject"]),
                "message_id": str(msg["Message-ID"]),
                "in_reply_to": str(msg["In-Reply-To"]) if msg["In-Reply-To"] else None,
                "references": str(msg["References"]) if msg["References"] else None,
                "content_type": msg.get_content_type(),
                "charset": body.get_content_charset() if body else None,
                "header_names": sorted(set(k.lower() for k in msg.keys())),
                "body": body.get_content() if body else "",
            }
        )
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "decode":
        decode(sys.argv[2])
    else:
        sys.exit(__doc__)
