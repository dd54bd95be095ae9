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

import copy
import itertools
import json
import logging
import os
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
    binaries = {
        name: resource["Metadata"]["BuildProperties"]["Binary"]
        for name, resource in source["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    router = cargo_router()

    # Each parameter that changes what is enforced, over every value it allows.
    api_key_values = declared["UseApiKeys"]["AllowedValues"]
    environments = declared["Environment"]["AllowedValues"]
    rate_limits = ["0", "1000"]  # off, on
    for use_api_keys, environment, rate_limit in itertools.product(
        api_key_values, environments, rate_limits
    ):
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(
            UseApiKeys=use_api_keys,
            Environment=environment,
            CorsAllowOrigin="https://app.example.com",
            StageName="Prod",
            CallerRateLimit=rate_limit,
        )
        print(
            f"check_template: UseApiKeys={use_api_keys!r} Environment={environment} "
            f"CallerRateLimit={rate_limit}"
        )
        check_parameter_set(source, parameters, binaries, router)

    check_rules(source, declared)
    print(f"template checks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def check_parameter_set(source, parameters, binaries, router) -> None:
    template = json.loads(json.dumps(source))
    # As after `sam build` and `sam package`: the code is an S3 object.
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"
    output = transform(copy.deepcopy(template), dict(parameters), NoManagedPolicies())
    conditions = output.get("Conditions", {})
    resources = {
        name: resource
        for name, resource in output["Resources"].items()
        if "Condition" not in resource
        or evaluate({"Condition": resource["Condition"]}, parameters, conditions)
    }
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
            function = next((f for f in binaries if f"${{{f}.Arn}}" in uri), None)
            check(function is not None, f"{where} is integrated with one of the functions")
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

    check_rate_limit(resources, parameters)

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
    for rule in rules:
        response = rule["Action"]["Block"]["CustomResponse"]
        headers = {h["Name"] for h in response.get("ResponseHeaders", [])}
        check(
            response["ResponseCode"] == 429 and "Retry-After" in headers,
            f"{rule['Name']}: a blocked request gets 429 with Retry-After",
        )
        body = acl["Properties"]["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        check('"status":429' in json.dumps(body["Content"]).replace("\\", ""), f"{rule['Name']}: problem body")


def check_rules(source, declared) -> None:
    """Template rules, evaluated as CloudFormation would before creating anything."""

    def allowed(**overrides: str) -> bool:
        parameters = {name: str(p.get("Default", "")) for name, p in declared.items()}
        parameters.update(overrides)
        for rule in source.get("Rules", {}).values():
            if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters, {}):
                continue
            if not all(evaluate(a["Assert"], parameters, {}) for a in rule["Assertions"]):
                return False
        return True

    print("check_template: rules")
    check(not allowed(Environment="prod", CorsAllowOrigin="*"), "prod refuses CORS for any origin")
    check(allowed(Environment="prod", CorsAllowOrigin="https://app.example.com"), "prod takes a named origin")
    check(allowed(Environment="dev", CorsAllowOrigin="*"), "dev may allow any origin")


if __name__ == "__main__":
    sys.exit(main())
