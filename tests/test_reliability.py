"""The numba backend in hostile surroundings: fork()ed children, read-only installs, no cache folder."""

import ctypes.util
import importlib
import os
import shutil
import stat
import warnings
from pathlib import Path

import numba
import pytest
from problems import run_python

import fastlogreg
from fastlogreg.backends import numba_config
from fastlogreg.data import NBA_ROOKIE_DRAFT, bundled_path

# --- fork() after parallel training --------------------------------------------------------------


_LAYER_MODULES = {"omp": "omppool", "workqueue": "workqueue"}  # numba.np.ufunc's, one per threading layer


def _layer_loads(layer):
    try:
        importlib.import_module(f"numba.np.ufunc.{_LAYER_MODULES[layer]}")
    except ImportError:  # e.g. no libgomp on this machine
        return False
    return True


_FORK_CODE = """
    import ctypes, multiprocessing, sys
    import numpy as np
    import fastlogreg
    from fastlogreg.data import make_nba_like

    def fit(seed):
        X, y = make_nba_like(100_000, random_state=seed)  # past PARALLEL_MIN_ENTRIES: parallel if allowed
        return fastlogreg.train(X, y, backend="numba", epochs=5).weights

    def own_numba_prange():
        import numba

        @numba.njit(parallel=True)
        def total(a):
            s = 0.0
            for i in numba.prange(a.size):
                s += a[i]
            return s

        total(np.ones(100))

    def other_librarys_openmp():  # what PyTorch, or scikit-learn under conda, does through libgomp
        gomp = ctypes.CDLL("libgomp.so.1", mode=ctypes.RTLD_GLOBAL)
        region = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda data: None)
        gomp.GOMP_parallel(region, None, 2, 0)

    if __name__ == "__main__":
        first = sys.argv[1]
        if first == "fastlogreg":
            expected = [fit(seed) for seed in (1, 2)]  # the parent trains in parallel first
        else:
            own_numba_prange() if first == "own numba" else other_librarys_openmp()
        if "numba" in sys.modules:
            import numba

            print(numba.threading_layer())
        with multiprocessing.get_context("fork").Pool(2) as pool:
            children = pool.map_async(fit, [1, 2]).get(timeout=60)
        if first != "fastlogreg":
            expected = [fit(seed) for seed in (1, 2)]
        for mine, theirs in zip(expected, children):
            np.testing.assert_array_equal(mine, theirs)
        print("ok")
"""


@pytest.mark.parametrize(
    "layer, first",
    [
        ("default", "fastlogreg"),
        ("omp", "fastlogreg"),
        ("workqueue", "fastlogreg"),
        ("default", "own numba"),
        ("default", "other library's OpenMP"),
    ],
)
def test_forked_children_train_after_their_parent_ran_parallel_code(layer, first):
    # GNU OpenMP cannot run parallel code in a fork()ed child of a process that started its threads:
    # numba kills the child (after numba started them) or the child hangs (after another library did).
    # Pool.map then waits forever, so the wait has a deadline; fastlogreg.backends.fork_safety avoids both.
    env = {name: value for name, value in os.environ.items() if name != "NUMBA_THREADING_LAYER"}
    if layer != "default":
        if not _layer_loads(layer):
            pytest.skip(f"numba's {layer} threading layer does not load here")
        env["NUMBA_THREADING_LAYER"] = layer
    if first == "other library's OpenMP" and ctypes.util.find_library("gomp") is None:
        pytest.skip("no GNU OpenMP (libgomp) on this machine")
    done = run_python(_FORK_CODE, first, env=env)
    *used, outcome = done.stdout.split() if done.returncode == 0 else ("", done.stderr[-2000:])
    assert outcome == "ok", outcome
    assert layer == "default" or used == [layer]


def test_a_child_forked_while_the_parallel_lock_is_held_can_train():
    # The parent holds the lock around parallel kernels (as a thread inside one would) when it forks.
    code = """
        import multiprocessing
        import numpy as np
        import fastlogreg
        from fastlogreg.backends import numba_fused
        from fastlogreg.data import make_nba_like

        def fit(seed):
            X, y = make_nba_like(100_000, random_state=seed)
            return fastlogreg.train(X, y, backend="numba", epochs=5).weights

        if __name__ == "__main__":
            expected = fit(1)
            with numba_fused._PARALLEL_LOCK, multiprocessing.get_context("fork").Pool(1) as pool:
                child = pool.apply_async(fit, (1,)).get(timeout=60)
            np.testing.assert_array_equal(child, expected)
            print("ok")
    """
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_checking_a_large_input_starts_no_numba_threads():
    # Once started, numba's threading layer decides what a fork()ed child may run (fork_safety); the
    # input checks, which run in blocks on threads of their own for large inputs, must not start it.
    code = """
        import sys
        import numpy as np
        import fastlogreg
        from fastlogreg import validation

        validation.PARALLEL_CHECK_ENTRIES = 16  # this 3,000 x 2 input is checked in blocks
        X = np.random.default_rng(0).standard_normal((3000, 2))
        y = (X[:, 0] > 0).astype(np.int64)
        fastlogreg.train(X, y, backend="numpy", epochs=2, learning_rate=0.1)
        print("numba imported" if "numba" in sys.modules else "numba not imported")
        import numba

        fastlogreg.train(X, y, backend="numpy", epochs=2, learning_rate=0.1)  # numba imported, not started
        try:
            print("numba started", numba.threading_layer())
        except ValueError:
            print("numba not started", validation._check_threads() == numba.config.NUMBA_NUM_THREADS)
    """
    done = run_python(code)
    assert done.stdout.splitlines() == ["numba not imported", "numba not started True"], done.stderr[-2000:]


def test_a_forked_child_checks_a_large_input_then_trains_in_parallel():
    # After another library's OpenMP region in the parent, a child's numba must not take OpenMP: a check
    # that started numba's threads (in its default layer) before fork_safety chose made the child hang.
    if ctypes.util.find_library("gomp") is None:
        pytest.skip("no GNU OpenMP (libgomp) on this machine")
    code = """
        import ctypes, multiprocessing
        import numpy as np
        import fastlogreg
        from fastlogreg import validation
        from fastlogreg.data import make_nba_like

        def fit(seed):
            X, y = make_nba_like(100_000, random_state=seed)  # parallel for the numba backend
            fastlogreg.train(X, y, backend="numpy", epochs=1)  # checked in blocks (below)
            return fastlogreg.train(X, y, backend="numba", epochs=5).weights

        if __name__ == "__main__":
            validation.PARALLEL_CHECK_ENTRIES = 16  # inherited by the child
            gomp = ctypes.CDLL("libgomp.so.1", mode=ctypes.RTLD_GLOBAL)
            region = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda data: None)
            gomp.GOMP_parallel(region, None, 2, 0)  # what PyTorch does through libgomp
            with multiprocessing.get_context("fork").Pool(1) as pool:
                child = pool.apply_async(fit, (1,)).get(timeout=60)
            np.testing.assert_array_equal(child, fit(1))
            print("ok")
    """
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_threading_layer_the_user_chose_is_kept():
    code = """
        import numba
        numba.config.THREADING_LAYER = "threadsafe"
        import fastlogreg.backends.numba_fused
        print(numba.config.THREADING_LAYER)
    """
    done = run_python(code)
    assert done.stdout.strip() == "threadsafe", done.stderr


# --- numba's on-disk cache -----------------------------------------------------------------------


def test_kernels_compiled_beside_cached_ones_load_from_the_cache(tmp_path):
    # numba issue #8578: a cached kernel that calls a parallel one, compiled in a process that had loaded
    # the parallel one from the disk cache, crashed the next process that loaded it (segfault). Here the
    # first process caches the descent kernels, the second compiles the other entry points beside them,
    # and the third loads those.
    code = """
        import sys
        import numpy as np
        import fastlogreg
        from fastlogreg.backends import numba_fused

        rng = np.random.default_rng(0)
        found = []
        for rows in (200, 30_000):  # one thread, then all cores
            X = rng.standard_normal((rows, 3))
            y = (X @ [1.0, -0.5, 0.25] + rng.standard_normal(rows) > 0).astype(float)
            if sys.argv[1] == "descent":
                found.append(fastlogreg.train(X, y, backend="numba", learning_rate=1e-3, epochs=5).loss)
            else:
                found.append(fastlogreg.train(X, y, backend="numba", solver="newton").loss)
                labels = y.astype(np.uint8)
                found.append(numba_fused.gradient_sums((X, labels), np.ones(3), 0.5).loss)
                found.append(float(numba_fused.block_sums(X, labels, np.ones(3), 0.5)[0]))
        print(*map(repr, found))
    """
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [run_python(code, which, env=env) for which in ("descent", "the others", "the others")]
    assert [run.returncode for run in runs] == [0, 0, 0], runs[-1].stderr[-2000:]
    assert len(runs[1].stdout.split()) == 6 and runs[2].stdout == runs[1].stdout  # from the cache, the same bits


def _kernel_module(folder: Path, name: str):
    """A module with one function, in a folder of its own (so numba may cache next to it)."""
    import importlib.util

    folder.mkdir()
    (folder / f"{name}.py").write_text("def add_one(x):\n    return x + 1\n")
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("setting, cached", [(None, True), ("1", True), ("0", False), ("off", False)])
def test_the_cache_opt_out_variable(monkeypatch, tmp_path, setting, cached):
    if setting is None:
        monkeypatch.delenv(numba_config.CACHE_ENVIRONMENT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(numba_config.CACHE_ENVIRONMENT_VARIABLE, setting)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    module = _kernel_module(tmp_path / "kernels", f"kernels_{setting}")
    assert numba_config.jit()(module.add_one)(41) == 42
    assert bool(list((tmp_path / "kernels").rglob("*.nbi"))) == cached


def test_nowhere_to_cache_warns_once_per_process(monkeypatch, tmp_path):
    import numba.core.caching

    def refuse(self):
        raise OSError("read-only")

    monkeypatch.setattr(numba.core.caching._CacheLocator, "ensure_cache_path", refuse)
    monkeypatch.setattr(numba_config, "_warned", False)
    monkeypatch.delenv(numba_config.CACHE_ENVIRONMENT_VARIABLE, raising=False)
    module = _kernel_module(tmp_path / "kernels", "kernels_nowhere")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kernels = [numba_config.jit()(module.add_one) for _ in range(3)]
    assert [kernel(1) for kernel in kernels] == [2, 2, 2]
    assert len(caught) == 1 and "NUMBA_CACHE_DIR" in str(caught[0].message)


def test_the_fallback_cache_folder_is_private(monkeypatch, tmp_path):
    monkeypatch.setattr(numba_config.tempfile, "gettempdir", lambda: str(tmp_path))
    path = Path(numba_config.fallback_cache_dir())
    assert path.parent == tmp_path and stat.S_IMODE(path.stat().st_mode) == 0o700
    path.chmod(0o777)  # a folder others may write to could hold someone else's pickles
    assert numba_config.fallback_cache_dir() is None


def _read_only_install(root: Path) -> Path:
    """fastlogreg (and its data) copied under root/site, made read-only; returns root/site."""
    site = root / "site"
    shutil.copytree(Path(fastlogreg.__file__).parent, site / "fastlogreg", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(bundled_path(NBA_ROOKIE_DRAFT).parent, site / "data")
    for package in (site / "fastlogreg", site / "fastlogreg" / "backends"):
        (package / "__pycache__").write_text("")  # a file where the folder would go: unwritable even for root
    for path in [site, *site.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return site


def test_a_read_only_install_without_a_home_compiles_once(tmp_path):
    site = _read_only_install(tmp_path)
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "FASTLOGREG_"))}
    nowhere = "/dev/null/nowhere"  # under a file: no one, root included, can create it
    env.update(PYTHONPATH=str(site), HOME=nowhere, XDG_CACHE_HOME=nowhere, TMPDIR=str(tmp_path / "tmp"))
    code = """
        import time, warnings
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fastlogreg
            X, y = fastlogreg.load_nba_rookie_draft()
            fastlogreg.train(X, y, backend="numba")
        print(fastlogreg.__file__, time.perf_counter() - start, len(caught))
    """
    try:  # the first process compiles; the next ones must find its kernels (best of two: CI machines are busy)
        runs = [run_python(code, env=env, cwd=tmp_path) for _ in range(3)]  # not cwd: it holds fastlogreg
    finally:
        for path in [site, *site.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # so that pytest can delete it
    for done in runs:
        assert done.returncode == 0, done.stderr[-2000:]
    files, seconds, warned = zip(*(run.stdout.split() for run in runs), strict=True)
    assert all(file.startswith(str(site)) for file in files)
    assert all(int(count) <= 1 for count in warned), warned
    cold, warm = float(seconds[0]), min(map(float, seconds[1:]))
    assert warm < 1.5, (cold, warm)
    print(f"read-only install: first process {cold:.2f} s, next {warm:.2f} s")
