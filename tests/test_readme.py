import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_opens_with_the_two_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        head = f.read().split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", head, flags=re.S)
    assert blocks[:2] == ["pip install -e . && kerazoo quickstart", 'pip install -e ".[test]" && python -m pytest -q']


def test_ci_runs_the_readme_test_command_exactly():
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    assert readme_commands()[1] in lines
