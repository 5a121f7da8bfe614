"""The numba backend in hostile surroundings: fork()ed children, read-only installs, no cache folder."""

import subprocess
import sys
import textwrap


def _run_python(code, *, env=None, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


# --- fork() after parallel training --------------------------------------------------------------


def test_forked_children_of_a_parallel_trainer_train_correctly():
    # GNU OpenMP, numba's default layer on Linux, kills fork()ed children that run parallel code:
    # Pool.map then waits forever, so the wait here has a deadline.
    code = """
        import multiprocessing
        import numpy as np
        import fastlogreg
        from fastlogreg.backends import numba_fused
        from fastlogreg.data import make_nba_like

        def fit(seed):
            X, y = make_nba_like(100_000, random_state=seed)
            assert X.size >= numba_fused.PARALLEL_MIN_ENTRIES
            return fastlogreg.train(X, y, backend="numba", epochs=5).weights

        if __name__ == "__main__":
            expected = [fit(seed) for seed in (1, 2)]  # the parent runs parallel code first
            with multiprocessing.get_context("fork").Pool(2) as pool:
                children = pool.map_async(fit, [1, 2]).get(timeout=60)
            for mine, theirs in zip(expected, children):
                np.testing.assert_array_equal(mine, theirs)
            print("ok")
    """
    done = _run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_threading_layer_the_user_chose_is_kept():
    code = """
        import numba
        numba.config.THREADING_LAYER = "threadsafe"
        import fastlogreg.backends.numba_fused
        print(numba.config.THREADING_LAYER)
    """
    done = _run_python(code)
    assert done.stdout.strip() == "threadsafe", done.stderr
