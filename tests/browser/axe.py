"""axe-core in browser tests, with the site's Content Security Policy left on.

The policy allows scripts from the site itself only, so axe-core (an npm devDependency) is served
as one of the app's static files, for tests only (the `axe_served` fixture), and added to the page
as a script from that address: the page keeps the exact policy people get.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

AXE_FOLDER = Path(settings.BASE_DIR) / "node_modules" / "axe-core"
AXE_URL = "/static/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")
# The name of the user property a test's checks travel under to the run's summary.
CHECKED = "axe-core checked"


@dataclass
class AxeTally:
    """What the suite checked: one entry per page, role and screen width."""

    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def summary(self) -> str:
        roles = sorted({role for role, _, _ in self.checked})
        widths = sorted({width for _, _, width in self.checked}, reverse=True)
        return (
            f"axe-core checked {len(self.checked)} combinations of page, role and screen width: "
            f"{len({(role, name) for role, name, _ in self.checked})} pages by role "
            f"({', '.join(roles)}) at {' and '.join(f'{w} px' for w in widths)}"
        )


TALLY = AxeTally()


def serve_axe(settings) -> None:
    """Serve node_modules/axe-core under /static/vendor/axe-core/ (tests only)."""
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, ("vendor/axe-core", AXE_FOLDER)]


def blocking_violations(page) -> tuple[int, list[str]]:
    """Run axe-core on the page as it is; return how many rules passed and each serious or
    critical violation as "rule: the elements it found"."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async (blocking) => {
            const result = await axe.run(document);
            return {
                passes: result.passes.length,
                violations: result.violations
                    .filter(v => blocking.includes(v.impact))
                    .map(v => `${v.id} (${v.impact}): ` + v.nodes.map(n => n.target.join(" "))),
            };
        }""",
        list(BLOCKING),
    )
    return result["passes"], result["violations"]


def audit(page, *, role: str, name: str) -> list[str]:
    """Check the open page, count it in the tally, and return its blocking violations, each
    prefixed with where it was found."""
    width = page.viewport_size["width"]
    passes, violations = blocking_violations(page)
    TALLY.checked.append((role, name, width))
    where = f"{role} · {name} · {width} px"
    # axe really looked: a page whose checks all failed to run would pass nothing.
    found = [] if passes > 10 else [f"{where}: axe-core passed only {passes} rules"]
    return found + [f"{where}: {violation}" for violation in violations]
