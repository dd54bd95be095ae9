"""tools/sam-local.sh's helpers for its builds (the tests themselves: tests/sam_local, pytest).

    sam_local_check.py glibc MAX_VERSION BINARY...
        each binary needs no glibc symbol version above MAX_VERSION (Lambda's al2023: 2.34)
    sam_local_check.py binaries TEMPLATE
        the binaries of the template's functions
    sam_local_check.py local-template SOURCE OUTPUT BINARIES_DIR
        SOURCE (template.yaml) with each function's code taken from BINARIES_DIR/<binary>/
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

passed = 0
failures = []


def check(condition, what, detail=""):
    global passed
    if condition:
        passed += 1
        print(f"  ok    {what}")
    else:
        failures.append(what)
        print(f"  FAIL  {what}")
        if detail:
            print("        " + str(detail).replace("\n", "\n        "))


def finish():
    print(f"sam local checks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def load_template(path):
    from samcli.yamlhelper import yaml_parse

    return yaml_parse(Path(path).read_text())


def functions(template):
    """Logical id -> binary, for every function of the template."""
    binaries = {
        name: (resource.get("Metadata") or {}).get("BuildProperties", {}).get("Binary")
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    return {name: binary for name, binary in binaries.items() if binary}


# --- glibc -------------------------------------------------------------------------------


def glibc_versions(binary):
    """The GLIBC_x.y versions a binary's dynamic symbols need."""
    if shutil.which("objdump"):
        text = subprocess.run(
            ["objdump", "-T", binary], check=True, capture_output=True, text=True
        ).stdout
    else:  # the version names are in the dynamic string table
        text = Path(binary).read_bytes().decode("latin-1")
    found = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", text)}
    return sorted(found)


def cmd_glibc(maximum, *binaries):
    limit = tuple(int(p) for p in maximum.split("."))
    for binary in binaries:
        versions = glibc_versions(binary)
        highest = ".".join(map(str, versions[-1])) if versions else "none"
        check(
            bool(versions) and versions[-1] <= limit,
            f"{os.path.relpath(binary, ROOT)}: needs glibc {highest} (Lambda's al2023 has {maximum})",
        )
    return finish()


# --- the local-caller template ---------------------------------------------------------------


def cmd_binaries(source):
    print(" ".join(sorted(set(functions(load_template(source)).values()))))
    return 0


def cmd_local_template(source, output, binaries_dir):
    from samcli.yamlhelper import yaml_dump

    template = load_template(source)
    for name, binary in functions(template).items():
        code = Path(binaries_dir).resolve() / binary
        if not (code / "bootstrap").is_file():
            sys.exit(f"{code}/bootstrap is missing")
        template["Resources"][name]["Properties"]["CodeUri"] = str(code)
        # Built already: nothing for `sam build` to do with it.
        template["Resources"][name].pop("Metadata", None)
    Path(output).write_text(yaml_dump(template))
    return 0


def main():
    sys.stdout.reconfigure(line_buffering=True)
    command, *args = sys.argv[1:] or ["help"]
    handlers = {
        "binaries": cmd_binaries,
        "glibc": cmd_glibc,
        "local-template": cmd_local_template,
    }
    if command not in handlers:
        sys.exit(__doc__)
    return handlers[command](*args)


if __name__ == "__main__":
    sys.exit(main())
