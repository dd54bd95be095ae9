"""Create the tasks table on a local DynamoDB-compatible server from template.yaml.

The key schema and indexes are read from the TasksTable resource of the template, so
local development and tests always use exactly what is deployed. Idempotent: an
existing table is left as it is.

Usage: create_table.py ENDPOINT TABLE_NAME
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


def table_definition(template_path: Path = TEMPLATE) -> dict:
    template = yaml.load(template_path.read_text(), Loader=_TemplateLoader)
    properties = template["Resources"]["TasksTable"]["Properties"]
    return {name: properties[name] for name in COPIED_PROPERTIES if name in properties}


def create_table(endpoint: str, table_name: str) -> None:
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1")
    )
    if table_name not in client.list_tables()["TableNames"]:
        client.create_table(TableName=table_name, **table_definition())
    # Emulators report CREATING for a moment, as DynamoDB does.
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=table_name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            sys.exit(f"table {table_name} did not become ACTIVE in 30 s")
        time.sleep(0.1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    create_table(sys.argv[1], sys.argv[2])
