"""The `sam local` tests' setup: the builds and settings that tools/sam-local.sh check made.

    pytest tests/sam_local --deploy-template T --local-caller-template T --env-file F

--env-file is SAM's --env-vars file ({"Parameters": {...}}); the in-process runner
(crates/dev-tools/src/bin/invoke-event.rs) gets the same values, less TASKS_LOCAL_CALLER_ID.
Everything runs on loopback, through tools/sam_offline.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "target" / "sam-local"
SAM = [sys.executable, str(ROOT / "tools" / "sam_offline.py")]
# SAM local runs the template's default architecture (arm64) unless told; the base image is
# local (tools/lambda-base-image.sh), never pulled.
SAM_PARAMETERS = ["--skip-pull-image", "--parameter-overrides", "Architecture=x86_64"]


def pytest_addoption(parser):
    parser.addoption("--deploy-template", help="the deployment build's template (sam build's output)")
    parser.addoption("--local-caller-template", help="the local-caller build's template")
    parser.addoption("--env-file", help="SAM's --env-vars file for both")


def _option(config, name):
    value = config.getoption(name)
    if not value:
        pytest.exit(f"sam local tests: give --{name.replace('_', '-')} (tools/sam-local.sh check does)", returncode=2)
    return Path(value).resolve()


@pytest.fixture(scope="session")
def deploy_template(pytestconfig):
    return _option(pytestconfig, "deploy_template")


@pytest.fixture(scope="session")
def local_caller_template(pytestconfig):
    return _option(pytestconfig, "local_caller_template")


@pytest.fixture(scope="session")
def env_file(pytestconfig):
    return _option(pytestconfig, "env_file")


@pytest.fixture(scope="session")
def env_values(env_file):
    return json.loads(env_file.read_text())["Parameters"]


def lambda_containers():
    result = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=sam.cli.container.type=lambda"],
        capture_output=True, text=True,
    )
    return set(result.stdout.split())


@pytest.fixture(scope="module")
def containers_removed():
    """Removes the Lambda containers that the module's tests leave (a `sam local invoke`
    killed at its timeout leaves its container)."""
    before = lambda_containers()
    yield
    left = lambda_containers() - before
    if left:
        subprocess.run(["docker", "rm", "-f", *left], capture_output=True)


# Figures the modules report at the end (how many invocations, how long).
figures = []


def pytest_terminal_summary(terminalreporter):
    for line in figures:
        terminalreporter.write_line(line)
