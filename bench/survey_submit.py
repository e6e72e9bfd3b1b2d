"""Benchmark: citizens answering a satisfaction survey with one-time tokens, under load.

Many concurrent clients (default 32), each with a distinct token, do what a phone does after the QR
code: post the token to open its questionnaire page (which sets the session cookie and the CSRF
token), take the CSRF token from the page, and send a complete answer. The server is the real stack:
gunicorn with 4 sync workers and the production configuration, rate limits in Redis as in production.
In the same run, the same clients hit a trivial endpoint of the same application (one INSERT a
request), which tells what the stack itself costs on this machine.

Prints, per database: answers/s, p50 and p99 of each answer (page + answer, as the person waits) and
of each request, the trivial endpoint's requests/s with its p50 and p99, and the ratio of answers/s
to the trivial requests/s. Targets on a 2-core machine: >= 300 answers/s on PostgreSQL, p99 of a
request < 150 ms, ratio >= 0.5. After each run the database is checked: exactly as many tokens spent
and responses pooled as answers counted.

Runs on a fresh SQLite file and, when PostgreSQL answers (BENCH_DATABASE_URL, or the local server at
127.0.0.1:5432 as user postgres), on a fresh PostgreSQL database that is dropped afterwards.

    .venv/bin/python bench/survey_submit.py [--clients 32] [--seconds 15] [--rounds 3] [--workers 4] [--db sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import html
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET = "bench-secret-key-0123456789abcdef"
QUESTIONNAIRE = os.path.join(ROOT, "examples", "questionnaires", "party_satisfaction.yaml")
def survey_form(page: bytes) -> bytes:
    """The answer form of a page (not the language switch's form beside it)."""
    start = page.find(b'class="survey-form"')
    return page[start:page.find(b"</form>", start)] if start >= 0 else b""


ANSWER = {"overall": "5", "informed": "yes", "attitude": "4", "integrity": "not_seen", "score": "9",
          "remarks": "检察官很耐心，解释清楚。"}
# The hidden fields of the page's form (CSRF token, code, ticket …), sent back as a browser would.
HIDDEN_RE = re.compile(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"')
TARGETS = {"answers_per_s": 300, "p99_ms": 150, "ratio": 0.5}


# --- the application gunicorn serves ---------------------------------------------------------

def bench_app():
    """The production application plus one trivial endpoint (one INSERT), for `gunicorn 'survey_submit:bench_app()'`."""
    from flask import Blueprint
    from sqlalchemy import text

    from review import create_app
    from review.core.access import public
    from review.extensions import csrf, db

    app = create_app("production", RATELIMIT_KEY_PREFIX=os.environ["BENCH_LIMIT_PREFIX"])
    bp = Blueprint("bench", __name__)

    @bp.post("/bench/ping")
    @csrf.exempt
    @public
    def ping():
        db.session.execute(text("INSERT INTO bench_ping (at) VALUES (CURRENT_TIMESTAMP)"))
        db.session.commit()
        return "ok"

    app.register_blueprint(bp)
    return app


# --- the database ----------------------------------------------------------------------------

def pg_admin_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL") or PG_DEFAULT
    try:
        from sqlalchemy import create_engine
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return url
    except Exception:  # noqa: BLE001 - no server: SQLite only
        return None


def create_pg(admin: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = f"review_bench_survey_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_pg(admin: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def seed(url: str, n_tokens: int) -> list[str]:
    """Schema, one county with ten prosecutors, the example questionnaire, an open survey and
    n_tokens tokens spread over the prosecutors. Returns the tokens' link secrets (what a QR code holds)."""
    from sqlalchemy import text

    from review import create_app
    from review.extensions import db
    from review.org.models import Person, Unit, UnitLevel
    from review.org.terminology import ensure_terminology
    from review.surveys import tokens
    from review.surveys.operations import create_survey, save_questionnaire
    from review.surveys.yaml_io import load_questionnaire

    app = create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET)
    links: list[str] = []
    with app.app_context():
        db.create_all()
        db.session.execute(text("CREATE TABLE bench_ping (id INTEGER PRIMARY KEY %s, at TIMESTAMP)"
                                % ("GENERATED ALWAYS AS IDENTITY" if db.engine.dialect.name == "postgresql" else "")))
        ensure_terminology()
        county = Unit(code="B01", name="基准县检察院", level=UnitLevel.COUNTY)
        db.session.add(county)
        db.session.flush()
        people = [Person(staff_no=f"B{i:04d}", name=f"检察官{i}", category_code="quota", unit_id=county.id)
                  for i in range(10)]
        db.session.add_all(people)
        db.session.flush()
        with open(QUESTIONNAIRE, encoding="utf-8") as f:
            version = save_questionnaire(load_questionnaire(f.read()))
        survey = create_survey(version, county, "基准满意度调查")
        per = -(-n_tokens // len(people))
        for person in people:
            made = tokens.new_tokens(per)
            for i in range(0, per, tokens.MAX_BATCH):
                tokens.issue(survey, person.id, person.name, made[i:i + tokens.MAX_BATCH])
            links += [t.link for t in made]
        db.session.commit()
        db.engine.dispose()
    return links[:n_tokens]


def check(url: str, answers: int, pings: int) -> str:
    """What the database holds after the run must match what the clients counted."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        spent = conn.scalar(text("SELECT count(*) FROM survey_tokens WHERE used"))
        pooled = conn.scalar(text("SELECT count(*) FROM survey_pool"))
        pinged = conn.scalar(text("SELECT count(*) FROM bench_ping"))
    engine.dispose()
    ok = spent == pooled == answers and pinged == pings
    return (f"tokens spent {spent}, responses pooled {pooled}, answers counted {answers}; "
            f"pings stored {pinged} of {pings}: {'consistent' if ok else 'MISMATCH'}")


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, workers: int):
        self.port = free_port()
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "REDIS_URL": REDIS_URL,
               "BENCH_LIMIT_PREFIX": self.prefix, "REVIEW_ENV": "production"}
        self.instance = tempfile.mkdtemp(prefix="bench-instance-")
        self.proc = subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "--backlog", "2048",
             "--pythonpath", os.path.join(ROOT, "bench") + "," + ROOT, "--log-level", "warning",
             "survey_submit:bench_app()"], env=env, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _h, _b = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.instance, ignore_errors=True)
        try:
            from redis import Redis
            r = Redis.from_url(REDIS_URL)
            for key in r.scan_iter(f"{self.prefix}*"):
                r.delete(key)
        except Exception:  # noqa: BLE001 - Redis gone: nothing to clean
            pass


# --- the clients -----------------------------------------------------------------------------

def request(port: int, method: str, path: str, body: dict | None = None, cookie: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Connection": "close"}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, resp.getheader("Set-Cookie"), payload
    finally:
        conn.close()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = 0
        self.failed: list[str] = []
        self.whole: list[float] = []     # per unit of work (answer = page + answer)
        self.each: list[float] = []      # per request

    def add(self, whole: float, each: list[float]) -> None:
        with self.lock:
            self.done += 1
            self.whole.append(whole)
            self.each += each

    def merge(self, other: "Tally") -> None:
        self.done += other.done
        self.failed += other.failed
        self.whole += other.whole
        self.each += other.each

    def fail(self, why: str) -> None:
        with self.lock:
            self.failed.append(why)


def answer_one(port: int, link: str, tally: Tally) -> None:
    t0 = time.perf_counter()
    status, set_cookie, page = request(port, "POST", "/survey/", {"code": link})
    t1 = time.perf_counter()
    form = {html.unescape(k.decode()): html.unescape(v.decode()) for k, v in HIDDEN_RE.findall(survey_form(page))}
    if status != 200 or not set_cookie or "csrf_token" not in form:
        tally.fail(f"page {status}")
        return
    cookie = set_cookie.split(";", 1)[0]
    status, _c, thanks = request(port, "POST", "/survey/", {**form, **ANSWER}, cookie)
    t2 = time.perf_counter()
    if status != 200 or "已记录".encode() not in thanks:
        tally.fail(f"answer {status}")
        return
    tally.add(t2 - t0, [t1 - t0, t2 - t1])


def ping_one(port: int, tally: Tally) -> None:
    t0 = time.perf_counter()
    status, _c, body = request(port, "POST", "/bench/ping", {})
    t1 = time.perf_counter()
    if status != 200 or body != b"ok":
        tally.fail(f"ping {status}")
        return
    tally.add(t1 - t0, [t1 - t0])


def load(clients: int, seconds: float, work) -> tuple[Tally, float]:
    """`clients` threads call work(tally) in a loop for `seconds`; returns the tally and the wall time."""
    tally = Tally()
    stop = time.monotonic() + seconds
    started = time.perf_counter()

    def loop():
        while time.monotonic() < stop:
            try:
                if not work(tally):
                    return
            except (OSError, http.client.HTTPException) as e:
                tally.fail(type(e).__name__)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def run(backend: str, url: str, args) -> dict:
    n_tokens = int(args.clients * args.seconds * 700 / 32) + 2000   # more than the clients can spend
    links = seed(url, n_tokens)
    server = Server(url, args.workers)
    try:
        port = server.port
        # Warm-up: every worker imports, connects and renders once before anything is timed.
        for _ in range(args.workers * 4):
            request(port, "POST", "/bench/ping", {})
        warm = Tally()
        for link in links[-args.workers * 4:]:
            answer_one(port, link, warm)
        links = links[:-args.workers * 4]
        feed = iter(links)
        feed_lock = threading.Lock()

        def survey_work(tally):
            with feed_lock:
                link = next(feed, None)
            if link is None:
                return False
            answer_one(port, link, tally)
            return True

        def ping_work(tally):
            ping_one(port, tally)
            return True

        # The two phases alternate in short rounds: on a shared machine whose speed drifts, each ratio
        # then compares figures taken within seconds of each other.
        cpu0 = time.process_time()
        trivial, survey = Tally(), Tally()
        trivial_wall = survey_wall = 0.0
        ratios = []
        for _round in range(args.rounds):
            t, t_wall = load(args.clients, args.seconds / args.rounds, ping_work)
            a, a_wall = load(args.clients, args.seconds / args.rounds, survey_work)
            trivial.merge(t)
            survey.merge(a)
            trivial_wall += t_wall
            survey_wall += a_wall
            if t.done:
                ratios.append((a.done / a_wall) / (t.done / t_wall))
        client_cpu = time.process_time() - cpu0
    finally:
        server.stop()
    consistency = check(url, survey.done + warm.done, trivial.done + args.workers * 4)
    answers_s = survey.done / survey_wall
    trivial_s = trivial.done / trivial_wall
    return {"backend": backend, "answers": survey.done, "answers_s": answers_s,
            "answer_p50": pct(survey.whole, 50), "answer_p99": pct(survey.whole, 99),
            "request_p50": pct(survey.each, 50), "request_p99": pct(survey.each, 99),
            "trivial_s": trivial_s, "trivial_p50": pct(trivial.each, 50), "trivial_p99": pct(trivial.each, 99),
            "ratio": answers_s / trivial_s if trivial_s else float("nan"), "round_ratios": ratios,
            "failed": survey.failed + trivial.failed, "consistency": consistency,
            "client_cpu": client_cpu / (trivial_wall + survey_wall)}


def report(r: dict) -> None:
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    print(f"\n== {r['backend']}: {r['answers']} answers")
    print(f"  survey answers      {r['answers_s']:8.1f} answers/s   answer (page + send) p50 {r['answer_p50']:6.1f} ms"
          f"  p99 {r['answer_p99']:6.1f} ms")
    print(f"                                         each request         p50 {r['request_p50']:6.1f} ms"
          f"  p99 {r['request_p99']:6.1f} ms")
    print(f"  trivial insert      {r['trivial_s']:8.1f} requests/s  p50 {r['trivial_p50']:6.1f} ms"
          f"  p99 {r['trivial_p99']:6.1f} ms")
    print(f"  ratio answers/s : trivial requests/s = {r['ratio']:.2f}"
          f"  (rounds: {', '.join(f'{x:.2f}' for x in r['round_ratios'])})")
    print(f"  client threads used {r['client_cpu']:.2f} of a core; {r['consistency']}")
    if r["failed"]:
        print(f"  FAILED requests: {len(r['failed'])} (first: {r['failed'][:5]})")
    if r["backend"] == "postgresql":
        print(f"  targets: >= {TARGETS['answers_per_s']} answers/s {ok(r['answers_s'] >= TARGETS['answers_per_s'])}; "
              f"request p99 < {TARGETS['p99_ms']} ms {ok(r['request_p99'] < TARGETS['p99_ms'])}; "
              f"ratio >= {TARGETS['ratio']} {ok(r['ratio'] >= TARGETS['ratio'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two phases")
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"survey_submit: {args.clients} clients, {args.seconds:g} s per phase, gunicorn {args.workers} sync workers, "
          f"{os.cpu_count()} cores")
    wanted = args.db.split(",")
    results = []
    if "postgresql" in wanted:
        admin = pg_admin_url()
        if admin is None:
            print("PostgreSQL not reachable: skipped")
        else:
            url = create_pg(admin)
            try:
                results.append(run("postgresql", url, args))
            finally:
                drop_pg(admin, url)
    if "sqlite" in wanted:
        folder = tempfile.mkdtemp(prefix="bench-survey-")
        try:
            results.append(run("sqlite", f"sqlite:///{folder}/review.db", args))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for r in results:
        report(r)


if __name__ == "__main__":
    main()
