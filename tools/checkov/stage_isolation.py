"""checkov policies of this project for pipeline/stage.yaml: what no stock check knows.

One stack of pipeline/stage.yaml per stage; it knows its own stage's stack only through the
StackName parameter. make test runs these with checkov's own (tools/test.sh,
`--external-checks-dir tools/checkov`):

CKV_TASKAPI_1  the stage's deploy role, execution role and boundary name only the stage's
               stack: every scoped statement through StackName (so dev's stack of this
               template cannot name prod's resources, nor prod's dev's), no stack by a literal
               name, and nothing unscoped but the statements listed in UNSCOPED (each says why
               it cannot be narrowed).
CKV_TASKAPI_3  the deploy role trusts only the stage's GitHub environment and the deploy
               workflow from the refs of Stages' DeploysFrom, which for prod is main only
               (GitHub's `sub` for an environment job names the environment, not the branch).
CKV_TASKAPI_2  a role that the stage's stack creates cannot escape the stage's boundary: the
               execution role creates, fills and attaches roles only with that boundary,
               attaches only named managed policies, cannot remove a boundary or change a
               boundary's policy; the boundary itself grants nothing in IAM but passing the
               stage's roles to EventBridge Scheduler (a reminder's schedule names its role),
               and denies every other IAM action outright.
CKV_TASKAPI_4  the stage's roles send email only from the stage's own sender: every ses:
               permission is ses:SendEmail on exactly the identity of the stage's
               ReminderSenderEmail parameter and its domain's (which name no identity when the
               parameter is empty). An identity is the deployer's, named after no stack: this
               is what scopes it.

A statement written under Fn::If is checked as each of its branches.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.cloudformation.parser import parse
from checkov.common.models.enums import CheckCategories, CheckResult

# The pipeline template's resources these policies are about.
STAGE_RESOURCES = ("Boundary", "DeployRole", "ExecutionRole")
# What names the stage's own stack: the parameter, in a Sub or a Ref, or a resource of this
# template (the execution role, the boundary).
OWN_STACK = re.compile(r'\$\{StackName\}|"Ref": "StackName"|"Fn::GetAtt": \["(ExecutionRole|DeployRole)"|"Ref": "Boundary"')
# A stack named by a literal (this project's names begin so).
LITERAL_STACK = re.compile(r"task-api-(?!stack\b)[a-z0-9-]+")

# Statements that may name no stack, by Sid, and why (the template repeats the reason):
UNSCOPED = {
    "ValidateTemplates": "cloudformation:ValidateTemplate acts on no resource",
    "ReadOnlyWithoutAName": "reads that IAM cannot scope by name (ids, account-wide lists); no data",
    "TracesAndAlarmStates": "X-Ray writes take no resource; alarm states are read-only",
    "CloudFrontPoliciesWithoutNameOrTag": "origin access controls and response headers policies have ids and no tags",
    "WebAclAssociations": "the associated stage or pool is narrowed by its own service's tag-scoped permission",
    "DeploymentConfigs": "CodeDeploy's deployment configurations are AWS's, shared by every stack",
    "WebSocketConnections": "an API's id is random and its @connections take no tag; each function's own policy names its stage",
    "WebSocketApiChildrenWithoutTags": "a WebSocket API's routes, integrations, authorizers and deployments take no tag",
}
# Resources that belong to AWS, not to a stack (SAM's transform).
AWS_OWNED = re.compile(r":aws:transform/")
# IAM actions that create or widen a role's permissions.
ROLE_GRANTS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary")
# The one service a role under the boundary may pass the stage's roles to, and why.
BOUNDARY_PASSES_TO = "scheduler.amazonaws.com"  # task-events names the reminder role on schedules
# A role of the stage's stack, by name.
STAGE_ROLE = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${StackName}-*"
# The identities of the stage's sender: the address's and its domain's.
SENDER_IDENTITIES = [
    {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${ReminderSenderEmail}"},
    {
        "Fn::Sub": [
            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Domain}",
            {"Domain": {"Fn::Select": [1, {"Fn::Split": ["@", {"Fn::Sub": "${ReminderSenderEmail}@"}]}]}},
        ]
    },
]
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


def branches(node) -> list:
    """A statement, or each branch of one written under Fn::If (AWS::NoValue is none)."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _, then, otherwise = node["Fn::If"]
        return [s for branch in (then, otherwise) for s in branches(branch)]
    return [] if node == {"Ref": "AWS::NoValue"} else [node]


def policy_statements(properties: dict) -> list[dict]:
    """Every statement of a role's inline policies or of a managed policy."""
    documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
    if "PolicyDocument" in properties:
        documents.append(properties["PolicyDocument"])
    return [b for d in documents for s in as_list(d.get("Statement", [])) for b in branches(s)]


def sends_email(statement: dict) -> bool:
    """Whether the statement names any SES action (wildcards included)."""
    return any(a == "*" or a.lower().startswith("ses:") for a in as_list(statement.get("Action", [])))


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
def template_of(path: str) -> dict:
    template, _ = parse(path)
    return template


class _StageCheck(BaseResourceCheck):
    """A check of the stage template's roles and boundary; other resources are not its business."""

    def __init__(self, id: str, name: str, resources=("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")) -> None:
        super().__init__(name=name, id=id, categories=[CheckCategories.IAM], supported_resources=list(resources))

    def scan_resource_conf(self, conf):
        return self.scan_stage(conf) if self.logical_id() in STAGE_RESOURCES else CheckResult.UNKNOWN

    def fail(self, why: str) -> CheckResult:
        self.details.append(f"{self.logical_id()}: {why}")
        return CheckResult.FAILED

    def logical_id(self) -> str:
        return self.entity_path.rsplit(":", 1)[-1]


class StageNamesOnlyItsStack(_StageCheck):
    def __init__(self) -> None:
        super().__init__("CKV_TASKAPI_1", "A stage's pipeline roles and boundary name only that stage's stack")

    def scan_stage(self, conf) -> CheckResult:
        properties = clean(conf.get("Properties", {}))
        if found := LITERAL_STACK.search(json.dumps(properties)):
            return self.fail(f"names a stack by a literal name ({found.group()}), not through StackName")
        for statement in policy_statements(properties):
            if statement.get("Effect") != "Allow" or statement.get("Sid") in UNSCOPED:
                continue
            if sends_email(statement) and all(sends_email({"Action": a}) for a in as_list(statement["Action"])):
                continue  # an identity is named after the sender, not the stack: CKV_TASKAPI_4
            scoped = all(
                OWN_STACK.search(json.dumps(r)) or AWS_OWNED.search(json.dumps(r))
                for r in as_list(statement.get("Resource", []))
            )
            tagged = OWN_STACK.search(json.dumps(statement.get("Condition", {})))
            if not (scoped or tagged):
                return self.fail(f"statement {statement.get('Sid')} names no resource of the stage's stack")
        return CheckResult.PASSED


class RolesStayInTheirBoundary(_StageCheck):
    def __init__(self) -> None:
        super().__init__("CKV_TASKAPI_2", "Roles a stage's stack creates cannot escape the stage's permissions boundary")

    def scan_stage(self, conf) -> CheckResult:
        statements = policy_statements(clean(conf.get("Properties", {})))
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        denies = [s for s in statements if s.get("Effect") == "Deny"]
        if any("NotAction" in s or "NotResource" in s for s in statements):
            return self.fail("NotAction or NotResource: too clever to check, write it out")
        boundary = {"Ref": "Boundary"}
        if self.logical_id() == "Boundary":
            if any(covers(s, a) for s in allows for a in (*ROLE_GRANTS, *BOUNDARY_UNDO)):
                return self.fail("the boundary allows IAM")
            passes_to_scheduler = {"StringEquals": {"iam:PassedToService": BOUNDARY_PASSES_TO}}
            for s in allows:
                if covers(s, "iam:PassRole") and not (
                    as_list(s.get("Action")) == ["iam:PassRole"]
                    and as_list(s.get("Resource")) == [{"Fn::Sub": STAGE_ROLE}]
                    and s.get("Condition") == passes_to_scheduler
                ):
                    return self.fail(f"{s.get('Sid')}: passes a role that is not the stage's, or to another service than {BOUNDARY_PASSES_TO}")
            # Denied outright, but for passing a role to Scheduler: only iam:PassRole has
            # iam:PassedToService, and StringNotEquals holds where the key is absent.
            if not any(
                all(covers(s, a) for a in ("iam:PassRole", *ROLE_GRANTS, *BOUNDARY_UNDO))
                and as_list(s.get("Resource")) == ["*"]
                and s.get("Condition", {}) in ({}, {"StringNotEquals": {"iam:PassedToService": BOUNDARY_PASSES_TO}})
                for s in denies
            ):
                return self.fail(f"the boundary does not deny IAM outright (but passing a role to {BOUNDARY_PASSES_TO})")
            return CheckResult.PASSED
        for statement in allows:
            condition = statement.get("Condition", {})
            if any(covers(statement, a) for a in ROLE_GRANTS):
                if condition.get("StringEquals", {}).get("iam:PermissionsBoundary") != boundary:
                    return self.fail(f"{statement.get('Sid')}: roles without the stage's boundary")
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
            "CKV_TASKAPI_3",
            "The deploy role trusts the stage's environment and deploy workflow only, prod's from main only",
            ["AWS::IAM::Role"],
        )

    def scan_stage(self, conf) -> CheckResult:
        if self.logical_id() != "DeployRole":
            return CheckResult.UNKNOWN
        deploys_from = {"Fn::FindInMap": ["Stages", {"Ref": "Stage"}, "DeploysFrom"]}
        stages = template_of(source_file(conf)).get("Mappings", {}).get("Stages", {})
        if clean(stages).get("prod", {}).get("DeploysFrom") != "refs/heads/main":
            return self.fail(f"prod deploys from {clean(stages).get('prod')}, not main only")
        trust = as_list(clean(conf.get("Properties", {})).get("AssumeRolePolicyDocument", {}).get("Statement", []))
        for statement in trust:
            condition = statement.get("Condition", {})
            equals, like = condition.get("StringEquals", {}), condition.get("StringLike", {})
            workflow = json.dumps(like.get("token.actions.githubusercontent.com:job_workflow_ref"))
            if not (
                statement.get("Effect") == "Allow"
                and set(condition) == {"StringEquals", "StringLike"}
                and "environment:${Stage}" in json.dumps(equals.get("token.actions.githubusercontent.com:sub"))
                and like.get("token.actions.githubusercontent.com:ref") == deploys_from
                and "/.github/workflows/deploy.yml@${Ref}" in workflow
                and json.dumps(deploys_from) in workflow
            ):
                return self.fail(f"a trust statement not bound to the stage's environment and refs: {statement}")
        return CheckResult.PASSED if trust else self.fail("no trust statement")


class EmailOnlyFromTheStagesSender(_StageCheck):
    def __init__(self) -> None:
        super().__init__("CKV_TASKAPI_4", "A stage's roles send email only from the stage's own sender (ReminderSenderEmail)")

    def scan_stage(self, conf) -> CheckResult:
        for statement in policy_statements(clean(conf.get("Properties", {}))):
            if statement.get("Effect") != "Allow" or not sends_email(statement):
                continue
            if "NotAction" in statement or "NotResource" in statement:
                return self.fail(f"{statement.get('Sid')}: NotAction or NotResource: too clever to check, write it out")
            if as_list(statement.get("Action")) != ["ses:SendEmail"]:
                return self.fail(f"{statement.get('Sid')}: SES actions other than ses:SendEmail: {statement.get('Action')}")
            if as_list(statement.get("Resource")) != SENDER_IDENTITIES:
                return self.fail(f"{statement.get('Sid')}: sends from other identities than ReminderSenderEmail's and its domain's")
        return CheckResult.PASSED


check_stage_names = StageNamesOnlyItsStack()
check_boundaries = RolesStayInTheirBoundary()
check_prod_from_main = ProdDeploysFromMainOnly()
check_stage_sender = EmailOnlyFromTheStagesSender()
