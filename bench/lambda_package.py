"""What a Lambda function can import, laid out here for the cold-start bench.

A cold start measured in the dev virtualenv would load what only the dev tools bring: pymongo
imports its pyOpenSSL support when `cryptography` is installed (moto and pyjwt bring it; the
deps layer does not), pydantic finds plugins through every installed distribution's entry
points. So bench.coldstart runs every case, the reference too, in a process started with `-S`
(no site-packages) whose path is what Lambda's is:

- `task/`: the function code, selected by `package.patterns` of serverless.yml
  (Lambda's /var/task);
- `opt/python/`: the runtime dependencies of pyproject.toml, installed from wheels for this
  interpreter (Lambda's /opt/python, the deps layer, plus boto3, which the runtime provides);
- `harness/`: the bench's case runner, reference and floor functions.

The dependencies are installed once per (interpreter, requirements) and reused; the layer is
built for CPython 3.12 by scripts/build-layers.py, and 3.12 wheels do not load in this 3.11, so
this is the same requirement set resolved for the interpreter at hand. Both trees get their
bytecode compiled here (`unchecked-hash`, as a deploy would ship it); the "no .pyc" case hides
it: its trees are hard-linked copies holding the sources only (the standard library keeps its
bytecode, as Lambda's runtime does).
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from py_compile import PycInvalidationMode

import yaml

from bench.measure import ROOT

BUILD = ROOT / "build" / "bench"
HARNESS_FILES = ("coldstart_case.py", "coldstart_reference.py", "coldstart_floor.py")


def _requirements() -> list[str]:
    return sorted(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def _compile(tree: Path) -> None:
    compileall.compile_dir(
        str(tree), quiet=1, workers=1, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH
    )


def dependencies() -> Path:
    """opt/python for this interpreter: built once, then reused while the inputs match."""
    inputs = {"python": sys.version, "requirements": _requirements()}
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    target = BUILD / f"opt-{digest}" / "python"
    if target.is_dir():
        return target
    partial = target.parent.with_name(target.parent.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    command += ["--only-binary=:all:", "--no-compile", "--target", str(partial / "python")]
    subprocess.run([*command, *inputs["requirements"]], check=True, timeout=600)
    shutil.rmtree(partial / "python" / "bin", ignore_errors=True)
    _compile(partial / "python")
    partial.rename(target.parent)
    return target


def _pattern(glob: str) -> re.Pattern[str]:
    """A serverless.yml package pattern (a glob where `**` spans folders) as a regex."""
    parts = re.split(r"(\*\*/?|\*|\?)", glob)
    out = ""
    for part in parts:
        out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out)


def function_code(into: Path) -> Path:
    """task/: the files serverless.yml packages (patterns in order, the last match wins)."""
    patterns = yaml.safe_load((ROOT / "serverless.yml").read_text())["package"]["patterns"]
    rules = [(not p.startswith("!"), _pattern(p.removeprefix("!"))) for p in patterns]
    shutil.rmtree(into, ignore_errors=True)
    for top in ("boulderstat", "functions"):
        for path in sorted((ROOT / top).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_dir() or path.is_symlink():
                continue
            included = False
            for include, rule in rules:
                if rule.fullmatch(relative):
                    included = include
            if included:
                (into / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, into / relative)
    _compile(into)
    return into


def harness(into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for name in HARNESS_FILES:
        shutil.copyfile(ROOT / "bench" / name, into / name)
    _compile(into)
    return into


def _sources_only(tree: Path, into: Path) -> Path:
    if not into.is_dir():
        shutil.rmtree(into.with_name(into.name + ".partial"), ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(tree, into.with_name(into.name + ".partial"), ignore=ignore,
                        copy_function=os.link)  # fmt: skip
        into.with_name(into.name + ".partial").rename(into)
    return into


def search_paths(folder: Path) -> tuple[list[Path], list[Path]]:
    """PYTHONPATH entries in Lambda's order (function code, then the layer and the runtime's
    boto3): with compiled bytecode, and with sources only."""
    task, deps = function_code(folder / "task"), dependencies()
    tools = harness(folder / "harness")
    with_bytecode = [task, tools, deps]
    sources = [
        _sources_only(task, folder / "task-src"),
        tools,
        _sources_only(deps, deps.with_name("src")),
    ]
    return with_bytecode, sources
