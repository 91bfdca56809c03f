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


def test_a_presets_own_parameters_show_and_the_others_keep_their_values(page: Any) -> None:
    cam = add_node(page, "camera move", "camera.preset")
    page.evaluate(f"window.oysterEditor.focusNode('{cam}')")
    end = page.locator(f'{node(cam)} [data-param="end_distance_m"]')
    page.locator(f'{node(cam)} [data-param="preset"]').wait_for()
    assert end.count() == 0  # orbit: a dolly's end distance does not apply
    assert "more for other modes" in page.locator(f"{node(cam)} .oy-params-hidden").inner_text()
    page.locator(f'{node(cam)} [data-param="preset"] select').select_option("dolly_in")
    end.wait_for()
    field = end.locator("input").first
    field.fill("7")
    field.press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{cam}').params.end_distance_m"
                           " === 7")
    page.locator(f'{node(cam)} [data-param="preset"] select').select_option("orbit")
    page.wait_for_function(f"!document.querySelector('{node(cam)} [data-param=\"end_distance_m\"]')")
    params = page.evaluate(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{cam}').params")
    assert params["end_distance_m"] == 7 and params["preset"] == "orbit"  # hidden, not lost
