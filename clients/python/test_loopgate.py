"""Tests of loopgate.py against a real Loopgate server (the repository's built server/dist, SQLite).

Run from the repository root after `npm run build`:  python3 -m unittest discover -s clients/python -v
"""

from __future__ import annotations

import http.server
import json
import os
import pathlib
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import loopgate

REPO = pathlib.Path(__file__).resolve().parents[2]
SERVER_ENTRY = REPO / "server" / "dist" / "main.js"
CLI_ENTRY = REPO / "server" / "dist" / "cli" / "main.js"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopgateServer:
    """One server process over one SQLite directory; restartable on the same port and data."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="loopgate-py-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATA_DIR": self.data_dir,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "silent",
            "LOOPGATE_ALLOW_PRIVATE_CALLBACKS": "true",
            "LOOPGATE_OUTBOX_POLL_MS": "100",
        }
        self.env.pop("DATABASE_URL", None)
        self.process = None

    def api_key(self, role: str, name: str) -> str:
        out = subprocess.run(["node", str(CLI_ENTRY), "api-key", "create", "--role", role, "--name", name],
                             env=self.env, check=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self):
        self.process = subprocess.Popen(["node", str(SERVER_ENTRY)], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("the server exited: " + self.process.stderr.read().decode())
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready within 30 s")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process.stderr.close()
            self.process = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Receiver(http.server.ThreadingHTTPServer):
    """A local webhook receiver that keeps each delivery's raw headers and body."""

    def __init__(self):
        self.deliveries: "queue.Queue[tuple[dict, bytes]]" = queue.Queue()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.deliveries.put(({k: v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@unittest.skipUnless(SERVER_ENTRY.exists(), "build the server first (npm run build)")
class ClientAgainstServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LoopgateServer()
        cls.agent_key = cls.server.api_key("admin", "python agent")
        cls.reviewer_key = cls.server.api_key("reviewer", "python reviewer")
        cls.server.start()
        cls.agent = loopgate.Client(cls.server.url, cls.agent_key)
        cls.reviewer = loopgate.Client(cls.server.url, cls.reviewer_key)

    @classmethod
    def tearDownClass(cls):
        cls.server.remove()

    def decide_soon(self, task_id, action, delay=0.3, **fields):
        def run():
            time.sleep(delay)
            self.reviewer.decide(task_id, action, **fields)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def test_create_get_and_wait_for_an_approval(self):
        task = self.agent.create_task("Refund order 1042", {"amount": 480}, risk_level="high",
                                      confidence=0.4, tags=["refund"],
                                      agent={"id": "crew-refunds", "name": "Refund crew", "model": "scripted"})
        self.assertEqual(task["status"], "pending_review")
        self.assertEqual(task["agent"], {"id": "crew-refunds", "name": "Refund crew", "version": None,
                                         "model": "scripted"})
        self.assertEqual(task["source"], "python")
        self.assertEqual(self.agent.get_task(task["id"])["payload"], {"amount": 480})

        thread = self.decide_soon(task["id"], "approve", comment="ok")
        decided = self.agent.wait_for_decision(task["id"], timeout=20)
        thread.join()
        self.assertEqual(decided["status"], "approved")
        self.assertEqual(decided["decision"]["comment"], "ok")
        self.assertEqual(loopgate.approved_payload(decided), {"amount": 480})
        self.assertEqual(len(decided["decision"]["payloadDigest"]), 64)

    def test_modifications_are_what_may_run(self):
        task = self.agent.create_task("Refund order 7", {"amount": 480})
        thread = self.decide_soon(task["id"], "approve_with_modifications", modified_payload={"amount": 40})
        decided = self.agent.wait_for_decision(task["id"], timeout=20)
        thread.join()
        self.assertEqual(decided["status"], "approved_with_modifications")
        self.assertEqual(loopgate.approved_payload(decided), {"amount": 40})

    def test_a_rejection_carries_the_reason(self):
        task = self.agent.create_task("Delete the customer table", {"sql": "DROP TABLE customers"})
        thread = self.decide_soon(task["id"], "reject", comment="Never in production")
        decided = self.agent.wait_for_decision(task["id"], timeout=20)
        thread.join()
        self.assertEqual(decided["status"], "rejected")
        self.assertEqual(decided["decision"]["comment"], "Never in production")
        self.assertIsNone(loopgate.approved_payload(decided))

    def test_idempotency_key_makes_one_task(self):
        first = self.agent.create_task("Send invoice 55", {"n": 55}, idempotency_key="invoice-55")
        again = self.agent.create_task("Send invoice 55", {"n": 55}, idempotency_key="invoice-55")
        self.assertEqual(first["id"], again["id"])
        with self.assertRaises(loopgate.LoopgateError) as caught:
            self.agent.create_task("Send invoice 55", {"n": 56}, idempotency_key="invoice-55")
        self.assertEqual(caught.exception.code, "idempotency_key_reused")
        self.assertEqual(caught.exception.status, 422)

    def test_wait_times_out_with_the_open_task(self):
        task = self.agent.create_task("Nobody looks at this", {"x": 1})
        with self.assertRaises(loopgate.WaitTimeout) as caught:
            self.agent.wait_for_decision(task["id"], timeout=1.5)
        self.assertEqual(caught.exception.task["id"], task["id"])
        self.assertEqual(caught.exception.task["status"], "pending_review")

    def test_cancel(self):
        task = self.agent.create_task("Changed my mind", {"x": 1})
        cancelled = self.agent.cancel(task["id"], reason="superseded")
        self.assertEqual(cancelled["status"], "cancelled")
        self.assertEqual(self.agent.wait_for_decision(task["id"], timeout=5)["status"], "cancelled")

    def test_problems_carry_their_code_and_fields(self):
        with self.assertRaises(loopgate.LoopgateError) as caught:
            self.agent.create_task("", {"x": 1})
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual(caught.exception.code, "validation_failed")
        self.assertIn("title", [error["path"] for error in caught.exception.errors])

        with self.assertRaises(loopgate.LoopgateError) as caught:
            self.agent.get_task("tsk_doesnotexist")
        self.assertEqual((caught.exception.status, caught.exception.code), (404, "not_found"))

        task = self.agent.create_task("Reject needs a reason", {"x": 1})
        with self.assertRaises(loopgate.LoopgateError) as caught:
            self.reviewer.decide(task["id"], "reject")
        self.assertEqual(caught.exception.code, "validation_failed")
        self.assertEqual(self.agent.get_task(task["id"])["status"], "pending_review")

        with self.assertRaises(loopgate.LoopgateError) as caught:
            loopgate.Client(self.server.url, "lg_wrong_key").get_task(task["id"])
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "unauthorized"))

    def test_a_signed_callback_verifies_and_a_tampered_one_does_not(self):
        receiver = Receiver()
        self.addCleanup(receiver.shutdown)
        secret = self.agent._request("GET", "/api/v1/settings/callback-secret")["secret"]
        task = self.agent.create_task("Publish the post", {"post": 9}, callback_url=receiver.url)
        self.reviewer.decide(task["id"], "approve")
        headers, body = receiver.deliveries.get(timeout=20)

        verified = loopgate.verify_webhook(secret, headers, body)
        self.assertEqual(verified["id"], headers["webhook-id"])
        delivered = json.loads(body)
        self.assertEqual((delivered["type"], delivered["data"]["taskId"]), ("task.decided", task["id"]))

        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook(secret, headers, body.replace(b"approved", b"rejected", 1))
        self.assertEqual(caught.exception.reason, "invalid_signature")
        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook(secret, headers, body, now=int(headers["webhook-timestamp"]) + 301)
        self.assertEqual(caught.exception.reason, "timestamp_too_old")
        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook(secret, {"webhook-id": "x"}, body)
        self.assertEqual(caught.exception.reason, "missing_headers")
        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook("whsec_!!!", headers, body)
        self.assertEqual(caught.exception.reason, "invalid_secret")


@unittest.skipUnless(SERVER_ENTRY.exists(), "build the server first (npm run build)")
class WaitingAcrossARestart(unittest.TestCase):
    def test_a_decision_made_while_the_server_was_down_still_reaches_the_waiter(self):
        server = LoopgateServer()
        self.addCleanup(server.remove)
        agent_key = server.api_key("admin", "agent")
        reviewer_key = server.api_key("reviewer", "reviewer")
        server.start()
        agent = loopgate.Client(server.url, agent_key)
        task = agent.create_task("Survives a restart", {"x": 1})

        outcome: "queue.Queue[object]" = queue.Queue()

        def wait():
            try:
                outcome.put(agent.wait_for_decision(task["id"], timeout=60))
            except Exception as error:  # handed to the test thread, which asserts on it
                outcome.put(error)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.5)
        server.stop()
        time.sleep(0.5)
        server.start()
        loopgate.Client(server.url, reviewer_key).decide(task["id"], "approve")
        waiter.join(timeout=60)
        result = outcome.get_nowait()
        self.assertIsInstance(result, dict, result)
        self.assertEqual(result["status"], "approved")


class VerifyWebhookOffline(unittest.TestCase):
    """The Standard Webhooks reference vector, so the check does not depend on our own signer."""

    SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    HEADERS = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    BODY = b'{"test": 2432232314}'

    def test_the_reference_vector_verifies(self):
        result = loopgate.verify_webhook(self.SECRET, self.HEADERS, self.BODY, now=1614265330)
        self.assertEqual(result, {"id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "timestamp": 1614265330})

    def test_header_names_are_case_insensitive_and_unknown_versions_are_skipped(self):
        headers = {name.title(): value for name, value in self.HEADERS.items()}
        headers["Webhook-Signature"] = "v2,abc " + headers["Webhook-Signature"]
        self.assertEqual(loopgate.verify_webhook(self.SECRET, headers, self.BODY.decode(), now=1614265330)["timestamp"],
                         1614265330)

    def test_a_future_timestamp_is_refused(self):
        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook(self.SECRET, self.HEADERS, self.BODY, now=1614265330 - 301)
        self.assertEqual(caught.exception.reason, "timestamp_in_future")

    def test_a_non_numeric_timestamp_is_refused(self):
        headers = {**self.HEADERS, "webhook-timestamp": "soon"}
        with self.assertRaises(loopgate.WebhookVerificationError) as caught:
            loopgate.verify_webhook(self.SECRET, headers, self.BODY, now=1614265330)
        self.assertEqual(caught.exception.reason, "invalid_timestamp")

    def test_bad_client_arguments_fail_fast(self):
        with self.assertRaises(ValueError):
            loopgate.Client("localhost:3000", "lg_x")
        with self.assertRaises(ValueError):
            loopgate.Client("http://localhost:3000", "")


if __name__ == "__main__":
    unittest.main()
