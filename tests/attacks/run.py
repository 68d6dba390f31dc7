#!/usr/bin/env python3
"""The attack suite: what another local user, a web page in the user's browser, a machine
on the LAN, a hostile document or a hostile remote provider would try, run against the
real `hearth serve` and the real `hearth` CLI on a fresh HEARTH_HOME with the real default
model. Every check is one of SECURITY.md's promises; each prints `ok` or why it failed,
and the run ends with "N passed, M failed".

    tests/attacks/run.py [NAME-FILTER]    (after `cargo build --release`, with
                                           scripts/fetch-models.sh smollm2)

Only loopback addresses are used: the "attacker" and "provider" servers are listeners
on 127.0.0.1 that record what reaches them.
"""

import base64
import concurrent.futures
import http.client
import http.server
import json
import os
import pathlib
import resource
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hostile_pdfs  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEARTH = ROOT / "target/release/hearth"
MODEL = ROOT / ".models/SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_GGUF = ROOT / "fuzz/seeds/tiny.gguf"

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


# ---------------------------------------------------------------------------------------
# Hearth: a home, the CLI, the server


class Home:
    """A fresh HEARTH_HOME with the default model and deterministic sampling."""

    def __init__(self, root):
        self.path = pathlib.Path(root) / "home"
        self.env = dict(os.environ, HEARTH_HOME=str(self.path), HEARTH_KEYRING="off")
        self.env.pop("RUST_LOG", None)

    def setup(self, config_extra=""):
        (self.path / "config").mkdir(parents=True, exist_ok=True)
        (self.path / "config/config.toml").write_text(
            "context_length = 2048\nparallel = 2\n\n[sampling]\ntemperature = 0.0\n"
            "max_tokens = 48\n" + config_extra
        )
        self.cli("models", "add", str(MODEL), "--id", "smollm2", "--default")
        return self

    def cli(self, *args, check=True, input=None):
        done = subprocess.run(
            [str(HEARTH), *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise Failed(f"hearth {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-600:]}")
        return done

    def popen(self, *args):
        return subprocess.Popen(
            [str(HEARTH), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8", "replace")


class Server:
    """`hearth serve --port 0` with extra flags; reads where it listens from its first line."""

    def __init__(self, home, *flags):
        self.home = home
        self.process = subprocess.Popen(
            [str(HEARTH), "--json", "serve", "--port", "0", *flags],
            env=home.env,
            stdout=subprocess.PIPE,
            stderr=open(pathlib.Path(home.path).parent / "serve.log", "ab"),
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            raise Failed(f"hearth serve {' '.join(flags)} did not start; see serve.log")
        started = json.loads(line)
        self.url = started["url"]
        self.login_url = started.get("login_url")
        self.port = int(self.url.rsplit(":", 1)[1])
        self.token = (home.path / "config/server-token").read_text().strip()

    def request(self, method, path, body=None, headers=None, host=None, token=True):
        headers = dict(headers or {})
        if token and "Authorization" not in headers and "Cookie" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{self.port}")
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        result = Response(answer.status, answer.getheaders(), answer.read())
        connection.close()
        return result

    def stream(self, path, body, on_event):
        """POSTs `body` and calls `on_event(name, data)` for each server-sent event as it
        arrives; returns every event."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        payload = json.dumps(body).encode()
        connection.request(
            "POST",
            path,
            body=payload,
            headers={
                "Host": f"127.0.0.1:{self.port}",
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )
        answer = connection.getresponse()
        events, name = [], None
        while True:
            line = answer.readline()
            if not line:
                break
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                events.append((name, data))
                on_event(name, data)
        connection.close()
        return events

    def peak_rss_mb(self):
        for line in pathlib.Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise Failed("no VmHWM for the server process")

    def alive(self):
        return self.process.poll() is None and self.request("GET", "/api/health", token=False).status == 200

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sse_events(body):
    """(event, data) pairs of a server-sent events body."""
    events, name = [], None
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line[5:])))
    return events


# ---------------------------------------------------------------------------------------
# Loopback listeners standing in for an attacker's server or a remote provider


class Recorder:
    """An HTTP listener on 127.0.0.1 that records each request (path, headers, body) and
    answers with `reply(handler)`: by default 401."""

    def __init__(self, reply=None):
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                recorder.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                (reply or Recorder.unauthorized)(self)

            do_GET = do_POST = do_PUT = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def unauthorized(handler):
        body = b'{"error":{"message":"recorded","type":"invalid_request_error"}}'
        handler.send_response(401)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def secrets_seen(self, *secrets):
        seen = []
        for request in self.requests:
            blob = json.dumps(request["headers"]) + request["body"].decode("utf-8", "replace")
            seen += [s for s in secrets if s in blob]
        return seen

    def close(self):
        self.server.shutdown()


def redirect_to(target):
    def reply(handler):
        handler.send_response(302)
        handler.send_header("location", target + handler.path)
        handler.send_header("content-length", "0")
        handler.end_headers()

    return reply


def openai_stream(text):
    """A provider that answers every chat completion with `text`, streamed."""

    def reply(handler):
        chunks = [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
        body += b"data: [DONE]\n\n"
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


# ---------------------------------------------------------------------------------------
# The checks


@check
def the_token_is_never_served_to_an_unauthenticated_request(ctx):
    server = ctx.server
    for path in ["/", "/index.html", "/chat/some-route", "/login", "/login?code=wrong", "/api/health"]:
        answer = server.request("GET", path, token=False)
        blob = answer.text() + json.dumps(answer.headers)
        expect(server.token not in blob, f"GET {path} gave away the API token")
    for path in ["/api/conversations", "/api/settings", "/v1/models"]:
        answer = server.request("GET", path, token=False)
        expect(answer.status == 401, f"GET {path} without credentials answered {answer.status}, not 401")


@check
def a_login_link_works_once_and_gives_a_strict_http_only_cookie(ctx):
    server = ctx.server
    expect(server.login_url, "hearth serve printed no login link")
    path = server.login_url.split(str(server.port), 1)[1]
    first = server.request("GET", path, token=False)
    expect(first.status in (302, 303), f"the login link answered {first.status}")
    cookies = first.header("set-cookie")
    expect(cookies, "the login link set no cookie")
    cookie = cookies[0]
    attributes = [a.strip().lower() for a in cookie.split(";")]
    expect("httponly" in attributes, f"the session cookie is not HttpOnly: {cookie}")
    expect("samesite=strict" in attributes, f"the session cookie is not SameSite=Strict: {cookie}")
    pair = cookie.split(";", 1)[0]
    expect(server.token not in cookie, "the session cookie is the API token")
    listed = server.request("GET", "/api/conversations", headers={"Cookie": pair}, token=False)
    expect(listed.status == 200, f"the session cookie did not open the API ({listed.status})")
    again = server.request("GET", path, token=False)
    expect(not again.header("set-cookie"), "the login link worked twice")
    foreign = server.request(
        "POST",
        "/api/conversations",
        body={"title": "from another site"},
        headers={"Cookie": pair, "Origin": "http://attacker.example"},
        token=False,
    )
    expect(foreign.status == 403, f"a cross-site POST with the cookie answered {foreign.status}, not 403")


@check
def a_foreign_host_is_refused_on_every_bind(ctx):
    for flags in [(), ("--host", "0.0.0.0", "--allowed-host", "hearth.lan")]:
        server = Server(ctx.home, *flags)
        try:
            for host in [f"attacker.example:{server.port}", "attacker.example", f"hearth.lan.attacker.example:{server.port}"]:
                answer = server.request("GET", "/api/conversations", host=host)
                expect(answer.status == 403, f"bound {flags or 'to loopback'}: Host {host} answered {answer.status}, not 403")
                page = server.request("GET", "/", host=host, token=False)
                expect(page.status == 403, f"bound {flags or 'to loopback'}: the page for Host {host} answered {page.status}")
            for host in [f"127.0.0.1:{server.port}", f"localhost:{server.port}"]:
                answer = server.request("GET", "/api/conversations", host=host)
                expect(answer.status == 200, f"Host {host} answered {answer.status}, not 200")
            if flags:
                answer = server.request("GET", "/api/conversations", host=f"hearth.lan:{server.port}")
                expect(answer.status == 200, f"the allowed host answered {answer.status}")
        finally:
            server.stop()


def path_requests(path):
    """Every API request that names a file on the server's computer."""
    return [
        ("POST", "/api/documents/read", {"path": path}),
        ("POST", "/api/summarize", {"path": path, "style": "tldr"}),
        ("POST", "/api/translate", {"path": path, "to": "German"}),
        ("POST", "/api/collections/attack/add", {"paths": [path]}),
        ("POST", "/api/workflows/run", {"name": "summarize-then-sentiment", "inputs": [{"path": path}]}),
    ]


def refused_without_leaking(server, requests, secret):
    for method, route, body in requests:
        answer = server.request(method, route, body=body)
        expect(secret.encode() not in answer.body, f"{route} returned the secret's text")
        expect(answer.status >= 400, f"{route} with a path answered {answer.status}")


@check
def secret_files_cannot_be_read_through_the_api(ctx):
    secret = "SECRET-KEY-MATERIAL-7f3a"
    key = ctx.scratch / "id_ed25519"
    key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{secret}\n-----END OPENSSH PRIVATE KEY-----\n")
    plain = ctx.scratch / "credentials"
    plain.write_text(f"password = {secret}\n")
    named_txt = ctx.scratch / "notes.txt"
    named_txt.write_text(f"-----BEGIN RSA PRIVATE KEY-----\n{secret}\n-----END RSA PRIVATE KEY-----\n")
    for target in [key, plain, named_txt]:
        refused_without_leaking(ctx.server, path_requests(str(target)), secret)
    token_file = ctx.home.path / "config/server-token"
    refused_without_leaking(ctx.server, path_requests(str(token_file)), ctx.server.token)

    # Paths turned on: still only documents, never Hearth's own folders.
    server = Server(ctx.home, "--allow-paths")
    try:
        for target in [key, plain, named_txt]:
            refused_without_leaking(server, path_requests(str(target)), secret)
        link = ctx.scratch / "innocent.md"
        link.symlink_to(token_file)
        for target in [token_file, link, ctx.home.path / "data/hearth.db"]:
            refused_without_leaking(server, path_requests(str(target)), server.token)
        document = ctx.scratch / "report.md"
        document.write_text("# Report\n\nThe harvest was early this year.\n")
        read = server.request("POST", "/api/documents/read", body={"path": str(document)})
        expect(read.status == 200, f"a real document was refused with paths allowed: {read.text()[:300]}")
        expect("harvest" in read.json()["markdown"], "the document's text did not come back")
    finally:
        server.stop()


@check
def a_provider_key_never_reaches_a_changed_origin(ctx):
    key = "sk-attack-suite-9d2c71"
    provider = Recorder()
    attacker = Recorder(openai_stream("stolen"))
    bouncer = Recorder(redirect_to(attacker.url))
    try:
        server = ctx.server
        saved = server.request(
            "PUT",
            "/api/providers/p1",
            body={"kind": "openai", "base_url": provider.url + "/v1", "models": ["m"], "api_key": key},
        )
        expect(saved.status == 200, f"saving a provider failed: {saved.text()[:300]}")
        server.request("POST", "/v1/chat/completions", body={"model": "p1:m", "messages": [{"role": "user", "content": "hi"}]})
        expect(provider.secrets_seen(key), "the provider never received its own key (the check cannot work)")
        moved = server.request(
            "PUT",
            "/api/providers/p1",
            body={"kind": "openai", "base_url": attacker.url + "/v1", "models": ["m"]},
        )
        expect(moved.status in (200, 400, 409), f"moving the provider answered {moved.status}")
        server.request("POST", "/v1/chat/completions", body={"model": "p1:m", "messages": [{"role": "user", "content": "hi"}]})
        expect(not attacker.secrets_seen(key), "the key was sent to the provider's new address")

        plain = server.request(
            "PUT",
            "/api/providers/p2",
            body={"kind": "openai", "base_url": "http://192.0.2.10/v1", "models": ["m"], "api_key": key},
        )
        expect(plain.status == 400, f"plain http to another machine was accepted ({plain.status})")

        server.request(
            "PUT",
            "/api/providers/p3",
            body={"kind": "openai", "base_url": bouncer.url + "/v1", "models": ["m"], "api_key": key},
        )
        followed = server.request("POST", "/v1/chat/completions", body={"model": "p3:m", "messages": [{"role": "user", "content": "hi"}]})
        expect(bouncer.requests, "the redirecting provider was never called (the check cannot work)")
        expect(not attacker.secrets_seen(key), "a redirect carried the key to another server")
        expect(followed.status >= 400, f"a redirect answered {followed.status}, as if followed")
    finally:
        for listener in (provider, attacker, bouncer):
            listener.close()


@check
def a_live_answer_survives_twenty_processes_opening_the_store(ctx):
    server = ctx.server
    conversation = server.request("POST", "/api/conversations", body={"title": "Long"}).json()
    started, finished = threading.Event(), threading.Event()
    done = {}

    def on_event(name, data):
        if name == "delta":
            started.set()
        elif name == "finished":
            finished.set()

    def stream():
        done["events"] = server.stream(
            f"/api/conversations/{conversation['id']}/messages",
            {"content": "Write a long story about a lighthouse keeper and the sea.", "options": {"max_tokens": 1200, "temperature": 0}},
            on_event,
        )

    writer = threading.Thread(target=stream)
    writer.start()
    expect(started.wait(300), "the answer never started streaming")
    overlapped = 0
    for _ in range(20):
        ctx.home.cli("history", "list")
        overlapped += not finished.is_set()
    writer.join()
    events = done["events"]
    expect(overlapped >= 10, f"only {overlapped} of 20 processes opened the store while the answer streamed")
    ctx.notes.append(f"{overlapped} of 20 opened the store mid-answer")
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    finished = [data for name, data in events if name == "finished"]
    expect(finished, f"the answer did not finish: {[n for n, _ in events][-5:]}")
    expect(len(streamed) > 400, f"the answer was too short to overlap the other processes ({len(streamed)} characters)")
    view = server.request("GET", f"/api/conversations/{conversation['id']}").json()
    stored = [m for m in view["messages"] if m["role"] == "assistant"]
    expect(stored, "no stored answer")
    expect(stored[-1]["content"] == streamed, f"stored {len(stored[-1]['content'])} of {len(streamed)} streamed characters")
    expect(stored[-1]["state"] == "done", f"the stored answer is {stored[-1]['state']}")


@check
def a_hundred_concurrent_config_writers_lose_no_change(ctx):
    def add(n):
        return ctx.home.cli(
            "providers", "add", f"writer{n}", "--kind", "openai", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--no-key", check=False
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(add, range(100)))
    failed = [r.stderr.strip()[-200:] for r in results if r.returncode != 0]
    expect(not failed, f"{len(failed)} writers failed: {failed[:2]}")
    names = {p["name"] for p in json.loads(ctx.home.cli("--json", "providers", "list").stdout)}
    missing = sorted(f"writer{n}" for n in range(100) if f"writer{n}" not in names)
    expect(not missing, f"{len(missing)} of 100 providers were lost: {missing[:5]}")

    # One file each: the library keeps one entry per file.
    copies = ctx.scratch / "tiny-models"
    copies.mkdir(exist_ok=True)
    for n in range(50):
        (copies / f"tiny{n}.gguf").write_bytes(TINY_GGUF.read_bytes())

    def add_model(n):
        return ctx.home.cli("models", "add", str(copies / f"tiny{n}.gguf"), "--id", f"tiny{n}", check=False)

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(add_model, range(50)))
    library = json.loads(ctx.home.cli("--json", "models", "list").stdout)
    ids = json.dumps(library)
    missing = [n for n in range(50) if f'"tiny{n}"' not in ids]
    expect(not missing, f"{len(missing)} of 50 models were lost from the library: {missing[:5]}")
    leftovers = [p.name for p in (ctx.home.path / "config").rglob("*") if ".tmp" in p.name]
    leftovers += [p.name for p in (ctx.home.path / "data").rglob("*") if ".tmp" in p.name]
    expect(not leftovers, f"temporary files left behind: {leftovers[:5]}")


@check
def hostile_pdfs_are_refused_and_the_server_keeps_answering(ctx):
    server = ctx.server
    for name, data, kind in hostile_pdfs.corpus():
        answer = server.request(
            "POST",
            "/api/documents/read",
            body={"name": f"{name}.pdf", "data_base64": base64.b64encode(data).decode()},
        )
        expect(server.alive(), f"the server died on {name}")
        expect(answer.status >= 400, f"{name} was read ({answer.status}): {answer.text()[:200]}")
        if kind == "bomb":
            code = answer.json().get("code", "")
            expect(code == "DOCUMENT_BOMB", f"{name} was refused as {code}, not as a decompression bomb: {answer.text()[:300]}")
    peak = server.peak_rss_mb()
    expect(peak < 900, f"the server's memory peaked at {peak:.0f} MB reading the bombs")
    ctx.notes.append(f"server peak {peak:.0f} MB")


@check
def personal_data_is_redacted_before_a_remote_provider_sees_it(ctx):
    provider = Recorder(openai_stream("Write to [EMAIL_1]; details at https://evil.example/?e=[EMAIL_1]"))
    try:
        server = ctx.server
        server.request(
            "PUT",
            "/api/providers/remote",
            body={"kind": "openai", "base_url": provider.url + "/v1", "models": ["m"], "api_key": "sk-redaction"},
        )
        private = [
            "josé@example.com",
            "030-1234-5678",
            "06-12-34-56-78",
            "Ada Lovelace",
            "ada lovelace",
            "０３０-１２３４-５６７８",
        ]
        message = (
            "Reply to josé@example.com. Call 030-1234-5678 or 06-12-34-56-78 or "
            "０３０-１２３４-５６７８. Ask Ada Lovelace (ada lovelace, Ada\nLovelace) about std::vector."
        )
        conversation = server.request("POST", "/api/conversations", body={"title": "Redaction", "model": "remote:m"}).json()
        answer = server.request(
            "POST",
            f"/api/conversations/{conversation['id']}/messages",
            body={"content": message},
        )
        expect(provider.requests, f"the provider was never called: {answer.text()[:300]}")
        sent = provider.requests[-1]["body"].decode("utf-8", "replace")
        sent_json = json.loads(sent)
        sent_text = json.dumps(sent_json, ensure_ascii=False)
        leaked = [p for p in private if p in sent_text]
        expect(not leaked, f"sent to the provider unredacted: {leaked}")
        expect("Ada\\nLovelace" not in sent_text, "a name split over a line was sent")
        expect("std::vector" in sent_text, "std::vector was garbled as an address")
        streamed = "".join(d["text"] for n, d in sse_events(answer.body) if n == "delta")
        expect("Write to josé@example.com" in streamed, f"the placeholder was not restored in prose: {streamed}")
        expect("?e=josé" not in streamed and "e=jos%C3%A9" not in streamed, f"the address was restored into a link the provider chose: {streamed}")
    finally:
        provider.close()


@check
def every_file_and_folder_in_the_home_is_private(ctx):
    wide = []
    for path in [ctx.home.path, *ctx.home.path.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir() and mode != 0o700:
            wide.append(f"{path} {mode:o}")
        elif path.is_file() and mode != 0o600:
            wide.append(f"{path} {mode:o}")
    expect(not wide, f"{len(wide)} paths are not private: {wide[:6]}")


# ---------------------------------------------------------------------------------------


class Context:
    pass


def main():
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    for need, how in [(HEARTH, "cargo build --release"), (MODEL, "scripts/fetch-models.sh smollm2")]:
        if not need.exists():
            print(f"missing {need}: {how}", file=sys.stderr)
            return 1
    checks = [c for c in CHECKS if wanted in c.__name__]
    if not checks:
        print(f"no check matches {wanted!r}", file=sys.stderr)
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="hearth-attacks-") as scratch:
        ctx = Context()
        ctx.scratch = pathlib.Path(scratch)
        # Names listed for redaction, as a user would in the settings.
        ctx.home = Home(scratch).setup('\n[redaction]\nnames = ["Ada Lovelace"]\n')
        ctx.notes = []
        ctx.server = Server(ctx.home)
        try:
            for function in checks:
                name = function.__name__.replace("_", " ")
                print(f"  {name:<76}", end="", flush=True)
                ctx.notes = []
                started = time.monotonic()
                try:
                    function(ctx)
                    passed += 1
                    extra = "; ".join(ctx.notes)
                    print(f"ok ({time.monotonic() - started:.1f} s{'; ' + extra if extra else ''})")
                except Failed as why:
                    failed += 1
                    print(f"FAILED: {why}")
                except Exception:
                    failed += 1
                    print("FAILED with an exception:")
                    traceback.print_exc()
                if not ctx.server.alive():
                    print("the server died; restarting it for the next checks")
                    ctx.server = Server(ctx.home)
        finally:
            ctx.server.stop()
            log = pathlib.Path(scratch) / "serve.log"
            if failed and log.exists():
                print("--- hearth serve said (last lines):")
                print("\n".join(log.read_text(errors="replace").splitlines()[-30:]))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
