"""The accessibility checks the browser tests run on a page: axe-core's rules (vendored under
``tests/e2e/vendor/``, injected into the page, never served) and a keyboard walk that presses
Tab from the top until focus comes round again."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' '))
  }));
}"""

# Marks each control a keyboard user must reach with data-kb="n" and returns their
# descriptions, plus those with a positive tabindex (which reorders the page's focus).
# Radio buttons of one group are one stop: Tab reaches the group, arrows move within it.
_MARK_CONTROLS = """() => {
  const describe = el => {
    let text = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.name ? '[name=' + el.name + ']' : '') + (text ? ' "' + text + '"' : '');
  };
  const shown = el => {
    if (el.closest('[inert], [hidden]')) return false;
    const style = getComputedStyle(el);
    return style.visibility === 'visible' && el.getClientRects().length > 0;
  };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, '
    + '[tabindex], details > summary:first-of-type';
  const controls = {}, positive = [];
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.tabIndex > 0) positive.push(describe(el));
    if (el.disabled || el.tabIndex < 0 || !shown(el)) continue;
    const key = el.type === 'radio' ? 'radio:' + (el.form ? el.form.id : '') + ':' + el.name
      : 'kb' + (n++);
    el.dataset.kb = key;
    controls[key] = describe(el);
  }
  const parted = document.querySelectorAll(
    'input[type=date], input[type=time], input[type=datetime-local], input[type=month], '
    + 'input[type=week]').length;
  return {controls, positive, parted};
}"""

# Records, in order, each element that takes focus (a focusin listener costs no round trip).
_LISTEN = """() => {
  window.__focusLog = [];
  document.addEventListener('focusin', e => {
    const el = e.target;
    window.__focusLog.push(el.dataset.kb
      || ('unmarked ' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')));
  });
}"""
# Chromium's date and time inputs take a Tab per part (day, month, year, …) besides their own.
PARTS = 4
LAPS = 3  # laps of Tab presses the walk may take to come round before it calls focus trapped


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it stands (every rule axe runs by default)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN_AXE)


def blocking(violations: list[dict]) -> str:
    """The serious and critical violations as lines a person can act on; empty when none."""
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n    at " + "\n    at ".join(v["targets"])
        for v in violations
        if v["impact"] in BLOCKING
    )


def to_top(page) -> None:
    """No control focused and the page scrolled to its top, as a visitor first sees it."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")


def keyboard_problems(page) -> list[str]:
    """What keeps a keyboard user from a visible control: a positive tabindex, a control that
    Tab never reaches from the top of the page, or a focus that never comes round again."""
    marked = page.evaluate(_MARK_CONTROLS)
    controls: dict[str, str] = marked["controls"]
    problems = [f"positive tabindex on {what}" for what in marked["positive"]]
    to_top(page)
    page.evaluate(_LISTEN)
    # Tab goes through the controls, leaves the page, then comes back to the first control it
    # reached. (An autofocused field is where Chromium starts, so the walk may begin mid-page.)
    # A lap takes a press per control, per part of a date field and a few to leave the page and
    # come back. Under load a lap took more presses than that once (CI, the desk page at phone
    # width), so the walk goes on for up to LAPS laps, checking after each, before it calls the
    # focus trapped.
    lap = len(controls) + PARTS * marked["parted"] + 5
    for _lap in range(LAPS):
        for _ in range(lap):
            page.keyboard.press("Tab")
        log: list[str] = page.evaluate("() => window.__focusLog")
        reached, came_round = _one_lap(log)
        if came_round:
            break
    else:
        last = controls.get(log[-1], log[-1]) if log else "nothing"
        problems.append(
            f"focus never came round in {LAPS * lap} presses of Tab (last on {last}; "
            f"it went {' > '.join(controls.get(k, k) for k in log[:40])})"
        )
    missed = [what for key, what in controls.items() if key not in reached]
    problems += [f"Tab never reaches {what}" for what in missed]
    return problems


def _one_lap(log: list[str]) -> tuple[list[str], bool]:
    """The focus log up to where it comes back to its first element, and whether it did."""
    reached: list[str] = []
    for focused in log:
        if reached and focused == reached[0]:
            return reached, True
        reached.append(focused)
    return reached, False
