"""An import-linter contract type for the family-folder rule, which the built-in ones cannot state.

The rule: in the packages listed as `source_modules`, only modules whose name
matches one of `allowed` (full-name regular expressions, e.g. a family's
`<family>_data` and `<family>_export` modules) may import `forbidden_modules`.
import-linter's own `forbidden` contract can ignore imports only by whole
module names, so a new family's `*_export.py` would need a line in setup.cfg;
with this contract it needs none. setup.cfg registers it under
`contract_types`.
"""

import re

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract
from importlinter.domain.contract import ContractCheck


class NamedModulesOnlyContract(Contract):
    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())
    allowed = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose):
        allowed = [re.compile(pattern) for pattern in self.allowed]
        broken = []
        for source in self.source_modules:
            for module in sorted({source} | graph.find_descendants(source)):
                if any(pattern.fullmatch(module) for pattern in allowed):
                    continue
                for forbidden in self.forbidden_modules:
                    if forbidden not in graph.modules:
                        continue
                    details = graph.get_import_details(importer=module, imported=forbidden)
                    if details:
                        broken.append((module, forbidden, sorted({d["line_number"] for d in details})))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check):
        for module, forbidden, lines in check.metadata["broken"]:
            where = ", ".join(f"l.{line}" for line in lines)
            output.print_error(f"{module} imports {forbidden} ({where}); only modules matching "
                               f"{', '.join(self.allowed)} may.", bold=False)
            output.new_line()
