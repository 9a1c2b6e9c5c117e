"""Start one member for a test session: memgrid (default) or a real
Hazelcast 5.7 member (MEMGRID_TARGET=hazelcast). Loopback only; every process
started here is killed by stop(), and at interpreter exit as a last resort."""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_JAR = (Path.home() / ".m2" / "repository" / "com" / "hazelcast" / "hazelcast"
               / "5.7.0" / "hazelcast-5.7.0.jar")

_live = set()


@atexit.register
def _kill_leftovers():
    for proc in list(_live):
        _kill_group(proc, signal.SIGKILL)


def _on_signal(signum, _frame):
    _kill_leftovers()
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) in (signal.SIG_DFL, None):
        signal.signal(_sig, _on_signal)


def _kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def target():
    t = os.environ.get("MEMGRID_TARGET", "memgrid").lower()
    if t not in ("memgrid", "hazelcast"):
        raise ValueError(f'MEMGRID_TARGET must be "memgrid" or "hazelcast", got "{t}"')
    return t


def free_port():
    """A free loopback port (released before the member binds it; the race is
    accepted for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def member_yaml(cluster_name, port=None):
    """hazelcast.yaml for either target; memgrid reads the same keys.
    With a port (Hazelcast only) the address is pinned to loopback and phone-home
    is off."""
    lines = ["hazelcast:", f"  cluster-name: {cluster_name}"]
    if port is not None:
        lines += [
            "  properties:",
            "    hazelcast.local.localAddress: 127.0.0.1",
            "    hazelcast.socket.bind.any: false",
            "    hazelcast.phone.home.enabled: false",
            "  network:",
            "    port:",
            "      auto-increment: false",
            f"      port: {port}",
            "    join:",
            "      auto-detection:",
            "        enabled: false",
            "      multicast:",
            "        enabled: false",
            "      tcp-ip:",
            "        enabled: true",
            "        member-list:",
            f"          - 127.0.0.1:{port}",
        ]
    else:
        lines += [
            "  network:",
            "    join:",
            "      multicast:",
            "        enabled: false",
            "      tcp-ip:",
            "        enabled: true",
            "        member-list:",
            "          - 127.0.0.1",
        ]
    return "\n".join(lines) + "\n"


class Member:
    def __init__(self, kind, proc, port, workdir, log_file):
        self.kind = kind
        self.proc = proc
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.workdir = workdir
        self.log_file = log_file

    @property
    def exited(self):
        return self.proc.poll() is not None

    def log_tail(self, limit=4000):
        try:
            text = Path(self.log_file).read_text(errors="replace")
        except OSError as e:
            return f"(no log: {e})"
        return text if len(text) <= limit else "…" + text[-limit:]

    def stop(self):
        if not self.exited:
            _kill_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc, signal.SIGKILL)
                self.proc.wait(timeout=5)
        _live.discard(self.proc)
        if not os.environ.get("MEMGRID_KEEP_LOGS"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def _launch(args, workdir, extra_env=None):
    log_file = os.path.join(workdir, "member.log")
    env = dict(os.environ)
    env.update(extra_env or {})
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(args, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # own group: stop() kills it all
    _live.add(proc)
    return proc, log_file


def _start_memgrid(cluster_name, workdir):
    binary = os.environ.get("MEMGRID_BIN") or str(REPO_ROOT / "build" / "memgrid")
    if not os.path.exists(binary):
        raise RuntimeError(f"memgrid binary not found at {binary} (set MEMGRID_BIN or build it)")
    cfg = os.path.join(workdir, "member.yaml")
    port_file = os.path.join(workdir, "port")
    Path(cfg).write_text(member_yaml(cluster_name))
    proc, log_file = _launch([binary, "--config", cfg, "--port", "0",
                              "--port-file", port_file], workdir)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            text = Path(port_file).read_text()
        except OSError:
            text = ""
        m = re.match(r"^(\d+)\n", text)
        if m:
            return Member("memgrid", proc, int(m.group(1)), workdir, log_file)
        time.sleep(0.05)
    member = Member("memgrid", proc, 0, workdir, log_file)
    why = (f"memgrid exited with {proc.returncode}" if proc.poll() is not None
           else "port file not written within 15 s")
    log = member.log_tail()
    member.stop()
    raise RuntimeError(f"{why}; log:\n{log}")


def _start_hazelcast(cluster_name, workdir):
    jar = os.environ.get("HAZELCAST_JAR") or str(DEFAULT_JAR)
    if not os.path.exists(jar):
        raise RuntimeError(f"Hazelcast jar not found at {jar}; run: mvn -q dependency:get "
                           "-Dtransitive=false -Dartifact=com.hazelcast:hazelcast:5.7.0")
    port = free_port()
    cfg = os.path.join(workdir, "hazelcast.yaml")
    Path(cfg).write_text(member_yaml(cluster_name, port))
    proc, log_file = _launch([
        "java", "-Xms64m", "-Xmx512m",
        f"-Dhazelcast.config={cfg}",
        "-Dhazelcast.local.localAddress=127.0.0.1",
        "-Dhazelcast.phone.home.enabled=false",
        "-cp", jar, "com.hazelcast.core.server.HazelcastMemberStarter",
    ], workdir, {"HZ_PHONE_HOME_ENABLED": "false"})
    return Member("hazelcast", proc, port, workdir, log_file)


def start_member(cluster_name):
    """Start the member. Readiness (a client connects) is the caller's job."""
    workdir = tempfile.mkdtemp(prefix=f"memgrid-py-{cluster_name}-")
    if target() == "hazelcast":
        return _start_hazelcast(cluster_name, workdir)
    return _start_memgrid(cluster_name, workdir)
