"""The command line, run as a user would: in a subprocess, from a folder outside the checkout."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL_FLAGS = ["--learning-rate", "0.001", "--epochs", "3000", "--reduction", "sum",
                  "--init", "normal", "--random-state", "220104"]


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "fastlogreg", *args], capture_output=True, text=True, cwd=cwd)


def test_train_reproduces_the_tutorial(tmp_path, backend):
    done = run(["train", "--backend", backend, *TUTORIAL_FLAGS], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "loss before training: 70.75679650741478" in done.stdout
    assert "loss after training:  6.220960326814549" in done.stdout
    assert "weights: avg_score=-0.19783118, rebound=0.33655838, asist=0.42415269" in done.stdout
    assert "bias: -0.63608971" in done.stdout
    lines = done.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.split()[:1] == ["No."]))
    assert lines[header].split() == ["No.", "avg_score", "rebound", "asist", "draft", "pred"]
    assert lines[header + 1].split() == ["1", "12", "3", "6", "0", "0.63286497"]
    assert lines[header + 12].split() == ["12", "24", "4", "5", "0", "0.12819188"]


def test_console_script(tmp_path):
    script = Path(sys.executable).with_name("fastlogreg")
    done = subprocess.run([str(script), "train", *TUTORIAL_FLAGS], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "6.220960326814549" in done.stdout


def test_train_on_a_users_csv(tmp_path):
    (tmp_path / "games.csv").write_text("height,speed,won\n1.0,2.0,1\n2.0,1.0,0\n1.5,1.5,1\n")
    done = run(["train", "games.csv", "--backend", "numpy", "--epochs", "10", "--max-rows", "2"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "height=" in done.stdout and "speed=" in done.stdout
    assert any(line.split()[:4] == ["No.", "height", "speed", "won"] for line in done.stdout.splitlines())
    assert "... 1 more rows" in done.stdout


def test_csv_with_bom_blank_lines_and_no_table(tmp_path):
    (tmp_path / "bom.csv").write_text("\ufeffheight,won\n1.0,1\n\n2.0,0\n", encoding="utf-8")
    done = run(["train", "bom.csv", "--backend", "numpy", "--epochs", "3", "--max-rows", "0"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "weights: height=" in done.stdout and "... 2 more rows" in done.stdout
    (tmp_path / "bad.csv").write_text("a,b\n1,0\n\n2,x\n")
    done = run(["train", "bad.csv"], cwd=tmp_path)
    assert done.returncode == 2 and "line 4: b='x' is not a number" in done.stderr


@pytest.mark.parametrize(
    "content, args, message",
    [
        (None, ["train", "missing.csv"], "No such file"),
        ("", ["train", "bad.csv"], "empty"),
        ("a,b\n1,x\n", ["train", "bad.csv"], "line 2: b='x' is not a number"),
        ("a,b\n1,2\n", ["train", "bad.csv"], "only 0 and 1 labels, found 2"),
        ("a,b\n1,0,3\n", ["train", "bad.csv"], "line 2: 3 fields"),
        ("a\n1\n", ["train", "bad.csv"], "at least one feature column"),
        (None, ["train", "--epochs", "ten"], "invalid int value"),
        (None, ["train", "--epochs", "-5"], "epochs must be >= 0"),
        (None, ["train", "--learning-rate", "0"], "learning_rate must be finite and > 0"),
        (None, ["train", "--backend", "gpu"], "invalid choice"),
        (None, ["fly"], "invalid choice"),
        (None, ["train", "--max-rows", "-1"], "invalid count value"),
        (None, ["train", "--epochs", "10000000000000"], "fastlogreg: error:"),
        ("a,b\n1e200,1\n1,0\n", ["train", "bad.csv", "--learning-rate", "1"], "training diverged"),
    ],
)
def test_errors_are_one_line_with_status_2(tmp_path, content, args, message):
    if content is not None:
        (tmp_path / "bad.csv").write_text(content)
    done = run(args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_help_lists_every_training_flag(tmp_path):
    done = run(["train", "--help"], cwd=tmp_path)
    for flag in ["--backend", "--learning-rate", "--epochs", "--reduction", "--init", "--random-state", "--dtype"]:
        assert flag in done.stdout
