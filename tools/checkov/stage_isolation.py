"""checkov policies of this project for pipeline/github-deploy.yaml: what no stock check knows.

make test runs them with checkov's own (tools/test.sh, `--external-checks-dir tools/checkov`):

CKV_TASKAPI_1  a stage's deploy role, execution role and boundary name only that stage's
               stack: never the other stage's, and nothing unscoped but the statements listed
               in UNSCOPED (each says why it cannot be narrowed).
CKV_TASKAPI_3  only the deploy workflow as on main, run for main, may assume prod's deploy role
               (GitHub's `sub` for an environment job names the environment, not the branch).
CKV_TASKAPI_2  a role that a stage's stack creates cannot escape the stage's boundary: the
               execution role creates, fills and attaches roles only with that boundary,
               attaches only named managed policies, cannot remove a boundary or change a
               boundary's policy; the boundary itself grants nothing in IAM.

Logical ids say the stage: Dev... and Prod... (the template names them so).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.cloudformation.parser import parse
from checkov.common.models.enums import CheckCategories, CheckResult

STAGES = ("Dev", "Prod")

# Statements that may name no stack, by Sid, and why (the template repeats the reason):
UNSCOPED = {
    "ValidateTemplates": "cloudformation:ValidateTemplate acts on no resource",
    "ReadOnlyWithoutAName": "reads that IAM cannot scope by name (ids, account-wide lists); no data",
    "TracesAndAlarmStates": "X-Ray writes take no resource; alarm states are read-only",
    "CloudFrontPoliciesWithoutNameOrTag": "origin access controls and response headers policies have ids and no tags",
    "WebAclAssociations": "the associated stage or pool is narrowed by its own service's tag-scoped permission",
    "DeploymentConfigs": "CodeDeploy's deployment configurations are AWS's, shared by every stack",
}
# Resources that belong to AWS, not to a stack (SAM's transform).
AWS_OWNED = re.compile(r":aws:transform/")
# IAM actions that create or widen a role's permissions.
ROLE_GRANTS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary")
# IAM actions that would undo a boundary.
BOUNDARY_UNDO = (
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


def clean(node):
    """The configuration without checkov's position markers (__file__, __startline__, ...)."""
    if isinstance(node, dict):
        return {k: clean(v) for k, v in node.items() if not (k.startswith("__") and k.endswith("__"))}
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_statements(properties: dict) -> list[dict]:
    """Every statement of a role's inline policies or of a managed policy."""
    documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
    if "PolicyDocument" in properties:
        documents.append(properties["PolicyDocument"])
    return [s for d in documents for s in as_list(d.get("Statement", []))]


def covers(statement: dict, action: str) -> bool:
    """Whether the statement's Action (wildcards included) names this action."""
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement.get("Action", [])))


def source_file(node) -> str:
    """The template's path, from checkov's position markers (nested nodes carry them)."""
    if isinstance(node, dict):
        if "__file__" in node:
            return node["__file__"]
        node = list(node.values())
    for value in node if isinstance(node, list) else []:
        if isinstance(value, (dict, list)) and (found := source_file(value)):
            return found
    return ""


@functools.cache
def stack_names(path: str) -> dict[str, str]:
    """Each stage's stack name (its parameter's default), by stage."""
    template, _ = parse(path)
    return {s: str(template["Parameters"][f"{s}StackName"]["Default"]) for s in STAGES}


class _StageCheck(BaseResourceCheck):
    """A check of the resources of one stage (Dev... or Prod...); others are not its business."""

    def __init__(self, id: str, name: str, resources=("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")) -> None:
        super().__init__(name=name, id=id, categories=[CheckCategories.IAM], supported_resources=list(resources))

    def scan_resource_conf(self, conf):
        stage = next((s for s in STAGES if self.logical_id().startswith(s)), None)
        return CheckResult.UNKNOWN if stage is None else self.scan_stage(conf, stage)

    def fail(self, why: str) -> CheckResult:
        self.details.append(f"{self.logical_id()}: {why}")
        return CheckResult.FAILED

    def logical_id(self) -> str:
        return self.entity_path.rsplit(":", 1)[-1]

    def names_of(self, conf, stage: str) -> re.Pattern:
        """What names a stage: its parameter and resources by logical id, or its stack's name
        as checkov substitutes the parameter's default into some strings."""
        name = re.escape(stack_names(source_file(conf))[stage])
        return re.compile(rf"\b{stage}(StackName|Boundary|ExecutionRole|DeployRole)\b|\b{name}(?![a-z0-9])|environment:{stage.lower()}\b")


class StageNamesOnlyItsStack(_StageCheck):
    def __init__(self) -> None:
        super().__init__("CKV_TASKAPI_1", "A stage's pipeline roles and boundary name only that stage's stack")

    def scan_stage(self, conf, stage: str) -> CheckResult:
        properties = clean(conf.get("Properties", {}))
        text = json.dumps(properties)
        for other in (s for s in STAGES if s != stage):
            if self.names_of(conf, other).search(text):
                return self.fail(f"names the {other.lower()} stage")
        own = self.names_of(conf, stage)
        for statement in policy_statements(properties):
            if statement.get("Effect") != "Allow" or statement.get("Sid") in UNSCOPED:
                continue
            scoped = all(own.search(json.dumps(r)) or AWS_OWNED.search(json.dumps(r)) for r in as_list(statement.get("Resource", [])))
            tagged = own.search(json.dumps(statement.get("Condition", {})))
            if not (scoped or tagged):
                return self.fail(f"statement {statement.get('Sid')} names no {stage.lower()} resource")
        return CheckResult.PASSED


class RolesStayInTheirBoundary(_StageCheck):
    def __init__(self) -> None:
        super().__init__("CKV_TASKAPI_2", "Roles a stage's stack creates cannot escape the stage's permissions boundary")

    def scan_stage(self, conf, stage: str) -> CheckResult:
        statements = policy_statements(clean(conf.get("Properties", {})))
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        denies = [s for s in statements if s.get("Effect") == "Deny"]
        if any("NotAction" in s or "NotResource" in s for s in statements):
            return self.fail("NotAction or NotResource: too clever to check, write it out")
        boundary = {"Ref": f"{stage}Boundary"}
        if self.logical_id().endswith("Boundary"):
            if any(covers(s, a) for s in allows for a in ("iam:PassRole", *ROLE_GRANTS, *BOUNDARY_UNDO)):
                return self.fail("the boundary allows IAM")
            if not any(covers(s, "iam:CreateRole") and as_list(s.get("Resource")) == ["*"] and "Condition" not in s for s in denies):
                return self.fail("the boundary does not deny IAM outright")
            return CheckResult.PASSED
        for statement in allows:
            condition = statement.get("Condition", {})
            if any(covers(statement, a) for a in ROLE_GRANTS):
                if condition.get("StringEquals", {}).get("iam:PermissionsBoundary") != boundary:
                    return self.fail(f"{statement.get('Sid')}: roles without the {stage.lower()} boundary")
            if covers(statement, "iam:AttachRolePolicy"):
                policies = as_list(condition.get("ArnEquals", {}).get("iam:PolicyARN", "*"))
                if any("*" in json.dumps(p).replace("${AWS::Partition}", "") for p in policies):
                    return self.fail(f"{statement.get('Sid')}: attaches any managed policy")
            if any(covers(statement, a) for a in BOUNDARY_UNDO):
                return self.fail(f"{statement.get('Sid')}: may undo a boundary")
        if allows and any(covers(s, a) for s in allows for a in ROLE_GRANTS):
            unconditional = [s for s in denies if as_list(s.get("Resource")) == ["*"]]
            if not any(all(covers(s, a) for a in BOUNDARY_UNDO) and "Condition" not in s for s in unconditional):
                return self.fail("no Deny of removing a boundary or changing its policy")
            if not any(
                all(covers(s, a) for a in ROLE_GRANTS)
                and s.get("Condition") == {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}
                for s in unconditional
            ):
                return self.fail("no Deny of a role without the boundary")
        return CheckResult.PASSED


class ProdDeploysFromMainOnly(_StageCheck):
    def __init__(self) -> None:
        super().__init__(
            "CKV_TASKAPI_3", "Only the deploy workflow of main, run for main, may assume the prod deploy role", ["AWS::IAM::Role"]
        )

    def scan_stage(self, conf, stage: str) -> CheckResult:
        if self.logical_id() != "ProdDeployRole":
            return CheckResult.UNKNOWN
        trust = as_list(clean(conf.get("Properties", {})).get("AssumeRolePolicyDocument", {}).get("Statement", []))
        for statement in trust:
            equals = statement.get("Condition", {}).get("StringEquals", {})
            workflow = json.dumps(equals.get("token.actions.githubusercontent.com:job_workflow_ref"))
            if not (
                statement.get("Effect") == "Allow"
                and set(statement.get("Condition", {})) == {"StringEquals"}
                and equals.get("token.actions.githubusercontent.com:ref") == "refs/heads/main"
                and re.search(r'/\.github/workflows/deploy\.yml@refs/heads/main"', workflow)
                and "environment:prod" in json.dumps(equals.get("token.actions.githubusercontent.com:sub"))
            ):
                return self.fail(f"a trust statement not bound to main's deploy workflow: {statement}")
        return CheckResult.PASSED if trust else self.fail("no trust statement")


check_stage_names = StageNamesOnlyItsStack()
check_boundaries = RolesStayInTheirBoundary()
check_prod_from_main = ProdDeploysFromMainOnly()
