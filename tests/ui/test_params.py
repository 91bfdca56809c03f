"""Parameters that fit: a vector whose default is empty ("choose for me") still has its fields."""

from __future__ import annotations

from typing import Any

from .actions import add_node, node


def test_an_empty_vector_shows_its_fields_and_goes_back_to_automatic(page: Any) -> None:
    cam = add_node(page, "camera move", "camera.preset")
    page.evaluate(f"window.oysterEditor.focusNode('{cam}')")
    fields = page.locator(f'{node(cam)} [data-param="subject"] input')
    fields.first.wait_for()
    assert fields.count() == 2  # [x, y], as the parameter's description says
    assert fields.first.get_attribute("placeholder") == "auto"
    fields.first.fill("10")
    fields.first.press("Enter")
    page.wait_for_function(f"""JSON.stringify(window.oysterEditor.getDoc().nodes.find(n => n.id === '{cam}')
        .params.subject) === '[10,0]'""")
    page.locator(f'{node(cam)} [data-param="subject"] button[aria-label="back to automatic"]').click()
    page.wait_for_function(f"""window.oysterEditor.getDoc().nodes.find(n => n.id === '{cam}').params.subject.length
        === 0""")
