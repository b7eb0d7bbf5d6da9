#!/usr/bin/env python3
"""Packages serverless.yml for one or more stages WITHOUT AWS, and lints the templates.

    .venv/bin/python scripts/package-offline.py --stage staging --stage prod --lint
    .venv/bin/python scripts/package-offline.py --stage prod --out /tmp/prod-package
    .venv/bin/python scripts/package-offline.py --stage prod --param cognitoAppClientId=abc123

A stage whose `params` still hold a REPLACE_ME placeholder refuses to package
(plugins/stage-parameters.js); `--param name=value` (repeatable) supplies values without editing
serverless.yml, as `serverless package --param` does.

Each stage goes to <out>/<stage>/ (default build/package/<stage>/): the function code zip, and
cloudformation-template-update-stack.json, the template `serverless deploy` would send.

Run it with the project's virtualenv (.venv/bin/python): it needs moto[proxy] and cfn-lint.

How it works offline: the framework (osls 3, the maintained fork of Serverless Framework v3)
calls CloudFormation DescribeStacks while packaging a service with `layers:` (to skip
re-uploading an unchanged layer), and has no endpoint setting. It does honour HTTPS_PROXY, so we
run moto's intercepting proxy (see serve_moto_proxy), point the framework at it and trust the
proxy's CA (NODE_EXTRA_CA_CERTS). moto answers "stack does not exist", exactly as for a first
deploy. Credentials are dummies: nothing here can reach or change a real AWS account, and
packaging never deploys.

cfn-lint runs on each template with a narrow, documented ignore list (CFN_LINT_IGNORE below):
one rule, on resources the framework generates, never on resources we write. cfn-lint's exit
code is a bit set (2 errors, 4 warnings, 8 informational); this script fails on ANY finding
(error, warning or informational) that the list does not cover.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVERLESS = ROOT / "node_modules" / ".bin" / "serverless"
TEMPLATE = "cloudformation-template-update-stack.json"

# cfn-lint findings we ignore: a finding is dropped only if its rule AND the resource it is on
# match, so the same rule still fires on anything we write ourselves. All three are W3005
# ("DependsOn already implied by a Ref/GetAtt") on resources the framework generates:
CFN_LINT_IGNORE: tuple[tuple[str, str, str], ...] = (
    (
        "W3005",
        r"\w+LambdaFunction",
        "functions: the framework adds DependsOn on the function's role although Role already "
        "uses Fn::GetAtt on it",
    ),
    (
        "W3005",
        r"HttpApiRoute\w+",
        "HTTP API routes: the framework adds DependsOn on the integration that Target already Refs",
    ),
    (
        "W3005",
        r"HttpApiStage",
        "HTTP API stage: the framework adds DependsOn on the access-log group that "
        "AccessLogSettings already GetAtts",
    ),
)

_SCRUBBED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "NO_PROXY",
    "no_proxy",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_ca() -> Path:
    spec = importlib.util.find_spec("moto")
    if spec is None or spec.origin is None:
        raise SystemExit(
            "moto is not installed: run `make setup` (moto[server,proxy] is a dev dep)"
        )
    return Path(spec.origin).parent / "moto_proxy" / "ca.crt"


def serve_moto_proxy(port: int) -> None:
    """Runs moto's HTTPS-intercepting proxy in THIS process (a child of `MotoProxy`).

    The same server `moto_proxy` starts, with one fix: osls' https-proxy-agent sends
    `Proxy-Connection: close` with its CONNECT, and moto 5.2.5 then closes the tunnel right after
    the TLS handshake, before the request inside it (ECONNRESET). A CONNECT tunnel must stay open
    for that request, so the handler ignores the header for CONNECT.
    """
    import signal
    from http.server import ThreadingHTTPServer

    os.environ.setdefault("MOTO_PORT", str(port))
    os.environ["TEST_PROXY_MODE"] = "true"
    from moto.moto_proxy.proxy3 import ProxyRequestHandler

    class TunnelKeepingHandler(ProxyRequestHandler):
        def do_CONNECT(self) -> None:
            super().do_CONNECT()
            self.close_connection = False

    ProxyRequestHandler.validate()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", port), TunnelKeepingHandler)
    print(f"moto proxy on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


class MotoProxy:
    """moto's proxy on 127.0.0.1:<free port>, in a child process, for a `with` block."""

    def __init__(self, log_dir: Path) -> None:
        self.port = _free_port()
        self.log_path = log_dir / "moto_proxy.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoProxy:
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-moto-proxy", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"moto proxy exited early:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise SystemExit("moto proxy did not start listening within 30 s")

    def __exit__(self, *exc_info: object) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        proxy = f"http://127.0.0.1:{self.port}"
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            HTTPS_PROXY=proxy,
            https_proxy=proxy,
            HTTP_PROXY=proxy,
            http_proxy=proxy,
            NODE_EXTRA_CA_CERTS=str(_moto_ca()),
            SLS_TELEMETRY_DISABLED="1",
            SLS_NOTIFICATIONS_MODE="off",
            SLS_AWS_REQUEST_MAX_RETRIES="0",
            # A framework deprecation fails packaging (and `make test`) instead of scrolling by.
            SLS_DEPRECATION_NOTIFICATION_MODE="error",
        )
        return env


def package_stage(
    stage: str,
    out: Path,
    env: dict[str, str],
    timeout: float = 300,
    params: Mapping[str, str] | None = None,
) -> Path:
    """`serverless package --stage <stage>` into `out`; returns the template path."""
    out.mkdir(parents=True, exist_ok=True)
    command = [str(SERVERLESS), "package", "--stage", stage, "--package", str(out)]
    command += [f"--param={name}={value}" for name, value in (params or {}).items()]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    (out / "serverless-package.log").write_text(result.stdout + result.stderr)
    template = out / TEMPLATE
    if result.returncode != 0 or not template.exists():
        raise RuntimeError(
            f"serverless package --stage {stage} failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return template


def package(
    stages: list[str],
    out_root: Path,
    build_layers: bool = True,
    params: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Path]:
    """Builds the layers (cached), then packages every stage behind one proxy.

    `params`: per stage, `--param` values (e.g. the tests' explicit Cognito ids)."""
    if not SERVERLESS.exists():
        raise SystemExit("node_modules/.bin/serverless is missing: run `npm ci`")
    if build_layers:
        _load_script("build-layers").build()
    out_root.mkdir(parents=True, exist_ok=True)
    # One stage at a time, and one packaging run at a time in this tree: the framework always
    # writes (and cleans) .serverless/ in the service directory, whatever --package says.
    with _tree_lock(), MotoProxy(out_root) as proxy:
        return {
            stage: package_stage(
                stage, out_root / stage, proxy.env, params=(params or {}).get(stage)
            )
            for stage in stages
        }


@contextmanager
def _tree_lock() -> Iterator[None]:
    lock_path = ROOT / "build" / ".package-offline.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ignored(finding: dict[str, Any]) -> bool:
    path = finding["Location"]["Path"]
    if len(path) < 3 or path[0] != "Resources" or path[2] != "DependsOn":
        return False
    return any(
        finding["Rule"]["Id"] == rule and re.fullmatch(resource, path[1])
        for rule, resource, _why in CFN_LINT_IGNORE
    )


def cfn_lint(template: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs cfn-lint; returns (findings that count, findings ignored by CFN_LINT_IGNORE)."""
    command = [
        str(Path(sys.executable).parent / "cfn-lint"),
        "--format",
        "json",
        "--",
        str(template),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    try:
        findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"cfn-lint failed (exit {result.returncode}):\n{result.stderr}"
        ) from error
    if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):  # 1 and >= 16: cfn-lint itself failed
        raise RuntimeError(f"cfn-lint failed (exit {result.returncode}):\n{result.stderr}")
    counted = [f for f in findings if not _ignored(f)]
    return counted, [f for f in findings if _ignored(f)]


def describe(finding: dict[str, Any]) -> str:
    start = finding["Location"]["Start"]
    where = "/".join(str(part) for part in finding["Location"]["Path"])
    return f"{finding['Rule']['Id']} line {start['LineNumber']} {where}: {finding['Message']}"


def _load_script(name: str):  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    if sys.argv[1:2] == ["--serve-moto-proxy"]:
        serve_moto_proxy(int(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", action="append", required=True, help="repeatable")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--lint", action="store_true", help="cfn-lint the templates")
    parser.add_argument("--skip-build", action="store_true", help="use build/layers as is")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    args = parser.parse_args()
    out = args.out.resolve()
    cli_params = dict(item.split("=", 1) for item in args.param)
    try:
        templates = package(
            args.stage,
            out,
            build_layers=not args.skip_build,
            params={stage: cli_params for stage in args.stage},
        )
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    failed = False
    for stage, template in templates.items():
        print(
            f"{stage}: {template.relative_to(ROOT) if template.is_relative_to(ROOT) else template}"
        )
        if args.lint:
            counted, ignored = cfn_lint(template)
            for finding in counted:
                print(f"  {describe(finding)}")
            failed = failed or bool(counted)
            print(
                f"  cfn-lint: {len(counted)} finding(s), {len(ignored)} ignored (framework W3005)"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
