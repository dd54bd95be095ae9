"""Create the tasks table on a local DynamoDB-compatible server from template.yaml.

The key schema and indexes are read from the TasksTable resource of the template, so
local development and tests always use exactly what is deployed. Idempotent: an
existing table is left as it is.

With --stream the table also has the template's stream (StreamSpecification): make dev's
moto has streams, and tools/local_stream.py feeds them to task-events; dynalite has none.

Usage: create_table.py ENDPOINT TABLE_NAME [--stream]
"""

import os
import sys
import time
from pathlib import Path

import boto3
import yaml


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !If, ...) as plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TemplateLoader.add_multi_constructor("!", _any_tag)

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
COPIED_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def template_properties(resource: str, template_path: Path = TEMPLATE) -> dict:
    template = yaml.load(template_path.read_text(), Loader=_TemplateLoader)
    return template["Resources"][resource]["Properties"]


def table_definition(template_path: Path = TEMPLATE, stream: bool = False) -> dict:
    properties = template_properties("TasksTable", template_path)
    definition = {name: properties[name] for name in COPIED_PROPERTIES if name in properties}
    if stream:
        # CloudFormation's StreamSpecification has only the view type; the API's also says
        # that the stream is on.
        definition["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    return definition


def create_table(endpoint: str, table_name: str, stream: bool = False) -> None:
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1")
    )
    if table_name not in client.list_tables()["TableNames"]:
        client.create_table(TableName=table_name, **table_definition(stream=stream))
    elif stream and not client.describe_table(TableName=table_name)["Table"].get("LatestStreamArn"):
        sys.exit(f"table {table_name} exists without a stream")
    # Emulators report CREATING for a moment, as DynamoDB does.
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=table_name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            sys.exit(f"table {table_name} did not become ACTIVE in 30 s")
        time.sleep(0.1)


if __name__ == "__main__":
    match sys.argv[1:]:
        case [endpoint, table]:
            create_table(endpoint, table)
        case [endpoint, table, "--stream"]:
            create_table(endpoint, table, stream=True)
        case _:
            sys.exit(__doc__)
