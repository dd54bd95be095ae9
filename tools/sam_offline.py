"""SAM CLI on loopback: `.venv/bin/python tools/sam_offline.py <sam arguments>` (tools/sam-local.sh).

SAM's own switches do most of it, and the callers use them (docs/sam-local.md): an environment
without AWS credentials, profile or instance metadata (offline_environment: SAM then calls no
AWS API, STS included, and gives the Lambda containers its dummy keys, never yours),
SAM_CLI_TELEMETRY=0, and `--skip-pull-image` on every `sam local` command. What none of them
does in SAM CLI 1.170, this adds by wrapping docker-py's public `containers.create`:

- Lambda containers on the host's network (the engine that tools/docker-engine.sh starts has
  no bridge; SAM ignores `--docker-network host`, aws/aws-sam-cli#3609): the runtime interface
  emulator listens on 127.0.0.1 at the port SAM calls, and each container's runtime API gets
  a free loopback port of its own;
- a Lambda container whose DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB, else
  AWS_ENDPOINT_URL) or any other AWS_ENDPOINT_URL* is not a loopback URL is refused before it
  is created: a function run through this wrapper cannot reach a real DynamoDB table.

And it turns off SAM's check for a newer version on PyPI, which has no switch
(aws/aws-sam-cli#3709): the one patch of SAM itself, which fails loudly if SAM renames it.

With SAM_OFFLINE_ENV_RECORD=FILE, each Lambda container's variable names (and its
TASKS_LOCAL_CALLER_ID) are appended to FILE as a JSON line, for tests/sam_local.
"""

import ipaddress
import json
import os
import socket
import sys
from urllib.parse import urlsplit

# Everything botocore reads credentials or a profile from.
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_ACCOUNT_ID",
)
# The keys of tools/local_eventbridge.py's own client (it imports them): never an identity.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
RIE_PORT_IN_CONTAINER = "8080"


def offline_environment():
    for name in CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["SAM_CLI_TELEMETRY"] = "0"
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


def is_loopback_url(url):
    host = urlsplit(url).hostname if url else None
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refuse(message):
    # Raised inside SAM's worker threads an exception may only become a 502: stop the
    # whole process, loudly, instead.
    print(f"sam_offline: refusing to start the function: {message}", file=sys.stderr, flush=True)
    os._exit(3)


def lambda_container_arguments(kwargs):
    """The create arguments of a Lambda container, moved to the host network."""
    env = dict(kwargs.get("environment") or {})
    endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL")
    if not is_loopback_url(endpoint):
        refuse(
            f"its DynamoDB endpoint is {endpoint!r}, not a loopback URL; pass --env-vars "
            "with AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port> (see tools/sam-local-env.json)"
        )
    for name, value in env.items():
        if name.startswith("AWS_ENDPOINT_URL") and value and not is_loopback_url(value):
            refuse(f"{name} is {value!r}, not a loopback URL")
    record = os.environ.get("SAM_OFFLINE_ENV_RECORD")
    if record:  # for checks: what the function was given (names, and the local caller)
        with open(record, "a") as f:
            f.write(json.dumps({
                "function": env.get("AWS_LAMBDA_FUNCTION_NAME"),
                "names": sorted(env),
                "TASKS_LOCAL_CALLER_ID": env.get("TASKS_LOCAL_CALLER_ID"),
            }) + "\n")

    ports = kwargs.pop("ports", None) or {}
    published = ports.get(RIE_PORT_IN_CONTAINER)
    if not published or set(ports) != {RIE_PORT_IN_CONTAINER}:
        refuse(f"unexpected ports to publish {ports!r} (debugging is not supported here)")
    host_port = published[1] if isinstance(published, tuple) else published
    kwargs["network_mode"] = "host"
    entrypoint = list(kwargs.get("entrypoint") or ["/var/rapid/aws-lambda-rie"])
    entrypoint += [
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{host_port}",
        "--runtime-api-address",
        f"127.0.0.1:{free_loopback_port()}",
    ]
    kwargs["entrypoint"] = entrypoint
    return kwargs


def patch_docker():
    from docker.models.containers import ContainerCollection

    create = ContainerCollection.create

    def create_on_host_network(self, image, command=None, **kwargs):
        labels = kwargs.get("labels") or {}
        if labels.get("sam.cli.container.type") == "lambda":
            kwargs = lambda_container_arguments(kwargs)
        return create(self, image, command, **kwargs)

    ContainerCollection.create = create_on_host_network


def patch_version_check():
    from samcli.lib.utils import version_checker

    if not hasattr(version_checker, "_inform_newer_version"):
        sys.exit("sam_offline: this SAM CLI checks for new versions elsewhere: update patch_version_check")
    version_checker._inform_newer_version = lambda force_check=False: None


def main():
    offline_environment()
    patch_docker()
    patch_version_check()
    from samcli.cli.main import cli

    sys.argv = ["sam", *sys.argv[1:]]
    sys.exit(cli())


if __name__ == "__main__":
    main()
