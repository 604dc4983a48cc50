"""Loopgate client for Python: one file, standard library only (Python 3.9+).

Copy this file next to your agent (there is no PyPI package):

    from loopgate import Client

    client = Client("http://localhost:3000", api_key)
    task = client.create_task(title="Refund order 1042", payload={"amount": 480},
                              risk_level="high", idempotency_key="refund-1042")
    task = client.wait_for_decision(task["id"], timeout=3600)
    if task["status"] in ("approved", "approved_with_modifications"):
        run_refund(approved_payload(task))

Every non-2xx answer raises LoopgateError carrying the server's problem ``code`` (the stable,
documented list: ``validation_failed``, ``not_found``, ``separation_of_duties``, ...). Waiting uses the
server's long-poll (``GET /api/v1/tasks/{id}/wait``): the call returns the moment the task is final,
and a server restart or dropped connection is retried with backoff until the timeout passes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Optional

__all__ = [
    "Client",
    "LoopgateError",
    "WaitTimeout",
    "WebhookVerificationError",
    "approved_payload",
    "verify_webhook",
    "FINAL_STATUSES",
]

FINAL_STATUSES = frozenset({"approved", "approved_with_modifications", "rejected", "expired", "cancelled"})

# The server caps one long-poll at 120 s; asking for less keeps proxies with shorter idle timeouts happy.
_MAX_WAIT_SECONDS = 60
_RETRY_BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
# Only these mean "the server is not there right now"; anything else is an answer and is raised.
_RETRYABLE_STATUSES = frozenset({502, 503, 504})


class LoopgateError(Exception):
    """A problem+json answer from the server (or a transport failure, with ``status`` 0)."""

    def __init__(self, status: int, code: str, title: str, detail: Optional[str] = None,
                 errors: Optional[list] = None):
        super().__init__(f"{status} {code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []


class WaitTimeout(Exception):
    """``wait_for_decision`` gave up before the task was decided; ``task`` is the open task as last read."""

    def __init__(self, task: Dict[str, Any]):
        super().__init__(f"Task {task.get('id')} was still {task.get('status')} when the wait timed out")
        self.task = task


class WebhookVerificationError(Exception):
    """A delivery that cannot be trusted. ``reason`` is one of: missing_headers, invalid_timestamp,
    timestamp_too_old, timestamp_in_future, invalid_signature, invalid_secret."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Client:
    """A Loopgate API client bound to one workspace by its API key (``lg_...``)."""

    def __init__(self, base_url: str, api_key: str, *, request_timeout: float = 30.0):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL, e.g. http://localhost:3000")
        if not api_key:
            raise ValueError("api_key is required (create one with: npx loopgate api-key create)")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._request_timeout = request_timeout

    # -- tasks -------------------------------------------------------------------------------------

    def create_task(self, title: str, payload: Any, *, idempotency_key: Optional[str] = None,
                    description: Optional[str] = None, context: Any = None,
                    confidence: Optional[float] = None, risk_level: Optional[str] = None,
                    tags: Optional[list] = None, queue: Optional[str] = None,
                    source: Optional[str] = None, external_ref: Optional[str] = None,
                    callback_url: Optional[str] = None, sla_seconds: Optional[int] = None,
                    form: Optional[dict] = None, response_form: Optional[dict] = None,
                    agent: Optional[dict] = None) -> Dict[str, Any]:
        """Create a task. With ``idempotency_key`` a retried call returns the first call's task
        instead of making a second one (use your stable id for the action under review).
        ``agent`` names who asks: ``{"id": "crew-refunds", "name": ..., "version": ..., "model": ...}``."""
        body = _without_none({
            "title": title,
            "payload": payload,
            "description": description,
            "context": context,
            "confidence": confidence,
            "riskLevel": risk_level,
            "tags": tags,
            "queue": queue,
            "source": source if source is not None else "python",
            "externalRef": external_ref,
            "callbackUrl": callback_url,
            "slaSeconds": sla_seconds,
            "form": form,
            "responseForm": response_form,
            "agent": agent,
        })
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._request("POST", "/api/v1/tasks", body, headers=headers)

    def get_task(self, task_id: str) -> Dict[str, Any]:
        return self._request("GET", f"/api/v1/tasks/{_segment(task_id)}")

    def wait_for_decision(self, task_id: str, timeout: float) -> Dict[str, Any]:
        """Block until the task is final (approved, approved_with_modifications, rejected, expired,
        cancelled) and return it; raise WaitTimeout after ``timeout`` seconds. Connection failures
        (a server restarting) are retried with backoff within the same deadline."""
        deadline = time.monotonic() + timeout
        failures = 0
        last: Optional[Dict[str, Any]] = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(last if last is not None else {"id": task_id, "status": "unknown"})
            seconds = max(0, min(_MAX_WAIT_SECONDS, int(remaining)))
            try:
                last = self._request(
                    "GET", f"/api/v1/tasks/{_segment(task_id)}/wait?timeout={seconds}",
                    read_timeout=seconds + self._request_timeout,
                )
                failures = 0
            except LoopgateError as error:
                if error.status != 0 and error.status not in _RETRYABLE_STATUSES:
                    raise
                pause = _RETRY_BACKOFF_SECONDS[min(failures, len(_RETRY_BACKOFF_SECONDS) - 1)]
                failures += 1
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
                continue
            if last.get("status") in FINAL_STATUSES:
                return last
            if seconds == 0:
                raise WaitTimeout(last)

    def decide(self, task_id: str, action: str, *, comment: Optional[str] = None,
               modified_payload: Any = None, response: Optional[dict] = None,
               reason_code: Optional[str] = None) -> Dict[str, Any]:
        """Record this key's decision: ``approve``, ``reject`` (a ``comment`` is required) or
        ``approve_with_modifications`` (with ``modified_payload``). Needs a reviewer or admin key."""
        body = _without_none({
            "action": action,
            "comment": comment,
            "modifiedPayload": modified_payload,
            "response": response,
            "reasonCode": reason_code,
        })
        if action == "approve_with_modifications" and modified_payload is None:
            raise ValueError("approve_with_modifications needs modified_payload")
        return self._request("POST", f"/api/v1/tasks/{_segment(task_id)}/decision", body)

    def cancel(self, task_id: str, reason: Optional[str] = None) -> Dict[str, Any]:
        return self._request("POST", f"/api/v1/tasks/{_segment(task_id)}/cancel", _without_none({"reason": reason}))

    # -- transport ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, *,
                 headers: Optional[Mapping[str, str]] = None,
                 read_timeout: Optional[float] = None) -> Dict[str, Any]:
        data = None
        all_headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=read_timeout or self._request_timeout) as answer:
                raw = answer.read()
                return json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            raise _problem_of(error) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            raise LoopgateError(0, "unreachable", "Loopgate is unreachable", str(error)) from None


def approved_payload(task: Mapping[str, Any]) -> Any:
    """What may run: the reviewer's modified payload when they modified it, the original when they
    approved it as it was, and None when the task was not approved (rejected, expired, cancelled, open)."""
    status = task.get("status")
    decision = task.get("decision") or {}
    if status == "approved_with_modifications" and "modifiedPayload" in decision:
        return decision["modifiedPayload"]
    return task.get("payload") if status == "approved" else None


def verify_webhook(secret: str, headers: Mapping[str, str], body, *, tolerance_seconds: int = 300,
                   now: Optional[int] = None) -> Dict[str, Any]:
    """Verify a Loopgate delivery (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``) and return ``{"id", "timestamp"}``; raise WebhookVerificationError otherwise.

    ``body`` must be the raw request body (bytes or str) exactly as received: re-serialised JSON has
    other bytes and never verifies. ``secret`` is the ``whsec_...`` secret, prefix optional."""
    key = _secret_bytes(secret)
    lower = {name.lower(): value for name, value in headers.items()}
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    missing = [name for name in names if not str(lower.get(name, "")).strip()]
    if missing:
        raise WebhookVerificationError("missing_headers", f"Missing webhook header(s): {', '.join(missing)}")
    message_id = str(lower["webhook-id"]).strip()
    raw_timestamp = str(lower["webhook-timestamp"]).strip()
    if not raw_timestamp.isdigit():
        raise WebhookVerificationError("invalid_timestamp", "The webhook-timestamp header is not an integer of unix seconds")
    timestamp = int(raw_timestamp)
    current = int(time.time()) if now is None else now
    if current - timestamp > tolerance_seconds:
        raise WebhookVerificationError("timestamp_too_old", "The webhook timestamp is older than the allowed tolerance")
    if timestamp - current > tolerance_seconds:
        raise WebhookVerificationError("timestamp_in_future",
                                       "The webhook timestamp is further in the future than the allowed tolerance")
    payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    signed = f"{message_id}.{raw_timestamp}.".encode("utf-8") + payload
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for token in str(lower["webhook-signature"]).split():
        version, _, encoded = token.rstrip(",").partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(candidate, expected):
            return {"id": message_id, "timestamp": timestamp}
    raise WebhookVerificationError("invalid_signature", "No matching webhook signature found")


def _secret_bytes(secret: str) -> bytes:
    if not isinstance(secret, str):
        raise WebhookVerificationError("invalid_secret", "The webhook secret must be a string")
    encoded = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        key = b""
    if not key:
        raise WebhookVerificationError("invalid_secret",
                                       "The webhook secret is not valid base64 (optionally prefixed with whsec_)")
    return key


def _problem_of(error: urllib.error.HTTPError) -> LoopgateError:
    raw = error.read()
    try:
        problem = json.loads(raw) if raw else {}
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    return LoopgateError(
        error.code,
        str(problem.get("code") or ("unavailable" if error.code in _RETRYABLE_STATUSES else "http_error")),
        str(problem.get("title") or error.reason or "HTTP error"),
        problem.get("detail"),
        problem.get("errors") if isinstance(problem.get("errors"), list) else None,
    )


def _segment(task_id: str) -> str:
    if not task_id:
        raise ValueError("task_id is required")
    return urllib.parse.quote(task_id, safe="")


def _without_none(fields: Dict[str, Any]) -> Dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
