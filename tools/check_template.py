#!/usr/bin/env python3
"""What API Gateway and Lambda will really enforce, read from the SAM translator's output.

cfn-lint checks template.yaml as written; this translates it with the real translator
(PyPI aws-sam-translator, the code behind `sam deploy`'s transform) for each meaningful
parameter set, evaluates the template's conditions and rules for that set, and checks the
result: who may call each route and method, which function serves it, and what each
function's environment holds. A template can read right and deploy wrong; this is where
that shows before a deploy.

Run from the repository root: python3 tools/check_template.py
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import pathlib
import re
import sys
import tomllib

# The translator looks up a region for pseudo parameters; it never calls AWS here.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)

from cfnlint.decode import cfn_yaml  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402

logging.disable(logging.WARNING)  # the translator's own metrics notices

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
ANY = "x-amazon-apigateway-any-method"

failures: list[str] = []
passed = 0


def check(condition: bool, what: str) -> None:
    global passed
    if condition:
        passed += 1
    else:
        failures.append(what)
        print(f"  FAILED: {what}")


class NoManagedPolicies:
    """The template names no AWS managed policy by name, so none needs looking up."""

    def load(self) -> dict[str, str]:
        return {}


def evaluate(expression, parameters: dict[str, str], conditions: dict):
    """CloudFormation's condition functions over known parameter values."""
    if isinstance(expression, dict) and len(expression) == 1:
        (function, argument), = expression.items()
        if function == "Ref":
            return parameters[argument]
        if function == "Condition":
            return evaluate(conditions[argument], parameters, conditions)
        if function == "Fn::Equals":
            left, right = (evaluate(a, parameters, conditions) for a in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not evaluate(argument[0], parameters, conditions)
        if function == "Fn::And":
            return all(evaluate(a, parameters, conditions) for a in argument)
        if function == "Fn::Or":
            return any(evaluate(a, parameters, conditions) for a in argument)
        raise ValueError(f"cannot evaluate {function}")
    return expression


NO_VALUE = {"Ref": "AWS::NoValue"}


def resolve(node, parameters: dict[str, str], conditions: dict):
    """What CloudFormation makes of a template's node for known parameters: Fn::If taken,
    AWS::NoValue dropped, parameters put into Ref and Fn::Sub, Fn::Split and Fn::Select of
    what is then known worked out. What names a resource or a pseudo parameter stays."""
    import re

    def again(n):
        return resolve(n, parameters, conditions)

    if isinstance(node, list):
        return [r for r in map(again, node) if r != NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (function, argument), = node.items()
        if function == "Fn::If":
            condition, then, otherwise = argument
            return again(then if evaluate({"Condition": condition}, parameters, conditions) else otherwise)
        if function == "Ref" and argument in parameters:
            return parameters[argument]
        if function == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else (argument[0], again(argument[1]))
            known = {**parameters, **{k: v for k, v in local.items() if isinstance(v, str)}}
            text = re.sub(r"\$\{(\w+)\}", lambda m: known.get(m[1], m[0]), text)
            unknown = {k: v for k, v in local.items() if not isinstance(v, str)}
            return text if "${" not in text else {"Fn::Sub": [text, unknown] if unknown else text}
        if function == "Fn::Split":
            delimiter, source = map(again, argument)
            if isinstance(source, str):
                return source.split(delimiter)
        if function == "Fn::Select":
            index, items = map(again, argument)
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                return items[int(index)]
    resolved = {k: again(v) for k, v in node.items()}
    return {k: v for k, v in resolved.items() if v != NO_VALUE}


def cargo_router() -> dict[tuple[str, str], str]:
    """(path, method) -> binary, from `cargo lambda watch`'s router in Cargo.toml."""
    with open("Cargo.toml", "rb") as f:
        router = tomllib.load(f)["workspace"]["metadata"]["lambda"]["watch"]["router"]
    return {
        (path, route["method"].lower()): route["function"]
        for path, routes in router.items()
        for route in routes
    }


def main() -> int:
    source = cfn_yaml.load("template.yaml")
    declared = source["Parameters"]
    # The API's functions: those that API Gateway invokes. (task-events is invoked by the
    # table's stream; check_task_events checks it.)
    binaries = {
        name: resource["Metadata"]["BuildProperties"]["Binary"]
        for name, resource in source["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and any(e.get("Type") == "Api" for e in resource["Properties"].get("Events", {}).values())
    }
    router = cargo_router()

    # Each parameter that changes what is enforced, over every value it allows.
    api_key_values = declared["UseApiKeys"]["AllowedValues"]
    environments = declared["Environment"]["AllowedValues"]
    rate_limits = ["0", "1000"]  # off, on
    # By hand (none), or through the pipeline (its stage's boundary).
    boundaries = ["", "arn:aws:iam::123456789012:policy/task-api-dev-boundary"]
    for use_api_keys, environment, rate_limit, boundary in itertools.product(
        api_key_values, environments, rate_limits, boundaries
    ):
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(
            UseApiKeys=use_api_keys,
            Environment=environment,
            DeploymentType="AllAtOnce" if environment == "dev" else "Canary10Percent5Minutes",
            CorsAllowOrigin="https://app.example.com",
            StageName="Prod",
            CallerRateLimit=rate_limit,
            PermissionsBoundaryArn=boundary,
        )
        if not rules_allow(source, parameters):
            continue  # CloudFormation refuses these before creating anything (check_rules)
        print(
            f"check_template: UseApiKeys={use_api_keys!r} Environment={environment} "
            f"CallerRateLimit={rate_limit} PermissionsBoundaryArn={boundary!r}"
        )
        check_parameter_set(source, parameters, binaries, router)

    check_rules(source, declared)
    check_exposed_headers(source)
    check_web_app(source, declared)
    check_reminders(source, declared)
    check_live(source, declared)
    check_function_alarms(source)
    check_readme_functions(source)
    print(f"template checks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def deployed(source, parameters):
    """SAM's translation for these parameters: the output, its conditions, and the resources
    CloudFormation would create (those whose condition holds)."""
    template = json.loads(json.dumps(source))
    # As after `sam build` and `sam package`: the code is an S3 object.
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"
    output = transform(template, dict(parameters), NoManagedPolicies())
    conditions = output.get("Conditions", {})
    resources = {
        name: resource
        for name, resource in output["Resources"].items()
        if "Condition" not in resource
        or evaluate({"Condition": resource["Condition"]}, parameters, conditions)
    }
    return output, conditions, resources


def check_parameter_set(source, parameters, binaries, router) -> None:
    output, conditions, resources = deployed(source, parameters)
    keys_required = parameters["UseApiKeys"] == "true"
    check_references(output, resources, parameters, conditions)

    apis = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    check(len(apis) == 1, "exactly one REST API is deployed")
    body = apis[0]["Properties"]["Body"]
    authorizer = body["securityDefinitions"].get("CognitoAuthorizer", {})
    check(
        authorizer.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
        and authorizer.get("x-amazon-apigateway-authorizer", {}).get("providerARNs")
        == [{"Fn::GetAtt": ["UserPool", "Arn"]}],
        "CognitoAuthorizer is the stack's user pool",
    )

    served: dict[tuple[str, str], str] = {}
    for path, operations in body["paths"].items():
        explicit = [m for m in operations if m in HTTP_METHODS]
        for method, operation in operations.items():
            schemes = {name for requirement in operation.get("security") or [] for name in requirement}
            where = f"{method.upper()} {path}"
            if method == "options":
                check(not schemes, f"{where} (CORS preflight) needs no token and no key")
                continue
            check("CognitoAuthorizer" in schemes, f"{where} requires the Cognito authorizer")
            check(
                ("api_key" in schemes) == keys_required,
                f"{where} requires an API key {'only when asked for' if not keys_required else 'as asked'}",
            )
            uri = json.dumps(operation.get("x-amazon-apigateway-integration", {}).get("uri"))
            # The function's `live` alias (AutoPublishAlias), so that CodeDeploy's traffic
            # shifting applies to API requests.
            function = next((f for f in binaries if f"${{{f}Aliaslive}}" in uri), None)
            check(function is not None, f"{where} invokes the live alias of one of the functions")
            methods = [method] if method != ANY else [
                m for m in HTTP_METHODS if m not in explicit and m not in ("options", "head")
            ]
            for m in methods:
                served[(path, m)] = binaries.get(function, "?")
    check(
        served == router,
        f"the deployed routes are the Cargo router's: only in the template "
        f"{sorted(set(served.items()) - set(router.items()))}, only in Cargo.toml "
        f"{sorted(set(router.items()) - set(served.items()))}",
    )

    plans = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    check(len(plans) == (1 if keys_required else 0), "a usage plan exists only with API keys")

    stages = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    log_format = stages[0]["Properties"].get("AccessLogSetting", {}).get("Format", "")
    check("$context.authorizer.claims.sub" in log_format, "the access log names the caller")

    for name, binary in binaries.items():
        variables = resources[name]["Properties"].get("Environment", {}).get("Variables", {})
        check(
            ("PAGE_TOKEN_SECRET" in variables) == (binary == "get-tasks"),
            f"{binary}: PAGE_TOKEN_SECRET only where tasks are listed",
        )
        check(
            variables.get("ALLOWED_CLIENT_IDS") == {"Ref": "UserPoolClient"},
            f"{binary}: accepts only ID tokens of the stack's app client",
        )
        check(
            variables.get("TASKS_LOCAL_CALLER_ID", "") == "",
            f"{binary}: no local caller when deployed",
        )
        check(
            ("MAX_TASKS_PER_OWNER" in variables) == (binary == "create-task")
            and variables.get("MAX_TASKS_PER_OWNER", {"Ref": "MaxTasksPerOwner"}) == {"Ref": "MaxTasksPerOwner"},
            f"{binary}: MAX_TASKS_PER_OWNER (the MaxTasksPerOwner parameter) only where tasks are created",
        )
    check_table_access(resources, binaries)
    check_boundaries(resources, parameters, conditions)

    check_rate_limit(resources, parameters)
    # Every function, the API's and the others alike.
    functions = {
        name: resource["Metadata"]["BuildProperties"]["Binary"]
        for name, resource in source["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    check(set(binaries) < set(functions), f"the functions are found: {sorted(functions)}")
    check_deployments(resources, parameters, functions)
    check_dashboard(resources, functions)
    check_task_events(output, resources, parameters, conditions, binaries)
    check_account(output, resources, body)

    pool, client = resources["UserPool"], resources["UserPoolClient"]
    for name, resource in (("UserPool", pool), ("UserPoolClient", client)):
        check(
            resource.get("DeletionPolicy") == "Retain"
            and resource.get("UpdateReplacePolicy") == "Retain",
            f"{name} is retained on stack deletion and replacement",
        )
    check(pool["Properties"].get("DeletionProtection") == "ACTIVE", "UserPool has deletion protection")
    check(
        "ALLOW_USER_PASSWORD_AUTH" not in client["Properties"].get("ExplicitAuthFlows", []),
        "UserPoolClient does not take passwords in clear (no ALLOW_USER_PASSWORD_AUTH)",
    )


def check_references(output, resources, parameters, conditions) -> None:
    """Every Ref, GetAtt and ${...} of what will be deployed names something that exists."""
    import re

    known = set(resources) | set(output.get("Parameters", {}))
    dangling: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                condition, then, otherwise = node["Fn::If"]
                taken = evaluate({"Condition": condition}, parameters, conditions)
                walk(then if taken else otherwise)
                return
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    names = [value]
                elif key == "Fn::GetAtt":
                    names = [value[0] if isinstance(value, list) else value.split(".")[0]]
                elif key == "Fn::Sub":
                    text, local = (value, {}) if isinstance(value, str) else value
                    names = [
                        n.split(".")[0]
                        for n in re.findall(r"\$\{([^}!]+)\}", text)
                        if n not in local
                    ]
                    walk(local)
                else:
                    walk(value)
                    continue
                dangling.update(n for n in names if not n.startswith("AWS::") and n not in known)

    for name, resource in resources.items():
        walk(resource)
    for output_value in output.get("Outputs", {}).values():
        if "Condition" not in output_value or evaluate(
            {"Condition": output_value["Condition"]}, parameters, conditions
        ):
            walk(output_value)
    check(not dangling, f"every reference resolves (dangling: {sorted(dangling)})")


def check_deployments(resources, parameters, binaries) -> None:
    """Every function behind its `live` alias, moved by CodeDeploy with the stage's
    deployment type and rolled back by that function's own error and latency alarms."""
    for function, binary in binaries.items():
        alias = resources.get(f"{function}Aliaslive", {})
        policy = alias.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate", {})
        group_name = policy.get("DeploymentGroupName", {}).get("Ref")
        check(alias.get("Type") == "AWS::Lambda::Alias" and group_name in resources,
              f"{binary}: the live alias is moved by a CodeDeploy deployment group")
        if group_name not in resources:
            continue
        group = resources[group_name]["Properties"]
        config = json.dumps(group.get("DeploymentConfigName"))
        check(parameters["DeploymentType"] in config, f"{binary}: deploys as DeploymentType says")
        alarms = [a.get("Name", {}).get("Ref") for a in group.get("AlarmConfiguration", {}).get("Alarms", [])]
        metrics = {resources[a]["Properties"].get("MetricName") for a in alarms if a in resources}
        dimensions = [resources[a]["Properties"].get("Dimensions", []) for a in alarms if a in resources]
        check(group.get("AlarmConfiguration", {}).get("Enabled") is True and metrics == {"Errors", "Duration"}
              and all({"Name": "FunctionName", "Value": {"Ref": function}} in d for d in dimensions),
              f"{binary}: its own error and latency alarms roll a deployment back")
        check("DEPLOYMENT_STOP_ON_ALARM" in json.dumps(group.get("AutoRollbackConfiguration", {})),
              f"{binary}: an alarm stops and rolls back the deployment")


def check_dashboard(resources, functions) -> None:
    """The stage's dashboard is valid JSON once CloudFormation substitutes it, and shows what
    an operator needs at a glance."""
    import re

    dashboards = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    check(len(dashboards) == 1, "one dashboard per stage")
    if len(dashboards) != 1:
        return
    body = dashboards[0]["Properties"]["DashboardBody"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    try:
        widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))["widgets"]
    except (ValueError, KeyError) as error:
        check(False, f"the dashboard body is JSON with widgets ({error})")
        return
    shown = json.dumps(widgets)
    for what in ['"AWS/ApiGateway", "Count"', '"4XXError"', '"5XXError"', '"p99"', '"p50"',
                 '"Duration"', "ColdStart", "InitDuration", '"Throttles"', '"ConcurrentExecutions"',
                 '"ConsumedWriteCapacityUnits"', '"WriteThrottleEvents"', '"IteratorAge"',
                 '"ApproximateNumberOfMessagesVisible"', '"BlockedRequests"']:
        check(what in shown, f"the dashboard shows {what}")
    alarms = [w for w in widgets if w["type"] == "alarm"]
    check(bool(alarms) and len(alarms[0]["properties"]["alarms"]) >= 10, "the dashboard shows the rollback alarms")
    # Each function's errors and rollback alarms, and the depth of each queue (each holds
    # what the stack gave up on).
    for function in functions:
        check(
            re.search(rf'"Errors", "FunctionName", "\$\{{{function}\}}"', text) is not None
            and all(f'"${{{function.removesuffix("Function")}{kind}Alarm.Arn}}"' in text for kind in ("Errors", "Latency")),
            f"the dashboard shows {function}'s errors and its rollback alarms",
        )
    queues = [name for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
    check(
        len(queues) >= 3 and all(f'"${{{queue}.QueueName}}"' in text for queue in queues),
        f"the dashboard shows the depth of every queue: {sorted(queues)}",
    )


def check_rate_limit(resources, parameters) -> None:
    """The per-caller web ACL: present only when asked for, on the stage and the user pool."""
    on = parameters["CallerRateLimit"] != "0"
    acls = {n: r for n, r in resources.items() if r["Type"] == "AWS::WAFv2::WebACL"}
    check(len(acls) == (1 if on else 0), "a per-caller web ACL exists only when CallerRateLimit > 0")
    if not on or len(acls) != 1:
        return
    (acl_name, acl), = acls.items()
    targets = [
        json.dumps(r["Properties"]["ResourceArn"])
        for r in resources.values()
        if r["Type"] == "AWS::WAFv2::WebACLAssociation"
        and r["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_name, "Arn"]}
    ]
    check(
        any("/restapis/${TasksApi}/stages/" in t and "Stage" in t for t in targets),
        "the web ACL guards the API stage",
    )
    check(any('"UserPool", "Arn"' in t for t in targets), "the web ACL guards the user pool")
    rules = acl["Properties"]["Rules"]
    keys = [
        r["Statement"]["RateBasedStatement"].get("CustomKeys") or r["Statement"]["RateBasedStatement"]["AggregateKeyType"]
        for r in rules
    ]
    check(
        [{"Header": {"Name": "authorization", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}] in keys
        and "IP" in keys,
        "requests are counted per Authorization header, and per address without one",
    )
    # Every request counted by the client's address, whatever its Authorization: by the
    # viewer's address (True-Client-IP) on requests that carry CloudFront's secret, by the
    # source address on all others.
    by_name = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in rules}
    viewer, source_ip = by_name.get("per-viewer-address", {}), by_name.get("per-address", {})
    secret = viewer.get("ScopeDownStatement", {}).get("ByteMatchStatement", {})
    check(
        viewer.get("AggregateKeyType") == "FORWARDED_IP"
        and viewer.get("ForwardedIPConfig", {}).get("HeaderName") == "True-Client-IP"
        and secret.get("FieldToMatch") == {"SingleHeader": {"Name": "x-origin-verify"}}
        and secret.get("PositionalConstraint") == "EXACTLY"
        and "OriginVerifySecret" in json.dumps(secret.get("SearchString")),
        "per-viewer-address: requests through CloudFront (its secret header) by the viewer's address",
    )
    check(
        source_ip.get("AggregateKeyType") == "IP"
        and source_ip.get("ScopeDownStatement") == {"NotStatement": {"Statement": {"ByteMatchStatement": secret}}},
        "per-address: every other request by its source address",
    )
    check(
        all(s.get("Limit") == {"Ref": "AddressRateLimit"} for s in (viewer, source_ip)),
        "both address rules count up to AddressRateLimit",
    )
    distribution = next(r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution")
    config = json.dumps(distribution["Properties"]["DistributionConfig"])
    functions = [r for r in resources.values() if r["Type"] == "AWS::CloudFront::Function"]
    check(
        len(functions) == 1
        and "request.headers['true-client-ip'] = { value: event.viewer.ip }" in functions[0]["Properties"]["FunctionCode"]
        and '"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["ViewerAddressFunction"' in config
        and '"HeaderName": "X-Origin-Verify", "HeaderValue": {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}' in config,
        "CloudFront sets True-Client-IP to the viewer's address and adds the secret on its way to the API",
    )
    for rule in rules:
        response = rule["Action"]["Block"]["CustomResponse"]
        headers = {h["Name"]: h["Value"] for h in response.get("ResponseHeaders", [])}
        check(
            response["ResponseCode"] == 429 and "Retry-After" in headers,
            f"{rule['Name']}: a blocked request gets 429 with Retry-After",
        )
        check(
            headers.get("Access-Control-Expose-Headers") == EXPOSE_HEADERS_IN_TEMPLATE,
            f"{rule['Name']}: browsers may read its Retry-After (Access-Control-Expose-Headers)",
        )
        body = acl["Properties"]["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        check('"status":429' in json.dumps(body["Content"]).replace("\\", ""), f"{rule['Name']}: problem body")


def statements(role) -> list[dict]:
    """Every statement of a role's inline policies, with Action and Resource as lists."""
    found = []
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            found.append(
                {
                    **statement,
                    "Action": [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"],
                    "Resource": statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]],
                }
            )
    return found


# What each API function may do to the table: (actions, condition) per statement; the
# conditions are what DynamoDB's fine-grained access control enforces on the keys and
# attributes of each request (docs/security.md).
NO_CONDITION: dict = {}
LEADING_KEYS = lambda *prefixes: {  # noqa: E731
    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(prefixes)},
    "Null": {"dynamodb:LeadingKeys": "false"},
}
TABLE_ACCESS = {
    "create-task": [
        (["dynamodb:PutItem"], NO_CONDITION),
        (["dynamodb:GetItem", "dynamodb:UpdateItem"], LEADING_KEYS("idempotency#*", "owner#*")),
        (
            ["dynamodb:GetItem"],
            {
                "ForAllValues:StringEquals": {"dynamodb:Attributes": ["taskId", "writeId"]},
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                "Null": {"dynamodb:Attributes": "false"},
            },
        ),
    ],
    "get-tasks": [(["dynamodb:GetItem"], NO_CONDITION), (["dynamodb:Query"], NO_CONDITION)],
    "update-task": [(["dynamodb:GetItem", "dynamodb:UpdateItem"], NO_CONDITION)],
    "delete-task": [
        (["dynamodb:DeleteItem", "dynamodb:GetItem"], NO_CONDITION),
        (["dynamodb:UpdateItem"], LEADING_KEYS("owner#*")),
    ],
    # Touches no item: it queues the purge and calls the user pool.
    "delete-account": [],
    # Lists a user's tasks through the two indexes only, and deletes and updates; never reads
    # an item (its writes' conditions are what keep it to the user's data).
    "account-purge": [
        (["dynamodb:Query"], NO_CONDITION),
        (["dynamodb:DeleteItem", "dynamodb:UpdateItem"], NO_CONDITION),
    ],
    # Reads any task; writes only its delivery claims, never a task.
    "task-reminders": [
        (["dynamodb:GetItem"], NO_CONDITION),
        (["dynamodb:UpdateItem"], LEADING_KEYS("reminder#*")),
    ],
}


def check_table_access(resources, binaries) -> None:
    """Each API function's DynamoDB statements, conditions included, exactly as designed."""
    for name, binary in binaries.items():
        role = resources[resources[name]["Properties"]["Role"]["Fn::GetAtt"][0]]
        granted = sorted(
            (sorted(st["Action"]), json.dumps(st.get("Condition", {}), sort_keys=True))
            for st in statements(role)
            if any(a.startswith("dynamodb:") for a in st["Action"])
        )
        expected = sorted((sorted(a), json.dumps(c, sort_keys=True)) for a, c in TABLE_ACCESS.get(binary, []))
        check(granted == expected, f"{binary}: its table statements and their conditions are as designed: {granted}")
        check(
            all(st["Effect"] == "Allow" and "*" not in st["Resource"] for st in statements(role)),
            f"{binary}: no statement on every resource",
        )


def check_boundaries(resources, parameters, conditions) -> None:
    """With PermissionsBoundaryArn, every role the stack creates carries it (the pipeline's
    execution role refuses to create one without); without it, none does."""
    boundary = parameters.get("PermissionsBoundaryArn", "")
    roles = {n: r for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    check(len(roles) >= 6, f"the stack's roles are found: {sorted(roles)}")
    for name, role in roles.items():
        value = role["Properties"].get("PermissionsBoundary")
        if isinstance(value, dict) and set(value) == {"Fn::If"}:
            condition, then, otherwise = value["Fn::If"]
            value = then if evaluate({"Condition": condition}, parameters, conditions) else otherwise
        value = None if value == {"Ref": "AWS::NoValue"} else value
        check(
            value == ({"Ref": "PermissionsBoundaryArn"} if boundary else None),
            f"{name}: permissions boundary {'PermissionsBoundaryArn' if boundary else 'none'} (got {value})",
        )


def function_of(resources, binary: str) -> str | None:
    """The one deployed function that runs this binary (checked), or None."""
    functions = [
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
        and r.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == binary
    ]
    check(len(functions) == 1, f"one {binary} function")
    return functions[0] if len(functions) == 1 else None


def mappings_of(resources, function: str) -> list[dict]:
    """The properties of the event source mappings that invoke `function`'s live alias."""
    return [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"].get("FunctionName") == {"Ref": f"{function}Aliaslive"}
    ]


def getatt(name: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [name, attribute]}


def regional_endpoint(service: str) -> dict:
    """A service's regional endpoint, as the template writes it for the SDK's AWS_ENDPOINT_URL_*."""
    return {"Fn::Sub": f"https://{service}.${{AWS::Region}}.${{AWS::URLSuffix}}"}


def check_failure_queue(output, resources, queue: str) -> None:
    """A queue of what the stack gave up on: encrypted, kept 14 days (SQS's longest), and
    alarmed as soon as anything is in it."""
    properties = resources[queue]["Properties"]
    check(
        properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties,
        f"{queue} is encrypted",
    )
    check(str(properties.get("MessageRetentionPeriod")) == "1209600", f"{queue} keeps messages for 14 days")
    alarms = [
        r
        for r in output["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Name": "QueueName", "Value": getatt(queue, "QueueName")} in r["Properties"].get("Dimensions", [])
    ]
    check(
        len(alarms) == 1
        and alarms[0].get("Condition") == "HasAlarmTopic"
        and alarms[0]["Properties"].get("Namespace") == "AWS/SQS"
        and alarms[0]["Properties"].get("ComparisonOperator") == "GreaterThanThreshold"
        and str(alarms[0]["Properties"].get("Threshold")) == "0"
        and alarms[0]["Properties"].get("AlarmActions") == [{"Ref": "AlarmTopicArn"}],
        f"an alarm on {queue}'s depth (any message visible) notifies AlarmTopicArn",
    )


def check_account(output, resources, body) -> None:
    """DELETE /account (#25) as deployed: the route behind the Cognito authorizer, on
    delete-account's live alias; delete-account may sign out and delete users of this pool
    only and send to the purge queue only; account-purge reads the two indexes and writes the
    table, is fed by the purge queue (one job at a time, partial batch failures), and a job
    that keeps failing is parked in an alarmed dead-letter queue."""
    route = body["paths"].get("/account", {}).get("delete", {})
    schemes = {name for requirement in route.get("security") or [] for name in requirement}
    uri = json.dumps(route.get("x-amazon-apigateway-integration", {}).get("uri"))
    check(
        "CognitoAuthorizer" in schemes and "${DeleteAccountFunctionAliaslive}" in uri,
        "DELETE /account: the Cognito authorizer, then delete-account's live alias",
    )

    def inline(function):
        role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        return sorted(
            (sorted(st["Action"]), json.dumps(st["Resource"], sort_keys=True), json.dumps(st.get("Condition", {})))
            for st in statements(role)
        )

    deleter = function_of(resources, "delete-account")
    if deleter is not None:
        expected = sorted(
            [
                (
                    ["cognito-idp:AdminDeleteUser", "cognito-idp:AdminUserGlobalSignOut"],
                    json.dumps([getatt("UserPool", "Arn")]),
                    "{}",
                ),
                (["sqs:SendMessage"], json.dumps([getatt("AccountPurgeQueue", "Arn")]), "{}"),
            ]
        )
        check(
            inline(deleter) == expected,
            f"delete-account may sign out and delete users of the stack's pool and send to the purge queue, nothing else: {inline(deleter)}",
        )
        variables = resources[deleter]["Properties"].get("Environment", {}).get("Variables", {})
        check(
            variables.get("ACCOUNT_PURGE_QUEUE_URL") == {"Ref": "AccountPurgeQueue"}
            and variables.get("AWS_ENDPOINT_URL_SQS") == regional_endpoint("sqs")
            and variables.get("USER_POOL_ID") == {"Ref": "UserPool"}
            and variables.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") == regional_endpoint("cognito-idp"),
            "delete-account: the stack's purge queue and pool, at their regional endpoints",
        )

    purger = function_of(resources, "account-purge")
    if purger is None:
        return
    table = getatt("TasksTable", "Arn")
    indexes = [{"Fn::Sub": "${TasksTable.Arn}/index/byOwner"}, {"Fn::Sub": "${TasksTable.Arn}/index/byAssignee"}]
    expected = sorted(
        [
            (["dynamodb:Query"], json.dumps(indexes, sort_keys=True), "{}"),
            (["dynamodb:DeleteItem", "dynamodb:UpdateItem"], json.dumps([table], sort_keys=True), "{}"),
            (["sqs:SendMessage"], json.dumps([getatt("AccountPurgeQueue", "Arn")]), "{}"),
        ]
    )
    expected.append(
        (
            ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            json.dumps([getatt("AccountPurgeQueue", "Arn")]),
            "{}",
        )
    )
    granted = inline(purger)
    check(
        granted == sorted(expected),
        f"account-purge: Query on byOwner and byAssignee, DeleteItem and UpdateItem on the table, "
        f"SendMessage to and polling of its own queue, nothing else: {granted}",
    )
    managed = resources[resources[purger]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"].get("ManagedPolicyArns", [])
    check(
        not any("SQS" in json.dumps(arn) for arn in managed),
        f"account-purge: no managed SQS policy (those reach every queue): {managed}",
    )
    variables = resources[purger]["Properties"].get("Environment", {}).get("Variables", {})
    own = {name: value for name, value in variables.items() if value != NO_VALUE}
    check(
        own == {
            "TABLE_NAME": {"Ref": "TasksTable"},
            "AWS_ENDPOINT_URL_DYNAMODB": {"Fn::Sub": "https://dynamodb.${AWS::Region}.${AWS::URLSuffix}"},
            "ACCOUNT_PURGE_QUEUE_URL": {"Ref": "AccountPurgeQueue"},
            "AWS_ENDPOINT_URL_SQS": regional_endpoint("sqs"),
        },
        f"account-purge: exactly its own variables, none of the API's: {sorted(own)}",
    )
    mappings = mappings_of(resources, purger)
    check(len(mappings) == 1, "account-purge has one event source mapping, on its live alias")
    if len(mappings) == 1:
        (mapping,) = mappings
        check(
            mapping.get("EventSourceArn") == getatt("AccountPurgeQueue", "Arn")
            and mapping.get("FunctionResponseTypes") == ["ReportBatchItemFailures"]
            and int(mapping.get("BatchSize", 0)) == 1,
            "account-purge: fed by the purge queue, one job at a time, partial batch failures reported",
        )
    queue = resources["AccountPurgeQueue"]["Properties"]
    timeout = int(resources[purger]["Properties"].get("Timeout", 0))
    check(
        queue.get("SqsManagedSseEnabled") is True
        and int(queue.get("VisibilityTimeout", 0)) >= 6 * timeout
        and queue.get("RedrivePolicy", {}).get("deadLetterTargetArn") == getatt("AccountPurgeFailures", "Arn")
        and 1 <= int(queue.get("RedrivePolicy", {}).get("maxReceiveCount", 0)) <= 10,
        "the purge queue: encrypted, hides a job for six times the worker's timeout, parks one that keeps failing",
    )
    check_failure_queue(output, resources, "AccountPurgeFailures")

    # The final pass runs after the longest token lifetime the Rust code assumes
    # (TOKEN_LIFETIME_SECONDS): a token may not outlive it, or what it creates after the
    # final pass would stay.
    import re

    source = pathlib.Path("crates/tasks/src/account/mod.rs").read_text()
    match = re.search(r"pub const TOKEN_LIFETIME_SECONDS: i64 = (\d+) \* 60;", source)
    client = resources["UserPoolClient"]["Properties"]
    units = client.get("TokenValidityUnits", {})
    lifetimes = {
        kind: int(client.get(f"{kind}Validity", 60)) * {"minutes": 1, "hours": 60, "days": 1440}[units.get(kind, "hours" if kind != "RefreshToken" else "days")]
        for kind in ("IdToken", "AccessToken")
    }
    check(
        match is not None and all(minutes <= int(match.group(1)) for minutes in lifetimes.values()),
        f"no ID or access token outlives the final pass's TOKEN_LIFETIME_SECONDS: {lifetimes}",
    )


def check_task_events(output, resources, parameters, conditions, api_binaries) -> None:
    """The stream -> task-events -> EventBridge pipeline (docs/events.md), as deployed."""
    from moto.events.models import EventPattern  # moto's EventBridge pattern matcher

    table = resources["TasksTable"]["Properties"]
    check(
        table.get("StreamSpecification", {}).get("StreamViewType") == "NEW_AND_OLD_IMAGES",
        "the table streams NEW_AND_OLD_IMAGES",
    )
    function = function_of(resources, "task-events")
    if function is None:
        return
    variables = resources[function]["Properties"].get("Environment", {}).get("Variables", {})
    bus = variables.get("EVENT_BUS_NAME", {}).get("Ref")
    check(
        bus in resources and resources[bus]["Type"] == "AWS::Events::EventBus",
        "task-events: EVENT_BUS_NAME is the stack's own bus",
    )
    # The Globals' variables are the API's; SAM merges them into task-events too, where
    # AWS::NoValue removes each: it gets exactly those it reads (crates/task-events), each
    # naming this stack's own bus, schedule group, reminder function, role and queue, and
    # the regional endpoints.
    own = {name: value for name, value in variables.items() if value != NO_VALUE}
    expected = {
        "EVENT_BUS_NAME": {"Ref": bus},
        "AWS_ENDPOINT_URL_EVENTBRIDGE": regional_endpoint("events"),
        "REMINDER_SCHEDULE_GROUP": {"Ref": "ReminderScheduleGroup"},
        "REMINDER_TARGET_ARN": {"Ref": "TaskRemindersFunctionAliaslive"},
        "REMINDER_ROLE_ARN": getatt("ReminderSchedulerRole", "Arn"),
        "REMINDER_DEAD_LETTER_ARN": getatt("ReminderFailures", "Arn"),
        "AWS_ENDPOINT_URL_SCHEDULER": regional_endpoint("scheduler"),
        "AWS_ENDPOINT_URL_LAMBDA": regional_endpoint("lambda"),
    }
    check(
        own == expected,
        f"task-events: exactly its own variables, none of the API's: extra or different "
        f"{sorted(k for k in own if own[k] != expected.get(k))}, missing {sorted(set(expected) - set(own))}",
    )

    # Invoked by this table's stream only, with every reliability setting the design needs.
    mappings = mappings_of(resources, function)
    check(len(mappings) == 1, "task-events has one event source mapping, on its live alias")
    if len(mappings) != 1:
        return
    (mapping,) = mappings
    check(mapping.get("EventSourceArn") == getatt("TasksTable", "StreamArn"), "the mapping reads the table's stream")
    check(mapping.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], "the mapping takes partial batch failures")
    check(mapping.get("BisectBatchOnFunctionError") is True, "the mapping bisects a failing batch")
    check(
        0 <= int(mapping.get("MaximumRetryAttempts", -1)) <= 100,
        "the mapping retries a bounded number of times",
    )
    check(
        60 <= int(mapping.get("MaximumRecordAgeInSeconds", -1)) <= 86400,
        "the mapping gives up on a record before the stream drops it (24 hours)",
    )
    check(1 <= int(mapping.get("BatchSize", 0)) <= 1000, "the mapping's batch size is set")
    destination = mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination", {})
    queue = (destination.get("Fn::GetAtt") or [None])[0]
    check(
        queue in resources and resources[queue]["Type"] == "AWS::SQS::Queue",
        "the mapping sends what it gives up on to an SQS queue",
    )
    if queue in resources:
        check_failure_queue(output, resources, queue)

    # The filter, run by moto's EventBridge pattern engine (Lambda's filters have EventBridge's
    # syntax) over the stream samples: idempotency records never invoke the function.
    patterns = [EventPattern.load(f["Pattern"]) for f in mapping.get("FilterCriteria", {}).get("Filters", [])]
    samples = sorted(pathlib.Path("events").glob("stream-*.json"))
    check(len(samples) >= 6, "the stream samples are there")
    for sample in samples:
        record = json.loads(sample.read_text())["Records"][0]
        invoked = any(pattern.matches_event(record) for pattern in patterns)
        key = record["dynamodb"]["Keys"]["taskId"]["S"]
        check(
            invoked == (not key.startswith("idempotency#")),
            f"{sample.name} {'invokes' if invoked else 'does not invoke'} task-events",
        )
    # Items that are no task, as they are written: an owner's task counter (taskId
    # "owner#<userId>", a taskCount and no ownerId), as create and delete change it; a
    # reminder's delivery claim (taskId "reminder#<taskId>#<remindAt>", a lease, progress and
    # expiresAt, no ownerId), as task-reminders claims and advances it and TTL removes it; a
    # user's live connections (taskId "connections#<userId>", a map, a revision and expiresAt,
    # no ownerId), as live-socket and live-fanout change it and TTL removes it. None is ever
    # a task event.
    counter = {"taskId": {"S": "owner#4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b"}, "taskCount": {"N": "3"}}
    claim = {
        "taskId": {"S": "reminder#0b5e8d1c-2a3f-4e6b-9c7d-1e2f3a4b5c6d#2026-12-01T09:00:00Z"},
        "leaseUntil": {"N": "1796115630"},
        "expiresAt": {"N": "1796720400"},
    }
    connections = {
        "taskId": {"S": "connections#4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b"},
        "connections": {"M": {"L0SM9cOFvHcCIhw=": {"N": "1796662800"}}},
        "revision": {"N": "1"},
        "expiresAt": {"N": "1796662800"},
    }
    for what, item, changed in [
        ("an owner's task counter", counter, {"taskCount": {"N": "2"}}),
        ("a reminder's delivery claim", claim, {"eventPut": {"BOOL": True}}),
        ("a user's live connections", connections, {"connections": {"M": {}}, "revision": {"N": "2"}}),
    ]:
        for name, images in [
            ("INSERT", {"NewImage": item}),
            ("MODIFY", {"NewImage": {**item, **changed}, "OldImage": item}),
            ("REMOVE", {"OldImage": item}),
        ]:
            record = {"eventName": name, "dynamodb": {"Keys": {"taskId": item["taskId"]}, **images}}
            check(
                not any(pattern.matches_event(record) for pattern in patterns),
                f"a change ({name}) of {what} does not invoke task-events",
            )

    # Least privilege: stream read on this stream, PutEvents on this bus, nothing else broad.
    role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
    managed = json.dumps(role["Properties"].get("ManagedPolicyArns", []))
    check("AWSLambdaDynamoDBExecutionRole" not in managed, "task-events: no managed stream-read policy (it allows every stream)")
    # Reminders: the schedules of the stack's group only (never another group's, nor the
    # group itself), passing the scheduler role only (to Scheduler only), and invoking the
    # reminder function's live alias only.
    group_schedules = {"Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ReminderScheduleGroup}/*"}
    allowed = {
        "events:PutEvents": [getatt(bus, "Arn")],
        "dynamodb:DescribeStream": [getatt("TasksTable", "StreamArn")],
        "dynamodb:GetRecords": [getatt("TasksTable", "StreamArn")],
        "dynamodb:GetShardIterator": [getatt("TasksTable", "StreamArn")],
        "dynamodb:ListStreams": [{"Fn::Sub": "${TasksTable.Arn}/stream/*"}],
        "sqs:SendMessage": [getatt(queue, "Arn")],
        "scheduler:CreateSchedule": [group_schedules],
        "scheduler:UpdateSchedule": [group_schedules],
        "scheduler:DeleteSchedule": [group_schedules],
        "iam:PassRole": [getatt("ReminderSchedulerRole", "Arn")],
        "lambda:InvokeFunction": [{"Ref": "TaskRemindersFunctionAliaslive"}],
    }
    granted = {(a, json.dumps(r)) for st in statements(role) for a in st["Action"] for r in st["Resource"]}
    expected = {(a, json.dumps(r)) for a, rs in allowed.items() for r in rs}
    check(granted == expected, f"task-events may do exactly what it needs: extra {sorted(granted - expected)}, missing {sorted(expected - granted)}")
    passes = [st for st in statements(role) if "iam:PassRole" in st["Action"]]
    check(
        bool(passes)
        and all(
            st["Action"] == ["iam:PassRole"]
            and st.get("Condition") == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
            for st in passes
        ),
        "task-events passes the scheduler role to EventBridge Scheduler only (iam:PassedToService)",
    )
    for name in api_binaries:
        role = resources[resources[name]["Properties"]["Role"]["Fn::GetAtt"][0]]
        actions = {a for st in statements(role) for a in st["Action"]}
        check(
            not any(a.startswith(("events:", "dynamodb:GetRecords", "dynamodb:GetShardIterator")) for a in actions),
            f"{name}: publishes no events and reads no stream",
        )

    # Completions to the SNS topic, which only that rule may publish to.
    rules = {n: r for n, r in resources.items() if r["Type"] == "AWS::Events::Rule"}
    check(all(r["Properties"].get("EventBusName") == {"Ref": bus} for r in rules.values()), "every rule is on the task bus")
    completed = [
        (name, rule)
        for name, rule in rules.items()
        for target in rule["Properties"].get("Targets", [])
        if resources.get(target["Arn"].get("Ref", ""), {}).get("Type") == "AWS::SNS::Topic"
    ]
    check(len(completed) == 1, "one rule sends completions to an SNS topic")
    if len(completed) != 1:
        return
    rule_name, rule = completed[0]
    pattern = EventPattern.load(json.dumps(rule["Properties"]["EventPattern"]))
    event = lambda detail_type, status, previous=None, source="task-api": {  # noqa: E731
        "source": source,
        "detail-type": detail_type,
        "detail": {"status": status, "previousStatus": previous, "taskId": "t", "ownerId": "o"},
    }
    for detail_type, status, previous, matched in [
        ("TaskCompleted", "completed", "pending", True),
        ("TaskCreated", "completed", None, True),
        ("TaskCreated", "pending", None, False),
        ("TaskUpdated", "completed", "completed", False),
        ("TaskReopened", "in_progress", "completed", False),
        ("TaskDeleted", "completed", "completed", False),
        # Completed in the same write as a change of assignee.
        ("TaskAssigned", "completed", "pending", True),
        ("TaskUnassigned", "completed", "in_progress", True),
        ("TaskAssigned", "completed", "completed", False),
        ("TaskUnassigned", "pending", "pending", False),
        ("TaskAssigned", "in_progress", "completed", False),
    ]:
        check(
            pattern.matches_event(event(detail_type, status, previous)) == matched,
            f"{rule_name} {'matches' if matched else 'ignores'} {detail_type} ({previous} -> {status})",
        )
    check(not pattern.matches_event({**event("TaskCompleted", "completed"), "source": "other"}), f"{rule_name}: source task-api only")
    (target,) = rule["Properties"]["Targets"]
    topic = target["Arn"]["Ref"]
    check("DeadLetterConfig" in target and "RetryPolicy" in target, f"{rule_name}: bounded retries, then a dead-letter queue")
    policies = [
        statement
        for r in resources.values()
        if r["Type"] == "AWS::SNS::TopicPolicy" and {"Ref": topic} in r["Properties"]["Topics"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    check(
        len(policies) == 1
        and policies[0]["Principal"] == {"Service": "events.amazonaws.com"}
        and policies[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": getatt(rule_name, "Arn")}},
        f"only {rule_name} may publish to {topic}",
    )
    subscriptions = [
        r for r in output["Resources"].values() if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["TopicArn"] == {"Ref": topic}
    ]
    check(
        len(subscriptions) == 1
        and subscriptions[0]["Properties"]["Endpoint"] == {"Ref": "NotificationEmail"}
        and not evaluate({"Condition": subscriptions[0]["Condition"]}, {**parameters, "NotificationEmail": ""}, conditions)
        and evaluate({"Condition": subscriptions[0]["Condition"]}, {**parameters, "NotificationEmail": "ops@example.com"}, conditions),
        "NotificationEmail, when set, is subscribed to the completion topic",
    )


def check_reminders(source, declared) -> None:
    """Reminders as deployed (docs/events.md), with and without ReminderSenderEmail: the
    schedule group and the role Scheduler acts as, task-reminders' variables, permissions and
    asynchronous invocation, and where what cannot be delivered ends up."""
    import re

    print("check_template: reminders")
    pattern = declared["ReminderSenderEmail"]["AllowedPattern"]
    check(
        all(re.fullmatch(pattern, v) for v in ("", "no-reply@mail.example.com"))
        and not any(re.fullmatch(pattern, v) for v in ("no-reply", "a@b@example.com", "a b@example.com")),
        "ReminderSenderEmail takes one address, or nothing",
    )
    site = "https://tasks.example.com"
    for sender, site_url in itertools.product(("", "no-reply@mail.example.com"), ("", site)):
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(
            CorsAllowOrigin="https://app.example.com", StageName="Prod", ReminderSenderEmail=sender,
            SiteUrl=site_url, AlarmTopicArn="arn:aws:sns:us-east-1:123456789012:alarms",
        )
        print(f"check_template: reminders, ReminderSenderEmail={sender!r} SiteUrl={site_url!r}")
        output, conditions, resources = deployed(source, parameters)
        check_references(output, resources, parameters, conditions)

        def resolved(name):
            return resolve(resources[name].get("Properties", {}), parameters, conditions)

        # The group, named after the stack: the pipeline's roles reach its schedules by name.
        groups = [n for n, r in resources.items() if r["Type"] == "AWS::Scheduler::ScheduleGroup"]
        check(
            groups == ["ReminderScheduleGroup"]
            and resolved("ReminderScheduleGroup").get("Name") == {"Fn::Sub": "${AWS::StackName}-reminders"},
            "one schedule group, named <stack>-reminders",
        )

        # The role Scheduler acts as: assumed by Scheduler for this account's reminder group
        # only; it may invoke the reminder function's live alias and send to the failure queue.
        function = function_of(resources, "task-reminders")
        if function is None:
            continue
        alias = f"{function}Aliaslive"
        trusting = {
            n for n, r in resources.items()
            if r["Type"] == "AWS::IAM::Role" and "scheduler.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
        }
        check(trusting == {"ReminderSchedulerRole"}, f"one role trusts EventBridge Scheduler: {sorted(trusting)}")
        role = resolved("ReminderSchedulerRole")
        as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
        trust = [
            {**st, "Action": as_list(st["Action"]), "Principal": {"Service": as_list(st["Principal"].get("Service"))}}
            for st in role["AssumeRolePolicyDocument"]["Statement"]
        ]
        check(
            trust == [{
                "Effect": "Allow",
                "Principal": {"Service": ["scheduler.amazonaws.com"]},
                "Action": ["sts:AssumeRole"],
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                    "ArnEquals": {"aws:SourceArn": getatt("ReminderScheduleGroup", "Arn")},
                },
            }],
            f"ReminderSchedulerRole: only Scheduler may assume it, for this account's reminder group (aws:SourceAccount, aws:SourceArn): {trust}",
        )
        granted = sorted(
            (a, json.dumps(r), json.dumps(st.get("Condition")))
            for st in statements({"Properties": role}) for a in st["Action"] for r in st["Resource"]
        )
        check(
            granted == sorted([
                ("lambda:InvokeFunction", json.dumps({"Ref": alias}), "null"),
                ("sqs:SendMessage", json.dumps(getatt("ReminderFailures", "Arn")), "null"),
            ])
            and all(st["Effect"] == "Allow" for st in statements({"Properties": role}))
            and not role.get("ManagedPolicyArns"),
            f"ReminderSchedulerRole may only invoke task-reminders' live alias and send to ReminderFailures: {granted}",
        )

        # task-reminders' variables: its own, none of the API's; the email ones only with a sender.
        variables = resolved(function).get("Environment", {}).get("Variables", {})
        expected = {
            "TABLE_NAME": {"Ref": "TasksTable"},
            "AWS_ENDPOINT_URL_DYNAMODB": regional_endpoint("dynamodb"),
            "EVENT_BUS_NAME": {"Ref": "TaskEventBus"},
            "AWS_ENDPOINT_URL_EVENTBRIDGE": regional_endpoint("events"),
        }
        if sender:
            expected.update(
                REMINDER_SENDER=sender,
                USER_POOL_ID={"Ref": "UserPool"},
                AWS_ENDPOINT_URL_SES=regional_endpoint("email"),
                AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=regional_endpoint("cognito-idp"),
                WEB_APP_URL=site_url or {"Fn::Sub": "https://${SiteDistribution.DomainName}"},
            )
        check(
            variables == expected,
            f"task-reminders: exactly its variables {'with' if sender else 'without'} a sender: extra or different "
            f"{sorted(k for k in variables if variables[k] != expected.get(k))}, missing {sorted(set(expected) - set(variables))}",
        )

        # Its permissions: the table as TABLE_ACCESS says, the bus, the failure queue (the
        # destination's), and with a sender the pool's users and mail from its identity only.
        role_name = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        role = resolved(role_name)
        check_table_access({**resources, role_name: {"Properties": role}}, {function: "task-reminders"})
        granted = sorted(
            (a, json.dumps(r))
            for st in statements({"Properties": role}) for a in st["Action"] for r in st["Resource"]
            if not a.startswith("dynamodb:")
        )
        expected = [
            ("events:PutEvents", json.dumps(getatt("TaskEventBus", "Arn"))),
            ("sqs:SendMessage", json.dumps(getatt("ReminderFailures", "Arn"))),
        ]
        if sender:
            identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"
            expected += [
                ("cognito-idp:ListUsers", json.dumps(getatt("UserPool", "Arn"))),
                ("ses:SendEmail", json.dumps({"Fn::Sub": identity + sender})),
                ("ses:SendEmail", json.dumps({"Fn::Sub": identity + sender.split("@")[1]})),
            ]
        check(
            granted == sorted(expected),
            f"task-reminders may do exactly what it needs {'with' if sender else 'without'} a sender: "
            f"extra {sorted(set(granted) - set(expected))}, missing {sorted(set(expected) - set(granted))}",
        )

        # Invoked asynchronously on its live alias (where Scheduler's target and task-events'
        # late invocations point): two retries, then the record goes to ReminderFailures, the
        # schedules' dead-letter queue too.
        configs = [
            resolved(n) for n, r in resources.items()
            if r["Type"] == "AWS::Lambda::EventInvokeConfig" and r["Properties"].get("FunctionName") == {"Ref": function}
        ]
        check(
            len(configs) == 1
            and configs[0].get("Qualifier") == resolved(alias).get("Name") == "live"
            and configs[0].get("MaximumRetryAttempts") == 2
            and configs[0].get("DestinationConfig") == {"OnFailure": {"Destination": getatt("ReminderFailures", "Arn")}},
            f"task-reminders' live alias: two retries, then ReminderFailures: {configs}",
        )
        check_failure_queue(output, resources, "ReminderFailures")


def check_live(source, declared) -> None:
    """Live updates as deployed (docs/live-updates.md): the WebSocket API with its authorizer
    on $connect only, a stage that throttles and logs without the token, the three functions
    with their own variables and no more permission than they use (the management API of
    this API's stage only), and the rule that feeds live-fanout every task event."""
    import re

    print("check_template: live updates")
    parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
    parameters.update(CorsAllowOrigin="https://app.example.com", StageName="Prod",
                      AlarmTopicArn="arn:aws:sns:us-east-1:123456789012:alarms", MaxLiveConnectionsPerUser="7")
    output, conditions, resources = deployed(source, parameters)

    def of_type(kind: str) -> dict:
        return {n: r["Properties"] for n, r in resources.items() if r["Type"] == kind}

    apis = of_type("AWS::ApiGatewayV2::Api")
    check(
        list(apis) == ["LiveApi"]
        and apis["LiveApi"].get("ProtocolType") == "WEBSOCKET"
        and apis["LiveApi"].get("RouteSelectionExpression") == "$request.body.type"
        and apis["LiveApi"].get("Tags") == {"task-api-stack": {"Ref": "AWS::StackName"}},
        "one WebSocket API, frames routed by their type, tagged with its stack",
    )
    functions = {
        binary: function_of(resources, binary) for binary in ("live-authorizer", "live-socket", "live-fanout")
    }
    if None in functions.values():
        return
    lambda_uri = lambda binary: {  # noqa: E731
        "Fn::Sub": [
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function}/invocations",
            {"Function": {"Ref": f"{functions[binary]}Aliaslive"}},
        ]
    }

    # The authorizer: a REQUEST authorizer on live-authorizer's live alias, whose identity
    # source is the token's query string parameter (a handshake without it never runs it).
    authorizers = of_type("AWS::ApiGatewayV2::Authorizer")
    check(
        list(authorizers) == ["LiveAuthorizer"]
        and authorizers["LiveAuthorizer"].get("AuthorizerType") == "REQUEST"
        and authorizers["LiveAuthorizer"].get("AuthorizerUri") == lambda_uri("live-authorizer")
        and authorizers["LiveAuthorizer"].get("IdentitySource") == ["route.request.querystring.token"],
        "LiveAuthorizer: REQUEST, live-authorizer's alias, the token query string parameter",
    )
    token_parameter = re.search(r'TOKEN_QUERY_PARAMETER: &str = "([^"]+)"',
                                pathlib.Path("crates/tasks/src/live/auth.rs").read_text())
    check(
        token_parameter is not None
        and authorizers["LiveAuthorizer"].get("IdentitySource") == [f"route.request.querystring.{token_parameter[1]}"],
        "the authorizer's identity source is the parameter live-authorizer reads (TOKEN_QUERY_PARAMETER)",
    )

    # The routes: exactly the three, all to live-socket; the authorizer on $connect only.
    routes = {r.get("RouteKey"): r for r in of_type("AWS::ApiGatewayV2::Route").values()}
    check(sorted(routes) == ["$connect", "$default", "$disconnect"], f"the three routes: {sorted(routes)}")
    integrations = of_type("AWS::ApiGatewayV2::Integration")
    check(
        list(integrations) == ["LiveSocketIntegration"]
        and integrations["LiveSocketIntegration"].get("IntegrationType") == "AWS_PROXY"
        and integrations["LiveSocketIntegration"].get("IntegrationUri") == lambda_uri("live-socket"),
        "one integration: live-socket's alias, as a proxy",
    )
    for key, route in routes.items():
        check(route.get("Target") == {"Fn::Sub": "integrations/${LiveSocketIntegration}"}, f"{key} reaches live-socket")
        authorized = route.get("AuthorizationType") == "CUSTOM" and route.get("AuthorizerId") == {"Ref": "LiveAuthorizer"}
        check(
            authorized if key == "$connect" else route.get("AuthorizationType") == "NONE" and "AuthorizerId" not in route,
            f"{key}: {'the authorizer' if key == '$connect' else 'no authorizer (only the handshake is authorized)'}",
        )

    # The stage: throttled by the parameters, no execution logs, an access log without the
    # query string, the token, a header or a body.
    stages = of_type("AWS::ApiGatewayV2::Stage")
    check(list(stages) == ["LiveStage"], "one WebSocket stage")
    stage = stages.get("LiveStage", {})
    settings = stage.get("DefaultRouteSettings", {})
    check(
        stage.get("StageName") == {"Ref": "StageName"} and stage.get("AutoDeploy") is True
        and settings.get("ThrottlingRateLimit") == {"Ref": "LiveRateLimit"}
        and settings.get("ThrottlingBurstLimit") == {"Ref": "LiveBurstLimit"},
        "the WebSocket stage is the API's stage name, deployed on change, throttled by LiveRateLimit and LiveBurstLimit",
    )
    check(
        settings.get("LoggingLevel") == "OFF" and settings.get("DataTraceEnabled") is False,
        "the WebSocket stage writes no execution logs (they could hold the handshake's request)",
    )
    access = stage.get("AccessLogSettings", {})
    log_format = access.get("Format", "")
    variables = set(re.findall(r"\$context\.[A-Za-z.]+", log_format))
    allowed = {
        "$context.requestId", "$context.requestTime", "$context.eventType", "$context.routeKey",
        "$context.connectionId", "$context.status", "$context.error.message", "$context.authorizer.error",
        "$context.integration.error", "$context.integrationLatency", "$context.identity.sourceIp",
        "$context.authorizer.principalId",
    }
    check(
        access.get("DestinationArn") == getatt("LiveAccessLogs", "Arn")
        and "$context.requestId" in variables and variables <= allowed
        and not re.search(r"querystring|token|header|body|\$input|\$request|\$method", log_format, re.IGNORECASE),
        f"the WebSocket access log holds no token, query string, header or body: {sorted(variables - allowed)}",
    )
    check(
        str(resources["LiveAccessLogs"]["Properties"].get("RetentionInDays")) == str({"Ref": "LogRetentionDays"})
        or resources["LiveAccessLogs"]["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"},
        "the WebSocket access log is kept LogRetentionDays",
    )

    # API Gateway may invoke the authorizer for this authorizer, and the socket for this
    # API's stage; EventBridge may invoke live-fanout for its rule. Nothing else may.
    permissions = {
        (json.dumps(p.get("FunctionName")), p.get("Principal"), json.dumps(p.get("SourceArn")))
        for p in of_type("AWS::Lambda::Permission").values()
        if any(f"{f}Aliaslive" in json.dumps(p.get("FunctionName")) or json.dumps(p.get("FunctionName")) == json.dumps({"Ref": f}) for f in functions.values())
    }
    arn = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LiveApi}"
    check(
        permissions == {
            (json.dumps({"Ref": f"{functions['live-authorizer']}Aliaslive"}), "apigateway.amazonaws.com",
             json.dumps({"Fn::Sub": arn + "/authorizers/${LiveAuthorizer}"})),
            (json.dumps({"Ref": f"{functions['live-socket']}Aliaslive"}), "apigateway.amazonaws.com",
             json.dumps({"Fn::Sub": arn + "/${StageName}/*"})),
            (json.dumps({"Ref": f"{functions['live-fanout']}Aliaslive"}), "events.amazonaws.com",
             json.dumps(getatt("LiveFanoutRule", "Arn"))),
        },
        f"the live functions may be invoked by their own API, authorizer and rule only: {sorted(permissions)}",
    )

    # Their variables: their own, none of the API's; the management endpoint is this API's
    # stage's (parameters resolved: StageName=Prod, MaxLiveConnectionsPerUser=7).
    management = {"Fn::Sub": "https://${LiveApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/Prod"}
    socket_variables = {
        "TABLE_NAME": {"Ref": "TasksTable"},
        "AWS_ENDPOINT_URL_DYNAMODB": regional_endpoint("dynamodb"),
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": management,
        "MAX_CONNECTIONS_PER_USER": "7",
    }
    expected_variables = {
        "live-authorizer": {"ALLOWED_CLIENT_IDS": {"Ref": "UserPoolClient"}, "USER_POOL_ID": {"Ref": "UserPool"}},
        "live-socket": socket_variables,
        "live-fanout": socket_variables,
    }
    for binary, function in functions.items():
        found = resolve(resources[function]["Properties"], parameters, conditions).get("Environment", {}).get("Variables", {})
        expected = expected_variables[binary]
        check(
            found == expected,
            f"{binary}: exactly its variables: extra or different {sorted(k for k in found if found[k] != expected.get(k))}, "
            f"missing {sorted(set(expected) - set(found))}",
        )

    # Their permissions: connection items only (never a task), and posting to this API's
    # stage's connections only; the authorizer calls no AWS service.
    manage = ("execute-api:ManageConnections",
              json.dumps({"Fn::Sub": arn + "/${StageName}/POST/@connections/*"}), "null")
    connections_only = json.dumps(LEADING_KEYS("connections#*"), sort_keys=True)
    table = json.dumps(getatt("TasksTable", "Arn"))
    expected_grants = {
        "live-authorizer": [],
        "live-socket": [(a, table, connections_only) for a in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")] + [manage],
        "live-fanout": [(a, table, connections_only) for a in ("dynamodb:GetItem", "dynamodb:UpdateItem")] + [manage],
    }
    for binary, function in functions.items():
        role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
        granted = sorted(
            (a, json.dumps(r), json.dumps(st.get("Condition"), sort_keys=True) if st.get("Condition") else "null")
            for st in statements(role) for a in st["Action"] for r in st["Resource"]
        )
        check(
            granted == sorted(expected_grants[binary]) and all(st["Effect"] == "Allow" for st in statements(role)),
            f"{binary} may do exactly what it needs: extra {sorted(set(granted) - set(expected_grants[binary]))}, "
            f"missing {sorted(set(expected_grants[binary]) - set(granted))}",
        )
        check(
            role["Properties"].get("ManagedPolicyArns") == [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
            ],
            f"{binary}: only the logging and tracing managed policies",
        )

    # Every task event reaches live-fanout, from the task bus, through one rule with a
    # dead-letter queue that only that rule may send to; the function itself does not retry.
    kinds = re.search(r'TaskEventKind, "is not a task event", \{(.*?)\n    \}',
                      pathlib.Path("crates/tasks/src/events/mod.rs").read_text(), re.DOTALL)
    kinds = sorted(re.findall(r'=> "(\w+)"', kinds[1])) if kinds else []
    rules = {n: r for n, r in of_type("AWS::Events::Rule").items() if "live-fanout" in json.dumps(r) or
             f"{functions['live-fanout']}Aliaslive" in json.dumps(r)}
    rule = rules.get("LiveFanoutRule", {})
    targets = rule.get("Targets", [])
    check(
        list(rules) == ["LiveFanoutRule"] and len(kinds) == 7
        and rule.get("EventBusName") == {"Ref": "TaskEventBus"}
        and rule.get("EventPattern", {}).get("source") == ["task-api"]
        and sorted(rule.get("EventPattern", {}).get("detail-type", [])) == kinds,
        f"one rule on the task bus takes every task event ({kinds}) to live-fanout",
    )
    check(
        len(targets) == 1 and targets[0].get("Arn") == {"Ref": f"{functions['live-fanout']}Aliaslive"}
        and targets[0].get("DeadLetterConfig") == {"Arn": getatt("LiveFanoutFailures", "Arn")}
        and "InputTransformer" not in targets[0] and "Input" not in targets[0],
        "the rule's one target is live-fanout's alias, with the whole event, and LiveFanoutFailures as its DLQ",
    )
    policies = [p for p in of_type("AWS::SQS::QueuePolicy").values() if p.get("Queues") == [{"Ref": "LiveFanoutFailures"}]]
    check(
        len(policies) == 1 and json.dumps(policies[0]["PolicyDocument"]["Statement"]) == json.dumps([{
            "Sid": "OnlyTheLiveRuleSends", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": getatt("LiveFanoutFailures", "Arn"),
            "Condition": {"ArnEquals": {"aws:SourceArn": getatt("LiveFanoutRule", "Arn")}},
        }]),
        "only the live rule may send to LiveFanoutFailures",
    )
    check_failure_queue(output, resources, "LiveFanoutFailures")
    configs = [
        p for p in of_type("AWS::Lambda::EventInvokeConfig").values()
        if p.get("FunctionName") == {"Ref": functions["live-fanout"]}
    ]
    check(
        len(configs) == 1 and configs[0].get("Qualifier") == "live" and configs[0].get("MaximumRetryAttempts") == 0,
        "live-fanout's alias is not retried by Lambda (a late hint is worth nothing)",
    )

    # Connection items never reach task-events: they carry no ownerId, which the stream's
    # filter requires (check_task_events runs the filter over the stream samples).
    item = pathlib.Path("crates/tasks/src/store/items.rs").read_text()
    layout = re.search(r"pub struct ConnectionsItem \{(.*?)\n\}", item, re.DOTALL)
    check(
        layout is not None and "owner_id" not in layout[1] and "assignee" not in layout[1]
        and "sort_key" not in layout[1],
        "a connections item has no ownerId, assignee or sortKey: no index and no stream record of task-events",
    )

    # The alarms on errors and throttles: check_function_alarms (the live-update functions
    # have alarms of their own, LiveFunction*Alarm).

    outputs = output.get("Outputs", {})
    check(
        outputs.get("LiveUrl", {}).get("Value")
        == {"Fn::Sub": "wss://${LiveApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}"},
        "the WebSocket URL is a stack output (LiveUrl)",
    )


def check_web_app(source, declared) -> None:
    """The web app as deployed: a private bucket behind CloudFront, the API on the same origin,
    security headers, and managed login for exactly the app's URL (docs/web.md)."""
    import re

    CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    site = "https://d111111abcdef8.cloudfront.net"
    pattern = declared["SiteUrl"]["AllowedPattern"]
    print("check_template: web app")
    check(
        all(re.fullmatch(pattern, url) for url in ("", site))
        and not any(re.fullmatch(pattern, url) for url in ("http://localhost:5173", f"{site}/", "http://d1.cloudfront.net")),
        "SiteUrl takes an https origin (or nothing), never http or localhost",
    )

    for site_url in ("", site):
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(CorsAllowOrigin="https://app.example.com", StageName="Prod", SiteUrl=site_url)
        output, conditions, resources = deployed(source, parameters)

        def resolved(node):
            return resolve(node, parameters, conditions)

        print(f"check_template: web app, SiteUrl={site_url!r}")
        check_no_cycle(resources)

        def of_type(kind):
            return {n: resolved(r.get("Properties", {})) for n, r in resources.items() if r["Type"] == kind}

        buckets, policies = of_type("AWS::S3::Bucket"), of_type("AWS::S3::BucketPolicy")
        distributions = of_type("AWS::CloudFront::Distribution")
        check(len(distributions) == 1 and "SiteBucket" in buckets, "one distribution and the site bucket")
        if len(distributions) != 1 or "SiteBucket" not in buckets:
            continue
        (distribution_name, distribution), = distributions.items()
        config = distribution["DistributionConfig"]
        bucket = buckets["SiteBucket"]
        block = bucket.get("PublicAccessBlockConfiguration", {})
        check(
            all(block.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
            and "WebsiteConfiguration" not in bucket and "AccessControl" not in bucket,
            "the site bucket blocks all public access and is no website",
        )
        statements = [
            st
            for policy in policies.values()
            if policy["Bucket"] == {"Ref": "SiteBucket"}
            for st in policy["PolicyDocument"]["Statement"]
        ]
        allows = [st for st in statements if st["Effect"] == "Allow"]
        source_arn = json.dumps([st.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn") for st in allows])
        check(
            bool(allows)
            and all(st["Principal"] == {"Service": "cloudfront.amazonaws.com"} and st["Action"] == "s3:GetObject" for st in allows)
            and source_arn.count(f"distribution/${{{distribution_name}}}") == len(allows),
            "only this distribution may read the bucket (s3:GetObject, AWS:SourceArn)",
        )
        check(
            any(
                st["Effect"] == "Deny" and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                for st in statements
            ),
            "the bucket refuses requests without TLS",
        )

        origins = {o["Id"]: o for o in config["Origins"]}
        oacs = of_type("AWS::CloudFront::OriginAccessControl")
        s3_origins = [o for o in origins.values() if "S3OriginConfig" in o]
        check(
            len(s3_origins) == 1
            and s3_origins[0]["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
            and s3_origins[0]["S3OriginConfig"].get("OriginAccessIdentity") == ""
            and (s3_origins[0].get("OriginAccessControlId") or {}).get("Fn::GetAtt", [None])[0] in oacs
            and all(
                o["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
                and o["OriginAccessControlConfig"]["SigningBehavior"] == "always"
                for o in oacs.values()
            ),
            "the bucket is reached through Origin Access Control (signed always), no legacy identity",
        )

        behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
        headers = of_type("AWS::CloudFront::ResponseHeadersPolicy")
        check(
            all(b["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https") for b in behaviours),
            "viewers get HTTPS only (http is redirected for pages, refused for the API)",
        )
        check(
            all((b.get("ResponseHeadersPolicyId") or {}).get("Ref") in headers for b in behaviours),
            "every behaviour sends the security headers policy",
        )
        for name, policy in headers.items():
            security = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
            csp = json.dumps(security.get("ContentSecurityPolicy", {}).get("ContentSecurityPolicy"))
            check(
                all(d in csp for d in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"))
                and re.search(r"connect-src 'self' https://\$\{AuthDomain\}\.auth\.\$\{AWS::Region\}\.amazoncognito\.com "
                              r"wss://\$\{LiveApi\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\};", csp)
                and "unsafe-inline" not in csp and "unsafe-eval" not in csp,
                f"{name}: CSP allows only the page's origin, managed login's and the live-update WebSocket's, no framing, no inline code",
            )
            check(
                int(security.get("StrictTransportSecurity", {}).get("AccessControlMaxAgeSec", 0)) >= 31536000
                and "ContentTypeOptions" in security
                and security.get("FrameOptions", {}).get("FrameOption") == "DENY",
                f"{name}: HSTS for a year or more, nosniff, frames denied",
            )

        default = config["DefaultCacheBehavior"]
        check(default["TargetOriginId"] in {o["Id"] for o in s3_origins}, "pages come from the bucket")
        # The API's behaviours: /tasks* and /account, each the same.
        behaviours = {b["PathPattern"]: b for b in config.get("CacheBehaviors", []) if b["TargetOriginId"] == "api"}
        check(set(behaviours) == {"/tasks*", "/account"}, f"the API's behaviours are /tasks* and /account: {sorted(behaviours)}")
        for pattern, api in behaviours.items():
            origin = origins.get(api["TargetOriginId"], {})
            check(
                origin.get("DomainName") == {"Fn::Sub": "${TasksApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
                and origin.get("OriginPath") == "/Prod"
                and origin.get("CustomOriginConfig", {}).get("OriginProtocolPolicy") == "https-only",
                f"{pattern} goes to this stack's API stage over HTTPS",
            )
            check(
                api["ViewerProtocolPolicy"] == "https-only"
                and api.get("CachePolicyId") == CACHING_DISABLED
                and api.get("OriginRequestPolicyId") == ALL_VIEWER_EXCEPT_HOST
                and set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
                f"{pattern}: never cached, every method, viewer headers (Authorization) but Host",
            )
            check(
                json.dumps(api.get("FunctionAssociations"), sort_keys=True)
                == json.dumps(behaviours.get("/tasks*", {}).get("FunctionAssociations"), sort_keys=True),
                f"{pattern}: the same viewer-request function as /tasks*",
            )
        rest_api = next(r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi")
        paths = list(rest_api["Properties"]["Body"]["paths"])
        check(
            all(p.startswith("/tasks") or p == "/account" for p in paths),
            f"every API path is under /tasks* or is /account: {paths}",
        )

        client = resolved(resources["UserPoolClient"]["Properties"])
        oauth = site_url != ""
        check(client.get("GenerateSecret") is False, "the app client has no secret (a public client, PKCE)")
        if oauth:
            check(
                client.get("AllowedOAuthFlowsUserPoolClient") is True
                and client.get("AllowedOAuthFlows") == ["code"]
                and "openid" in client.get("AllowedOAuthScopes", [])
                and client.get("SupportedIdentityProviders") == ["COGNITO"],
                "managed login: the authorization code flow only (no implicit), openid scope",
            )
            check(
                client.get("CallbackURLs") == [f"{site_url}/"] and client.get("LogoutURLs") == [f"{site_url}/"],
                "sign-in and sign-out return to SiteUrl only (no localhost)",
            )
        else:
            check(
                client.get("AllowedOAuthFlowsUserPoolClient") is False and "CallbackURLs" not in client,
                "without SiteUrl, no managed-login flow and no callback URL",
            )
        domains = of_type("AWS::Cognito::UserPoolDomain")
        check(
            any(d["UserPoolId"] == {"Ref": "UserPool"} and d.get("ManagedLoginVersion") == 2 for d in domains.values()),
            "the user pool has a managed-login domain",
        )
        check(
            any(
                b.get("ClientId") == {"Ref": "UserPoolClient"} and b.get("UseCognitoProvidedValues") is True
                for b in of_type("AWS::Cognito::ManagedLoginBranding").values()
            ),
            "the app client has a managed-login style",
        )
        site_output = output.get("Outputs", {}).get("SiteUrl", {}).get("Value")
        check(site_output == {"Fn::Sub": f"https://${{{distribution_name}.DomainName}}"}, "the SiteUrl output")


def check_function_alarms(source) -> None:
    """The alarms on errors and throttles (`*Function{Errors,Throttles}Alarm`) sum every
    function of the stack once between them, and none sums more than the 10 metrics
    CloudWatch lets an alarm on metric math take (a hard limit: past it, the template reads
    right and fails to deploy)."""
    resources = source["Resources"]
    every_function = sorted(n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function")
    for kind in ("Errors", "Throttles"):
        summed = []
        alarms = sorted(n for n in resources if n.endswith(f"Function{kind}Alarm"))
        for alarm in alarms:
            metrics = resources[alarm]["Properties"]["Metrics"]
            ids = sorted((m["Id"] for m in metrics if "MetricStat" in m), key=lambda i: int(i[1:]))
            total = next((m["Expression"] for m in metrics if "Expression" in m), "")
            check(
                len(ids) <= 10 and total == f"SUM([{', '.join(ids)}])",
                f"{alarm} sums its {len(ids)} metrics, at most the 10 an alarm on metric math may take",
            )
            summed += [
                d["Value"]["Ref"] for m in metrics if "MetricStat" in m
                for d in m["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "FunctionName"
            ]
        check(
            bool(alarms) and sorted(summed) == every_function,
            f"the {kind.lower()} alarms {alarms} sum every function once: "
            f"missing {sorted(set(every_function) - set(summed))}",
        )


def check_readme_functions(source) -> None:
    """The README's table of functions names every function of the template, once, and each
    route it gives a function is one the template routes to it (a README that kept the
    first four functions after seven more were added is what this catches)."""
    functions = {
        r["Metadata"]["BuildProperties"]["Binary"]: {
            (e["Properties"]["Method"].upper(), e["Properties"]["Path"])
            for e in r["Properties"].get("Events", {}).values() if e.get("Type") == "Api"
        }
        for r in source["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    }
    lines = pathlib.Path("README.md").read_text().splitlines()
    start = lines.index("| function | serves |") + 2
    listed: list[str] = []
    for row in itertools.takewhile(lambda line: line.startswith("|"), lines[start:]):
        names_cell, serves = row.strip("|").split("|", 1)
        names = [n for n in names_cell.split("`") if n.strip(" ,")]
        listed += names
        routes = set(re.findall(r"`([A-Z]+) (/[^`]*)`", serves))
        for name in names:
            check(
                routes <= functions.get(name, set()),
                f"README: {name} serves {sorted(routes)}, routes the template gives it",
            )
    check(
        sorted(listed) == sorted(functions),
        f"README's table of functions lists each function of the template once: "
        f"missing {sorted(set(functions) - set(listed))}, unknown {sorted(set(listed) - set(functions))}",
    )


def check_no_cycle(resources) -> None:
    """No resource depends on itself through others: CloudFormation refuses such a stack, and
    cfn-lint does not see it through SAM's transform (the API's body names the functions)."""
    import re

    graph: dict[str, set[str]] = {}

    def names(node, found: set[str]) -> set[str]:
        if isinstance(node, list):
            for n in node:
                names(n, found)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.add(value)
                elif key == "Fn::GetAtt":
                    found.add(value[0] if isinstance(value, list) else value.split(".")[0])
                elif key == "Fn::Sub":
                    text, local = (value, {}) if isinstance(value, str) else value
                    found.update(n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", text) if n not in local)
                    names(local, found)
                else:
                    names(value, found)
        return found

    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        found = names(resource.get("Properties", {}), set(depends if isinstance(depends, list) else [depends]))
        graph[name] = {n for n in found if n in resources and n != name}
    cycle: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> bool:
        state[name] = 1
        for dependency in sorted(graph[name]):
            if state.get(dependency) == 1:
                cycle.extend(path[path.index(dependency):] + [name, dependency] if dependency in path else [name, dependency])
                return True
            if state.get(dependency) is None and visit(dependency, path + [name]):
                return True
        state[name] = 2
        return False

    any(state.get(n) is None and visit(n, []) for n in sorted(graph))
    check(not cycle, f"no circular dependency between resources: {' -> '.join(cycle)}")


def rules_allow(source, parameters) -> bool:
    """Whether the template's rules let CloudFormation go on with these parameters."""
    for rule in source.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters, {}):
            continue
        if not all(evaluate(a["Assert"], parameters, {}) for a in rule["Assertions"]):
            return False
    return True


EXPOSE_HEADERS_IN_TEMPLATE = {"Fn::FindInMap": ["Cors", "ExposeHeaders", "Value"]}


def check_exposed_headers(source) -> None:
    """Access-Control-Expose-Headers: the functions send EXPOSED_HEADERS (one constant in the
    Rust code); every answer API Gateway makes itself must expose the same headers. (Gateway
    responses are plain CloudFormation: the template as written is what deploys.)"""
    import re

    print("check_template: Access-Control-Expose-Headers")
    resources = source["Resources"]
    rust = pathlib.Path("crates/tasks/src/api/mod.rs").read_text()
    constant = re.search(r'const\s+EXPOSED_HEADERS\s*:\s*&(?:\'static\s+)?str\s*=\s*"([^"]*)"', rust)
    check(constant is not None, "crates/tasks/src/api/mod.rs defines EXPOSED_HEADERS")
    mapped = source["Mappings"]["Cors"]["ExposeHeaders"]["Value"]
    check(constant is not None and mapped == constant[1], f"the template exposes EXPOSED_HEADERS: {mapped!r}")
    responses = {n: r for n, r in resources.items() if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    check(len(responses) >= 8, "the gateway responses are found")
    quoted = {"Fn::Sub": ["'${Headers}'", {"Headers": EXPOSE_HEADERS_IN_TEMPLATE}]}
    for name, response in responses.items():
        value = response["Properties"]["ResponseParameters"].get("gatewayresponse.header.Access-Control-Expose-Headers")
        check(value == quoted, f"{name}: Access-Control-Expose-Headers is the mapping's (got {value})")


def check_rules(source, declared) -> None:
    """Template rules, evaluated as CloudFormation would before creating anything."""

    def allowed(**overrides: str) -> bool:
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(overrides)
        return rules_allow(source, parameters)

    print("check_template: rules")
    check(not allowed(Environment="prod", CorsAllowOrigin="*"), "prod refuses CORS for any origin")
    canary = "Canary10Percent5Minutes"
    prod = dict(Environment="prod", CorsAllowOrigin="https://app.example.com", CallerRateLimit="600")
    check(allowed(**prod, DeploymentType=canary), "prod takes a named origin, a gradual deployment and a caller limit")
    check(not allowed(**prod, DeploymentType="AllAtOnce"), "prod refuses an all-at-once deployment")
    check(not allowed(**{**prod, "CallerRateLimit": "0"}, DeploymentType=canary), "prod refuses no per-caller limit")
    samconfig = tomllib.load(open("samconfig.toml", "rb"))["prod"]["deploy"]["parameters"]["parameter_overrides"]
    check(allowed(**dict(o.split("=", 1) for o in samconfig.split())), "samconfig.toml's prod parameters pass the rules")
    check(allowed(Environment="dev", DeploymentType="AllAtOnce"), "dev may deploy all at once")
    check(allowed(Environment="dev", CorsAllowOrigin="*"), "dev may allow any origin")


if __name__ == "__main__":
    sys.exit(main())
