"""The matters' pages in a real browser against a real ``docgen serve``: 立项 with a milestone that has
passed (a red light), a progress report that marks it done (green), the list and the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.conftest import service_today
from tests.test_browser import browser, page, shot  # noqa: F401  (the browser fixtures)

pytestmark = pytest.mark.browser


def test_register_a_matter_report_progress_and_see_the_lights(page):  # noqa: F811
    today = service_today()
    page.goto("/matters/new")
    page.fill("#f-title", "院感防控专项整治（浏览器）")
    page.fill("#f-source", "局长办公会")
    page.fill("#f-department", "医政科")
    page.fill("#f-opened_on", (today - dt.timedelta(days=30)).isoformat())
    page.fill("#f-deadline", (today + dt.timedelta(days=60)).isoformat())
    page.locator("[name=milestone_due]").first.fill((today - dt.timedelta(days=2)).isoformat())
    page.locator("[name=milestone_measure]").first.fill("完成全区医院自查")
    page.click("button:has-text('立项')")
    page.wait_for_selector("#matter-light")
    assert page.locator("#matter-light").inner_text() == "红灯"
    shot(page, "20-matter-red")
    page.fill("#p-progress", "已完成全区医院自查")
    page.check("[name=milestones_done]")
    page.click("#progress-form button:has-text('报送')")
    page.wait_for_selector("#matter-light")
    assert page.locator("#matter-light").inner_text() == "绿灯"
    assert "已完成全区医院自查" in page.locator("#timeline").inner_text()
    shot(page, "21-matter-timeline")
    page.goto("/matters")
    assert "院感防控专项整治（浏览器）" in page.locator("table.matters").inner_text()
    shot(page, "22-matters")
    page.goto("/")
    assert "督查事项" in page.locator("#matters-by-light h2").inner_text()


def test_the_report_page_previews_this_months_report_beside_its_form(page, live_server):  # noqa: F811
    today = service_today()
    matter = {"title": "医疗废物处置专项督查（浏览器）", "source": "局长办公会", "department": "医政科",
              "opened_on": today.isoformat(), "deadline": (today + dt.timedelta(days=90)).isoformat()}
    answer = requests.post(f"{live_server.url}/api/v1/matters", json=matter, headers=live_server.headers, timeout=30)
    assert answer.status_code == 201, answer.text
    month = today.strftime("%Y-%m")
    page.goto("/reports")
    assert page.locator("nav.tabs [aria-current=page]").inner_text() == "向局领导的月度书面报告"
    page.fill("#month", month)
    page.fill("#notes-overview", "本月督查工作总体平稳（浏览器）")
    page.click("button[value=preview]")
    page.wait_for_selector("#report-preview img")
    assert page.locator("#report-preview img").evaluate("img => img.complete && img.naturalWidth > 300")
    assert f"数据截至 {today.isoformat()}" in page.locator("#report-preview").inner_text()
    # the preview stands beside the form, which keeps what was typed
    form, preview = page.locator("#report-form").bounding_box(), page.locator("#report-preview").bounding_box()
    assert preview["x"] > form["x"] + form["width"] - 1
    assert page.input_value("#notes-overview") == "本月督查工作总体平稳（浏览器）"
    shot(page, "23-report-preview")
