"""A throw-away one-node Slurm cluster on localhost, for the Slurm integration test.

Debian's Slurm (``slurmctld``, ``slurmd``, ``slurmdbd`` with MariaDB accounting) and munge run
as child processes of the test, in the foreground, so no init system is needed and
:meth:`SlurmCluster.stop` ends exactly the processes :meth:`SlurmCluster.start` began. Every
state, spool, log and database file lives in one directory that the caller provides.

What cannot move (checked with Slurm 22.05 and snakemake-executor-plugin-slurm 2.8):

- The configuration is written to ``/etc/slurm/slurm.conf`` (and ``slurmdbd.conf``): the
  plugin's job step removes ``SLURM_*`` variables, so a ``SLURM_CONF`` pointing elsewhere would
  not reach the inner ``srun``. Files already there are backed up and restored by ``stop()``.
- munged uses its default socket and key (``/run/munge``, ``/etc/munge/munge.key``). A munged
  that already answers is reused and left running.

Memory limits are enforced as on most clusters, by cgroups (``task/cgroup`` with
``ConstrainRAMSpace``): the kernel kills a step that outgrows its ``--mem`` and Slurm records
it as ``OUT_OF_MEMORY``. Where the cgroup v1 memory controller is not mounted, slurmstepd polls
each step's memory every second instead (``OverMemoryKill``) and kills it, logging "exceeded
memory limit". The node declares at least 4 CPUs (``config_overrides``), so that on a 2-core
machine a 2-thread job and a 1-thread job still run side by side. Accounting (slurmdbd +
MariaDB) makes ``sacct`` work: the plugin's default status command and the record the tests
read.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

#: Debian packages: the Slurm daemons and clients, munge, accounting daemon and its database.
PACKAGES: tuple[str, ...] = ("slurm-wlm", "munge", "slurmdbd", "mariadb-server")
CONF_DIR = Path("/etc/slurm")
MUNGE_RUN_DIR = Path("/run/munge")
MUNGE_KEY = Path("/etc/munge/munge.key")
#: Serialises concurrent test sessions on one machine (they would share /etc/slurm and ports).
LOCK_FILE = Path(tempfile.gettempdir()) / "her2het-slurm-test.lock"
#: Fields read from ``sacct`` by default.
SACCT_FIELDS: tuple[str, ...] = (
    "JobID",
    "JobName",
    "Comment",
    "State",
    "ExitCode",
    "ReqMem",
    "MaxRSS",
    "AllocCPUS",
    "NodeList",
    "Partition",
)


def missing_packages(packages: Sequence[str] = PACKAGES) -> list[str]:
    """The packages of ``packages`` that dpkg does not list as installed."""
    missing = []
    for name in packages:
        r = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True
        )
        if r.returncode != 0 or "install ok installed" not in r.stdout:
            missing.append(name)
    return missing


def install_packages(packages: Sequence[str] = PACKAGES) -> list[str]:
    """Install the missing ``packages`` with apt-get (as root); return the names installed.

    Idempotent: nothing happens when everything is installed. The package lists are refreshed
    (``apt-get update``) only when the first attempt fails. Debian does not start the services
    here (no init system); :class:`SlurmCluster` starts what it needs.
    """
    missing = missing_packages(packages)
    if not missing:
        return []
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"apt-get install {' '.join(missing)} failed:\n{r.stderr[-3000:]}")
    return missing


def _node_memory_mb() -> int:
    """Memory to declare for the node: 80% of MemTotal (slurmd drains a node declaring more)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(int(line.split()[1]) / 1024 * 0.8)
    raise RuntimeError("MemTotal not found in /proc/meminfo")


def _default_enforcement() -> Literal["cgroup", "poll"]:
    """``cgroup`` where the cgroup v1 memory controller is mounted, else ``poll``."""
    return "cgroup" if Path("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists() else "poll"


def _munge_works() -> bool:
    """True when a munged answers on the default socket (a credential round trip)."""
    try:
        cred = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        if cred.returncode != 0:
            return False
        r = subprocess.run(["unmunge"], input=cred.stdout, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


@dataclass
class SlurmCluster:
    """A one-node Slurm cluster (node ``localhost``, one default partition) with accounting.

    Use :func:`slurm_cluster` (a context manager) or call :meth:`start` and then :meth:`stop`
    in a ``finally`` block; ``stop`` is safe to call after a partial start.
    """

    root: Path
    cluster_name: str = "her2het"
    partition: str = "debug"
    #: CPUs the node declares: at least 4, so that on a 2-core machine a 2-thread job and a
    #: 1-thread job still run side by side (slurmd accepts it with config_overrides)
    cpus: int = field(default_factory=lambda: max(4, os.cpu_count() or 1))
    memory_mb: int = field(default_factory=_node_memory_mb)
    #: "cgroup" (the kernel's OOM killer, recorded as OUT_OF_MEMORY; needs the cgroup v1 memory
    #: controller) or "poll" (slurmstepd kills a step whose RSS exceeds --mem)
    memory_enforcement: Literal["cgroup", "poll"] = field(default_factory=_default_enforcement)
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _backups: dict[Path, bytes | None] = field(default_factory=dict, repr=False)
    _lock: IO[str] | None = field(default=None, repr=False)

    # -- paths ---------------------------------------------------------------------------
    @property
    def db_socket(self) -> Path:
        return self.root / "mysqld.sock"

    def log(self, name: str) -> Path:
        """The log file of a daemon (``slurmctld``, ``slurmd``, ``slurmdbd``, ``mariadb``...)."""
        return self.root / "log" / f"{name}.log"

    # -- configuration ---------------------------------------------------------------------
    def slurm_conf(self) -> str:
        """slurm.conf: one node, CPUs and memory as consumable resources, memory limits."""
        r = self.root
        return "\n".join(
            [
                f"ClusterName={self.cluster_name}",
                "SlurmctldHost=localhost",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "MpiDefault=none",
                f"StateSaveLocation={r / 'state'}",
                f"SlurmdSpoolDir={r / 'spool'}",
                f"SlurmctldPidFile={r / 'slurmctld.pid'}",
                f"SlurmdPidFile={r / 'slurmd.pid'}",
                f"SlurmctldLogFile={self.log('slurmctld')}",
                f"SlurmdLogFile={self.log('slurmd')}",
                "SlurmctldDebug=info",
                "SlurmdDebug=info",
                "ReturnToService=2",
                # the node is what this file says, even with more CPUs than the machine
                "SlurmdParameters=config_overrides",
                # finished jobs stay visible to squeue for 5 min (sacct keeps them for good)
                "MinJobAge=300",
                "SchedulerType=sched/backfill",
                "SelectType=select/cons_tres",
                # CPUs and memory are allocated per job: --mem is a hard request
                "SelectTypeParameters=CR_CPU_Memory",
                *self._enforcement_lines(),
                "JobAcctGatherType=jobacct_gather/linux",
                "JobAcctGatherFrequency=task=1",
                "AccountingStorageType=accounting_storage/slurmdbd",
                "AccountingStorageHost=localhost",
                # keep sbatch --comment (the plugin puts the rule name there) in sacct
                "AccountingStoreFlags=job_comment",
                "JobCompType=jobcomp/none",
                f"NodeName=localhost CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN",
                f"PartitionName={self.partition} Nodes=localhost Default=YES MaxTime=INFINITE "
                "State=UP",
                "",
            ]
        )

    def _enforcement_lines(self) -> list[str]:
        if self.memory_enforcement == "cgroup":
            return ["ProctrackType=proctrack/cgroup", "TaskPlugin=task/cgroup"]
        # polling: each step's summed RSS, every second
        return [
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherParams=OverMemoryKill",
        ]

    def cgroup_conf(self) -> str:
        """cgroup.conf (cgroup v1): the kernel's OOM killer enforces each job's --mem."""
        return "CgroupPlugin=cgroup/v1\nConstrainRAMSpace=yes\nConstrainSwapSpace=yes\n"

    def slurmdbd_conf(self) -> str:
        """slurmdbd.conf: MariaDB through its socket in ``root`` (as root, socket auth)."""
        return "\n".join(
            [
                "AuthType=auth/munge",
                "DbdHost=localhost",
                "SlurmUser=root",
                f"PidFile={self.root / 'slurmdbd.pid'}",
                f"LogFile={self.log('slurmdbd')}",
                "StorageType=accounting_storage/mysql",
                "StorageHost=localhost",
                "StorageUser=root",
                "StorageLoc=slurm_acct_db",
                "",
            ]
        )

    def _install_conf(self, name: str, text: str, mode: int) -> None:
        path = CONF_DIR / name
        if path not in self._backups:
            self._backups[path] = path.read_bytes() if path.exists() else None
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)

    def _restore_confs(self) -> None:
        for path, content in self._backups.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        self._backups.clear()

    # -- processes ---------------------------------------------------------------------------
    def _spawn(
        self,
        name: str,
        cmd: Sequence[str],
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> None:
        out = open(self.root / "log" / f"{name}.out", "ab")
        try:
            self._procs[name] = subprocess.Popen(
                list(cmd),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                user=user,
                group=user,
                start_new_session=True,
            )
        finally:
            out.close()

    def _wait_for(self, what: str, ready: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited ({proc.returncode}) while waiting for {what}\n"
                        + self.diagnostics()
                    )
            time.sleep(0.25)
        raise RuntimeError(f"timed out after {timeout} s waiting for {what}\n{self.diagnostics()}")

    @staticmethod
    def _ok(cmd: Sequence[str], env: dict[str, str] | None = None) -> bool:
        try:
            r = subprocess.run(list(cmd), capture_output=True, timeout=20, env=env)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return r.returncode == 0

    def _start_munge(self) -> None:
        if _munge_works():
            return
        MUNGE_RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.chown(MUNGE_RUN_DIR, "munge", "munge")
        MUNGE_RUN_DIR.chmod(0o755)
        if not MUNGE_KEY.exists():
            subprocess.run(["mungekey", "--create"], user="munge", group="munge", check=True)
        self._spawn("munged", ["munged", "--foreground"], user="munge")
        self._wait_for("munged", _munge_works, timeout=30)

    def _start_mariadb(self) -> None:
        datadir = self.root / "mysql"
        r = subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        self._spawn(
            "mariadb",
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={self.db_socket}",
                "--skip-networking",
                "--user=root",
                f"--pid-file={self.root / 'mariadb.pid'}",
                f"--log-error={self.log('mariadb')}",
                "--innodb-buffer-pool-size=64M",
            ],
        )
        ping = ["mariadb", "--no-defaults", "-S", str(self.db_socket), "-e", "SELECT 1"]
        self._wait_for("MariaDB", lambda: self._ok(ping), timeout=60)

    def start(self) -> None:
        """Write the configuration and start munge, MariaDB, slurmdbd, slurmctld and slurmd.

        Returns when the node is idle. On any failure everything started is stopped again
        and the configuration restored before the exception propagates.
        """
        if os.geteuid() != 0:
            raise PermissionError("a Slurm cluster needs root")
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if len(str(self.db_socket)) > 100:
            raise ValueError(f"socket path too long for a unix socket: {self.db_socket}")
        self._lock = open(LOCK_FILE, "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            self._install_conf("slurm.conf", self.slurm_conf(), 0o644)
            self._install_conf("slurmdbd.conf", self.slurmdbd_conf(), 0o600)
            if self.memory_enforcement == "cgroup":
                self._install_conf("cgroup.conf", self.cgroup_conf(), 0o644)
            self._start_munge()
            self._start_mariadb()
            # libmariadb's default socket comes from MYSQL_UNIX_PORT
            dbd_env = {**os.environ, "MYSQL_UNIX_PORT": str(self.db_socket)}
            self._spawn("slurmdbd", ["slurmdbd", "-D"], env=dbd_env)
            self._wait_for(
                "slurmdbd", lambda: self._ok(["sacctmgr", "-n", "list", "cluster"]), timeout=60
            )
            subprocess.run(
                ["sacctmgr", "-i", "add", "cluster", self.cluster_name],
                capture_output=True,
                check=False,  # "already exists" is fine
            )
            self._spawn("slurmctld", ["slurmctld", "-D"])
            self._wait_for("slurmctld", lambda: self._ok(["scontrol", "ping"]), timeout=60)
            self._spawn("slurmd", ["slurmd", "-D", "-N", "localhost"])
            self._wait_for("an idle node", self._node_idle, timeout=60)
        except BaseException:
            self.stop()
            raise

    def _node_idle(self) -> bool:
        r = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
        return r.returncode == 0 and r.stdout.strip() == "idle"

    def stop(self) -> None:
        """Cancel remaining jobs, stop every daemon this object started, restore the config."""
        try:
            if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
                r = subprocess.run(
                    ["squeue", "-h", "-o", "%A"], capture_output=True, text=True, timeout=20
                )
                ids = r.stdout.split()
                if ids:
                    subprocess.run(["scancel", *ids], capture_output=True, timeout=20)
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline:
                        r = subprocess.run(
                            ["squeue", "-h", "-t", "R,CG,PD", "-o", "%A"],
                            capture_output=True,
                            text=True,
                            timeout=20,
                        )
                        if not r.stdout.strip():
                            break
                        time.sleep(0.5)
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            for name in ("slurmd", "slurmctld", "slurmdbd", "mariadb", "munged"):
                proc = self._procs.pop(name, None)
                if proc is None or proc.poll() is not None:
                    continue
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            self._restore_confs()
            self._remove_cgroups()
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                self._lock.close()
                self._lock = None

    @staticmethod
    def _remove_cgroups() -> None:
        """Remove the (empty) cgroups slurmd left under each controller, deepest first."""
        for top in Path("/sys/fs/cgroup").glob("*/slurm_localhost"):
            for d in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True) + [top]:
                if d.is_dir():
                    try:
                        d.rmdir()
                    except OSError:
                        pass

    # -- records -----------------------------------------------------------------------------
    def sacct(self, *args: str, fields: Sequence[str] = SACCT_FIELDS) -> list[dict[str, str]]:
        """Slurm's accounting records (all users, the last day) as one dict per line."""
        r = subprocess.run(
            [
                "sacct",
                "--allusers",
                "--parsable2",
                "--noheader",
                "--starttime",
                "now-1days",
                "--format",
                ",".join(fields),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return [dict(zip(fields, line.split("|"), strict=True)) for line in r.stdout.splitlines()]

    def diagnostics(self, lines: int = 30) -> str:
        """The last lines of every daemon log (for failure messages)."""
        parts = []
        for f in sorted((self.root / "log").glob("*")):
            tail = f.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {f.name}\n" + "\n".join(tail))
        return "\n".join(parts)


@contextmanager
def slurm_cluster(root: Path, **kwargs: object) -> Iterator[SlurmCluster]:
    """Start a :class:`SlurmCluster` in ``root``; stop it (and restore /etc/slurm) on exit."""
    cluster = SlurmCluster(root, **kwargs)  # type: ignore[arg-type]
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
